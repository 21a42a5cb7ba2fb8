package inject

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// checkBrowserAgreement parses output with golang.org/x/net/html, which
// builds the tree as the HTML standard says browsers do. The injected script
// must be a child of head with no script before it in document order, and
// removing it must leave the tree that input parses to.
func checkBrowserAgreement(t testing.TB, input, output string) {
	t.Helper()

	// Browsers remove a UTF-8 byte order mark while decoding, before the
	// tokenizer runs, but html.Parse expects decoded text.
	const bom = "\xEF\xBB\xBF"
	input = strings.TrimPrefix(input, bom)
	output = strings.TrimPrefix(output, bom)

	doc, err := html.Parse(strings.NewReader(output))
	if err != nil {
		t.Fatalf("output %q: parse: %v", output, err)
	}

	injected, scriptsBefore := findInjectedScript(doc)
	if injected == nil {
		t.Fatalf("input %q: output %q has no injected script", input, output)
	}
	if parent := injected.Parent; parent == nil || parent.DataAtom != atom.Head {
		t.Fatalf("input %q: injected script is a child of %s, want head", input, describe(parent))
	}
	if scriptsBefore > 0 {
		t.Fatalf("input %q: %d scripts precede the injected script, want 0", input, scriptsBefore)
	}

	injected.Parent.RemoveChild(injected)
	original, err := html.Parse(strings.NewReader(input))
	if err != nil {
		t.Fatalf("input %q: parse: %v", input, err)
	}
	if got, want := dumpTree(doc), dumpTree(original); got != want {
		t.Fatalf("input %q: tree without the injected script:\n%s\nwant the tree of the input:\n%s", input, got, want)
	}
}

// findInjectedScript returns the first script element whose text is that of
// testSnippet, and the number of script elements before it.
func findInjectedScript(doc *html.Node) (*html.Node, int) {
	text := strings.TrimSuffix(strings.TrimPrefix(string(testSnippet), "<script>"), "</script>")

	scripts := 0
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || n.DataAtom != atom.Script {
			continue
		}
		if c := n.FirstChild; c != nil && c.Type == html.TextNode && c.Data == text && c.NextSibling == nil {
			return n, scripts
		}
		scripts++
	}
	return nil, scripts
}

func describe(n *html.Node) string {
	if n == nil {
		return "nothing"
	}
	if n.Type == html.DocumentNode {
		return "the document"
	}
	return "<" + n.Data + ">"
}

// dumpTree returns one line per node with its depth, type, name or text,
// and attributes.
func dumpTree(doc *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node, depth int)
	walk = func(n *html.Node, depth int) {
		fmt.Fprintf(&b, "%s%d %q %q %v\n", strings.Repeat("  ", depth), n.Type, n.Namespace, n.Data, n.Attr)
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, depth+1)
		}
	}
	walk(doc, 0)
	return b.String()
}

func TestBrowserAgreement(t *testing.T) {
	for _, c := range injectCases() {
		input, want := splitCase(c)
		if input == want {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			checkBrowserAgreement(t, input, want)
		})
	}
}

// documentPieces are fragments that TestBrowserAgreementRandom joins into
// documents, chosen to hit the tokenizer states the scanner follows.
var documentPieces = []string{
	"<!DOCTYPE html>", "<!doctype html public \"a>b\">", "<!DOCTYPE", "<!doctypehtml>",
	"<html>", "<HTML lang=en>", "<html/>", "<htmlx>", "<head>", "<HEAD a='>'>", "<head/>", "<header>", "<headline>",
	"</head>", "</body>", "</html>", "</br>", "</p>", "</>", "</ x>", "</", "<", "< ", "<!", "<?x>", "<![CDATA[x]]>",
	"<!-->", "<!--->", "<!-- c -->", "<!--", "-->", "--!>", "<!-- --!-> -->", "<!--[if IE]><html><![endif]-->",
	"<meta charset=utf-8>", "<META HTTP-EQUIV=\"Content-Type\" content=\"text/html\">", "<meta name=x>", "<meta charset",
	"<title>t</title>", "<script>s</script>", "<style>p{}</style>", "<noscript>n</noscript>", "<body>", "<p>",
	"<base href=/>", "<link rel=x>", "<frameset>", "<template>", "<svg>", "<math>", "<plaintext>", "<textarea>",
	" ", "\n", "\t", "\r\n", "\f", "text", "\x00", "é", "\xEF\xBB\xBF", "\"", "'", "=", "/", ">", "a=\"", "x='y'",
	"&", "&#", "&#32;", "&#x0c", "&#X0D;", "&#0;", "&Tab;", "&NewLine;", "&Tab", "&amp;", "&nbsp;",
}

// TestBrowserAgreementRandom joins random pieces into documents and checks
// every injected output with checkBrowserAgreement.
func TestBrowserAgreementRandom(t *testing.T) {
	const randomDocuments = 3000
	rng := rand.New(rand.NewPCG(1, 2))
	injected := 0

	for range randomDocuments {
		var b strings.Builder
		if rng.IntN(2) == 0 {
			b.WriteString("<!DOCTYPE html>")
		}
		for range 1 + rng.IntN(8) {
			b.WriteString(documentPieces[rng.IntN(len(documentPieces))])
		}
		input := b.String()

		run := runWriter(t, 0, []string{input})
		checkOneInsertion(t, input, run)
		if run.injected {
			injected++
			checkBrowserAgreement(t, input, run.output)
		}
	}

	// Guards against a generator that stops producing documents.
	if injected < randomDocuments/4 {
		t.Errorf("got %d injected documents of %d, want at least a quarter", injected, randomDocuments)
	}
}
