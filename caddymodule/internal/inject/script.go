package inject

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The script text is scriptPrefix, a JSON object with the identification,
// and scriptSuffix. It merges the identification into the settings the page
// already has. It also turns window.hsConversationsSettings into an accessor
// property, so a page script that later assigns a new settings object (as
// HubSpot's documentation shows for loadImmediately) keeps the
// identification instead of replacing it.
const (
	scriptPrefix = `(function(id){var w=window,s=Object.assign(w.hsConversationsSettings||{},id);` +
		`try{Object.defineProperty(w,"hsConversationsSettings",{configurable:true,enumerable:true,` +
		`get:function(){return s},set:function(v){s=Object.assign(typeof v=="object"?v||{}:{},id)}})}` +
		`catch(e){w.hsConversationsSettings=s}})(`
	scriptSuffix = ");"
)

// Script returns a script element that sets identificationEmail and
// identificationToken on window.hsConversationsSettings, keeps any other
// settings the page made before it, and keeps the identification in any
// settings object the page assigns after it. The element carries a nonce attribute
// when nonce is not empty.
//
// The output is pure ASCII. Values are JSON strings in which '<', '>', '&',
// U+2028, U+2029 and every other non-ASCII rune are \u escapes, so no value
// can end the script element or depend on the page's charset. Invalid UTF-8
// bytes become U+FFFD.
func Script(email, token, nonce string) []byte {
	b := make([]byte, 0, len(scriptPrefix)+96+len(email)+len(token)+len(nonce))
	b = appendStartTag(b, nonce)
	b = appendScriptText(b, email, token)
	return append(b, "</script>"...)
}

// ScriptHash returns the Content-Security-Policy hash source, such as
// 'sha256-...', of the text of the script element that Script returns for
// email and token, whatever its nonce.
func ScriptHash(email, token string) string {
	return hashSource(appendScriptText(nil, email, token))
}

// appendScriptText appends the script element's text: the statement that
// sets the identification.
func appendScriptText(b []byte, email, token string) []byte {
	b = append(b, scriptPrefix...)
	b = append(b, `{"identificationEmail":`...)
	b = appendJSONString(b, email)
	b = append(b, `,"identificationToken":`...)
	b = appendJSONString(b, token)
	b = append(b, '}')
	return append(b, scriptSuffix...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a quoted JSON string that is also safe as
// JavaScript inside an HTML script element.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			b = appendJSONByte(b, c)
			i++
			continue
		}

		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r <= 0xFFFF {
			b = appendUnicodeEscape(b, r)
			continue
		}
		high, low := utf16.EncodeRune(r)
		b = appendUnicodeEscape(b, high)
		b = appendUnicodeEscape(b, low)
	}
	return append(b, '"')
}

func appendJSONByte(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	case '<', '>', '&', 0x7F:
		return appendUnicodeEscape(b, rune(c))
	}
	if c < 0x20 {
		return appendUnicodeEscape(b, rune(c))
	}
	return append(b, c)
}

// appendUnicodeEscape appends r, which must fit in 16 bits, as \uXXXX.
func appendUnicodeEscape(b []byte, r rune) []byte {
	return append(b, '\\', 'u',
		hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}

// appendAttributeValue appends s escaped for a double-quoted attribute value.
// Non-ASCII runes and ASCII control characters become numeric character
// references, so the output stays ASCII.
//
// NOTE: The HTML parser maps references to U+0000 and U+0080 to U+009F to
// other characters, so those runes do not survive. A CSP nonce is base64 and
// never contains them.
func appendAttributeValue(b []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '&':
				b = append(b, "&amp;"...)
			case c == '"':
				b = append(b, "&#34;"...)
			case c == '\'':
				b = append(b, "&#39;"...)
			case c == '<':
				b = append(b, "&lt;"...)
			case c == '>':
				b = append(b, "&gt;"...)
			case c < 0x20 || c == 0x7F:
				b = appendCharacterReference(b, rune(c))
			default:
				b = append(b, c)
			}
			continue
		}

		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		b = appendCharacterReference(b, r)
	}
	return b
}

func appendCharacterReference(b []byte, r rune) []byte {
	b = append(b, "&#x"...)
	b = strconv.AppendInt(b, int64(r), 16)
	return append(b, ';')
}
