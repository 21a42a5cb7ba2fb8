package main

import (
	"bytes"
	"io"
	"strconv"
	"testing"
)

func TestNewPage(t *testing.T) {
	sizes := []int64{
		int64(minPageSize),
		int64(minPageSize) + 1,
		int64(minPageSize + len(pageParagraph)),
		30 << 10,
		300 << 10,
	}
	for _, size := range sizes {
		t.Run(strconv.FormatInt(size, 10), func(t *testing.T) {
			page, err := io.ReadAll(newPage(size))
			if err != nil {
				t.Fatalf("reading page of %d bytes: %v", size, err)
			}
			if got := int64(len(page)); got != size {
				t.Errorf("newPage(%d) has %d bytes, want %d", size, got, size)
			}
			if !bytes.HasPrefix(page, []byte(pageHead)) {
				t.Errorf("newPage(%d) starts with %q, want the page head", size, page[:min(len(page), 40)])
			}
			if !bytes.HasSuffix(page, []byte(pageTail)) {
				t.Errorf("newPage(%d) ends with %q, want %q", size, page[max(0, len(page)-20):], pageTail)
			}
		})
	}
}

// TestNewPageSmallReads checks that reads smaller than a paragraph give the
// same bytes as one large read, as a proxy reading into a small buffer does.
func TestNewPageSmallReads(t *testing.T) {
	const size = 10 << 10
	want, err := io.ReadAll(newPage(size))
	if err != nil {
		t.Fatal(err)
	}

	for _, chunk := range []int{1, 7, 100, 4096} {
		var got bytes.Buffer
		buf := make([]byte, chunk)
		if _, err := io.CopyBuffer(&got, struct{ io.Reader }{newPage(size)}, buf); err != nil {
			t.Fatalf("reading in chunks of %d bytes: %v", chunk, err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("page read in chunks of %d bytes differs from one read in one piece", chunk)
		}
	}
}

func TestNewPagePanicsBelowMinimum(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("newPage(%d) did not panic, want a panic for a size below %d", minPageSize-1, minPageSize)
		}
	}()
	newPage(int64(minPageSize - 1))
}
