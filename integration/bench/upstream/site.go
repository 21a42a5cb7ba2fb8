package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// pageSizes are the pages served, by file name, in bytes.
var pageSizes = map[string]int64{
	"30k.html":  30 << 10,
	"300k.html": 300 << 10,
	"100m.html": 100 << 20,
}

// Pages up to maxHeldPage bytes are generated once and held in memory, so
// serving them costs the upstream little CPU. Larger pages are generated as
// they stream, after the first streamHead bytes and a pause.
const (
	maxHeldPage = 1 << 20
	streamHead  = 64 << 10
)

// site serves the generated pages.
type site struct {
	pages map[string]int64 // sizes in bytes by file name
	delay time.Duration
	pause time.Duration
	held  map[string][]byte
}

func newSite(pages map[string]int64, delay, pause time.Duration) *site {
	s := &site{pages: pages, delay: delay, pause: pause, held: make(map[string][]byte)}
	for name, size := range s.pages {
		if size <= maxHeldPage {
			page, _ := io.ReadAll(newPage(size)) // reading a newPage never fails
			s.held[name] = page
		}
	}
	return s
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, slow := strings.CutPrefix(r.URL.Path, "/slow/")
	name = strings.TrimPrefix(name, "/")
	size, ok := s.pages[name]
	if !ok {
		http.NotFound(w, r)
		return
	}

	if slow {
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
	}

	header := w.Header()
	header.Set("Content-Type", "text/html; charset=utf-8")
	header.Set("Content-Length", strconv.FormatInt(size, 10))
	if page, ok := s.held[name]; ok {
		w.Write(page)
		return
	}
	s.stream(w, r, size)
}

// stream writes a page too large to hold: its first streamHead bytes, a
// flush, a pause, then the rest. A client sees the head well before the
// body, as from an application that renders the page as it goes.
func (s *site) stream(w http.ResponseWriter, r *http.Request, size int64) {
	page := newPage(size)
	if _, err := io.CopyN(w, page, streamHead); err != nil {
		return
	}
	if err := http.NewResponseController(w).Flush(); err != nil {
		return
	}

	select {
	case <-time.After(s.pause):
	case <-r.Context().Done():
		return
	}
	io.Copy(w, page)
}

// writeFiles writes every page to dir, for file_server to serve the same
// bytes as the upstream.
func (s *site) writeFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, size := range s.pages {
		var page io.Reader = newPage(size)
		if held, ok := s.held[name]; ok {
			page = bytes.NewReader(held)
		}
		if err := writeFile(filepath.Join(dir, name), page); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, content io.Reader) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, content); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
