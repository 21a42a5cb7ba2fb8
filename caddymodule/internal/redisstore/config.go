package redisstore

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// DefaultKeyPrefix starts every key when Config.KeyPrefix is empty.
const DefaultKeyPrefix = "hubspot_identify:token:"

// DefaultTimeout bounds each call when Config.Timeout is zero. It is short
// because a page waits on the call. On an error the caller falls back to
// its own cache, so a slow Redis is worse than none.
const DefaultTimeout = 100 * time.Millisecond

// urlExample ends the errors about a URL's syntax, so the operator sees a
// valid form.
const urlExample = "use redis://host:6379/0, or rediss:// for TLS"

// timeoutOptions are the URL query options of redis.ParseURL that
// Config.Timeout replaces. They are rejected rather than silently
// overridden.
var timeoutOptions = []string{"dial_timeout", "read_timeout", "write_timeout", "pool_timeout"}

// Config sets up a Store.
type Config struct {
	// URL is the server's address as redis://[[username]:password@]host[:port][/db],
	// or rediss:// for TLS. Other query options of go-redis's ParseURL, such
	// as pool_size, are accepted. The timeouts are not, because Timeout sets
	// them, and neither is skip_verify, because it turns off certificate
	// verification.
	URL string

	// Username and Password, when not empty, replace those in URL.
	Username string
	Password string

	// CAFile is a PEM file with the certificate authorities that sign the
	// server's certificate. Empty means the system's roots. It requires a
	// rediss:// URL.
	CAFile string

	// ServerName is the host name the server's certificate must match.
	// Empty means the host in URL. It requires a rediss:// URL.
	ServerName string

	// DB, when not zero, replaces the database number in URL. To use
	// database 0, leave DB zero and put /0 in URL or omit the path.
	DB int

	// KeyPrefix starts every key, so that several sites can share one
	// database. Empty means DefaultKeyPrefix.
	KeyPrefix string

	// Timeout bounds each call, including dialing and waiting for a pooled
	// connection. Zero means DefaultTimeout.
	Timeout time.Duration

	// Logger receives the errors that are not returned to a caller, such
	// as a failed unlock. Nil discards them.
	Logger *zap.Logger
}

// options validates cfg and returns the go-redis options it describes.
// No error contains the password, in URL or in Password.
func (cfg Config) options() (*redis.Options, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("redis: missing URL; %s", urlExample)
	}
	if cfg.DB < 0 {
		return nil, fmt.Errorf("redis: invalid DB %d; use a database number of 0 or more", cfg.DB)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("redis: invalid Timeout %v; use a positive duration such as 100ms, or zero for %v", cfg.Timeout, DefaultTimeout)
	}

	opts, err := parseURL(cfg.URL)
	if err != nil {
		return nil, err
	}

	if cfg.Username != "" {
		opts.Username = cfg.Username
	}
	if cfg.Password != "" {
		opts.Password = cfg.Password
	}
	if cfg.DB != 0 {
		opts.DB = cfg.DB
	}

	if err := cfg.configureTLS(opts); err != nil {
		return nil, err
	}

	setTimeouts(opts, cfg.timeout())

	return opts, nil
}

// parseURL parses rawURL with redis.ParseURL and rejects what Config does
// not allow. Its errors show the URL with the password removed, and take
// their reason from parsing that redacted URL, because the parsers' own
// messages can quote the password.
func parseURL(rawURL string) (*redis.Options, error) {
	shown := redactURL(rawURL)
	invalid := func(reason string) error {
		return fmt.Errorf("redis: invalid URL %q: %s", shown, reason)
	}

	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, invalid(redactedReason(shown) + "; " + urlExample)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, invalid(fmt.Sprintf("scheme %q is not redis or rediss; %s", u.Scheme, urlExample))
	}
	if u.Host == "" {
		return nil, invalid("missing host; " + urlExample)
	}
	// A "#" in a password starts a fragment, which would otherwise leave
	// the URL valid but without its password. The fragment is not quoted,
	// because it can contain the rest of the password.
	if u.Fragment != "" || strings.HasSuffix(rawURL, "#") {
		return nil, invalid("unexpected fragment (#); percent-encode a # in the password as %23, or set Password")
	}

	query := u.Query()
	for _, name := range timeoutOptions {
		if query.Has(name) {
			return nil, invalid(fmt.Sprintf("option %s conflicts with Timeout; remove it and set Timeout", name))
		}
	}

	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		return nil, invalid(redactedReason(shown) + "; " + urlExample)
	}
	if opts.TLSConfig != nil && opts.TLSConfig.InsecureSkipVerify {
		return nil, invalid("skip_verify turns off certificate verification; remove it, and set a CA file (tls_ca) to trust a private certificate authority")
	}
	return opts, nil
}

// redactedReason returns why redis.ParseURL rejects shown, a URL without
// its password. If shown parses, the password was what made the original
// URL invalid.
func redactedReason(shown string) string {
	_, err := redis.ParseURL(shown)
	if err == nil {
		return "invalid user name or password; percent-encode reserved characters such as / ? # @ :, or set Username and Password"
	}

	// A *url.Error quotes the URL, which the caller shows already.
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err.Error()
	}
	return strings.TrimPrefix(err.Error(), "redis: ")
}

// redactURL replaces everything between the first colon of the userinfo
// and the last "@" with "xxxxx". Unlike url.URL.Redacted it works on a URL
// that does not parse, and it also hides a password with unescaped
// reserved characters, which the URL parser would split into host, port
// or path.
func redactURL(rawURL string) string {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return rawURL
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return rawURL
	}
	user, _, hasPassword := strings.Cut(rest[:at], ":")
	if !hasPassword {
		return rawURL
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

// configureTLS applies CAFile and ServerName to the TLS settings that
// redis.ParseURL made for a rediss:// URL.
func (cfg Config) configureTLS(opts *redis.Options) error {
	if opts.TLSConfig == nil {
		if cfg.CAFile != "" {
			return fmt.Errorf("redis: a CA file (tls_ca) is set but the URL has no TLS; use rediss://")
		}
		if cfg.ServerName != "" {
			return fmt.Errorf("redis: a TLS server name (tls_server_name) is set but the URL has no TLS; use rediss://")
		}
		return nil
	}

	if cfg.ServerName != "" {
		opts.TLSConfig.ServerName = cfg.ServerName
	}
	if cfg.CAFile == "" {
		// Go reads the system's roots on first use, which can take tens of
		// milliseconds. Reading them now keeps that out of the first
		// call's Timeout.
		if _, err := x509.SystemCertPool(); err != nil {
			return fmt.Errorf("redis: loading the system's certificate authorities: %w; set a CA file (tls_ca)", err)
		}
		return nil
	}

	pem, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		return fmt.Errorf("redis: reading the CA file (tls_ca): %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return fmt.Errorf("redis: invalid CA file (tls_ca) %q: no PEM certificate found; give a file with one or more \"BEGIN CERTIFICATE\" blocks", cfg.CAFile)
	}
	opts.TLSConfig.RootCAs = roots
	return nil
}

// timeout returns Timeout, or DefaultTimeout if it is zero.
func (cfg Config) timeout() time.Duration {
	if cfg.Timeout == 0 {
		return DefaultTimeout
	}
	return cfg.Timeout
}

// setTimeouts bounds every step of a call by timeout, so a Redis that is
// down or hangs costs a page at most that long.
func setTimeouts(opts *redis.Options, timeout time.Duration) {
	// Store passes each call a context with this deadline. go-redis
	// applies it to the connection only when ContextTimeoutEnabled is set.
	opts.ContextTimeoutEnabled = true

	opts.DialTimeout = timeout
	opts.ReadTimeout = timeout
	opts.WriteTimeout = timeout
	opts.PoolTimeout = timeout

	// A second dial waits go-redis's 100ms retry backoff first, which is
	// past the deadline of the default Timeout.
	opts.DialerRetries = 1

	// go-redis retries a refused dial with backoff until the deadline,
	// which turns a refusal in microseconds into a wait of the whole
	// Timeout and reports it as a deadline error. The pool checks idle
	// connections before use, so a retry would seldom help.
	opts.MaxRetries = -1
}
