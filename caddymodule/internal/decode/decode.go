// Package decode turns a compressed HTTP response body back into its plain
// bytes while it streams, so an HTML page that an upstream compressed can
// still be injected into.
//
// The decoders are pull-based readers, so each Writer runs one in its own
// goroutine. Write hands its bytes over and returns only once the decoder has
// consumed them and written everything they decode to, so the caller and the
// goroutine never touch the destination at the same time.
package decode

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// maxZstdWindow is the largest zstd window accepted, in bytes. RFC 9659 caps
// the window of zstd content coding at 8 MiB, which bounds the memory a
// response can make the decoder allocate.
const maxZstdWindow = 8 << 20

// Supported reports whether coding, one Content-Encoding value, can be
// decoded: gzip, deflate (zlib-wrapped, as RFC 9110 defines it), br and zstd.
func Supported(coding string) bool {
	switch normalize(coding) {
	case "gzip", "deflate", "br", "zstd":
		return true
	}
	return false
}

// ErrTrailingData is returned when bytes follow the end of the compressed
// stream, which means the body does not match its Content-Encoding.
var ErrTrailingData = errors.New("data after the end of the compressed stream")

// Writer decodes what is written to it and writes the result to dst.
// It is not safe for concurrent use.
type Writer struct {
	feed feeder
	done chan error // the decoder's result, sent once

	waiting  bool // the decoder is blocked asking for input
	finished bool // the decoder goroutine has ended
	closed   bool
	err      error

	// ignoreTrailing discards data after the end of the stream, for the
	// coding whose decoder cannot report it reliably (see decodeAll).
	ignoreTrailing bool
}

// NewWriter starts a decoder for coding that writes to dst. The caller must
// call Close, or Abort if it gives up, so the decoder goroutine ends.
func NewWriter(coding string, dst io.Writer) (*Writer, error) {
	coding = normalize(coding)
	if !Supported(coding) {
		return nil, fmt.Errorf("unsupported content coding %q", coding)
	}

	w := &Writer{
		feed: feeder{
			in:   make(chan []byte),
			idle: make(chan struct{}, 1),
		},
		done:           make(chan error, 1),
		ignoreTrailing: coding == "br",
	}
	go func() {
		// A panic in a decoder on hostile input must not take the
		// server down; it fails this response instead.
		defer func() {
			if r := recover(); r != nil {
				w.done <- fmt.Errorf("decoding %s: decoder panicked: %v", coding, r)
			}
		}()
		w.done <- decodeAll(coding, &w.feed, dst)
	}()
	return w, nil
}

// Write hands p to the decoder and returns once all of p is decoded and
// written to dst. A decoding error, data after the end of the compressed
// stream, or a write error from dst is returned, and the Writer stays failed.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("decode: Write after Close")
	}
	if len(p) == 0 {
		return 0, nil
	}

	w.waitForDecoder()
	if w.err != nil {
		return 0, w.err
	}
	if w.finished {
		if w.ignoreTrailing {
			return len(p), nil
		}
		w.err = ErrTrailingData
		return 0, w.err
	}

	w.waiting = false
	w.feed.in <- p

	// The decoder requests input again only after it has used all of p,
	// unless the stream ended inside p.
	w.waitForDecoder()
	if w.err != nil {
		return 0, w.err
	}
	return len(p), nil
}

// Close ends the input and returns the decoder's result: nil only if the
// compressed stream was complete and everything decoded reached dst.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil || w.finished {
		return w.err
	}

	close(w.feed.in)
	w.err = <-w.done
	w.finished = true
	return w.err
}

// Abort ends the decoder goroutine without waiting for it, for a response
// that is being abandoned.
func (w *Writer) Abort() {
	if w.closed {
		return
	}
	w.closed = true
	if !w.finished {
		close(w.feed.in)
	}
}

// waitForDecoder blocks until the decoder requests input or ends. A decoder
// that ended with input left over was given more than one stream.
func (w *Writer) waitForDecoder() {
	if w.waiting || w.finished {
		return
	}

	select {
	case <-w.feed.idle:
		w.waiting = true
	case err := <-w.done:
		w.finished = true
		if err == nil && w.feed.leftover() && !w.ignoreTrailing {
			err = ErrTrailingData
		}
		w.err = err
	}
}

// decodeAll copies the decoded stream from r to dst.
func decodeAll(coding string, r io.Reader, dst io.Writer) error {
	decoder, err := open(coding, r)
	if err != nil {
		return fmt.Errorf("reading %s header: %w", coding, err)
	}
	defer decoder.Close()

	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)

	// writerOnly keeps io.CopyBuffer from handing dst the decoder directly.
	_, err = io.CopyBuffer(writerOnly{dst}, decoder, *buf)
	if coding == "br" && err != nil && err.Error() == "brotli: excessive input" {
		// andybalholm/brotli v1.3.0 reports this for some complete streams
		// read in very small pieces, so it cannot be distinguished
		// from trailing data. The decoded stream was complete either way.
		err = nil
	}
	if err != nil {
		return fmt.Errorf("decoding %s: %w", coding, err)
	}
	return nil
}

var copyBuffers = sync.Pool{
	New: func() any {
		buf := make([]byte, 32<<10)
		return &buf
	},
}

type writerOnly struct{ io.Writer }

// open returns a reader that decodes coding from r.
func open(coding string, r io.Reader) (io.ReadCloser, error) {
	switch coding {
	case "gzip":
		return gzip.NewReader(r)
	case "deflate":
		return zlib.NewReader(r)
	case "br":
		return io.NopCloser(brotli.NewReader(r)), nil
	case "zstd":
		decoder, err := zstd.NewReader(r,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(maxZstdWindow))
		if err != nil {
			return nil, err
		}
		return decoder.IOReadCloser(), nil
	}
	return nil, fmt.Errorf("unsupported content coding %q", coding)
}

// normalize lowercases a coding and maps the x-gzip alias RFC 9110 keeps.
func normalize(coding string) string {
	coding = strings.ToLower(strings.TrimSpace(coding))
	if coding == "x-gzip" {
		return "gzip"
	}
	return coding
}

// feeder is the decoder's input: chunks handed over by Write, one at a time.
type feeder struct {
	in   chan []byte
	idle chan struct{} // signals that the current chunk is used up
	cur  []byte
	eof  bool
}

func (f *feeder) Read(p []byte) (int, error) {
	if !f.fill() {
		return 0, io.EOF
	}
	n := copy(p, f.cur)
	f.cur = f.cur[n:]
	return n, nil
}

// ReadByte lets the flate-based decoders read exactly what they need
// instead of wrapping the feeder in a bufio.Reader, which would read past
// the end of the stream and hide trailing data.
func (f *feeder) ReadByte() (byte, error) {
	if !f.fill() {
		return 0, io.EOF
	}
	c := f.cur[0]
	f.cur = f.cur[1:]
	return c, nil
}

// fill waits for the next chunk if the current one is used up, and reports
// whether input is available.
func (f *feeder) fill() bool {
	for len(f.cur) == 0 {
		if f.eof {
			return false
		}
		f.idle <- struct{}{}
		chunk, ok := <-f.in
		if !ok {
			f.eof = true
			return false
		}
		f.cur = chunk
	}
	return true
}

// leftover reports whether input remained after the decoder finished. It
// is only called once the decoder goroutine has ended.
func (f *feeder) leftover() bool {
	return len(f.cur) > 0
}
