package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

const testAccessToken = "pat-test-5f0c2a8e"

func TestServerCountsCallsAndConnections(t *testing.T) {
	emulator := hubspotemu.New(hubspotemu.Options{AccessToken: testAccessToken})
	server, _ := newServer(emulator)
	listener, err := listenLoopback("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go server.Serve(listener)
	defer server.Close()
	baseURL := "http://" + listener.Addr().String()

	// Each client has its own connection, so the server accepts two.
	for range 2 {
		client := &http.Client{Transport: &http.Transport{}}
		req, err := http.NewRequest(http.MethodPost, baseURL+hubspotemu.PathTokensCreate,
			strings.NewReader(`{"email":"ada@example.com"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testAccessToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: status %d, want %d", hubspotemu.PathTokensCreate, resp.StatusCode, http.StatusOK)
		}
		client.CloseIdleConnections()
	}

	resp, err := http.Get(baseURL + "/bench/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	// The stats request itself opens the third connection.
	if got, want := string(body), "2 3\n"; got != want {
		t.Errorf("GET /bench/stats = %q, want %q", got, want)
	}
}

func TestListenLoopbackRejectsOtherAddresses(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "localhost:0", "192.0.2.1:0", "no-port"} {
		t.Run(addr, func(t *testing.T) {
			listener, err := listenLoopback(addr)
			if err == nil {
				listener.Close()
				t.Errorf("listenLoopback(%q) error = nil, want an error", addr)
			}
		})
	}
}
