package inject

import (
	"bytes"
	"io"
)

// maxBodyEndTail is how far past a </body> end tag a BodyEndWriter looks
// for the end of the document. Real pages end a few bytes after it; a
// </body> followed by more is taken for text inside a script or comment,
// and the snippet then goes at the very end.
const maxBodyEndTail = 4 << 10

// BodyEndWriter copies an HTML document and inserts a snippet before its
// last </body> end tag, or at its end if there is none close to the end,
// unless the document contains a marker, such as the URL of a script it
// already loads. The HTML parser runs a script after </body> or </html> as
// part of the body, so the end of the document is a safe fallback.
// A BodyEndWriter is not safe for concurrent use.
type BodyEndWriter struct {
	dst     io.Writer
	snippet []byte
	markers [][]byte

	// tail holds the last bytes written, so a marker or end tag split
	// across writes is still found.
	tail []byte

	// held is everything from the last </body> on, not yet written.
	held    []byte
	holding bool

	marked bool // a marker was seen: insert nothing
	closed bool
	err    error
}

// NewBodyEndWriter returns a BodyEndWriter that writes to dst.
func NewBodyEndWriter(dst io.Writer, snippet []byte, markers ...string) *BodyEndWriter {
	w := &BodyEndWriter{dst: dst, snippet: snippet}
	for _, m := range markers {
		w.markers = append(w.markers, []byte(m))
	}
	return w
}

// Write copies p to dst, holding back what follows a </body> end tag.
func (w *BodyEndWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errClosed
	}
	if w.marked {
		return w.writeDst(p)
	}

	w.scanMarkers(p)
	if w.marked {
		// Release what was held unchanged; nothing will be inserted.
		if err := w.release(); err != nil {
			return 0, err
		}
		return w.writeDst(p)
	}

	if at := lastBodyEnd(p); at >= 0 {
		// A later </body> starts at p[at:]: hold from there.
		if err := w.release(); err != nil {
			return 0, err
		}
		if _, err := w.writeDst(p[:at]); err != nil {
			return 0, err
		}
		w.held = append(w.held[:0], p[at:]...)
		w.holding = true
	} else if w.holding {
		w.held = append(w.held, p...)
	} else if _, err := w.writeDst(p); err != nil {
		return 0, err
	}

	if w.holding && len(w.held) > maxBodyEndTail {
		if err := w.release(); err != nil {
			return 0, err
		}
	}

	w.keepTail(p)
	return len(p), nil
}

// Flush writes the held bytes, giving up the position of a held </body>,
// so a flush delivers everything written. The snippet then goes at the end.
func (w *BodyEndWriter) Flush() error {
	if w.err != nil {
		return w.err
	}
	return w.release()
}

// Close inserts the snippet, unless a marker was seen, and writes what is
// held. It does not close dst.
func (w *BodyEndWriter) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}

	if !w.marked {
		if _, err := w.writeDst(w.snippet); err != nil {
			return err
		}
	}
	return w.release()
}

// release writes the held bytes and stops holding.
func (w *BodyEndWriter) release() error {
	held := w.held
	w.held = w.held[:0]
	w.holding = false
	_, err := w.writeDst(held)
	return err
}

// scanMarkers sets marked if a marker occurs in p or across the tail and p.
func (w *BodyEndWriter) scanMarkers(p []byte) {
	for _, m := range w.markers {
		if bytes.Contains(p, m) || containsAcross(w.tail, p, m) {
			w.marked = true
			return
		}
	}
}

// keepTail keeps the last few bytes of the stream for matches that span
// writes.
func (w *BodyEndWriter) keepTail(p []byte) {
	const size = 64
	if len(p) >= size {
		w.tail = append(w.tail[:0], p[len(p)-size:]...)
		return
	}
	w.tail = append(w.tail, p...)
	if len(w.tail) > size {
		w.tail = w.tail[len(w.tail)-size:]
	}
}

func (w *BodyEndWriter) writeDst(p []byte) (int, error) {
	n, err := writeFull(w.dst, p)
	if err != nil {
		w.err = err
	}
	return n, err
}

// containsAcross reports whether m occurs in tail+p starting inside tail.
func containsAcross(tail, p, m []byte) bool {
	if len(tail) == 0 || len(m) < 2 {
		return false
	}
	start := max(len(tail)-len(m)+1, 0)
	joined := append(append([]byte(nil), tail[start:]...), p[:min(len(p), len(m)-1)]...)
	return bytes.Contains(joined, m)
}

// lastBodyEnd returns the offset in p of the last </body> end tag that
// starts in p, or -1. The tag name matches case-insensitively and must end
// at whitespace, '/' or '>'. A tag split across writes, whose start was
// already written, is not found, and the snippet then goes at the end.
func lastBodyEnd(p []byte) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '<' && isBodyEnd(p[i:]) {
			return i
		}
	}
	return -1
}

// isBodyEnd reports whether b starts with a </body> end tag.
func isBodyEnd(b []byte) bool {
	const name = "</body"
	if len(b) < len(name)+1 {
		return false
	}
	for i := range len(name) {
		if toLower(b[i]) != name[i] {
			return false
		}
	}
	c := b[len(name)]
	return c == '>' || c == '/' || isHTMLSpace(c)
}
