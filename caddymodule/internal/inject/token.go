package inject

// maxTokenLen is the maximum length in bytes that ValidToken accepts. It is a
// sanity bound for a value the page will carry, not a documented HubSpot limit.
const maxTokenLen = 4096

// ValidToken reports whether token is a plausible HubSpot identification
// token: 1 to 4096 bytes of the URL-safe base64 alphabet [A-Za-z0-9_-] and
// '.', where each '.'-separated segment may end in up to two '=' padding
// bytes after at least one other byte.
func ValidToken(token string) bool {
	if len(token) == 0 || len(token) > maxTokenLen {
		return false
	}

	segmentLen := 0 // alphabet bytes in the current segment
	padding := 0    // '=' bytes at the end of the current segment
	for i := 0; i < len(token); i++ {
		c := token[i]
		switch {
		case c == '=':
			if segmentLen == 0 || padding == 2 {
				return false
			}
			padding++
		case c == '.':
			segmentLen = 0
			padding = 0
		case padding > 0:
			// Padding ends a segment.
			return false
		case isBase64URL(c):
			segmentLen++
		default:
			return false
		}
	}
	return true
}

func isBase64URL(c byte) bool {
	return isASCIIAlpha(c) || '0' <= c && c <= '9' || c == '-' || c == '_'
}
