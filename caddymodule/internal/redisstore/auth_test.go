package redisstore

import (
	"strings"
	"testing"
	"time"

	"github.com/hsidentify/caddy-hubspot-identify/caddymodule/internal/tokens"
)

func TestAuthRequirePass(t *testing.T) {
	srv := startServer(t, serverConfig{password: secret})
	ctx := testContext(t)
	const wrong = "wrong-Pa55word-9"

	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"password in URL", Config{URL: srv.url(secret)}, false},
		{"password field", Config{URL: srv.url(""), Password: secret}, false},
		{"field wins over wrong URL password", Config{URL: srv.url(wrong), Password: secret}, false},
		{"wrong password in URL", Config{URL: srv.url(wrong)}, true},
		{"wrong password field", Config{URL: srv.url(""), Password: wrong}, true},
		{"field wins over right URL password", Config{URL: srv.url(secret), Password: wrong}, true},
		{"no password", Config{URL: srv.url("")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newTestStore(t, tt.cfg)

			errs := map[string]error{"Ping": store.Ping(ctx)}
			errs["Set"] = store.Set(ctx, "k", tokens.Entry{Token: "tok"}, time.Minute)
			_, _, errs["Get"] = store.Get(ctx, "k")
			_, _, errs["Lock"] = store.Lock(ctx, "k", time.Minute)

			for call, err := range errs {
				if tt.wantErr != (err != nil) {
					t.Errorf("%s with %s: error = %v, want error %v", call, tt.name, err, tt.wantErr)
				}
				if err == nil {
					continue
				}
				for _, password := range []string{secret, wrong} {
					if strings.Contains(err.Error(), password) {
						t.Errorf("%s with %s: error %q contains the password", call, tt.name, err)
					}
				}
			}
		})
	}
}
