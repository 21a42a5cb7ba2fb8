package inject

// maxCodePoint caps the value of a numeric character reference, so that a
// long run of digits cannot overflow it.
const maxCodePoint = 0x10FFFF

// stepCharacterReference follows a character reference in text far enough to
// learn whether it decodes to whitespace, which the parser ignores before the
// head just like literal whitespace. Only numeric references to tab, line
// feed, form feed, carriage return or space and the named references &Tab;
// and &NewLine; decode to whitespace. Any other reference is text at its '&'.
func (s *scanner) stepCharacterReference(c byte) bool {
	switch s.state {
	case stateCharacterReference:
		switch c {
		case '#':
			s.referenceValue = 0
			s.state = stateNumericCharacterReference
		case 'T':
			s.startNamedReference("Tab;")
		case 'N':
			s.startNamedReference("NewLine;")
		default:
			s.text(s.referenceStart)
		}

	case stateNamedCharacterReference:
		if c != s.referenceName[s.referenceMatched] {
			s.text(s.referenceStart)
			return true
		}
		s.referenceMatched++
		if s.referenceMatched == len(s.referenceName) {
			s.state = stateData
		}

	case stateNumericCharacterReference:
		switch {
		case c == 'x' || c == 'X':
			s.state = stateHexadecimalCharacterReferenceStart
		case digitValue(c, 10) >= 0:
			s.state = stateDecimalCharacterReference
			return false
		default:
			s.text(s.referenceStart)
		}

	case stateHexadecimalCharacterReferenceStart:
		if digitValue(c, 16) < 0 {
			s.text(s.referenceStart)
			return true
		}
		s.state = stateHexadecimalCharacterReference
		return false

	case stateHexadecimalCharacterReference, stateDecimalCharacterReference:
		base := 10
		if s.state == stateHexadecimalCharacterReference {
			base = 16
		}
		if digit := digitValue(c, base); digit >= 0 {
			s.referenceValue = min(s.referenceValue*base+digit, maxCodePoint+1)
			return true
		}

		// A ';' ends the reference. Any other byte ends it too, but the
		// data state then reconsumes that byte.
		s.endCharacterReference()
		return c == ';'
	}
	return true
}

func (s *scanner) startNamedReference(name string) {
	s.referenceName = name
	s.referenceMatched = 1
	s.state = stateNamedCharacterReference
}

// endCharacterReference decides on a character reference that ends here,
// either at the byte after its digits or at the end of the input. It does
// nothing outside a reference.
func (s *scanner) endCharacterReference() {
	switch s.state {
	case stateDecimalCharacterReference, stateHexadecimalCharacterReference:
		switch s.referenceValue {
		case '\t', '\n', '\f', '\r', ' ':
			s.state = stateData
		default:
			s.text(s.referenceStart)
		}

	case stateCharacterReference, stateNamedCharacterReference, stateNumericCharacterReference,
		stateHexadecimalCharacterReferenceStart:
		// An incomplete reference is text.
		s.text(s.referenceStart)
	}
}

// digitValue returns the value of c as a digit in base 10 or 16, or -1.
func digitValue(c byte, base int) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case base == 16 && 'a' <= c|0x20 && c|0x20 <= 'f':
		return int(c|0x20-'a') + 10
	}
	return -1
}
