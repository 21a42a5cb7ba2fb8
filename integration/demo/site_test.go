package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSitePages(t *testing.T) {
	const loader = `<script id="hs-script-loader" async defer src="//js.hs-scripts.com/1234567.js"></script>`

	for _, portalID := range []string{"", "1234567"} {
		handler, err := newSiteHandler(portalID)
		if err != nil {
			t.Fatal(err)
		}

		widget := "without widget"
		if portalID != "" {
			widget = "with widget"
		}
		for path := range sitePages {
			t.Run(path+" "+widget, func(t *testing.T) {
				rec := httptest.NewRecorder()
				handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
				body := rec.Body.String()

				if rec.Code != http.StatusOK {
					t.Fatalf("GET %s: status %d, want 200", path, rec.Code)
				}
				if got, want := rec.Header().Get("Content-Type"), "text/html; charset=utf-8"; got != want {
					t.Errorf("GET %s: Content-Type %q, want %q", path, got, want)
				}
				if !strings.Contains(body, "<head>") {
					t.Errorf("GET %s: body has no <head>, so there is no injection point:\n%s", path, body)
				}
				if !strings.Contains(body, `id="identification"`) {
					t.Errorf("GET %s: body has no identification status:\n%s", path, body)
				}
				if found := snippets(t, body); len(found) != 0 {
					t.Errorf("GET %s: the sample site itself has %d snippets, want none", path, len(found))
				}
				if got, want := strings.Contains(body, loader), portalID != ""; got != want {
					t.Errorf("GET %s with portal ID %q: contains the widget loader %v, want %v:\n%s", path, portalID, got, want, body)
				}
			})
		}
	}
}

func TestSiteRejectsOtherRequests(t *testing.T) {
	handler, err := newSiteHandler("")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		method     string
		path       string
		wantStatus int
	}{
		{method: http.MethodGet, path: "/missing", wantStatus: http.StatusNotFound},
		{method: http.MethodGet, path: "/account/missing", wantStatus: http.StatusNotFound},
		{method: http.MethodPost, path: "/account/", wantStatus: http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantStatus {
				t.Errorf("%s %s: status %d, want %d", tt.method, tt.path, rec.Code, tt.wantStatus)
			}
		})
	}
}

func TestSplitListen(t *testing.T) {
	tests := []struct {
		listen   string
		wantHost string
		wantPort int
		wantErr  string
	}{
		{listen: "127.0.0.1:8080", wantHost: "127.0.0.1", wantPort: 8080},
		{listen: "127.0.0.2:9000", wantHost: "127.0.0.2", wantPort: 9000},
		{listen: "[::1]:8080", wantHost: "::1", wantPort: 8080},
		{listen: "[::ffff:127.0.0.1]:8080", wantHost: "127.0.0.1", wantPort: 8080},
		{listen: "0.0.0.0:8080", wantErr: "not a loopback address"},
		{listen: "[::]:8080", wantErr: "not a loopback address"},
		{listen: "192.0.2.1:8080", wantErr: "not a loopback address"},
		{listen: "localhost:8080", wantErr: "invalid listen address"},
		{listen: ":8080", wantErr: "invalid listen address"},
		{listen: "127.0.0.1", wantErr: "invalid listen address"},
		{listen: "127.0.0.1:0", wantErr: "port 0"},
	}
	for _, tt := range tests {
		t.Run(tt.listen, func(t *testing.T) {
			host, port, err := splitListen(tt.listen)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("splitListen(%q): error %v, want one containing %q", tt.listen, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("splitListen(%q): %v", tt.listen, err)
			}
			if host.String() != tt.wantHost || port != tt.wantPort {
				t.Errorf("splitListen(%q) = %s, %d, want %s, %d", tt.listen, host, port, tt.wantHost, tt.wantPort)
			}
		})
	}
}

func TestValidatePortalID(t *testing.T) {
	tests := []struct {
		id      string
		wantErr bool
	}{
		{id: "", wantErr: false},
		{id: "1234567", wantErr: false},
		{id: "12a4", wantErr: true},
		{id: "123.js?x=", wantErr: true},
		{id: "-1", wantErr: true},
		{id: " 123", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			err := validatePortalID(tt.id)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Errorf("validatePortalID(%q) = %v, want error %v", tt.id, err, tt.wantErr)
			}
		})
	}
}
