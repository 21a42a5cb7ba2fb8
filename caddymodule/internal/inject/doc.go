// Package inject inserts a script element at the start of an HTML document's
// head while the document streams through an [io.Writer].
//
// A [Writer] runs the start of a response body through the tokenizer states
// of the WHATWG HTML standard to find the injection point:
//
//   - right after the <head> start tag, or after a run of <meta charset> and
//     <meta http-equiv> elements that opens the head, because the standard
//     requires the encoding declaration to end within the first 1024 bytes;
//   - right before the first other start tag or non-whitespace text when the
//     head start tag is omitted, because the parser creates the head there.
//     This needs a doctype, <html> or <head> start tag earlier in the stream,
//     so fragments and plain text pass unchanged.
//
// Before the injection point the scanner skips a UTF-8 byte order mark,
// whitespace, comments, the doctype, bogus comments such as <?xml ...?>, end
// tags that the parser ignores there, and <html> start tags.
//
// # Window
//
// Until it finds the injection point, a Writer holds the bytes it has
// scanned, at most its window (DefaultWindow unless set). If the window fills
// first, for example behind a long comment, the held bytes are written
// unchanged and the rest of the body streams through without injection. The
// window thus bounds both the memory held per response and the bytes delayed
// before the client receives the first one. A Flush before the decision
// writes the held bytes that certainly precede the injection point and the
// search goes on, so a page that streams its head in flushed pieces keeps its
// timing and is still injected.
package inject
