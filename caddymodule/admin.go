package caddymodule

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/visitor"
)

func init() {
	caddy.RegisterModule(AdminAPI{})
}

// AdminAPI adds routes to Caddy's admin endpoint for the token caches of
// every running hubspot_identify handler:
//
//	POST /hubspot_identify/forget   {"email": "ada@example.com"}
//	GET  /hubspot_identify/stats
//
// Forgetting a visitor removes their token from memory and the shared
// tier, for sign-out and data deletion requests.
type AdminAPI struct{}

// CaddyModule returns the Caddy module information.
func (AdminAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "admin.api.hubspot_identify",
		New: func() caddy.Module { return new(AdminAPI) },
	}
}

// Routes returns the admin routes.
func (a *AdminAPI) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/hubspot_identify/forget", Handler: caddy.AdminHandlerFunc(a.handleForget)},
		{Pattern: "/hubspot_identify/stats", Handler: caddy.AdminHandlerFunc(a.handleStats)},
	}
}

// forgetTimeout bounds the shared tier's delete.
const forgetTimeout = 5 * time.Second

func (a *AdminAPI) handleForget(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodPost {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: fmt.Errorf("method %s not allowed; use POST", r.Method)}
	}

	var body struct {
		Email string `json:"email"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&body); err != nil {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: fmt.Errorf(`invalid request body: %v; send {"email": "visitor@example.com"}`, err)}
	}
	email, ok := visitor.Email(body.Email)
	if !ok {
		return caddy.APIError{HTTPStatus: http.StatusBadRequest, Err: fmt.Errorf("invalid email; send one plain address such as visitor@example.com")}
	}

	ctx, cancel := context.WithTimeout(r.Context(), forgetTimeout)
	defer cancel()

	caches := 0
	var forgetErr error
	sources.Range(func(_, value any) bool {
		caches++
		if err := value.(*pooledSource).Forget(ctx, visitor.Key(email)); err != nil && forgetErr == nil {
			forgetErr = err
		}
		return true
	})
	if forgetErr != nil {
		return caddy.APIError{HTTPStatus: http.StatusBadGateway, Err: fmt.Errorf("removing the token from the shared store failed: %v; it was removed from memory", forgetErr)}
	}

	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(map[string]int{"caches": caches})
}

func (a *AdminAPI) handleStats(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return caddy.APIError{HTTPStatus: http.StatusMethodNotAllowed, Err: fmt.Errorf("method %s not allowed; use GET", r.Method)}
	}

	type cacheStats struct {
		Entries int `json:"entries"`
	}
	stats := struct {
		Caches []cacheStats `json:"caches"`
	}{Caches: []cacheStats{}}

	sources.Range(func(_, value any) bool {
		stats.Caches = append(stats.Caches, cacheStats{Entries: value.(*pooledSource).Len()})
		return true
	})

	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(stats)
}

// Interface guard
var _ caddy.AdminRouter = (*AdminAPI)(nil)
