// Package visitor validates the identity values that placeholders produce
// for a request, so that only a plausible, single email address reaches
// HubSpot or a page.
package visitor

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxEmailLength is the longest email address accepted, in bytes: the limit
// of a forward path in RFC 5321 less the angle brackets.
const MaxEmailLength = 254

// MaxNameLength is the longest first or last name passed on, in bytes.
const MaxNameLength = 256

// Email returns s and true if s is a plausible single email address. It
// returns false for an empty value, a value that still contains a placeholder
// brace, and anything net/mail would not parse as one bare address: display
// names, lists, spaces, quotes, angle brackets and control characters are all
// rejected. The address is returned as given, not normalized.
func Email(s string) (string, bool) {
	if s == "" || len(s) > MaxEmailLength {
		return "", false
	}
	if strings.ContainsAny(s, "{}<>\"\\ ,;") || !printable(s) {
		return "", false
	}

	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "", false
	}

	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", false
	}
	return s, true
}

// Key returns the cache key for an address accepted by Email. Addresses are
// compared case-insensitively, as mail systems and HubSpot treat them.
func Key(email string) string {
	return strings.ToLower(email)
}

// Name returns s if it is acceptable as a first or last name, or "" if it
// is too long, contains control characters, or still contains a placeholder
// brace. Names are optional, so an unacceptable one is dropped, not fatal.
func Name(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > MaxNameLength || strings.ContainsAny(s, "{}<>") || !printable(s) {
		return ""
	}
	return s
}

// printable reports whether s is valid UTF-8 with no control or format
// characters, which have no place in an address or a name.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}
