package hubspotemu

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

const testAccessToken = "pat-na1-11111111-2222-3333-4444-555555555555"

// uuidV4 matches a lowercase version 4 UUID with the RFC 9562 variant.
var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// fakeClock is a manually advanced clock for Options.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, time.March, 14, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// startEmulator serves a new Emulator on a loopback httptest server that is
// closed when the test ends. An empty opts.AccessToken becomes testAccessToken.
func startEmulator(t *testing.T, opts Options) (*Emulator, *httptest.Server) {
	t.Helper()

	if opts.AccessToken == "" {
		opts.AccessToken = testAccessToken
	}
	emulator := New(opts)
	server := httptest.NewServer(emulator)
	t.Cleanup(server.Close)
	return emulator, server
}

// response is a fully read HTTP response.
type response struct {
	status int
	header http.Header
	body   string
}

// send makes one request with the given headers and body and reads the whole
// response. It fails the test on a transport error.
func send(t *testing.T, method, url string, header http.Header, body string) response {
	t.Helper()

	res, err := sendContext(context.Background(), method, url, header, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return res
}

func sendContext(ctx context.Context, method, url string, header http.Header, body string) (response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header = header

	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()

	data, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, err
	}
	return response{status: res.StatusCode, header: res.Header, body: string(data)}, nil
}

// validHeader returns the headers of a well-formed token-create request.
func validHeader() http.Header {
	return http.Header{
		"Authorization": {"Bearer " + testAccessToken},
		"Content-Type":  {"application/json"},
	}
}

// createToken sends a well-formed token-create request for email to the
// current path.
func createToken(t *testing.T, server *httptest.Server, email string) response {
	t.Helper()

	body, err := json.Marshal(map[string]string{"email": email})
	if err != nil {
		t.Fatal(err)
	}
	return send(t, http.MethodPost, server.URL+PathTokensCreate, validHeader(), string(body))
}

// decodeToken returns the token of a 200 response, failing the test otherwise.
func decodeToken(t *testing.T, res response) string {
	t.Helper()

	if res.status != http.StatusOK {
		t.Fatalf("got status %d, want 200, body %s", res.status, res.body)
	}
	var body tokenResponse
	if err := json.Unmarshal([]byte(res.body), &body); err != nil {
		t.Fatalf("decoding token response %q: %v", res.body, err)
	}
	return body.Token
}

// checkError checks that res is a JSON error response with the given status
// and category, and returns its decoded body.
func checkError(t *testing.T, res response, status int, category string) errorBody {
	t.Helper()

	if res.status != status {
		t.Errorf("got status %d, want %d, body %s", res.status, status, res.body)
	}
	if got := res.header.Get("Content-Type"); got != jsonContentType {
		t.Errorf("got Content-Type %q, want %q", got, jsonContentType)
	}

	var body errorBody
	if err := json.Unmarshal([]byte(res.body), &body); err != nil {
		t.Fatalf("decoding error body %q: %v", res.body, err)
	}
	if body.Status != "error" {
		t.Errorf("got status field %q, want %q", body.Status, "error")
	}
	if body.Category != category {
		t.Errorf("got category %q, want %q", body.Category, category)
	}
	if body.Message == "" {
		t.Errorf("got empty message in %s", res.body)
	}
	if !uuidV4.MatchString(body.CorrelationID) {
		t.Errorf("got correlationId %q, want a version 4 UUID", body.CorrelationID)
	}
	return body
}
