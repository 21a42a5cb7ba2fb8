package csp

import (
	"reflect"
	"testing"
)

const hash = "'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='"

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		want   Decision
	}{
		{"no policy", nil, Decision{}},
		{"no script directive", []string{"img-src 'self'; frame-ancestors 'none'"}, Decision{}},
		{"unsafe-inline", []string{"script-src 'self' 'unsafe-inline'"}, Decision{}},
		{"nonce", []string{"script-src 'nonce-r4nd0m' 'strict-dynamic'"}, Decision{Nonce: "r4nd0m"}},
		{"nonce keyword case", []string{"Script-Src 'NONCE-r4nd0m'"}, Decision{Nonce: "r4nd0m"}},
		{"self only", []string{"script-src 'self'"}, Decision{NeedsHash: true}},
		{"default-src fallback", []string{"default-src 'self'"}, Decision{NeedsHash: true}},
		{"unsafe-inline off by hash", []string{"script-src 'unsafe-inline' 'sha256-abc='"}, Decision{NeedsHash: true}},
		{"unsafe-inline off by strict-dynamic", []string{"script-src 'unsafe-inline' 'strict-dynamic'"}, Decision{NeedsHash: true}},
		{"script-src-elem wins", []string{"script-src 'unsafe-inline'; script-src-elem 'self'"}, Decision{NeedsHash: true}},
		{"script-src wins over default-src", []string{"default-src 'none'; script-src 'unsafe-inline'"}, Decision{}},
		{"none", []string{"script-src 'none'"}, Decision{Blocked: true}},
		{"empty source list", []string{"default-src"}, Decision{Blocked: true}},
		{"two policies, one header", []string{"script-src 'unsafe-inline', script-src 'self'"}, Decision{NeedsHash: true}},
		{"two headers, shared nonce", []string{"script-src 'nonce-abc'", "default-src 'nonce-abc'"}, Decision{Nonce: "abc"}},
		{"two headers, different nonces", []string{"script-src 'nonce-abc'", "script-src 'nonce-xyz'"}, Decision{Nonce: "abc", NeedsHash: true}},
		{"repeated directive ignored", []string{"script-src 'unsafe-inline'; script-src 'none'"}, Decision{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Check(tt.values); got != tt.want {
				t.Errorf("Check(%q) = %+v, want %+v", tt.values, got, tt.want)
			}
		})
	}
}

func TestAddHash(t *testing.T) {
	tests := []struct {
		name   string
		values []string
		nonce  string
		want   []string
	}{
		{
			name:   "script-src",
			values: []string{"default-src 'self'; script-src 'self' https://js.hs-scripts.com"},
			want:   []string{"default-src 'self'; script-src 'self' https://js.hs-scripts.com " + hash},
		},
		{
			name:   "default-src",
			values: []string{"default-src 'self'; img-src *"},
			want:   []string{"default-src 'self' " + hash + "; img-src *"},
		},
		{
			name:   "script-src-elem",
			values: []string{"script-src 'self'; script-src-elem 'self'"},
			want:   []string{"script-src 'self'; script-src-elem 'self' " + hash},
		},
		{
			name:   "unsafe-inline kept without a hash",
			values: []string{"script-src 'unsafe-inline'", "script-src 'self'"},
			want:   []string{"script-src 'unsafe-inline'", "script-src 'self' " + hash},
		},
		{
			name:   "policy with the nonce kept",
			values: []string{"script-src 'nonce-abc'", "script-src 'nonce-xyz'"},
			nonce:  "abc",
			want:   []string{"script-src 'nonce-abc'", "script-src 'nonce-xyz' " + hash},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AddHash(tt.values, hash, tt.nonce)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("AddHash(%q) = %q, want %q", tt.values, got, tt.want)
			}
			if blocking := policyBlocking(got, tt.nonce); blocking != "" {
				t.Errorf("AddHash(%q) leaves a policy that blocks the script: %s", tt.values, blocking)
			}
		})
	}
}

// FuzzCheck checks that any header value parses without a panic and that,
// after AddHash, no policy still blocks the script.
func FuzzCheck(f *testing.F) {
	f.Add("default-src 'self'; script-src 'nonce-abc' 'strict-dynamic', img-src *")
	f.Add("script-src 'none'")
	f.Add(";;, ,script-src-elem 'unsafe-inline' 'sha256-x'")
	f.Add("script-src 'nonce-'")

	f.Fuzz(func(t *testing.T, value string) {
		d := Check([]string{value})
		if d.Blocked || !d.NeedsHash {
			return
		}
		amended := AddHash([]string{value}, hash, d.Nonce)
		if blocking := policyBlocking(amended, d.Nonce); blocking != "" {
			t.Fatalf("AddHash(%q) = %q leaves a policy that blocks the script: %s", value, amended, blocking)
		}
	})
}

// policyBlocking returns the first policy in values that would block a
// script carrying nonce and the test hash, or "".
func policyBlocking(values []string, nonce string) string {
	for _, p := range parse(values) {
		if p.verdict(nonce) == needsHash && !hasHash(p) {
			return format([]*policy{p})
		}
	}
	return ""
}

// hasHash reports whether a policy's governing directive lists the test hash.
func hasHash(p *policy) bool {
	for _, s := range p.scriptSources() {
		if s == hash {
			return true
		}
	}
	return false
}
