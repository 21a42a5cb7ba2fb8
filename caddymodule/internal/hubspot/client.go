// Package hubspot is a client for HubSpot's visitor identification API,
// which mints the token a page needs to identify a signed-in visitor to the
// chat widget.
package hubspot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DefaultEndpoint is the date-versioned token endpoint. The numeric v3 path
// and the legacy conversations path behave the same; HubSpot announced that
// numeric versions stop being supported in September 2027.
const DefaultEndpoint = "https://api.hubapi.com/visitor-identification/2026-03/tokens/create"

// TokenLifetime is how long HubSpot accepts a token after minting it.
const TokenLifetime = 12 * time.Hour

// maxResponseBytes bounds how much of a response body is read. A token
// response is well under 4 KiB, so anything larger is not HubSpot's.
const maxResponseBytes = 64 << 10

// Visitor is the identity sent to HubSpot. Email is required. HubSpot uses
// the names only for new contacts or contacts whose names are unknown.
type Visitor struct {
	Email     string `json:"email"`
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
}

// Client calls the token endpoint. Its zero value is not usable: Endpoint
// and AccessToken must be set.
type Client struct {
	// Endpoint is the full URL of the token create endpoint.
	Endpoint string

	// AccessToken is the private app access token, service key or OAuth
	// access token sent as a bearer token. It never appears in errors.
	AccessToken string

	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// CreateToken mints an identification token for v. A response that is not
// a 200 with a JSON token becomes an *APIError, or ErrMalformedResponse
// when a 200 carries no usable token.
func (c *Client) CreateToken(ctx context.Context, v Visitor) (string, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encoding request: %w", err)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.Endpoint, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("creating request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	httpClient := c.HTTPClient
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("calling token endpoint: %w", err)
	}
	defer resp.Body.Close()

	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return "", fmt.Errorf("reading token response (status %d): %w", resp.StatusCode, err)
	}

	if resp.StatusCode != http.StatusOK {
		return "", newAPIError(resp, respBody)
	}

	var created struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(respBody, &created); err != nil {
		return "", fmt.Errorf("%w: %v", ErrMalformedResponse, err)
	}
	if created.Token == "" {
		return "", fmt.Errorf("%w: no token in response", ErrMalformedResponse)
	}
	return created.Token, nil
}

// ErrMalformedResponse is returned when HubSpot responds 200 with a body
// that carries no token.
var ErrMalformedResponse = errors.New("malformed token response")
