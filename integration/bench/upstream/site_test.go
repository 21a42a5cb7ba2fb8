package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// testPages has one held and one streamed page.
var testPages = map[string]int64{
	"small.html": 4 << 10,
	"large.html": maxHeldPage + 1000,
}

func TestSiteServesPages(t *testing.T) {
	server := httptest.NewServer(newSite(testPages, 50*time.Millisecond, 0))
	defer server.Close()

	tests := []struct {
		path     string
		status   int
		size     int64
		minDelay time.Duration
	}{
		{"/small.html", http.StatusOK, 4 << 10, 0},
		{"/large.html", http.StatusOK, maxHeldPage + 1000, 0},
		{"/slow/small.html", http.StatusOK, 4 << 10, 50 * time.Millisecond},
		{"/missing.html", http.StatusNotFound, -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			start := time.Now()
			resp, err := http.Get(server.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("reading %s: %v", tt.path, err)
			}
			elapsed := time.Since(start)

			if resp.StatusCode != tt.status {
				t.Fatalf("GET %s: status %d, want %d", tt.path, resp.StatusCode, tt.status)
			}
			if tt.status != http.StatusOK {
				return
			}
			if got := int64(len(body)); got != tt.size {
				t.Errorf("GET %s: body of %d bytes, want %d", tt.path, got, tt.size)
			}
			if got, want := resp.Header.Get("Content-Length"), strconv.FormatInt(tt.size, 10); got != want {
				t.Errorf("GET %s: Content-Length %q, want %q", tt.path, got, want)
			}
			if got, want := resp.Header.Get("Content-Type"), "text/html; charset=utf-8"; got != want {
				t.Errorf("GET %s: Content-Type %q, want %q", tt.path, got, want)
			}
			if elapsed < tt.minDelay {
				t.Errorf("GET %s took %s, want at least %s", tt.path, elapsed, tt.minDelay)
			}
		})
	}
}

// TestSiteStreamPauses checks that a streamed page delivers its first
// streamHead bytes before the pause ends, which is what the time to first
// byte in the benchmarks relies on.
func TestSiteStreamPauses(t *testing.T) {
	const pause = 300 * time.Millisecond
	server := httptest.NewServer(newSite(testPages, 0, pause))
	defer server.Close()

	start := time.Now()
	resp, err := http.Get(server.URL + "/large.html")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	head := make([]byte, streamHead)
	if _, err := io.ReadFull(bufio.NewReader(resp.Body), head); err != nil {
		t.Fatalf("reading the first %d bytes: %v", streamHead, err)
	}
	if elapsed := time.Since(start); elapsed >= pause {
		t.Errorf("first %d bytes took %s, want them before the pause of %s ends", streamHead, elapsed, pause)
	}

	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Fatalf("reading the rest: %v", err)
	}
	if elapsed := time.Since(start); elapsed < pause {
		t.Errorf("whole page took %s, want at least the pause of %s", elapsed, pause)
	}
}

func TestSiteWriteFiles(t *testing.T) {
	s := newSite(testPages, 0, 0)
	dir := t.TempDir()
	if err := s.writeFiles(dir); err != nil {
		t.Fatal(err)
	}

	for name, size := range testPages {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := io.ReadAll(newPage(size))
		if !bytes.Equal(got, want) {
			t.Errorf("file %s has %d bytes that differ from the served page of %d bytes", name, len(got), len(want))
		}
	}
}
