package redisstore

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// secret is the password in every config of these tests. No error may
// contain it, and it is long enough not to appear by chance.
const secret = "s3cret-Pa55word"

func TestNewRejectsInvalidConfig(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("no certificate here"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		cfg  Config
		want []string
	}{
		{"missing URL", Config{Password: secret}, []string{"missing URL", "redis://host:6379/0"}},
		{"http scheme", Config{URL: "http://:" + secret + "@host:6379"}, []string{`scheme "http"`, "http://:xxxxx@host:6379", "redis://host:6379/0"}},
		{"unix scheme", Config{URL: "unix:///run/redis.sock"}, []string{`scheme "unix"`}},
		{"no scheme", Config{URL: "host:6379"}, []string{"invalid URL", "redis://host:6379/0"}},
		{"missing host", Config{URL: "redis:///0"}, []string{"missing host"}},
		{"database not a number", Config{URL: "redis://:" + secret + "@host/zero"}, []string{"invalid database number", `"zero"`}},
		{"path too long", Config{URL: "redis://host/0/1"}, []string{"invalid URL path"}},
		{"unknown option", Config{URL: "redis://host/0?colour=blue"}, []string{"unexpected option: colour"}},
		{"timeout option", Config{URL: "redis://host/0?read_timeout=5s"}, []string{"read_timeout conflicts with Timeout"}},
		{"skip_verify", Config{URL: "rediss://:" + secret + "@host/0?skip_verify=true"}, []string{"skip_verify", "tls_ca"}},
		{"bad escape in password", Config{URL: "redis://user:" + secret + "%zz@host/0"}, []string{"percent-encode", "redis://user:xxxxx@host/0"}},
		{"slash in password", Config{URL: "redis://user:" + secret + "/7@host/0"}, []string{"percent-encode"}},
		{"question mark in password", Config{URL: "redis://user:" + secret + "?x@host/0"}, []string{"percent-encode"}},
		{"hash in password", Config{URL: "redis://:12#" + secret + "@host/0"}, []string{"percent-encode"}},
		{"space in host", Config{URL: "redis://:" + secret + "@ho st/0"}, []string{"invalid character"}},
		{"negative DB", Config{URL: "redis://host/0", Password: secret, DB: -1}, []string{"invalid DB -1"}},
		{"negative Timeout", Config{URL: "redis://host/0", Password: secret, Timeout: -time.Millisecond}, []string{"invalid Timeout -1ms", "100ms"}},
		{"CAFile without TLS", Config{URL: "redis://host/0", CAFile: notPEM}, []string{"tls_ca", "rediss://"}},
		{"ServerName without TLS", Config{URL: "redis://host/0", ServerName: "redis.test"}, []string{"tls_server_name", "rediss://"}},
		{"CAFile missing", Config{URL: "rediss://host/0", CAFile: filepath.Join(dir, "absent.pem")}, []string{"reading the CA file (tls_ca)", "absent.pem"}},
		{"CAFile not PEM", Config{URL: "rediss://host/0", CAFile: notPEM}, []string{"invalid CA file (tls_ca)", "no PEM certificate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, err := New(tt.cfg)
			if err == nil {
				store.Close()
				t.Fatalf("New(%+v) error = nil, want one containing %q", tt.cfg, tt.want)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("New(%+v) error = %q, want it to contain %q", tt.cfg, err, want)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("New(%+v) error = %q, which contains the password", tt.cfg, err)
			}
		})
	}
}

func TestOptionsExplicitFieldsWin(t *testing.T) {
	tests := []struct {
		name         string
		cfg          Config
		wantUsername string
		wantPassword string
		wantDB       int
	}{
		{"from URL", Config{URL: "redis://alice:url-pass@host:6379/2"}, "alice", "url-pass", 2},
		{"percent-encoded password", Config{URL: "redis://alice:a%2Fb%40c@host/0"}, "alice", "a/b@c", 0},
		{"fields win", Config{URL: "redis://alice:url-pass@host/2", Username: "bob", Password: "field-pass", DB: 5}, "bob", "field-pass", 5},
		{"password field only", Config{URL: "redis://host", Password: "field-pass"}, "", "field-pass", 0},
		{"zero DB keeps URL", Config{URL: "redis://host/4", DB: 0}, "", "", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := tt.cfg.options()
			if err != nil {
				t.Fatalf("options(%+v) error = %v", tt.cfg, err)
			}
			if opts.Username != tt.wantUsername {
				t.Errorf("options(%+v) Username = %q, want %q", tt.cfg, opts.Username, tt.wantUsername)
			}
			if opts.Password != tt.wantPassword {
				t.Errorf("options(%+v) Password = %q, want %q", tt.cfg, opts.Password, tt.wantPassword)
			}
			if opts.DB != tt.wantDB {
				t.Errorf("options(%+v) DB = %d, want %d", tt.cfg, opts.DB, tt.wantDB)
			}
		})
	}
}

func TestOptionsTimeouts(t *testing.T) {
	tests := []struct {
		timeout time.Duration
		want    time.Duration
	}{
		{0, DefaultTimeout},
		{250 * time.Millisecond, 250 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.timeout.String(), func(t *testing.T) {
			cfg := Config{URL: "redis://host/0", Timeout: tt.timeout}
			opts, err := cfg.options()
			if err != nil {
				t.Fatalf("options(%+v) error = %v", cfg, err)
			}

			if !opts.ContextTimeoutEnabled {
				t.Errorf("options(Timeout %v) ContextTimeoutEnabled = false, want true", tt.timeout)
			}
			got := map[string]time.Duration{
				"DialTimeout":  opts.DialTimeout,
				"ReadTimeout":  opts.ReadTimeout,
				"WriteTimeout": opts.WriteTimeout,
				"PoolTimeout":  opts.PoolTimeout,
			}
			for field, value := range got {
				if value != tt.want {
					t.Errorf("options(Timeout %v) %s = %v, want %v", tt.timeout, field, value, tt.want)
				}
			}
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"redis://host:6379/0", "redis://host:6379/0"},
		{"redis://alice@host/0", "redis://alice@host/0"},
		{"redis://alice:pw@host/0", "redis://alice:xxxxx@host/0"},
		{"redis://:pw@host/0", "redis://:xxxxx@host/0"},
		{"rediss://alice:p@ss/w:rd@host/0", "rediss://alice:xxxxx@host/0"},
		{"host:6379", "host:6379"},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
