// Package caddymodule provides the hubspot_identify HTTP handler, which
// identifies signed-in visitors to HubSpot's chat widget by injecting a
// visitor identification token into the HTML pages they load.
package caddymodule

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/hubspot"
)

func init() {
	caddy.RegisterModule(Handler{})
	httpcaddyfile.RegisterHandlerDirective("hubspot_identify", parseCaddyfile)

	// After encode, so authentication handlers have set the identity
	// placeholders and encode compresses the injected page; before
	// templates, reverse_proxy and file_server, whose output is wrapped.
	httpcaddyfile.RegisterDirectiveOrder("hubspot_identify", httpcaddyfile.After, "encode")
}

// Defaults and limits of the configuration.
const (
	DefaultTimeout   = time.Second
	DefaultTokenTTL  = 11 * time.Hour
	DefaultMaxTokens = 100000

	// fetchTimeout bounds one call to HubSpot. It is longer than Timeout on
	// purpose: a page stops waiting after Timeout, but the call goes on and
	// its token is cached for the visitor's next page.
	fetchTimeout = 10 * time.Second
)

// Handler injects HubSpot's visitor identification into HTML documents
// served to signed-in visitors. Requests without a valid visitor email,
// and responses that are not a 200 HTML page to a GET, pass through
// untouched.
type Handler struct {
	// The HubSpot access token (private app access token, service key or
	// OAuth access token) with the scope
	// conversations.visitor_identification.tokens.create. Placeholders such
	// as {env.HUBSPOT_ACCESS_TOKEN} or {file./run/secrets/hubspot} are
	// resolved once at provisioning; prefer them to a literal token, which
	// would appear in the config and `caddy adapt` output. Required.
	AccessToken string `json:"access_token,omitempty"`

	// The visitor's email address, evaluated for each request; usually a
	// placeholder set by an authentication handler or a trusted header,
	// such as {http.auth.user.id} or
	// {http.request.header.X-Auth-Request-Email}. A value that is empty,
	// still contains a placeholder, or is not a single plain email address
	// (at most 254 bytes) means the request has no visitor. Required.
	Email string `json:"email,omitempty"`

	// The visitor's first name, evaluated for each request. HubSpot uses it
	// only for new contacts or contacts whose name is unknown. Optional.
	FirstName string `json:"first_name,omitempty"`

	// The visitor's last name, evaluated for each request. Optional.
	LastName string `json:"last_name,omitempty"`

	// The URL of HubSpot's token create endpoint. Default:
	// https://api.hubapi.com/visitor-identification/2026-03/tokens/create
	Endpoint string `json:"endpoint,omitempty"`

	// The most a page is held back waiting for a visitor's token. When it
	// passes, the page is served unchanged and the token, once it arrives,
	// is cached for the next page view. Default: 1s.
	Timeout caddy.Duration `json:"timeout,omitempty"`

	// How long a token is reused for the same visitor. HubSpot accepts a
	// token for 12 hours after minting it, so at most 12h. Default: 11h.
	TokenTTL caddy.Duration `json:"token_ttl,omitempty"`

	// The maximum number of tokens cached in memory; the least recently
	// used visitor's token is evicted first. Default: 100000.
	MaxTokens int `json:"max_tokens,omitempty"`

	// The maximum number of calls to HubSpot's token endpoint per window. A page view
	// that would exceed it is served without identification instead of
	// waiting. Default: 40 per 10s.
	RateLimit *RateLimit `json:"rate_limit,omitempty"`

	// A Redis server shared by a cluster: lookups go to memory, then
	// Redis, then HubSpot, and one server mints each visitor's token. If
	// Redis is down, each server goes on with its own cache.
	Redis *Redis `json:"redis,omitempty"`

	// The HubSpot account ID. When set, HubSpot's loader script is added
	// before the end of the body of every HTML document that does not load
	// it already, so a site without the widget gets it with no change.
	PortalID string `json:"portal_id,omitempty"`

	// The URL of the loader script, for tests and self-hosting. Default:
	// https://js.hs-scripts.com/<portal_id>.js
	LoaderURL string `json:"loader_url,omitempty"`

	// Read the visitor from response headers that the upstream sets, for
	// apps that know who is signed in but sit behind no auth proxy. The
	// headers are removed from every response. A visitor from email, if
	// configured, takes precedence.
	IdentityFromResponse *IdentityFromResponse `json:"identity_from_response,omitempty"`

	// Reset HubSpot's chat widget when a browser that was identified loads
	// a page with no visitor, as after signing out, so the next person on
	// that browser does not see the previous visitor's conversations. A
	// first-party cookie named hubspot_identified, whose value carries no
	// personal data, remembers that the browser was identified. Default: on.
	ResetOnSignout *bool `json:"reset_on_signout,omitempty"`

	// Keep tokens in Caddy's configured storage, so they survive a
	// restart. Files are named by a hash of the visitor's email. Not used
	// with Redis, which keeps them already.
	Persist bool `json:"persist,omitempty"`

	accessToken string
	emailKey    string // the placeholder key when Email is one placeholder
	client      *hubspot.Client
	tokens      *pooledSource
	poolKey     string
	logger      *zap.Logger
	warnings    *sampledLogger
	metrics     *metrics
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.hubspot_identify",
		New: func() caddy.Module { return new(Handler) },
	}
}

// Provision fills in defaults, resolves the access token and sets up the
// HubSpot client and token cache.
func (h *Handler) Provision(ctx caddy.Context) error {
	h.logger = ctx.Logger()
	h.warnings = newSampledLogger(h.logger, warnInterval)

	if h.Endpoint == "" {
		h.Endpoint = hubspot.DefaultEndpoint
	}
	if h.Timeout == 0 {
		h.Timeout = caddy.Duration(DefaultTimeout)
	}
	if h.TokenTTL == 0 {
		h.TokenTTL = caddy.Duration(DefaultTokenTTL)
	}
	if h.MaxTokens == 0 {
		h.MaxTokens = DefaultMaxTokens
	}
	if h.IdentityFromResponse != nil {
		h.IdentityFromResponse.setDefaults()
	}
	h.emailKey = placeholderKey(h.Email)

	token, err := resolveAccessToken(h.AccessToken)
	if err != nil {
		return err
	}
	h.accessToken = token

	if err := h.validate(); err != nil {
		return err
	}

	m, err := registerMetrics(ctx.GetMetricsRegistry())
	if err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	h.metrics = m

	// Concurrent cold lookups each need a connection; Go's default of two
	// idle connections per host would make every other call open a new
	// one, a TCP and TLS handshake added to a page's wait.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64
	h.client = &hubspot.Client{
		Endpoint:    h.Endpoint,
		AccessToken: h.accessToken,
		HTTPClient:  &http.Client{Timeout: fetchTimeout, Transport: transport},
	}
	h.poolKey = h.sourceKey()
	source, err := h.loadSource(ctx)
	if err != nil {
		return fmt.Errorf("setting up the token cache: %w", err)
	}
	h.tokens = source

	limit := h.rateLimit()
	h.logger.Info("hubspot visitor identification enabled",
		zap.String("endpoint", h.Endpoint),
		zap.String("timeout", time.Duration(h.Timeout).String()),
		zap.String("token_ttl", time.Duration(h.TokenTTL).String()),
		zap.Int("max_tokens", h.MaxTokens),
		zap.String("rate_limit", fmt.Sprintf("%d per %s", limit.Requests, time.Duration(limit.Window))),
		zap.String("redis", h.redisKey()),
		zap.Bool("persist", h.Persist))
	return nil
}

// Validate checks the configuration. Provision has already run it once;
// Caddy calls it again, which is harmless.
func (h *Handler) Validate() error {
	return h.validate()
}

func (h *Handler) validate() error {
	if strings.TrimSpace(h.Email) == "" && h.IdentityFromResponse == nil {
		return fmt.Errorf("email: missing; set it to the placeholder that carries the signed-in visitor's address, such as {http.request.header.X-Auth-Request-Email}, or use identity_from_response")
	}
	if err := validateEndpoint(h.Endpoint); err != nil {
		return err
	}
	if h.Timeout <= 0 {
		return fmt.Errorf("timeout: invalid value %s; it must be a positive duration such as 1s", time.Duration(h.Timeout))
	}
	if ttl := time.Duration(h.TokenTTL); ttl <= 0 || ttl > hubspot.TokenLifetime {
		return fmt.Errorf("token_ttl: invalid value %s; it must be positive and at most 12h, because HubSpot rejects tokens older than 12 hours", ttl)
	}
	if h.MaxTokens < 0 {
		return fmt.Errorf("max_tokens: invalid value %d; it must be a positive number of tokens", h.MaxTokens)
	}
	if limit := h.rateLimit(); limit.Requests <= 0 || limit.Window <= 0 {
		return fmt.Errorf("rate_limit: invalid value %d per %s; it needs a positive number of calls and window, such as 40 10s", limit.Requests, time.Duration(limit.Window))
	}
	if h.Redis != nil && strings.TrimSpace(h.Redis.URL) == "" {
		return fmt.Errorf("redis: missing URL; use redis://host:6379/0, or rediss:// for TLS")
	}
	if err := h.validatePortal(); err != nil {
		return err
	}
	if h.IdentityFromResponse != nil {
		if err := h.IdentityFromResponse.validate(); err != nil {
			return err
		}
	}
	if h.Redis != nil && h.Persist {
		return fmt.Errorf("persist: not used with redis, which keeps the tokens already; remove one of them")
	}
	return nil
}

// Cleanup releases this config's use of the shared token cache, which
// closes when no config uses it, and closes the idle connections to
// HubSpot, which a config reload would otherwise leave open.
func (h *Handler) Cleanup() error {
	if h.tokens != nil {
		if _, err := sources.Delete(h.poolKey); err != nil {
			return fmt.Errorf("closing the token cache: %w", err)
		}
	}
	if h.client != nil && h.client.HTTPClient != nil {
		h.client.HTTPClient.CloseIdleConnections()
	}
	return nil
}

// resolveAccessToken replaces the global placeholders ({env.*}, {file.*})
// in the configured token. Errors name the field but never the value.
func resolveAccessToken(configured string) (string, error) {
	if strings.TrimSpace(configured) == "" {
		return "", fmt.Errorf("access_token: missing; set it to {env.HUBSPOT_ACCESS_TOKEN} or {file./path/to/secret} holding a HubSpot private app access token")
	}

	token, err := caddy.NewReplacer().ReplaceOrErr(configured, true, true)
	if err != nil {
		return "", fmt.Errorf("access_token: %w; make sure the environment variable or file it names exists and is not empty", err)
	}

	token = strings.TrimSpace(token)
	if token == "" {
		return "", fmt.Errorf("access_token: missing value: the placeholder resolved to an empty string; make sure the environment variable or file it names holds the token")
	}
	if strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", fmt.Errorf("access_token: the resolved value contains spaces or control characters; check the environment variable or file it names")
	}
	return token, nil
}

func validateEndpoint(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("endpoint: invalid URL %q: %v; use a full URL such as %s", endpoint, err, hubspot.DefaultEndpoint)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("endpoint: invalid URL %q: it needs an http or https scheme and a host, such as %s", endpoint, hubspot.DefaultEndpoint)
	}
	if u.User != nil {
		return fmt.Errorf("endpoint: invalid URL: credentials in the URL are not supported; use access_token")
	}
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddy.CleanerUpper          = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
