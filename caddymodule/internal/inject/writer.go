package inject

import (
	"errors"
	"io"
	"slices"
	"sync"
)

// DefaultWindow is the window, in bytes, of a Writer created with a window of
// zero or less.
const DefaultWindow = 64 << 10

var errClosed = errors.New("inject: Write after Close")

// Decision is the state a Writer reports to its caller before the first
// byte of the body reaches dst, so the caller can commit the response
// headers.
type Decision uint8

const (
	// Unchanged means the body is written exactly as it arrives.
	Unchanged Decision = iota

	// Injected means the snippet is in the body.
	Injected

	// Pending means a Flush sent bytes before the injection point was
	// found, so the snippet may still be inserted later.
	Pending
)

// Writer copies an HTML response body to another writer and inserts a
// snippet at the injection point. It holds at most its window of bytes while
// it looks for that point. A Writer is not safe for concurrent use.
type Writer struct {
	dst     io.Writer
	window  int
	snippet func() []byte
	commit  func(Decision)

	scan      scanner
	held      []byte // bytes scanned but not yet written
	released  int    // bytes written before the decision, by Flush
	committed bool   // commit was called
	passing   bool   // decided, so Write copies straight to dst
	injected  bool
	closed    bool
	err       error // first error from dst
}

// NewWriter returns a Writer that copies to dst. window is the maximum number
// of body bytes scanned for the injection point, or DefaultWindow if
// window <= 0.
//
// When the point is found, snippet is called exactly once and its result, if
// not empty, is written there. snippet may block, for example while it waits
// for the visitor's identification token. commit is called exactly once,
// before the first byte is written to dst, or from Flush or Close if nothing
// is written. The caller can then fix the response headers, such as dropping
// Content-Length, only when the body changes or may change. Both funcs may
// be nil.
func NewWriter(dst io.Writer, window int, snippet func() []byte, commit func(Decision)) *Writer {
	if window <= 0 {
		window = DefaultWindow
	}
	return &Writer{dst: dst, window: window, snippet: snippet, commit: commit}
}

// Write copies p to dst, or holds it while the injection point is unknown. It
// returns len(p) on success, even when some bytes are still held. Once the
// decision is made, p goes straight to dst without copying.
func (w *Writer) Write(p []byte) (int, error) {
	switch {
	case w.err != nil:
		return 0, w.err
	case w.closed:
		return 0, errClosed
	case w.passing:
		return w.writeDst(p)
	}

	// Scan only what fits in the window, so that a decision is made within
	// the first window bytes of the body, however much Flush released.
	room := w.window - w.released - len(w.held)
	fits := min(len(p), room)
	switch w.scan.scan(p[:fits]) {
	case found:
		return w.release(w.scan.point, p)
	case noPoint:
		return w.release(-1, p)
	}

	if fits < len(p) {
		// The window is full and still no decision.
		return w.release(-1, p)
	}

	w.hold(p)
	return len(p), nil
}

// Flush prepares for the caller's flush of dst. It writes the held bytes
// that certainly come before the injection point and keeps looking, so a
// streamed page keeps its timing and is still injected. Only an unfinished
// tag, comment or character reference stays held. If that writes the first
// bytes before the decision, the caller's commit gets Pending. Flush does
// not flush dst itself, and the caller has nothing to flush if commit was
// not called.
func (w *Writer) Flush() error {
	if w.err != nil || w.passing || w.closed {
		return w.err
	}

	safe := w.scan.safeOffset() - w.released
	if safe <= 0 {
		return nil
	}

	w.commitOnce(Pending)
	if err := w.writeAll(w.held[:safe]); err != nil {
		return err
	}

	// Keep the unwritten tail at the start of the buffer, so it does not
	// grow past the window however often Flush runs.
	w.held = w.held[:copy(w.held, w.held[safe:])]
	w.released += safe
	return nil
}

// Close decides on the held bytes with the end-of-input rules of the HTML
// tokenizer and writes them out. It does not close dst. Write fails after
// Close.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true

	if w.err != nil || w.passing {
		return w.err
	}

	point := -1
	if w.scan.finish() == found {
		point = w.scan.point
	}
	_, err := w.release(point, nil)
	return err
}

// Injected reports whether the snippet was inserted.
func (w *Writer) Injected() bool {
	return w.injected
}

// hold appends p to the held bytes, growing the buffer geometrically up to
// the window. The caller has checked that p fits.
func (w *Writer) hold(p []byte) {
	need := len(w.held) + len(p)
	if w.held == nil && w.window == DefaultWindow {
		w.held = (*heldBuffers.Get().(*[]byte))[:0]
	}
	if need > cap(w.held) {
		size := min(max(2*cap(w.held), need, 512), w.window-w.released)
		grown := make([]byte, len(w.held), size)
		copy(grown, w.held)
		w.held = grown
	}
	w.held = append(w.held, p...)
}

// release makes the decision, with point the injection point in stream
// offsets or -1 for none, and writes the held bytes and p to dst. It returns
// how many bytes of p were written.
//
// The held bytes, the snippet and up to a window of p go out in one Write.
// Compressors such as Caddy's encode judge a response by the size of its
// first write, and the bytes before the point are often few.
func (w *Writer) release(point int, p []byte) (int, error) {
	var snippet []byte
	if point >= 0 && w.snippet != nil {
		snippet = w.snippet()
	}
	w.injected = len(snippet) > 0
	w.passing = true
	if w.injected {
		w.commitOnce(Injected)
	} else {
		w.commitOnce(Unchanged)
	}

	out := w.held
	w.held = nil
	if out == nil && w.window == DefaultWindow {
		out = (*heldBuffers.Get().(*[]byte))[:0]
	}
	copied := 0 // bytes of p in out

	if w.injected {
		point -= w.released // from a stream offset to an offset in out
		if point > len(out) {
			// The injection point is inside p.
			copied = point - len(out)
			out = append(out, p[:copied]...)
		}
		out = slices.Insert(out, point, snippet...)
	}

	more := min(len(p)-copied, max(w.window-len(out), 0))
	out = append(out, p[copied:copied+more]...)
	copied += more

	err := w.writeAll(out)
	recycle(out)
	if err != nil {
		return 0, err
	}
	n, err := w.writeDst(p[copied:])
	return copied + n, err
}

// heldSlack is room beyond the window in a pooled buffer for the snippet,
// which release inserts into the held bytes.
const heldSlack = 8 << 10

// heldBuffers recycles the buffers of Writers with the default window, so
// an injected response allocates no buffer of its own. io.Writer
// implementations must not retain what they are given, so a buffer is free
// again once written.
var heldBuffers = sync.Pool{
	New: func() any {
		b := make([]byte, 0, DefaultWindow+heldSlack)
		return &b
	},
}

// recycle returns a pooled buffer; others are left to the garbage collector.
func recycle(b []byte) {
	if cap(b) == DefaultWindow+heldSlack {
		b = b[:0]
		heldBuffers.Put(&b)
	}
}

// commitOnce calls commit with d unless it was called before.
func (w *Writer) commitOnce(d Decision) {
	if w.committed {
		return
	}
	w.committed = true
	if w.commit != nil {
		w.commit(d)
	}
}

// writeAll writes each non-empty part to dst.
func (w *Writer) writeAll(parts ...[]byte) error {
	for _, part := range parts {
		if len(part) == 0 {
			continue
		}
		if _, err := w.writeDst(part); err != nil {
			return err
		}
	}
	return nil
}

// writeDst writes p to dst and records the first failure.
func (w *Writer) writeDst(p []byte) (int, error) {
	n, err := writeFull(w.dst, p)
	if err != nil {
		w.err = err
	}
	return n, err
}

// writeFull writes p to dst, treating a short write without an error as
// io.ErrShortWrite.
func writeFull(dst io.Writer, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}

	n, err := dst.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	return n, err
}
