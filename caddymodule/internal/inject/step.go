package inject

// step runs one tokenizer transition on byte c at s.offset. It returns false
// when the new state must reconsume c, as the HTML standard specifies.
func (s *scanner) step(c byte) bool {
	switch s.state {
	case stateStart:
		if c == 0xEF {
			s.state = stateBOM1
			return true
		}
		s.state = stateData
		return false

	case stateBOM1:
		if c != 0xBB {
			// Not a BOM, so the first byte starts text.
			s.text(0)
		}
		s.state = stateBOM2
		return true

	case stateBOM2:
		if c != 0xBF {
			s.text(0)
		}
		s.state = stateData
		return true

	case stateData:
		switch {
		case c == '<':
			s.tagStart = s.offset
			s.state = stateTagOpen
		case c == '&':
			s.referenceStart = s.offset
			s.state = stateCharacterReference
		case !isHTMLSpace(c):
			s.text(s.offset)
		}
		return true

	case stateTagOpen:
		return s.stepTagOpen(c)

	case stateEndTagOpen:
		switch {
		case isASCIIAlpha(c):
			s.startTagName(true)
			return false
		case c == '>':
			// "</>" is dropped.
			s.state = stateData
		default:
			s.state = stateBogusComment
		}
		return true

	case stateMarkupDeclarationOpen, stateMarkupDeclarationDash, stateDoctypeKeyword:
		return s.stepMarkupDeclaration(c)

	case stateDoctype:
		if c == '>' {
			s.document = true
			s.state = stateData
		}
		return true

	case stateBogusComment:
		if c == '>' {
			s.state = stateData
		}
		return true

	case stateCommentStart, stateCommentStartDash, stateComment,
		stateCommentEndDash, stateCommentEnd, stateCommentEndBang:
		return s.stepComment(c)

	case stateCharacterReference, stateNamedCharacterReference, stateNumericCharacterReference,
		stateHexadecimalCharacterReferenceStart, stateHexadecimalCharacterReference, stateDecimalCharacterReference:
		return s.stepCharacterReference(c)
	}

	return s.stepTag(c)
}

func (s *scanner) stepTagOpen(c byte) bool {
	switch {
	case c == '!':
		s.state = stateMarkupDeclarationOpen
	case c == '/':
		s.state = stateEndTagOpen
	case c == '?':
		s.state = stateBogusComment
	case isASCIIAlpha(c):
		s.startTagName(false)
		return false
	default:
		// "<" before anything else is text, such as "< " or "<3".
		s.text(s.tagStart)
	}
	return true
}

func (s *scanner) startTagName(endTag bool) {
	s.endTag = endTag
	s.tagName.reset()
	s.state = stateTagName
}

// stepMarkupDeclaration matches "--" or "DOCTYPE" after "<!". Anything else
// starts a bogus comment, which reconsumes c because c may be its closing '>'.
func (s *scanner) stepMarkupDeclaration(c byte) bool {
	const keyword = "doctype"

	switch s.state {
	case stateMarkupDeclarationOpen:
		switch {
		case c == '-':
			s.state = stateMarkupDeclarationDash
			return true
		case toLower(c) == keyword[0]:
			s.keywordLen = 1
			s.state = stateDoctypeKeyword
			return true
		}

	case stateMarkupDeclarationDash:
		if c == '-' {
			s.state = stateCommentStart
			return true
		}

	case stateDoctypeKeyword:
		if toLower(c) == keyword[s.keywordLen] {
			s.keywordLen++
			if s.keywordLen == len(keyword) {
				s.state = stateDoctype
			}
			return true
		}
	}

	s.state = stateBogusComment
	return false
}

// stepComment follows the comment states of the tokenizer, including the
// abrupt ends "<!-->" and "<!--->" and the "--!>" end. The comment
// less-than-sign states only report nested comments as errors, so they are
// folded into stateComment and its end states.
func (s *scanner) stepComment(c byte) bool {
	switch s.state {
	case stateCommentStart:
		switch c {
		case '-':
			s.state = stateCommentStartDash
		case '>':
			s.state = stateData
		default:
			s.state = stateComment
		}

	case stateCommentStartDash:
		switch c {
		case '-':
			s.state = stateCommentEnd
		case '>':
			s.state = stateData
		default:
			s.state = stateComment
		}

	case stateComment:
		if c == '-' {
			s.state = stateCommentEndDash
		}

	case stateCommentEndDash:
		if c == '-' {
			s.state = stateCommentEnd
		} else {
			s.state = stateComment
		}

	case stateCommentEnd:
		switch c {
		case '>':
			s.state = stateData
		case '!':
			s.state = stateCommentEndBang
		case '-':
			// "--->" still ends the comment.
		default:
			s.state = stateComment
		}

	case stateCommentEndBang:
		switch c {
		case '>':
			s.state = stateData
		case '-':
			s.state = stateCommentEndDash
		default:
			s.state = stateComment
		}
	}
	return true
}
