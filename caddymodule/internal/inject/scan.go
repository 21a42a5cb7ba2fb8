package inject

import "bytes"

// scanResult is the outcome of scanning the bytes seen so far.
type scanResult uint8

const (
	needMore scanResult = iota // no decision yet
	found                      // scanner.point is the injection point
	noPoint                    // not a document, or no safe injection point
)

// tokenizerState is a state of the WHATWG HTML tokenizer, limited to those
// reachable before the first element inside the head. States that only change
// a token's content, such as character references in attribute values, are
// merged into their parent state because they never move a token's end.
type tokenizerState uint8

const (
	stateStart tokenizerState = iota // first byte, where a UTF-8 BOM may start
	stateBOM1                        // after 0xEF
	stateBOM2                        // after 0xEF 0xBB
	stateData
	stateTagOpen
	stateEndTagOpen
	stateMarkupDeclarationOpen
	stateMarkupDeclarationDash // after "<!-"
	stateDoctypeKeyword        // inside "<!DOCTYPE", matched case-insensitively
	stateDoctype               // every DOCTYPE state: all of them end at the first '>'
	stateBogusComment
	stateCommentStart
	stateCommentStartDash
	stateComment
	stateCommentEndDash
	stateCommentEnd
	stateCommentEndBang
	stateTagName
	stateBeforeAttributeName
	stateAttributeName
	stateAfterAttributeName
	stateBeforeAttributeValue
	stateAttributeValueDoubleQuoted
	stateAttributeValueSingleQuoted
	stateAttributeValueUnquoted
	stateAfterAttributeValueQuoted
	stateSelfClosingStartTag
	stateCharacterReference // after '&' in text
	stateNamedCharacterReference
	stateNumericCharacterReference // after "&#"
	stateHexadecimalCharacterReferenceStart
	stateHexadecimalCharacterReference
	stateDecimalCharacterReference
)

// scanner finds the injection point in a stream fed to it in pieces. It
// visits every byte once and keeps no bytes, so a token split across writes
// costs nothing extra. All offsets count bytes from the start of the stream.
type scanner struct {
	state  tokenizerState
	offset int        // bytes consumed
	result scanResult // needMore until decided
	point  int        // injection point once result is found

	document  bool // a doctype, <html> or <head> start tag was seen
	inHead    bool // after <head>, looking past leading encoding <meta> tags
	candidate int  // injection point if no further encoding <meta> follows

	tagStart     int // offset of the '<' that opened the current token
	endTag       bool
	keywordLen   int // bytes of "doctype" matched
	tagName      lowerName
	attrName     lowerName
	encodingMeta bool // the current tag has a charset or http-equiv attribute

	referenceStart   int    // offset of the '&' that opened a character reference
	referenceValue   int    // code point of a numeric reference, capped
	referenceName    string // the whitespace named reference being matched
	referenceMatched int    // bytes of referenceName matched
}

// scan consumes p, the bytes that follow everything scanned before, and
// returns the decision so far. It stops at the byte that decides.
func (s *scanner) scan(p []byte) scanResult {
	i := 0
	for i < len(p) && s.result == needMore {
		if skip := s.skipInert(p[i:]); skip > 0 {
			i += skip
			s.offset += skip
			continue
		}

		if s.step(p[i]) {
			i++
			s.offset++
		}
	}

	return s.result
}

// skipInert returns how many leading bytes of p leave the state unchanged.
// It uses bytes.IndexByte inside comments, the doctype and quoted attribute
// values, the tokens before a head that can run long.
func (s *scanner) skipInert(p []byte) int {
	var stop byte
	switch s.state {
	case stateComment:
		stop = '-'
	case stateBogusComment, stateDoctype:
		stop = '>'
	case stateAttributeValueDoubleQuoted:
		stop = '"'
	case stateAttributeValueSingleQuoted:
		stop = '\''
	default:
		return 0
	}

	n := bytes.IndexByte(p, stop)
	if n < 0 {
		return len(p)
	}
	return n
}

// finish applies the end-of-stream rules of the tokenizer and returns the
// final decision, which is never needMore.
func (s *scanner) finish() scanResult {
	if s.result != needMore {
		return s.result
	}

	s.endCharacterReference()
	if s.result != needMore {
		return s.result
	}

	switch {
	case s.inHead:
		// Nothing follows, so no encoding declaration can come later.
		s.decide(found, s.candidate)
	case s.state == stateTagOpen || s.state == stateEndTagOpen:
		// A lone "<" or "</" at the end of the input is text.
		s.text(s.tagStart)
	default:
		// Any other unfinished token is dropped or is a comment.
		s.decide(noPoint, 0)
	}

	return s.result
}

// safeOffset returns the stream offset before which every scanned byte
// certainly precedes the injection point, if the document has one.
func (s *scanner) safeOffset() int {
	if s.inHead {
		// The point is the candidate or follows an encoding <meta> after it.
		return s.candidate
	}

	switch s.state {
	case stateStart, stateBOM1, stateBOM2:
		return 0
	case stateData:
		return s.offset
	case stateCharacterReference, stateNamedCharacterReference, stateNumericCharacterReference,
		stateHexadecimalCharacterReferenceStart, stateHexadecimalCharacterReference, stateDecimalCharacterReference:
		// A reference that is not whitespace is text, and the point goes
		// right before it.
		return s.referenceStart
	default:
		// The point may go right before the token being scanned.
		return s.tagStart
	}
}

func (s *scanner) decide(result scanResult, point int) {
	s.result = result
	s.point = point
}

// text decides on non-whitespace text that starts at offset at.
func (s *scanner) text(at int) {
	if s.inHead {
		s.decide(found, s.candidate)
		return
	}
	s.impliedHead(at)
}

// impliedHead handles a token before which the parser creates the head
// element itself, so a script inserted at offset at lands inside the head.
func (s *scanner) impliedHead(at int) {
	if !s.document {
		s.decide(noPoint, 0)
		return
	}
	s.decide(found, at)
}

// tagNameEnd decides on the current tag once its name is complete. Attributes
// matter only for <head>, <html> and a <meta> that may declare the encoding.
func (s *scanner) tagNameEnd() {
	if s.inHead {
		// TODO: An encoding <meta> after another element, such as <title>,
		// moves back by the snippet's length and may then end past byte 1024.
		if s.endTag || !s.tagName.is("meta") {
			s.decide(found, s.candidate)
		}
		s.encodingMeta = false
		return
	}

	if s.endTag {
		// These end tags make the parser create the head element, and any
		// other end tag before the head is ignored.
		if s.tagName.is("head") || s.tagName.is("body") || s.tagName.is("html") || s.tagName.is("br") {
			s.impliedHead(s.tagStart)
		}
		return
	}

	switch {
	case s.tagName.is("head"), s.tagName.is("html"):
		// tagEnd handles them.
	case s.tagName.is("meta") && s.document:
		// The parser creates the head right before this <meta>, so the head
		// starts with it as it would after an explicit <head>.
		s.inHead = true
		s.candidate = s.tagStart
		s.encodingMeta = false
	default:
		s.impliedHead(s.tagStart)
	}
}

func (s *scanner) attributeNameEnd() {
	if s.attrName.is("charset") || s.attrName.is("http-equiv") {
		s.encodingMeta = true
	}
}

// tagEnd handles the '>' at offset end that completes the current tag.
func (s *scanner) tagEnd(end int) {
	s.state = stateData
	if s.result != needMore || s.endTag {
		return
	}

	switch {
	case s.inHead:
		// Only <meta> reaches here, because tagNameEnd decided on the rest.
		if !s.encodingMeta {
			s.decide(found, s.candidate)
			return
		}
		s.candidate = end + 1
	case s.tagName.is("head"):
		s.document = true
		s.inHead = true
		s.candidate = end + 1
	case s.tagName.is("html"):
		s.document = true
	}
}

// lowerName holds the ASCII-lowercased start of a tag or attribute name, long
// enough to compare it with the few names the scanner looks for.
type lowerName struct {
	buf [len("http-equiv")]byte
	len int
}

func (n *lowerName) reset() {
	n.len = 0
}

func (n *lowerName) add(c byte) {
	if n.len < len(n.buf) {
		n.buf[n.len] = toLower(c)
	}
	n.len++
}

// is reports whether the name equals s, which must be lowercase ASCII.
func (n *lowerName) is(s string) bool {
	return n.len == len(s) && string(n.buf[:n.len]) == s
}

func toLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isASCIIAlpha(c byte) bool {
	c |= 0x20
	return 'a' <= c && c <= 'z'
}

// isHTMLSpace reports whether c is ASCII whitespace as HTML defines it: tab,
// line feed, form feed, carriage return and space.
func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}
