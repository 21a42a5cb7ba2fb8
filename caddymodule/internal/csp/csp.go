// Package csp reads and amends Content-Security-Policy header values, so an
// inline script added to a page runs under the page's own policy instead of
// being blocked by it.
//
// Only what decides whether an inline script element may run is parsed: the
// script-src-elem, script-src and default-src directives, in that order of
// precedence (CSP Level 3). Report-only policies are a separate header and
// are not touched.
package csp

import "strings"

// Decision is the way an inline script can run under a response's
// policies.
type Decision struct {
	// Nonce is the nonce to put on the script element, or "".
	Nonce string

	// NeedsHash is set when at least one policy allows the script only
	// after its hash is added with AddHash.
	NeedsHash bool

	// Blocked is set when a policy allows no script at all ('none'), which
	// cannot be amended without weakening it for the page's own scripts.
	Blocked bool
}

// Check returns the Decision for the Content-Security-Policy header values.
func Check(values []string) Decision {
	policies := parse(values)

	var d Decision
	for _, p := range policies {
		if sources := p.scriptSources(); sources != nil {
			if nonce := firstNonce(sources); nonce != "" {
				d.Nonce = nonce
				break
			}
		}
	}

	for _, p := range policies {
		switch p.verdict(d.Nonce) {
		case needsHash:
			d.NeedsHash = true
		case blocked:
			d.Blocked = true
		}
	}
	return d
}

// AddHash returns the header values with hash, a source such as
// 'sha256-...', added to the governing directive of every policy that would
// otherwise block a script carrying nonce. Policies that already allow it
// are kept as they are.
func AddHash(values []string, hash, nonce string) []string {
	amended := make([]string, 0, len(values))
	for _, value := range values {
		policies := parse([]string{value})
		for _, p := range policies {
			if p.verdict(nonce) == needsHash {
				p.addSource(hash)
			}
		}
		amended = append(amended, format(policies))
	}
	return amended
}

// verdict is one policy's ruling on an inline script.
type verdict uint8

const (
	allowed verdict = iota
	needsHash
	blocked
)

// policy is one serialized policy: directives in their original order.
type policy struct {
	directives []directive
}

type directive struct {
	name    string // lowercase
	sources []string
}

// scriptSources returns the sources of the directive that governs script
// elements, or nil if the policy does not restrict them.
func (p *policy) scriptSources() []string {
	if i := p.governing(); i >= 0 {
		return p.directives[i].sources
	}
	return nil
}

// governing returns the index of the directive that governs script
// elements, or -1.
func (p *policy) governing() int {
	for _, name := range []string{"script-src-elem", "script-src", "default-src"} {
		for i, d := range p.directives {
			if d.name == name {
				return i
			}
		}
	}
	return -1
}

func (p *policy) verdict(nonce string) verdict {
	i := p.governing()
	if i < 0 {
		return allowed
	}
	sources := p.directives[i].sources

	if nonce != "" && hasNonce(sources, nonce) {
		return allowed
	}
	if allowsUnsafeInline(sources) {
		return allowed
	}
	if len(sources) == 0 || (len(sources) == 1 && strings.EqualFold(sources[0], "'none'")) {
		// An empty source list means 'none' too.
		return blocked
	}
	return needsHash
}

func (p *policy) addSource(source string) {
	i := p.governing()
	p.directives[i].sources = append(p.directives[i].sources, source)
}

// allowsUnsafeInline reports whether sources allow any inline script. A
// nonce, a hash or 'strict-dynamic' turns 'unsafe-inline' off.
func allowsUnsafeInline(sources []string) bool {
	unsafeInline := false
	for _, s := range sources {
		lower := strings.ToLower(s)
		switch {
		case lower == "'unsafe-inline'":
			unsafeInline = true
		case lower == "'strict-dynamic'",
			strings.HasPrefix(lower, "'nonce-"),
			strings.HasPrefix(lower, "'sha256-"),
			strings.HasPrefix(lower, "'sha384-"),
			strings.HasPrefix(lower, "'sha512-"):
			return false
		}
	}
	return unsafeInline
}

// firstNonce returns the value of the first nonce source, or "".
func firstNonce(sources []string) string {
	for _, s := range sources {
		if value, ok := nonceValue(s); ok {
			return value
		}
	}
	return ""
}

// hasNonce reports whether sources contain a nonce source for nonce.
func hasNonce(sources []string, nonce string) bool {
	for _, s := range sources {
		if value, ok := nonceValue(s); ok && value == nonce {
			return true
		}
	}
	return false
}

// nonceValue returns the value of a 'nonce-...' source. The keyword
// compares case-insensitively, the value exactly.
func nonceValue(source string) (string, bool) {
	const prefix = "'nonce-"
	if len(source) <= len(prefix)+1 || !strings.EqualFold(source[:len(prefix)], prefix) || source[len(source)-1] != '\'' {
		return "", false
	}
	return source[len(prefix) : len(source)-1], true
}

// parse splits header values into policies (separated by commas) and
// directives (separated by semicolons). The first occurrence of a
// directive wins, as the CSP parser ignores repeats.
func parse(values []string) []*policy {
	var policies []*policy
	for _, value := range values {
		for serialized := range strings.SplitSeq(value, ",") {
			p := &policy{}
			seen := make(map[string]bool)
			for token := range strings.SplitSeq(serialized, ";") {
				fields := strings.Fields(token)
				if len(fields) == 0 {
					continue
				}
				name := strings.ToLower(fields[0])
				if seen[name] {
					continue
				}
				seen[name] = true
				p.directives = append(p.directives, directive{name: name, sources: fields[1:]})
			}
			if len(p.directives) > 0 {
				policies = append(policies, p)
			}
		}
	}
	return policies
}

// format serializes policies back into one header value.
func format(policies []*policy) string {
	var b strings.Builder
	for i, p := range policies {
		if i > 0 {
			b.WriteString(", ")
		}
		for j, d := range p.directives {
			if j > 0 {
				b.WriteString("; ")
			}
			b.WriteString(d.name)
			for _, s := range d.sources {
				b.WriteByte(' ')
				b.WriteString(s)
			}
		}
	}
	return b.String()
}
