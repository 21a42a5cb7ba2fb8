package main

import (
	"io"
	"strings"
)

// The parts of every generated page. The head is typical of a site: a
// comment, a charset, a viewport, a title and a stylesheet, so the injector
// has a realistic head to scan.
const (
	pageHead = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<!-- generated for benchmarks -->\n" +
		"<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n" +
		"<title>Benchmark page</title>\n<link rel=\"stylesheet\" href=\"/site.css\">\n</head>\n<body>\n"
	pageParagraph = "<p>Lorem ipsum dolor sit amet, <a href=\"/x\">consectetur</a> adipiscing elit, " +
		"sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.</p>\n"
	pageTail = "</body>\n</html>\n"
)

// minPageSize is the smallest size newPage accepts: the head and the tail.
const minPageSize = len(pageHead) + len(pageTail)

// newPage returns a reader of an HTML document of exactly size bytes, made
// of paragraphs padded with spaces. It never holds the whole page in memory,
// so a 100 MB page costs no more than a small one. It panics if size is
// less than minPageSize.
func newPage(size int64) io.Reader {
	if size < int64(minPageSize) {
		panic("upstream: page size below the size of its head and tail")
	}

	body := size - int64(minPageSize)
	paragraphs := body / int64(len(pageParagraph))
	padding := body % int64(len(pageParagraph))

	return io.MultiReader(
		strings.NewReader(pageHead),
		&repeatReader{text: pageParagraph, remaining: paragraphs * int64(len(pageParagraph))},
		&repeatReader{text: " ", remaining: padding},
		strings.NewReader(pageTail),
	)
}

// repeatReader yields text over and over until remaining bytes are read.
type repeatReader struct {
	text      string
	offset    int // position in text of the next byte
	remaining int64
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.remaining <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.remaining {
		p = p[:r.remaining]
	}

	n := 0
	for n < len(p) {
		copied := copy(p[n:], r.text[r.offset:])
		n += copied
		r.offset = (r.offset + copied) % len(r.text)
	}
	r.remaining -= int64(n)
	return n, nil
}
