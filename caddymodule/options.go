package caddymodule

import (
	"fmt"
	"net/url"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/redisstore"
)

// RateLimit bounds the calls to HubSpot's token endpoint.
type RateLimit struct {
	// The number of calls allowed per window.
	Requests int `json:"requests,omitempty"`

	// The window, such as 10s.
	Window caddy.Duration `json:"window,omitempty"`
}

// DefaultRateLimit is 40 calls per 10 seconds. HubSpot allows an account
// 100 to 190 calls per 10 seconds depending on its plan, shared by every
// integration of the account, so this leaves most of it to the others.
var DefaultRateLimit = RateLimit{Requests: 40, Window: caddy.Duration(10 * time.Second)}

func (h *Handler) rateLimit() RateLimit {
	if h.RateLimit == nil {
		return DefaultRateLimit
	}
	return *h.RateLimit
}

// Redis configures the shared token tier of a cluster.
type Redis struct {
	// The server URL: redis://[user:password@]host:port/db, or rediss://
	// for TLS. Placeholders such as {env.REDIS_URL} are resolved at
	// provisioning.
	URL string `json:"url,omitempty"`

	// The user and password for Redis ACLs, if not in the URL. The
	// password accepts placeholders such as {env.REDIS_PASSWORD}.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`

	// The database number, if not in the URL.
	DB int `json:"db,omitempty"`

	// A PEM file of the CA that signed the server's certificate, for
	// rediss:// with a private CA.
	TLSCA string `json:"tls_ca,omitempty"`

	// The name to verify the server's certificate against, if not the
	// host of the URL.
	TLSServerName string `json:"tls_server_name,omitempty"`

	// The prefix of every key. Default: hubspot_identify:token:
	KeyPrefix string `json:"key_prefix,omitempty"`

	// The maximum time one Redis call may take before the lookup goes on
	// without it. Default: 100ms.
	Timeout caddy.Duration `json:"timeout,omitempty"`
}

// redisKey identifies the Redis settings in the source pool key without
// its password.
func (h *Handler) redisKey() string {
	if h.Redis == nil {
		return ""
	}
	u, err := url.Parse(h.Redis.URL)
	if err != nil {
		return h.Redis.KeyPrefix
	}
	u.User = nil
	return fmt.Sprintf("%s|%d|%s", u.Redacted(), h.Redis.DB, h.Redis.KeyPrefix)
}

// open resolves placeholders and sets up the Redis store.
func (r *Redis) open(logger *zap.Logger) (*redisstore.Store, error) {
	repl := caddy.NewReplacer()
	rawURL, err := repl.ReplaceOrErr(r.URL, true, true)
	if err != nil {
		return nil, fmt.Errorf("redis: url: %w", err)
	}
	password, err := repl.ReplaceOrErr(r.Password, false, true)
	if err != nil {
		return nil, fmt.Errorf("redis: password: %w", err)
	}

	store, err := redisstore.New(redisstore.Config{
		URL:        rawURL,
		Username:   r.Username,
		Password:   password,
		DB:         r.DB,
		CAFile:     r.TLSCA,
		ServerName: r.TLSServerName,
		KeyPrefix:  r.KeyPrefix,
		Timeout:    time.Duration(r.Timeout),
	})
	if err != nil {
		return nil, err
	}
	return store, nil
}
