package inject

import (
	"fmt"
	"strings"
	"testing"
)

// injectCase is an input document with '|' at the expected injection point,
// or without '|' when the document must pass unchanged.
type injectCase struct {
	name   string
	html   string
	window int // 0 means DefaultWindow
}

// injectCases returns the scanner cases that every split of the input must
// pass. Cases that need a large input build it here.
func injectCases() []injectCase {
	cases := []injectCase{
		// An explicit head.
		{name: "plain head", html: "<!DOCTYPE html><html><head>|<title>t</title></head><body></body></html>"},
		{name: "head only", html: "<head>|<title>t</title>"},
		{name: "uppercase tags", html: "<!DOCTYPE HTML><HTML><HEAD>|<TITLE>t</TITLE>"},
		{name: "mixed case tags", html: "<!DocType html><HtMl lang=en><hEaD>|<title>t</title>"},
		{name: "head attributes", html: `<html><head profile="a>b" data-x='>' data-y=1>|<title>t</title>`},
		{name: "html attribute with head", html: `<html data-a="<head>" data-b='>'><head>|<title>t</title>`},
		{name: "self-closing html and head", html: "<!DOCTYPE html><html/><head/>|<title>t</title>"},
		{name: "slash after tag names", html: "<!DOCTYPE html><html/ ><head / >|<title>t</title>"},
		{name: "head on several lines", html: "<html>\n<head\n  lang=\"en\"\n>|\n<title>t</title>"},
		{name: "all HTML whitespace", html: "\t\n\f\r <html>\r\n<head>|\n"},
		{name: "missing space between attributes", html: `<!DOCTYPE html><html lang="en"class="x"><head>|`},
		{name: "quotes inside unquoted values", html: `<html a=b"c d=e'f><head>|`},
		{name: "quote inside attribute name", html: `<html a"b=c><head>|`},
		{name: "attribute name starting with equals", html: "<html =x><head>|"},
		{name: "attribute without value", html: "<html><head a=>|<title>t</title>"},

		// What precedes the head.
		{name: "comment before doctype", html: "<!-- x --><!DOCTYPE html><head>|<title>t</title>"},
		{name: "comments between", html: "<!DOCTYPE html>\n<!-- a -- b -->\n<html><!----><head>|"},
		{name: "head inside comment", html: "<!DOCTYPE html><!-- <head> --><head>|<title>t</title>"},
		{name: "abrupt comment", html: "<!DOCTYPE html><!--><head>|"},
		{name: "abrupt comment with dash", html: "<!DOCTYPE html><!---><head>|"},
		{name: "comment closed by bang", html: "<!DOCTYPE html><!-- x --!><head>|"},
		{name: "comment not closed by bang dash", html: "<!DOCTYPE html><!-- --!-> <head> --><head>|"},
		{name: "comment with extra dashes", html: "<!DOCTYPE html><!-- x ---><head>|"},
		{name: "nested comment opener", html: "<!DOCTYPE html><!-- <!-- --><head>|"},
		{
			name: "conditional comments",
			html: `<!DOCTYPE html><!--[if lt IE 9]><html class="ie"><![endif]--><!--[if gt IE 8]><!--><html><!--<![endif]--><head>|<title>t</title>`,
		},
		{name: "byte order mark", html: "\xEF\xBB\xBF<!DOCTYPE html><head>|<title>t</title>"},
		{name: "byte order mark and whitespace", html: "\xEF\xBB\xBF\n  <html>\n<head>|\n"},
		{name: "xml declaration", html: `<?xml version="1.0" encoding="utf-8"?><html><head>|`},
		{name: "bogus comments", html: "<!DOCTYPE html><![CDATA[x]]><!x><html><head>|"},
		{name: "doctype without space", html: "<!doctypehtml><head>|"},
		{name: "doctype with public id", html: `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><html><head>|`},
		{name: "ignored end tags", html: "<!DOCTYPE html></p></div><html></span><head>|"},
		{name: "end tag with quoted bracket", html: `<!DOCTYPE html></p a=">"><head>|`},
		{name: "empty end tag", html: "<!DOCTYPE html></><head>|"},
		{name: "bogus end tag", html: "<!DOCTYPE html></ x><head>|"},
		{name: "second html tag", html: "<!DOCTYPE html><html><html lang=en><head>|"},
		{name: "whitespace references", html: "<!DOCTYPE html>&#32;&#x0A;&#X9&Tab;&NewLine;&#0013<head lang=\"en\">|<title>t</title>"},

		// The head start tag is omitted.
		{name: "html then title", html: "<!DOCTYPE html><html>|<title>t</title>"},
		{name: "html then body", html: "<html>|<body><p>x</p></body></html>"},
		{name: "html then script", html: "<html>\n|<script>var a;</script>"},
		{name: "html then text", html: "<html> |Hello"},
		{name: "doctype then title", html: "<!DOCTYPE html>\n|<title>t</title><p>x"},
		{name: "doctype then text", html: "<!DOCTYPE html>\n|Hello"},
		{name: "doctype then less-than text", html: "<!DOCTYPE html>|< 3"},
		{name: "doctype then null byte", html: "<!DOCTYPE html>|\x00<title>t</title>"},
		{name: "doctype ends at quoted bracket", html: `<!DOCTYPE html PUBLIC "a>|b"><head>`},
		{name: "doctype then reference", html: "<!DOCTYPE html>|&amp;<head>"},
		{name: "doctype then numeric reference", html: "<!DOCTYPE html>|&#65;<head>"},
		{name: "doctype then null reference", html: "<!DOCTYPE html>|&#0;<head>"},
		{name: "doctype then large reference", html: "<!DOCTYPE html>|&#x1000000020;<head>"},
		{name: "doctype then unknown reference", html: "<!DOCTYPE html>|&Tabs;<head>"},
		{name: "reference without semicolon", html: "<!DOCTYPE html>|&Tab<head>"},
		{name: "reference without digits", html: "<!DOCTYPE html>|&#x;<head>"},
		{name: "reference after head", html: "<head>|&#32;<title>t</title>"},
		{name: "ampersand at end", html: "<!DOCTYPE html>|&"},
		{name: "reference at end", html: "<!DOCTYPE html>|&#6"},
		{name: "whitespace reference at end", html: "<!DOCTYPE html>&#10"},
		{name: "doctype then header", html: "<!DOCTYPE html><html>|<header>x</header>"},
		{name: "doctype then headline", html: "<html>|<headline>x</headline>"},
		{name: "html prefix is another tag", html: "<!DOCTYPE html>|<htmlx><head>"},
		{name: "end head before head", html: "<!DOCTYPE html>|</head><title>t</title>"},
		{name: "end body before head", html: "<!DOCTYPE html>|</body>"},
		{name: "end html before head", html: "<html>|</html>"},
		{name: "end br before head", html: "<!DOCTYPE html>|</br>"},
		{name: "implied head with meta charset", html: `<!DOCTYPE html><meta charset="utf-8">|<title>t</title>`},
		{name: "implied head with meta name", html: `<!DOCTYPE html>|<meta name="viewport" content="width=device-width"><title>t</title>`},

		// Encoding declarations at the start of the head.
		{name: "meta charset", html: `<html><head><meta charset="utf-8">|<title>t</title>`},
		{name: "meta http-equiv", html: "<head>\n  <meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">|\n<title>t</title>"},
		{name: "meta run", html: `<head><meta charset=utf-8><meta http-equiv="X-UA-Compatible" content="IE=edge">|<meta name="viewport">`},
		{name: "comment before meta charset", html: "<head><!-- c --><meta charset=utf-8>|<title>t</title>"},
		{name: "uppercase meta charset", html: `<head><META CHARSET="utf-8"/>|<title>t</title>`},
		{name: "meta charset not first", html: `<head>|<title>t</title><meta charset="utf-8">`},
		{name: "meta without charset", html: `<head>|<meta name="viewport" content="width=device-width">`},
		{name: "meta attribute like charset", html: `<head>|<meta charsetx="utf-8" data-charset="x" name="charset">`},
		{name: "head then end head", html: "<head>|</head>"},
		{name: "head then text", html: "<head>| Hello"},

		// Pages as sites write them.
		{
			name: "bootstrap page",
			html: "<!doctype html>\n<html lang=\"en\">\n  <head>\n    <!-- Required meta tags -->\n" +
				"    <meta charset=\"utf-8\">|\n    <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n" +
				"    <title>Hello, world!</title>\n  </head>\n  <body>\n    <h1>Hello, world!</h1>\n  </body>\n</html>\n",
		},
		{
			name: "xhtml page",
			html: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
				"<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n" +
				"<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\">\n<head>\n" +
				"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\" />|\n<title>Old page</title>\n</head>\n<body></body>\n</html>\n",
		},
		{
			name: "html5 page without head",
			html: "<!doctype html>\n<meta charset=utf-8>|\n<title>Short</title>\n<p>Hello\n",
		},

		// End of input.
		{name: "head at end", html: "<html><head>|"},
		{name: "head and whitespace at end", html: "<html><head>|\n"},
		{name: "meta charset at end", html: "<html><head><meta charset=utf-8>|"},
		{name: "open comment after head at end", html: "<html><head>|<!-- x"},
		{name: "open tag after head at end", html: "<head>|<tit"},
		{name: "less-than at end", html: "<!DOCTYPE html>|<"},
		{name: "doctype only", html: "<!DOCTYPE html>"},
		{name: "doctype and html only", html: "<!DOCTYPE html>\n<html>\n"},
		{name: "open comment at end", html: "<!DOCTYPE html><!-- <head>"},
		{name: "open head tag at end", html: "<!DOCTYPE html><head"},
		{name: "empty body", html: ""},
		{name: "whitespace only", html: " \n\t"},

		// Not a document.
		{name: "fragment div", html: "<div>hello</div>"},
		{name: "fragment text", html: "hello world"},
		{name: "fragment title", html: "<title>t</title><head>"},
		{name: "fragment script", html: "<script>var a;</script>"},
		{name: "fragment meta charset", html: `<meta charset="utf-8"><title>t</title>`},
		{name: "fragment header", html: "<header>x</header>"},
		{name: "fragment reference", html: "&#32;<p>x</p>"},
		{name: "fragment end head", html: "</head><title>t</title>"},
		{name: "unknown markup declaration", html: "<!DOCTYP><title>t</title>"},
		{name: "not a byte order mark", html: "\xEF\xBB<!DOCTYPE html><head>"},
		{name: "utf-16 byte order mark", html: "\xFE\xFF\x00<\x00h"},
	}

	// The window bounds the bytes held before a decision.
	// The scanner decides at the '>' of <title>, after the comment and head.
	prefix := "<!DOCTYPE html><!--" + strings.Repeat("x", 200) + "--><head>"
	decisionLen := len(prefix + "<title>")
	cases = append(cases,
		injectCase{name: "window fits decision", html: prefix + "|<title>t</title>", window: decisionLen},
		injectCase{name: "window one byte short", html: prefix + "<title>t</title>", window: decisionLen - 1},
		injectCase{name: "window exhausted in head", html: "<head>" + strings.Repeat(" ", 100) + "<title>t</title>", window: 50},
		injectCase{
			name: "head beyond default window",
			html: "<!DOCTYPE html><!--" + strings.Repeat("long comment ", DefaultWindow/10) + "--><head><title>t</title>",
		},
	)

	return cases
}

// splitCase returns the input and the expected output of c.
func splitCase(c injectCase) (input, want string) {
	before, after, ok := strings.Cut(c.html, "|")
	if !ok {
		return c.html, c.html
	}
	if strings.Contains(after, "|") {
		panic("case " + c.name + " has more than one injection point")
	}
	return before + after, before + string(testSnippet) + after
}

// writePlans returns ways to split input into writes: whole, in two at every
// boundary, and one byte each. Inputs longer than 1 KiB are split in two only
// at every 61st boundary and around DefaultWindow, to keep the test fast.
func writePlans(input string) map[string][]string {
	plans := map[string][]string{"whole": {input}}

	for i := 0; i <= len(input); i++ {
		nearWindow := DefaultWindow-64 <= i && i <= DefaultWindow+64
		if len(input) > 1024 && i%61 != 0 && !nearWindow {
			continue
		}
		plans[fmt.Sprintf("split at %d", i)] = []string{input[:i], input[i:]}
	}

	oneByte := make([]string, len(input))
	for i := 0; i < len(input); i++ {
		oneByte[i] = input[i : i+1]
	}
	plans["one byte each"] = oneByte

	return plans
}

func TestInjectionPoint(t *testing.T) {
	for _, c := range injectCases() {
		t.Run(c.name, func(t *testing.T) {
			input, want := splitCase(c)

			for plan, chunks := range writePlans(input) {
				got := runWriter(t, c.window, chunks)
				if got.output != want {
					t.Fatalf("%s: input %q: got %q, want %q", plan, input, got.output, want)
				}
				if wantInjected := want != input; got.injected != wantInjected {
					t.Fatalf("%s: input %q: got injected %v, want %v", plan, input, got.injected, wantInjected)
				}
			}
		})
	}
}

func TestScannerFinishNeverNeedsMore(t *testing.T) {
	for _, c := range injectCases() {
		input, _ := splitCase(c)
		for i := 0; i <= len(input) && i <= 300; i++ {
			var s scanner
			s.scan([]byte(input[:i]))
			if got := s.finish(); got == needMore {
				t.Errorf("finish after %q: got needMore, want a decision", input[:i])
			}
		}
	}
}
