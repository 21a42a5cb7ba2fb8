package inject

import (
	"bytes"
	"math/rand/v2"
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

// FuzzBodyEndWriter checks that the output is the input with the loader
// inserted once, or unchanged when the input already names the loader,
// whatever the write boundaries and flushes.
func FuzzBodyEndWriter(f *testing.F) {
	f.Add("<html><body><p>x</p></body></html>", int64(1))
	f.Add("<body>"+loader+"</body>", int64(2))
	f.Add("</BODY></body ></body/>", int64(3))

	f.Fuzz(func(t *testing.T, in string, seed int64) {
		rng := rand.New(rand.NewPCG(uint64(seed), 2))
		var chunks []string
		for rest := in; len(rest) > 0; {
			n := min(1+rng.IntN(32), len(rest))
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		got := runBodyEnd(t, chunks, rng.IntN(len(chunks)+1)-1)

		marked := strings.Contains(in, "hs-scripts.com/") || strings.Contains(in, "hs-script-loader")
		switch {
		case marked && got != in:
			t.Fatalf("input %q names the loader: got %q, want it unchanged", in, got)
		case !marked && len(got) != len(in)+len(loader):
			t.Fatalf("input %q: got %q, want one loader inserted", in, got)
		case !marked:
			i := strings.Index(got, loader)
			if i < 0 || got[:i]+got[i+len(loader):] != in {
				t.Fatalf("input %q: got %q, want the input with one loader inserted", in, got)
			}
		}
	})
}
