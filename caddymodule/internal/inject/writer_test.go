package inject

import (
	"bytes"
	"errors"
	"io"
	"sync"
	"testing"
)

var testSnippet = Script("visitor@example.com", "dG9rZW4.c2lnbmF0dXJl", "")

// writerRun is the outcome of runWriter.
type writerRun struct {
	output   string
	injected bool
}

// step is one call on a Writer: a Write of data, or a Flush if flush is set.
type step struct {
	data  string
	flush bool
}

// runWriter writes chunks to a new Writer and closes it, with the checks of
// runSteps.
func runWriter(t testing.TB, window int, chunks []string) writerRun {
	t.Helper()

	steps := make([]step, len(chunks))
	for i, chunk := range chunks {
		steps[i] = step{data: chunk}
	}
	return runSteps(t, window, steps)
}

// runSteps runs steps on a new Writer, closes it and checks the contract
// that holds for every input. Each Write returns len(p), and commit runs
// once, before any byte reaches dst. snippet runs once if and only if the
// Writer injects, and commit gets Pending only after a Flush.
func runSteps(t testing.TB, window int, steps []step) writerRun {
	t.Helper()

	var dst bytes.Buffer
	decisions, snippetCalls := 0, 0
	committedAt := -1
	var decision Decision
	flushed := false

	w := NewWriter(&dst, window,
		func() []byte {
			snippetCalls++
			return testSnippet
		},
		func(d Decision) {
			decisions++
			committedAt = dst.Len()
			decision = d
		})

	for _, s := range steps {
		if s.flush {
			flushed = true
			if err := w.Flush(); err != nil {
				t.Fatalf("Flush: got %v, want nil", err)
			}
			continue
		}

		n, err := w.Write([]byte(s.data))
		if err != nil || n != len(s.data) {
			t.Fatalf("Write(%q): got (%d, %v), want (%d, nil)", s.data, n, err, len(s.data))
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: got %v, want nil", err)
	}

	if decisions != 1 {
		t.Fatalf("steps %+v: commit called %d times, want 1", steps, decisions)
	}
	if committedAt != 0 {
		t.Fatalf("steps %+v: commit called after %d bytes reached dst, want 0", steps, committedAt)
	}
	switch {
	case decision == Pending && !flushed:
		t.Fatalf("steps %+v: commit(Pending) without a Flush", steps)
	case decision != Pending && (decision == Injected) != w.Injected():
		t.Fatalf("steps %+v: commit(%v) but Injected() = %v", steps, decision, w.Injected())
	}
	if wantCalls := btoi(w.Injected()); snippetCalls != wantCalls {
		t.Fatalf("steps %+v: snippet called %d times, want %d", steps, snippetCalls, wantCalls)
	}

	return writerRun{output: dst.String(), injected: w.Injected()}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestWriterFlush(t *testing.T) {
	tests := []struct {
		name string
		// steps are the calls; each flush step's data is the output
		// expected right after that Flush.
		steps        []step
		wantDecision Decision
	}{
		{
			name:         "before any byte",
			steps:        []step{{flush: true, data: ""}, {data: "<html><head><title>t</title>"}},
			wantDecision: Injected,
		},
		{
			name:         "inside a comment",
			steps:        []step{{data: "<!-- a long comment"}, {flush: true, data: ""}, {data: " --><html><head>"}},
			wantDecision: Injected,
		},
		{
			name:         "before point",
			steps:        []step{{data: "<!DOCTYPE html><html>"}, {flush: true, data: "<!DOCTYPE html><html>"}, {data: "<head><title>t</title>"}},
			wantDecision: Pending,
		},
		{
			name:         "inside head tag",
			steps:        []step{{data: "<!DOCTYPE html><he"}, {flush: true, data: "<!DOCTYPE html>"}, {data: "ad><title>t</title>"}},
			wantDecision: Pending,
		},
		{
			name:         "before head's first element",
			steps:        []step{{data: "<html><head>\n"}, {flush: true, data: "<html><head>"}, {data: `<meta charset="utf-8">`}},
			wantDecision: Pending,
		},
		{
			name:         "after point",
			steps:        []step{{data: "<html><head><title>"}, {flush: true, data: "<html><head>" + string(testSnippet) + "<title>"}, {data: "t</title>"}},
			wantDecision: Injected,
		},
		{
			name: "twice after point",
			steps: []step{
				{data: "<html><head><title>"},
				{flush: true, data: "<html><head>" + string(testSnippet) + "<title>"},
				{flush: true, data: "<html><head>" + string(testSnippet) + "<title>"},
				{data: "t</title>"},
				{flush: true, data: "<html><head>" + string(testSnippet) + "<title>t</title>"},
			},
			wantDecision: Injected,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dst bytes.Buffer
			var decisions []Decision
			w := NewWriter(&dst, 0, func() []byte { return testSnippet }, func(d Decision) { decisions = append(decisions, d) })

			var input string
			for _, s := range tt.steps {
				if !s.flush {
					input += s.data
					if _, err := w.Write([]byte(s.data)); err != nil {
						t.Fatalf("Write(%q): %v", s.data, err)
					}
					continue
				}

				if err := w.Flush(); err != nil {
					t.Fatalf("Flush after %q: %v", input, err)
				}
				if got := dst.String(); got != s.data {
					t.Fatalf("Flush after %q: output %q, want %q", input, got, s.data)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}

			// A flush never changes where the snippet goes.
			if got, want := dst.String(), runWriter(t, 0, []string{input}).output; got != want {
				t.Errorf("steps %+v: got %q, want %q as without flushes", tt.steps, got, want)
			}
			if !w.Injected() {
				t.Errorf("steps %+v: got Injected() false, want true", tt.steps)
			}
			if len(decisions) != 1 || decisions[0] != tt.wantDecision {
				t.Errorf("steps %+v: commit calls %v, want [%v]", tt.steps, decisions, tt.wantDecision)
			}
		})
	}
}

func TestWriterFlushKeepsWindow(t *testing.T) {
	// A streamed text/html body that is not a document: flushes release
	// it as it comes, and the search ends after the window.
	const window = 64
	var dst bytes.Buffer
	w := NewWriter(&dst, window, func() []byte { return testSnippet }, nil)

	const chunk = "<!-- progress -->\n"
	var input string
	for range 10 {
		input += chunk
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatalf("Write(%q): %v", chunk, err)
		}
		if err := w.Flush(); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		if got := dst.String(); got != input {
			t.Fatalf("after Flush: output %q, want every byte written so far %q", got, input)
		}
	}
	if _, err := w.Write([]byte("<html><head>")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if w.Injected() {
		t.Error("injected after the window was exhausted, want the search ended")
	}
}

// injectAfter returns s with testSnippet after the first marker.
func injectAfter(s, marker string) string {
	i := bytes.Index([]byte(s), []byte(marker)) + len(marker)
	return s[:i] + string(testSnippet) + s[i:]
}

func TestWriterSnippetResult(t *testing.T) {
	const input = "<html><head><title>t</title>"

	tests := []struct {
		name         string
		snippet      func() []byte
		wantInjected bool
	}{
		{name: "nil func", snippet: nil},
		{name: "nil result", snippet: func() []byte { return nil }},
		{name: "empty result", snippet: func() []byte { return []byte{} }},
		{name: "snippet", snippet: func() []byte { return testSnippet }, wantInjected: true},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dst bytes.Buffer
			var decisions []Decision
			w := NewWriter(&dst, 0, tt.snippet, func(d Decision) { decisions = append(decisions, d) })

			if _, err := w.Write([]byte(input)); err != nil {
				t.Fatalf("Write(%q): %v", input, err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}

			want := input
			if tt.wantInjected {
				want = injectAfter(input, "<head>")
			}
			if got := dst.String(); got != want {
				t.Errorf("input %q: got %q, want %q", input, got, want)
			}
			wantDecision := Unchanged
			if tt.wantInjected {
				wantDecision = Injected
			}
			if len(decisions) != 1 || decisions[0] != wantDecision {
				t.Errorf("input %q: got commit calls %v, want [%v]", input, decisions, wantDecision)
			}
			if got := w.Injected(); got != tt.wantInjected {
				t.Errorf("input %q: got Injected() %v, want %v", input, got, tt.wantInjected)
			}
		})
	}
}

func TestWriterNilCommit(t *testing.T) {
	var dst bytes.Buffer
	w := NewWriter(&dst, 0, func() []byte { return testSnippet }, nil)

	const input = "<html><head>"
	if _, err := w.Write([]byte(input)); err != nil {
		t.Fatalf("Write(%q): %v", input, err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	if got, want := dst.String(), input+string(testSnippet); got != want {
		t.Errorf("input %q: got %q, want %q", input, got, want)
	}
}

func TestWriterBlockingSnippet(t *testing.T) {
	var dst lockedBuffer
	called := make(chan struct{})
	release := make(chan struct{})
	w := NewWriter(&dst, 0, func() []byte {
		close(called)
		<-release
		return testSnippet
	}, nil)

	const input = "<!DOCTYPE html><head><title>t</title>"
	done := make(chan error)
	go func() {
		_, err := w.Write([]byte(input))
		done <- err
	}()

	<-called
	if n := dst.Len(); n != 0 {
		t.Fatalf("input %q: %d bytes reached dst while snippet blocked, want 0", input, n)
	}

	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Write(%q): %v", input, err)
	}
	if got, want := dst.String(), injectAfter(input, "<head>"); got != want {
		t.Errorf("input %q: got %q, want %q", input, got, want)
	}
}

func TestWriterPassesSliceAfterDecision(t *testing.T) {
	var dst sliceRecorder
	w := NewWriter(&dst, 0, func() []byte { return testSnippet }, nil)

	if _, err := w.Write([]byte("<html><head><title>")); err != nil {
		t.Fatalf("Write: %v", err)
	}

	p := []byte("t</title><body>text</body>")
	if _, err := w.Write(p); err != nil {
		t.Fatalf("Write(%q): %v", p, err)
	}

	last := dst.writes[len(dst.writes)-1]
	if &last[0] != &p[0] || len(last) != len(p) {
		t.Errorf("Write(%q) after the decision: dst got a copy %q, want the caller's slice", p, last)
	}
}

func TestWriterHoldsAtMostWindow(t *testing.T) {
	const window = 1000
	w := NewWriter(io.Discard, window, func() []byte { return testSnippet }, nil)

	chunk := []byte("<!DOCTYPE html><!-- comment -->")
	for range 200 {
		if _, err := w.Write(chunk); err != nil {
			t.Fatalf("Write(%q): %v", chunk, err)
		}
		if len(w.held) > window || cap(w.held) > window {
			t.Fatalf("held %d bytes with capacity %d, want at most %d", len(w.held), cap(w.held), window)
		}
	}
	if w.Injected() {
		t.Errorf("Injected() after %d bytes of comments: got true, want false", 200*len(chunk))
	}
}

func TestWriterDstError(t *testing.T) {
	errDst := errors.New("connection reset")

	tests := []struct {
		name   string
		writes []string
		failAt int // index of the dst write that fails; the decision's bytes go out in one write
		wantN  []int
	}{
		{
			name:   "held bytes",
			writes: []string{"<html>", "<head><title>", "rest"},
			failAt: 0,
			wantN:  []int{6, 0, 0},
		},
		{
			name:   "first write after decision",
			writes: []string{"<html>", "<head><title>", "rest"},
			failAt: 1,
			wantN:  []int{6, 13, 0},
		},
		{
			name:   "later write after decision",
			writes: []string{"<html><head><title>", "t</title>", "rest"},
			failAt: 1,
			wantN:  []int{19, 0, 0},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := &failingWriter{failAt: tt.failAt, err: errDst}
			w := NewWriter(dst, 0, func() []byte { return testSnippet }, nil)

			failed := false
			for i, data := range tt.writes {
				n, err := w.Write([]byte(data))
				if n != tt.wantN[i] {
					t.Errorf("Write(%q): got n %d, want %d", data, n, tt.wantN[i])
				}
				if failed && !errors.Is(err, errDst) {
					t.Errorf("Write(%q) after a failure: got error %v, want %v", data, err, errDst)
				}
				failed = failed || err != nil
			}

			if !failed {
				t.Fatalf("writes %q: no Write failed, want %v", tt.writes, errDst)
			}
			if err := w.Flush(); !errors.Is(err, errDst) {
				t.Errorf("Flush: got %v, want %v", err, errDst)
			}
			if err := w.Close(); !errors.Is(err, errDst) {
				t.Errorf("Close: got %v, want %v", err, errDst)
			}
		})
	}
}

func TestWriterShortWrite(t *testing.T) {
	w := NewWriter(shortWriter{}, 0, nil, nil)

	const input = "<p>fragment</p>"
	if _, err := w.Write([]byte(input)); !errors.Is(err, io.ErrShortWrite) {
		t.Errorf("Write(%q) to a short writer: got %v, want %v", input, err, io.ErrShortWrite)
	}
}

func TestWriterClose(t *testing.T) {
	var dst bytes.Buffer
	decisions := 0
	w := NewWriter(&dst, 0, func() []byte { return testSnippet }, func(Decision) { decisions++ })

	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
	if decisions != 1 {
		t.Errorf("empty body: commit called %d times, want 1", decisions)
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Errorf("Write after Close: got nil error, want one")
	}
	if dst.Len() != 0 {
		t.Errorf("empty body: got output %q, want none", dst.String())
	}
}

// failingWriter fails its write number failAt, counted from zero, and all
// writes after it.
type failingWriter struct {
	failAt int
	writes int
	err    error
}

func (f *failingWriter) Write(p []byte) (int, error) {
	f.writes++
	if f.writes > f.failAt {
		return 0, f.err
	}
	return len(p), nil
}

// shortWriter reports one byte fewer than it was given, without an error.
type shortWriter struct{}

func (shortWriter) Write(p []byte) (int, error) {
	return max(len(p)-1, 0), nil
}

// sliceRecorder keeps the slices passed to Write, without copying them.
type sliceRecorder struct {
	writes [][]byte
}

func (r *sliceRecorder) Write(p []byte) (int, error) {
	r.writes = append(r.writes, p)
	return len(p), nil
}

// lockedBuffer is a bytes.Buffer that one goroutine writes while another
// reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
