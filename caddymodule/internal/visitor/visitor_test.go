package visitor

import (
	"strings"
	"testing"
)

func TestEmail(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"ada@example.com", true},
		{"Ada.Lovelace+chat@Example.COM", true},
		{"o'brien@example.ie", true},
		{"user@sub.example.co.uk", true},
		{"", false},
		{"ada", false},
		{"@example.com", false},
		{"ada@", false},
		{"ada@@example.com", false},
		{"ada @example.com", false},
		{" ada@example.com", false},
		{"ada@example.com ", false},
		{"Ada <ada@example.com>", false},
		{"<ada@example.com>", false},
		{"ada@example.com, bob@example.com", false},
		{"ada@example.com;bob@example.com", false},
		{`"ada"@example.com`, false},
		{"{http.request.header.X-Email}", false},
		{"ada{x}@example.com", false},
		{"ada@example.com\r\nBcc: x@example.com", false},
		{"ada\x00@example.com", false},
		{"ada\u2028@example.com", false},
		{"ada\u200b@example.com", false},
		{"</script>@example.com", false},
		{"ada@example.com\xff", false},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 185) + ".com", true},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", false},
	}
	for _, tt := range tests {
		got, ok := Email(tt.in)
		if ok != tt.want {
			t.Errorf("Email(%q) ok = %v, want %v", tt.in, ok, tt.want)
		}
		if ok && got != tt.in {
			t.Errorf("Email(%q) = %q, want the input unchanged", tt.in, got)
		}
		if !ok && got != "" {
			t.Errorf("Email(%q) = %q on rejection, want empty", tt.in, got)
		}
	}
}

func TestKeyLowercases(t *testing.T) {
	if got, want := Key("Ada@Example.COM"), "ada@example.com"; got != want {
		t.Errorf("Key() = %q, want %q", got, want)
	}
}

func TestName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ada", "Ada"},
		{"  Zoë  ", "Zoë"},
		{"", ""},
		{"{http.auth.user.first_name}", ""},
		{"<b>", ""},
		{"Ada\nLovelace", ""},
		{strings.Repeat("x", MaxNameLength), strings.Repeat("x", MaxNameLength)},
		{strings.Repeat("x", MaxNameLength+1), ""},
	}
	for _, tt := range tests {
		if got := Name(tt.in); got != tt.want {
			t.Errorf("Name(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzEmail checks that an accepted address is never one that could break
// out of a JSON string, an HTML attribute or a header.
func FuzzEmail(f *testing.F) {
	for _, seed := range []string{"ada@example.com", "Ada <ada@example.com>", "a\"b@c", "x@y\n", "{x}@y"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Email(s)
		if !ok {
			return
		}
		if got != s {
			t.Fatalf("Email(%q) = %q, want the input unchanged", s, got)
		}
		if len(got) > MaxEmailLength {
			t.Fatalf("Email(%q) accepted %d bytes", s, len(got))
		}
		if strings.ContainsAny(got, "<>\"{} \r\n\t\\") {
			t.Fatalf("Email(%q) accepted a forbidden character", s)
		}
		if strings.Count(got, "@") < 1 {
			t.Fatalf("Email(%q) accepted a value without @", s)
		}
	})
}
