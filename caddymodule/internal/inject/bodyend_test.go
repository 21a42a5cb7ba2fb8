package inject

import (
	"bytes"
	"strings"
	"testing"
)

const loader = `<script id="hs-script-loader" async defer src="//js.hs-scripts.com/123.js"></script>`

func runBodyEnd(t *testing.T, chunks []string, flushAfter int) string {
	t.Helper()
	var dst bytes.Buffer
	w := NewBodyEndWriter(&dst, []byte(loader), "hs-scripts.com/", "hs-script-loader")
	for i, chunk := range chunks {
		if n, err := w.Write([]byte(chunk)); err != nil || n != len(chunk) {
			t.Fatalf("Write(%q) = (%d, %v)", chunk, n, err)
		}
		if i == flushAfter {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dst.String()
}

func TestBodyEndWriter(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"before body end", "<html><body><p>x</p></body></html>\n", "<html><body><p>x</p>" + loader + "</body></html>\n"},
		{"upper case", "<BODY>x</BODY >", "<BODY>x" + loader + "</BODY >"},
		{"last of two", "<body><script>var s='</body>';</script></body>", "<body><script>var s='</body>';</script>" + loader + "</body>"},
		{"no body end", "<html><p>x", "<html><p>x" + loader},
		{"bodyguard is not body", "<p>x</bodyguard>", "<p>x</bodyguard>" + loader},
		{"loader present", "<body>" + loader + "</body>", "<body>" + loader + "</body>"},
		{"loader after body", "<body></body>" + loader, "<body></body>" + loader},
		{"empty", "", loader},
		{"far from the end", "<body></body>" + strings.Repeat("x", maxBodyEndTail+1), "<body></body>" + strings.Repeat("x", maxBodyEndTail+1) + loader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runBodyEnd(t, []string{tt.in}, -1); got != tt.want {
				t.Errorf("one write of %q: got %q, want %q", tt.in, got, tt.want)
			}

			// Byte by byte, a tag split over writes may fall back to the
			// end, but the output is the input with at most one loader.
			chunks := strings.Split(tt.in, "")
			got := runBodyEnd(t, chunks, -1)
			if strings.Count(got, loader)-strings.Count(tt.in, loader) > 1 || strings.ReplaceAll(got, loader, "") != strings.ReplaceAll(tt.in, loader, "") {
				t.Errorf("byte writes of %q: got %q", tt.in, got)
			}
			if strings.Contains(tt.in, "hs-scripts.com/") && got != tt.in {
				t.Errorf("byte writes of %q with a loader: got %q, want it unchanged", tt.in, got)
			}
		})
	}
}

func TestBodyEndWriterMarkerAcrossWrites(t *testing.T) {
	in := []string{"<body><script src=\"//js.hs-scr", "ipts.com/1.js\"></script></body>"}
	if got := runBodyEnd(t, in, -1); got != strings.Join(in, "") {
		t.Errorf("got %q, want the input unchanged", got)
	}
}

func TestBodyEndWriterFlushReleases(t *testing.T) {
	var dst bytes.Buffer
	w := NewBodyEndWriter(&dst, []byte(loader))
	w.Write([]byte("<body>x</body>"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := dst.String(); got != "<body>x</body>" {
		t.Errorf("after Flush: %q, want every byte written", got)
	}
	w.Close()
	if got := dst.String(); got != "<body>x</body>"+loader {
		t.Errorf("after Close: %q, want the loader at the end", got)
	}
}
