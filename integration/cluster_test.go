package integration

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hsidentify/caddy-hubspot-identify/integration/caddyrun"
	"github.com/hsidentify/caddy-hubspot-identify/integration/hubspotemu"
)

// TestClusterSharesTokensThroughRedis runs two Caddy processes that share a
// real redis-server: many concurrent visitors spread over both must cost
// one HubSpot call each. With Redis stopped, pages are still served and
// each server identifies visitors on its own.
func TestClusterSharesTokensThroughRedis(t *testing.T) {
	redisAddr, stopRedis := startRedisServer(t)
	caddyBinary := buildCaddy(t)

	emulator := hubspotemu.New(hubspotemu.Options{AccessToken: testAccessToken, RatePer10s: 10000})
	emulator.SetLatency(100 * time.Millisecond) // long enough for the servers to race
	emuServer := httptest.NewServer(emulator)
	t.Cleanup(emuServer.Close)
	up := startUpstream(t)

	var nodes []string
	for i := range 2 {
		nodes = append(nodes, startCaddyProcess(t, caddyBinary, fmt.Sprintf(`
	hubspot_identify {
		access_token {env.HUBSPOT_ACCESS_TOKEN}
		email        {http.request.header.X-Auth-Request-Email}
		endpoint     %s
		timeout      5s
		rate_limit   1000 10s
		redis        redis://%s/0 {
			timeout 200ms
		}
	}
	reverse_proxy %s
`, emuServer.URL+hubspotemu.PathTokensCreate, redisAddr, up.URL), i))
	}

	client := &http.Client{Timeout: 10 * time.Second}
	get := func(node, email string) (status int, identifiedAs, token string) {
		req, err := http.NewRequest(http.MethodGet, node+"/", nil)
		if err != nil {
			t.Error(err)
			return
		}
		req.Header = visitorHeaders(email)
		req.Header.Del("Accept-Encoding")
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("GET %s as %s: %v", node, email, err)
			return
		}
		defer resp.Body.Close()
		r := (&site{}).read(t, resp)
		if m := snippetPattern.FindStringSubmatch(r.body); m != nil {
			return r.status, m[1], m[2]
		}
		return r.status, "", ""
	}

	// Ten visitors, each loading six pages at once over both servers.
	const visitors, pagesEach = 10, 6
	var wg sync.WaitGroup
	for v := range visitors {
		email := fmt.Sprintf("visitor%d@example.com", v)
		for p := range pagesEach {
			wg.Go(func() {
				status, as, token := get(nodes[p%2], email)
				if status != http.StatusOK || as != email {
					t.Errorf("%s on server %d: status %d, identified as %q", email, p%2, status, as)
					return
				}
				if err := emulator.Verify(token, email); err != nil {
					t.Errorf("%s: emulator rejects the token: %v", email, err)
				}
			})
		}
	}
	wg.Wait()

	for v := range visitors {
		email := fmt.Sprintf("visitor%d@example.com", v)
		if got := emulator.Calls(email); got != 1 {
			t.Errorf("HubSpot calls for %s = %d, want 1 for the cluster", email, got)
		}
	}

	// Without Redis each server goes on alone.
	stopRedis()
	for i, node := range nodes {
		email := fmt.Sprintf("after%d@example.com", i)
		status, as, _ := get(node, email)
		if status != http.StatusOK {
			t.Errorf("server %d with Redis down: status %d, want 200", i, status)
		}
		if as != email {
			t.Errorf("server %d with Redis down: identified as %q, want %q", i, as, email)
		}
	}
}

// startRedisServer starts redis-server on a loopback port without
// persistence. The test fails if redis-server is not installed, because
// the shared tier must be tested against the real server.
func startRedisServer(t *testing.T) (addr string, stop func()) {
	t.Helper()
	binary, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found: %v; install it (Debian: apt-get install -y redis-server)", err)
	}

	port, err := caddyrun.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr = fmt.Sprintf("127.0.0.1:%d", port)
	cmd := exec.Command(binary, "--bind", "127.0.0.1", "--port", fmt.Sprint(port),
		"--save", "", "--appendonly", "no", "--dir", t.TempDir(), "--protected-mode", "yes")
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}

	var once sync.Once
	stop = func() {
		once.Do(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	t.Cleanup(stop)

	waitForListener(t, addr)
	return addr, stop
}

// buildCaddy builds this repository's Caddy command once per test binary.
var buildCaddy = func() func(t *testing.T) string {
	var once sync.Once
	var path string
	var buildErr error
	return func(t *testing.T) string {
		t.Helper()
		once.Do(func() {
			dir, err := os.MkdirTemp("", "hubspot-identify-caddy")
			if err != nil {
				buildErr = err
				return
			}
			path = filepath.Join(dir, "caddy")
			out, err := exec.Command("go", "build", "-o", path, "../cmd/caddy").CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("go build ./cmd/caddy: %v\n%s", err, out)
			}
		})
		if buildErr != nil {
			t.Fatal(buildErr)
		}
		return path
	}
}()

// startCaddyProcess runs a Caddy process with one site whose block body is
// given, and returns its URL.
func startCaddyProcess(t *testing.T, binary, body string, index int) string {
	t.Helper()
	port, err := caddyrun.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	dir := t.TempDir()

	caddyfile := fmt.Sprintf(`{
	admin off
	auto_https off
	default_bind 127.0.0.1
	persist_config off
	storage file_system %s
	http_port %d
}

http://%s {
%s
}
`, filepath.Join(dir, "storage"), port, addr, body)
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(caddyfile), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HUBSPOT_ACCESS_TOKEN="+testAccessToken, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	var output strings.Builder
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting Caddy %d: %v", index, err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("Caddy %d output:\n%s", index, output.String())
		}
	})

	waitForListener(t, addr)
	return "http://" + addr
}

// waitForListener waits up to 20 seconds for a TCP listener at addr.
func waitForListener(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s after 20s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
