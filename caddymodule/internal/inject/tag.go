package inject

// stepTag runs the tag name and attribute states, which start and end tags
// share. Only an unquoted '>' ends a tag, so quoted attribute values may
// contain '>'.
func (s *scanner) stepTag(c byte) bool {
	switch s.state {
	case stateTagName:
		switch {
		case isHTMLSpace(c):
			s.state = stateBeforeAttributeName
		case c == '/':
			s.state = stateSelfClosingStartTag
		case c == '>':
		default:
			s.tagName.add(c)
			return true
		}
		s.tagNameEnd()
		if c == '>' {
			s.tagEnd(s.offset)
		}

	case stateBeforeAttributeName:
		switch {
		case isHTMLSpace(c):
		case c == '/':
			s.state = stateSelfClosingStartTag
		case c == '>':
			s.tagEnd(s.offset)
		default:
			// Includes '=', which starts a name here.
			s.startAttributeName(c)
		}

	case stateAttributeName:
		switch {
		case isHTMLSpace(c):
			s.state = stateAfterAttributeName
		case c == '/':
			s.state = stateSelfClosingStartTag
		case c == '>':
		case c == '=':
			s.state = stateBeforeAttributeValue
		default:
			s.attrName.add(c)
			return true
		}
		s.attributeNameEnd()
		if c == '>' {
			s.tagEnd(s.offset)
		}

	case stateAfterAttributeName:
		switch {
		case isHTMLSpace(c):
		case c == '/':
			s.state = stateSelfClosingStartTag
		case c == '=':
			s.state = stateBeforeAttributeValue
		case c == '>':
			s.tagEnd(s.offset)
		default:
			s.startAttributeName(c)
		}

	case stateBeforeAttributeValue:
		switch {
		case isHTMLSpace(c):
		case c == '"':
			s.state = stateAttributeValueDoubleQuoted
		case c == '\'':
			s.state = stateAttributeValueSingleQuoted
		case c == '>':
			// An attribute with '=' but no value.
			s.tagEnd(s.offset)
		default:
			s.state = stateAttributeValueUnquoted
		}

	case stateAttributeValueDoubleQuoted:
		if c == '"' {
			s.state = stateAfterAttributeValueQuoted
		}

	case stateAttributeValueSingleQuoted:
		if c == '\'' {
			s.state = stateAfterAttributeValueQuoted
		}

	case stateAttributeValueUnquoted:
		switch {
		case isHTMLSpace(c):
			s.state = stateBeforeAttributeName
		case c == '>':
			s.tagEnd(s.offset)
		}

	case stateAfterAttributeValueQuoted:
		switch {
		case isHTMLSpace(c):
			s.state = stateBeforeAttributeName
		case c == '/':
			s.state = stateSelfClosingStartTag
		case c == '>':
			s.tagEnd(s.offset)
		default:
			// A missing space between attributes: c starts the next name.
			s.state = stateBeforeAttributeName
			return false
		}

	case stateSelfClosingStartTag:
		if c == '>' {
			s.tagEnd(s.offset)
			return true
		}
		// A stray '/' inside a tag is ignored.
		s.state = stateBeforeAttributeName
		return false
	}

	return true
}

func (s *scanner) startAttributeName(c byte) {
	s.attrName.reset()
	s.attrName.add(c)
	s.state = stateAttributeName
}
