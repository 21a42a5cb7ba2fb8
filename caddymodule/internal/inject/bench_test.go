package inject

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// benchmarkChunk is the size of the writes in the benchmarks, the buffer size
// that io.Copy uses.
const benchmarkChunk = 32 << 10

// page returns an HTML document of about size bytes with a typical head.
func page(size int) []byte {
	head := "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<!-- generated -->\n" +
		"<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n" +
		"<title>Benchmark page</title>\n<link rel=\"stylesheet\" href=\"/site.css\">\n</head>\n<body>\n"
	paragraph := "<p>Lorem ipsum dolor sit amet, <a href=\"/x\">consectetur</a> adipiscing elit.</p>\n"

	var b strings.Builder
	b.WriteString(head)
	for b.Len() < size {
		b.WriteString(paragraph)
	}
	b.WriteString("</body>\n</html>\n")
	return []byte(b.String())
}

// writeChunks writes p to w in writes of at most benchmarkChunk bytes.
func writeChunks(b *testing.B, w io.Writer, p []byte) {
	for len(p) > 0 {
		n := min(len(p), benchmarkChunk)
		if _, err := w.Write(p[:n]); err != nil {
			b.Fatal(err)
		}
		p = p[n:]
	}
}

// sink copies each write into a 4 KiB buffer, as a buffered writer in front
// of a connection does. Unlike io.Discard it has no ReadFrom method, so
// io.Copy calls its Write the way it calls a response's Write.
type sink struct {
	buf [4 << 10]byte
}

func (s *sink) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		p = p[copy(s.buf[:], p):]
	}
	return n, nil
}

func BenchmarkWriter(b *testing.B) {
	snippet := Script("visitor@example.com", "dG9rZW4.c2lnbmF0dXJl", "")

	for _, size := range []struct {
		name  string
		bytes int
	}{
		{"30KB", 30 << 10},
		{"300KB", 300 << 10},
	} {
		doc := page(size.bytes)
		dst := new(sink)

		b.Run(size.name, func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				w := NewWriter(dst, 0, func() []byte { return snippet }, nil)
				writeChunks(b, w, doc)
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				if !w.Injected() {
					b.Fatal("not injected")
				}
			}
		})

		// Small writes make the Writer hold and scan the head across writes.
		b.Run(size.name+"/64B writes", func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				w := NewWriter(dst, 0, func() []byte { return snippet }, nil)
				for p := doc; len(p) > 0; {
					n := min(len(p), 64)
					if _, err := w.Write(p[:n]); err != nil {
						b.Fatal(err)
					}
					p = p[n:]
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkScanComment measures the scanner on a 60 KiB comment before the
// head, close to the most that DefaultWindow lets it scan. The comment has a
// "--" every 16 bytes, which slows the search for its end.
func BenchmarkScanComment(b *testing.B) {
	doc := []byte("<!DOCTYPE html><!--" + strings.Repeat("comment -- text ", 60<<10/16) + "--><head><title>t</title>")

	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		var s scanner
		if s.scan(doc) != found {
			b.Fatal("injection point not found")
		}
	}
}

// BenchmarkCopy compares copying a 300 KB body through a Writer that has
// already injected with a plain io.Copy of the same bytes.
func BenchmarkCopy(b *testing.B) {
	doc := page(300 << 10)
	buf := make([]byte, benchmarkChunk)
	dst := new(sink)

	b.Run("Writer after injection", func(b *testing.B) {
		w := NewWriter(dst, 0, func() []byte { return testSnippet }, nil)
		if _, err := w.Write([]byte("<html><head><title>")); err != nil {
			b.Fatal(err)
		}

		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := io.CopyBuffer(w, bytes.NewReader(doc), buf); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("io.Copy", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := io.CopyBuffer(dst, bytes.NewReader(doc), buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}
