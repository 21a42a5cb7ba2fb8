package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
)

// encode compresses data with coding, as an upstream would.
func encode(t testing.TB, coding string, data []byte) []byte {
	t.Helper()

	var buf bytes.Buffer
	var w io.WriteCloser
	switch coding {
	case "gzip":
		w = gzip.NewWriter(&buf)
	case "deflate":
		w = zlib.NewWriter(&buf)
	case "br":
		w = brotli.NewWriter(&buf)
	case "zstd":
		zw, err := zstd.NewWriter(&buf)
		if err != nil {
			t.Fatal(err)
		}
		w = zw
	default:
		t.Fatalf("no encoder for %q", coding)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decodeChunks writes encoded to a new Writer in chunks of the given sizes
// (cycled) and returns the output and the first error.
func decodeChunks(coding string, encoded []byte, sizes []int) ([]byte, error) {
	var out bytes.Buffer
	w, err := NewWriter(coding, &out)
	if err != nil {
		return nil, err
	}

	for i := 0; len(encoded) > 0; i++ {
		n := min(max(sizes[i%len(sizes)], 1), len(encoded))
		if _, err := w.Write(encoded[:n]); err != nil {
			w.Abort()
			return out.Bytes(), err
		}
		encoded = encoded[n:]
	}
	return out.Bytes(), w.Close()
}

var codings = []string{"gzip", "deflate", "br", "zstd"}

func testPage() []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html><html><head><title>t</title></head><body>")
	for i := range 2000 {
		fmt.Fprintf(&b, "<p>paragraph %d</p>\n", i)
	}
	b.WriteString("</body></html>")
	return []byte(b.String())
}

func TestWriterRoundTrip(t *testing.T) {
	page := testPage()
	chunkings := map[string][]int{
		"one write":   {1 << 30},
		"single byte": {1},
		"odd sizes":   {7, 300, 1, 4096, 13},
	}

	for _, coding := range codings {
		encoded := encode(t, coding, page)
		for name, sizes := range chunkings {
			t.Run(coding+"/"+name, func(t *testing.T) {
				got, err := decodeChunks(coding, encoded, sizes)
				if err != nil {
					t.Fatalf("decoding %s: %v", coding, err)
				}
				if !bytes.Equal(got, page) {
					t.Errorf("decoded %d bytes, want the %d-byte page", len(got), len(page))
				}
			})
		}
	}
}

func TestWriterEmptyBody(t *testing.T) {
	for _, coding := range codings {
		got, err := decodeChunks(coding, encode(t, coding, nil), []int{1})
		if err != nil {
			t.Errorf("%s: empty stream: %v", coding, err)
		}
		if len(got) != 0 {
			t.Errorf("%s: empty stream decoded to %q", coding, got)
		}
	}
}

func TestWriterTruncated(t *testing.T) {
	page := testPage()
	for _, coding := range codings {
		encoded := encode(t, coding, page)
		truncated := encoded[:len(encoded)/2]

		if _, err := decodeChunks(coding, truncated, []int{512}); err == nil {
			t.Errorf("%s: truncated stream decoded without an error", coding)
		}
	}
}

func TestWriterCorrupt(t *testing.T) {
	page := testPage()
	for _, coding := range codings {
		encoded := encode(t, coding, page)
		corrupt := bytes.Clone(encoded)
		for i := len(corrupt) / 3; i < len(corrupt)/3+16; i++ {
			corrupt[i] ^= 0x5a
		}

		got, err := decodeChunks(coding, corrupt, []int{256})
		if err == nil && bytes.Equal(got, page) {
			t.Errorf("%s: corrupt stream decoded to the original page", coding)
		}
		if err == nil {
			t.Errorf("%s: corrupt stream decoded without an error", coding)
		}
	}
}

func TestWriterNotCompressed(t *testing.T) {
	page := testPage()
	for _, coding := range codings {
		if _, err := decodeChunks(coding, page, []int{1024}); err == nil {
			t.Errorf("%s: a plain page decoded without an error", coding)
		}
	}
}

func TestWriterTrailingData(t *testing.T) {
	page := testPage()
	// Brotli is left out: its decoder cannot tell trailing data from a
	// complete stream read in small pieces, so decode accepts both.
	for _, coding := range []string{"gzip", "deflate", "zstd"} {
		encoded := append(encode(t, coding, page), "junk after the stream"...)
		_, err := decodeChunks(coding, encoded, []int{1 << 30})
		if err == nil {
			t.Errorf("%s: data after the stream decoded without an error", coding)
		}
	}

	// The end of the stream and the extra bytes in separate writes.
	encoded := encode(t, "deflate", page)
	var out bytes.Buffer
	w, err := NewWriter("deflate", &out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(encoded); err != nil {
		t.Fatalf("Write(stream): %v", err)
	}
	if _, err := w.Write([]byte("junk")); !errors.Is(err, ErrTrailingData) {
		t.Errorf("Write(junk) after the stream: got %v, want %v", err, ErrTrailingData)
	}
}

func TestWriterGzipMembers(t *testing.T) {
	// RFC 1952 allows several members; decoders concatenate them.
	first, second := []byte("<html><head>"), []byte("<title>t</title>")
	encoded := append(encode(t, "gzip", first), encode(t, "gzip", second)...)

	got, err := decodeChunks("gzip", encoded, []int{5})
	if err != nil {
		t.Fatalf("two gzip members: %v", err)
	}
	if want := string(first) + string(second); string(got) != want {
		t.Errorf("two gzip members decoded to %q, want %q", got, want)
	}
}

// failingWriter fails every write.
type failingWriter struct{}

var errClient = errors.New("client went away")

func (failingWriter) Write([]byte) (int, error) { return 0, errClient }

func TestWriterDestinationError(t *testing.T) {
	encoded := encode(t, "gzip", testPage())
	w, err := NewWriter("gzip", failingWriter{})
	if err != nil {
		t.Fatal(err)
	}

	_, err = w.Write(encoded)
	if err == nil {
		err = w.Close()
	}
	if !errors.Is(err, errClient) {
		t.Errorf("got %v, want %v from the destination", err, errClient)
	}
}

func TestWriterAbort(t *testing.T) {
	encoded := encode(t, "zstd", testPage())
	var out bytes.Buffer
	w, err := NewWriter("zstd", &out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(encoded[:len(encoded)/2]); err != nil {
		t.Fatal(err)
	}

	w.Abort()
	// The decoder ends and reports the cut-off stream.
	if err := <-w.done; err == nil {
		t.Error("aborted decoder reported success")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("Write after Abort succeeded")
	}
}

func TestSupported(t *testing.T) {
	tests := map[string]bool{
		"gzip": true, "GZIP": true, "x-gzip": true, "deflate": true, "br": true, "zstd": true,
		"compress": false, "identity": false, "gzip, br": false, "": false, "bzip2": false,
	}
	for coding, want := range tests {
		if got := Supported(coding); got != want {
			t.Errorf("Supported(%q) = %v, want %v", coding, got, want)
		}
	}
	if _, err := NewWriter("compress", io.Discard); err == nil {
		t.Error("NewWriter(compress) succeeded, want an error")
	}
}

// FuzzWriter feeds arbitrary bytes, as each coding, in random chunks. It
// must never panic or hang, and whenever it reports success the output
// must equal what one write produces.
func FuzzWriter(f *testing.F) {
	page := []byte("<!DOCTYPE html><html><head><title>fuzz</title></head></html>")
	for i, coding := range codings {
		f.Add(uint8(i), encode(f, coding, page), int64(i))
	}
	f.Add(uint8(0), []byte("\x1f\x8b\x08\x00garbage"), int64(7))

	f.Fuzz(func(t *testing.T, codingIndex uint8, data []byte, seed int64) {
		coding := codings[int(codingIndex)%len(codings)]
		rng := rand.New(rand.NewPCG(uint64(seed), 1))
		sizes := []int{1 + rng.IntN(64), 1 + rng.IntN(4096), 1}

		whole, wholeErr := decodeChunks(coding, data, []int{1 << 30})
		chunked, chunkedErr := decodeChunks(coding, data, sizes)

		if (wholeErr == nil) != (chunkedErr == nil) {
			t.Fatalf("%s: one write error %v, chunked error %v", coding, wholeErr, chunkedErr)
		}
		if wholeErr == nil && !bytes.Equal(whole, chunked) {
			t.Fatalf("%s: chunked output differs from one write", coding)
		}
	})
}
