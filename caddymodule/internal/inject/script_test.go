package inject

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

func TestScriptFormat(t *testing.T) {
	got := string(Script("visitor@example.com", "abc.def", "n0nce+/="))
	want := `<script nonce="n0nce+/=">` + scriptPrefix +
		`{"identificationEmail":"visitor@example.com","identificationToken":"abc.def"}` +
		scriptSuffix + `</script>`
	if got != want {
		t.Errorf("Script: got %q, want %q", got, want)
	}
}

func TestScriptTextHasNoMarkup(t *testing.T) {
	// The fixed part of the script must need no escaping in HTML raw text
	// or in a CSP hash, whatever the page's charset.
	for _, part := range []string{scriptPrefix, scriptSuffix, resetText} {
		if strings.ContainsAny(part, "<>&") {
			t.Errorf("script text %q contains <, > or &", part)
		}
		for i := range len(part) {
			if part[i] >= 0x80 {
				t.Errorf("script text %q is not ASCII at byte %d", part, i)
			}
		}
	}
}

func TestScriptEscapesValues(t *testing.T) {
	tests := []struct {
		value string
		want  string // the JSON string in the output
	}{
		{value: "", want: `""`},
		{value: "visitor@example.com", want: `"visitor@example.com"`},
		{value: "</script><script>alert(1)</script>", want: `"\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e"`},
		{value: "<!--<script>", want: `"\u003c!--\u003cscript\u003e"`},
		{value: "a&b", want: `"a\u0026b"`},
		{value: `quote" backslash\`, want: `"quote\" backslash\\"`},
		{value: "'single'", want: `"'single'"`},
		{value: "line\nbreak\r\ttab", want: `"line\nbreak\r\ttab"`},
		{value: "\x00\x01\x1f\x7f", want: `"\u0000\u0001\u001f\u007f"`},
		{value: "sep\u2028para\u2029", want: `"sep\u2028para\u2029"`},
		{value: "é", want: `"\u00e9"`},
		{value: "😀", want: `"\ud83d\ude00"`},
		{value: "\U0010FFFF", want: `"\udbff\udfff"`},
		{value: "bad\xffbyte", want: `"bad\ufffdbyte"`},
		{value: "\xed\xa0\x80", want: `"\ufffd\ufffd\ufffd"`},
	}

	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			for _, field := range []string{"identificationEmail", "identificationToken"} {
				email, token := tt.value, "t"
				other := `"identificationToken":"t"`
				if field == "identificationToken" {
					email, token = "e", tt.value
					other = `"identificationEmail":"e"`
				}

				got := string(Script(email, token, ""))
				if want := `"` + field + `":` + tt.want; !strings.Contains(got, want) {
					t.Errorf("Script with %s %q: got %q, want it to contain %q", field, tt.value, got, want)
				}
				if !strings.Contains(got, other) {
					t.Errorf("Script with %s %q: got %q, want it to contain %q", field, tt.value, got, other)
				}
			}
		})
	}
}

func TestScriptEscapesNonce(t *testing.T) {
	tests := []struct {
		nonce string
		want  string // the start tag
	}{
		{nonce: "", want: "<script>"},
		{nonce: "rAnd0m+/base64==", want: `<script nonce="rAnd0m+/base64==">`},
		{nonce: `a"b`, want: `<script nonce="a&#34;b">`},
		{nonce: "<>&'", want: `<script nonce="&lt;&gt;&amp;&#39;">`},
		{nonce: "\x00\n", want: `<script nonce="&#x0;&#xa;">`},
		{nonce: "é😀", want: `<script nonce="&#xe9;&#x1f600;">`},
		{nonce: "\xff", want: `<script nonce="&#xfffd;">`},
	}

	for _, tt := range tests {
		t.Run(tt.nonce, func(t *testing.T) {
			got := string(Script("e", "t", tt.nonce))
			if !strings.HasPrefix(got, tt.want+scriptPrefix) {
				t.Errorf("Script with nonce %q: got %q, want it to start with %q", tt.nonce, got, tt.want)
			}
		})
	}
}

func TestScriptRoundTrip(t *testing.T) {
	tests := []struct {
		email, token, nonce string
	}{
		{email: "visitor@example.com", token: "abc.def==", nonce: "n0nce"},
		{email: "</script><!--<script>", token: "</SCRIPT >", nonce: `"><script>`},
		{email: "\u2028\u2029😀é\\\"", token: "\x00\x01\r\n", nonce: "é😀 &amp;"},
		{email: "bad\xffutf8\xed\xa0\x80", token: "", nonce: "\xff"},
	}

	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			checkScript(t, tt.email, tt.token, tt.nonce)
		})
	}
}

// checkScript parses the output of Script as a browser would and checks that
// it is one ASCII script element whose settings decode to email and token
// and whose nonce attribute is nonce.
func checkScript(t testing.TB, email, token, nonce string) {
	t.Helper()

	out := Script(email, token, nonce)
	for i, c := range out {
		if c >= utf8.RuneSelf {
			t.Fatalf("Script(%q, %q, %q): byte %d of %q is not ASCII", email, token, nonce, i, out)
		}
	}

	doc, err := html.Parse(strings.NewReader("<!DOCTYPE html><head>" + string(out) + "</head>"))
	if err != nil {
		t.Fatalf("Script(%q, %q, %q): parse: %v", email, token, nonce, err)
	}
	script := onlyChildOfHead(doc)
	if script == nil || script.DataAtom != atom.Script {
		t.Fatalf("Script(%q, %q, %q) = %q: want a single script element in head", email, token, nonce, out)
	}

	checkNonce(t, script, nonce)

	text := ""
	if c := script.FirstChild; c != nil && c.Type == html.TextNode && c.NextSibling == nil {
		text = c.Data
	}
	object, ok := strings.CutPrefix(text, scriptPrefix)
	if ok {
		object, ok = strings.CutSuffix(object, scriptSuffix)
	}
	if !ok {
		t.Fatalf("Script(%q, %q, %q): script text %q lacks %q or %q", email, token, nonce, text, scriptPrefix, scriptSuffix)
	}

	var settings map[string]string
	if err := json.Unmarshal([]byte(object), &settings); err != nil {
		t.Fatalf("Script(%q, %q, %q): settings %q: %v", email, token, nonce, object, err)
	}
	want := map[string]string{
		"identificationEmail": string([]rune(email)),
		"identificationToken": string([]rune(token)),
	}
	if len(settings) != len(want) {
		t.Fatalf("Script(%q, %q, %q): got settings %q, want %q", email, token, nonce, settings, want)
	}
	for key, value := range want {
		if settings[key] != value {
			t.Errorf("Script(%q, %q, %q): got %s %q, want %q", email, token, nonce, key, settings[key], value)
		}
	}
}

// checkNonce checks the nonce attribute of script against nonce, as far as
// the parser preserves it: invalid UTF-8 and U+0000 become U+FFFD, and
// references to U+0080 to U+009F map to other runes.
func checkNonce(t testing.TB, script *html.Node, nonce string) {
	t.Helper()

	var attrs []html.Attribute
	for _, a := range script.Attr {
		if a.Key == "nonce" {
			attrs = append(attrs, a)
		}
	}
	if nonce == "" {
		if len(script.Attr) != 0 {
			t.Errorf("Script with no nonce: got attributes %v, want none", script.Attr)
		}
		return
	}
	if len(attrs) != 1 || len(script.Attr) != 1 {
		t.Fatalf("Script with nonce %q: got attributes %v, want one nonce", nonce, script.Attr)
	}

	want := []rune(nonce)
	for i, r := range want {
		if 0x80 <= r && r <= 0x9F {
			return
		}
		if r == 0 {
			want[i] = utf8.RuneError
		}
	}
	if got := attrs[0].Val; got != string(want) {
		t.Errorf("Script with nonce %q: got nonce %q, want %q", nonce, got, string(want))
	}
}

// onlyChildOfHead returns the single element child of the document's head,
// or nil if the head does not have exactly one child.
func onlyChildOfHead(doc *html.Node) *html.Node {
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.DataAtom == atom.Head {
			if c := n.FirstChild; c != nil && c.NextSibling == nil && c.Type == html.ElementNode {
				return c
			}
			return nil
		}
	}
	return nil
}

func TestValidToken(t *testing.T) {
	tests := []struct {
		token string
		want  bool
	}{
		{token: "", want: false},
		{token: "a", want: true},
		{token: "abcXYZ019-_", want: true},
		{token: "header.payload.signature", want: true},
		{token: "YWJj", want: true},
		{token: "YWI=", want: true},
		{token: "YQ==", want: true},
		{token: "YQ==.YWI=.c2ln", want: true},
		{token: "YQ===", want: false},
		{token: "=", want: false},
		{token: "a.=", want: false},
		{token: "a=b", want: false},
		{token: "a+b", want: false},
		{token: "a/b", want: false},
		{token: "a b", want: false},
		{token: "a\nb", want: false},
		{token: "a<b", want: false},
		{token: `a"b`, want: false},
		{token: "é", want: false},
		{token: "a\x00", want: false},
		{token: strings.Repeat("a", 4096), want: true},
		{token: strings.Repeat("a", 4097), want: false},
	}

	for _, tt := range tests {
		name := tt.token
		if len(name) > 20 {
			name = name[:20] + "..."
		}
		t.Run(name, func(t *testing.T) {
			if got := ValidToken(tt.token); got != tt.want {
				t.Errorf("ValidToken(%q): got %v, want %v", name, got, tt.want)
			}
		})
	}
}

func TestScriptHash(t *testing.T) {
	const email, token = "ada@example.com", "aGVhZGVy.cGF5bG9hZA.c2ln"

	script := string(Script(email, token, "abc"))
	text := script[strings.Index(script, ">")+1 : strings.LastIndex(script, "</script>")]
	sum := sha256.Sum256([]byte(text))
	want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"

	if got := ScriptHash(email, token); got != want {
		t.Errorf("ScriptHash(%q, %q) = %s, want %s, the hash of the script text", email, token, got, want)
	}
	if ScriptHash(email, token) == ScriptHash("bob@example.com", token) {
		t.Error("ScriptHash is the same for two visitors")
	}
}

func TestResetScript(t *testing.T) {
	if got, want := string(ResetScript("")), "<script>"+resetText+"</script>"; got != want {
		t.Errorf("ResetScript() = %q, want %q", got, want)
	}
	if got, want := string(ResetScript(`n"1`)), `<script nonce="n&#34;1">`+resetText+"</script>"; got != want {
		t.Errorf("ResetScript(nonce) = %q, want %q", got, want)
	}

	sum := sha256.Sum256([]byte(resetText))
	if got, want := ResetScriptHash(), "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'"; got != want {
		t.Errorf("ResetScriptHash() = %s, want %s", got, want)
	}
}
