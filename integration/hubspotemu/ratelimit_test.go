package hubspotemu

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// checkRateHeaders checks the X-HubSpot-RateLimit headers of res.
func checkRateHeaders(t *testing.T, res response, limit, remaining, daily, dailyRemaining int) {
	t.Helper()

	want := map[string]string{
		"X-HubSpot-RateLimit-Max":                   strconv.Itoa(limit),
		"X-HubSpot-RateLimit-Remaining":             strconv.Itoa(remaining),
		"X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
		"X-HubSpot-RateLimit-Daily":                 strconv.Itoa(daily),
		"X-HubSpot-RateLimit-Daily-Remaining":       strconv.Itoa(dailyRemaining),
	}
	for name, value := range want {
		if got := res.header.Get(name); got != value {
			t.Errorf("got %s %q, want %q", name, got, value)
		}
	}
}

func TestRateLimitHeadersDefaults(t *testing.T) {
	_, server := startEmulator(t, Options{Now: newFakeClock().Now})

	first := createToken(t, server, "visitor@example.com")
	second := createToken(t, server, "visitor@example.com")

	decodeToken(t, first)
	checkRateHeaders(t, first, DefaultRatePer10s, DefaultRatePer10s-1, DefaultDailyLimit, DefaultDailyLimit-1)
	checkRateHeaders(t, second, DefaultRatePer10s, DefaultRatePer10s-2, DefaultDailyLimit, DefaultDailyLimit-2)
	if got := first.header.Get("Retry-After"); got != "" {
		t.Errorf("got Retry-After %q on a success, want none", got)
	}
}

func TestRateLimitTenSecondly(t *testing.T) {
	clock := newFakeClock()
	_, server := startEmulator(t, Options{RatePer10s: 3, Now: clock.Now})

	// Three requests spread over 4 s fill the window, which frees its first
	// slot 10 s after the first request.
	for range 3 {
		decodeToken(t, createToken(t, server, "visitor@example.com"))
		clock.Advance(2 * time.Second)
	}
	clock.Advance(500 * time.Millisecond) // 6.5 s after the first request

	res := createToken(t, server, "visitor@example.com")

	body := checkError(t, res, http.StatusTooManyRequests, "RATE_LIMITS")
	if body.PolicyName != "TEN_SECONDLY_ROLLING" {
		t.Errorf("got policyName %q, want %q", body.PolicyName, "TEN_SECONDLY_ROLLING")
	}
	if got := res.header.Get("Retry-After"); got != "4" {
		t.Errorf("got Retry-After %q, want %q (3.5 s rounded up)", got, "4")
	}
	checkRateHeaders(t, res, 3, 0, DefaultDailyLimit, DefaultDailyLimit-3)

	// Rejected requests do not count, so once the first request leaves the
	// window exactly one slot is free.
	clock.Advance(3 * time.Second) // 9.5 s: still full
	checkError(t, createToken(t, server, "visitor@example.com"), http.StatusTooManyRequests, "RATE_LIMITS")

	clock.Advance(500 * time.Millisecond) // 10 s: the first request has left
	recovered := createToken(t, server, "visitor@example.com")
	decodeToken(t, recovered)
	checkRateHeaders(t, recovered, 3, 0, DefaultDailyLimit, DefaultDailyLimit-4)

	checkError(t, createToken(t, server, "visitor@example.com"), http.StatusTooManyRequests, "RATE_LIMITS")
}

func TestRateLimitDaily(t *testing.T) {
	clock := newFakeClock() // 12:00 UTC
	_, server := startEmulator(t, Options{RatePer10s: 1000, DailyLimit: 2, Now: clock.Now})

	decodeToken(t, createToken(t, server, "visitor@example.com"))
	decodeToken(t, createToken(t, server, "visitor@example.com"))

	res := createToken(t, server, "visitor@example.com")

	body := checkError(t, res, http.StatusTooManyRequests, "RATE_LIMITS")
	if body.PolicyName != "DAILY" {
		t.Errorf("got policyName %q, want %q", body.PolicyName, "DAILY")
	}
	wantRetry := strconv.Itoa(int((12 * time.Hour).Seconds()))
	if got := res.header.Get("Retry-After"); got != wantRetry {
		t.Errorf("got Retry-After %q, want %q (seconds to midnight UTC)", got, wantRetry)
	}
	checkRateHeaders(t, res, 1000, 998, 2, 0)

	clock.Advance(12*time.Hour - time.Second) // 23:59:59
	checkError(t, createToken(t, server, "visitor@example.com"), http.StatusTooManyRequests, "RATE_LIMITS")

	clock.Advance(time.Second) // midnight
	next := createToken(t, server, "visitor@example.com")
	decodeToken(t, next)
	checkRateHeaders(t, next, 1000, 999, 2, 1)
}

func TestRateLimitCountsOnlyAuthenticated(t *testing.T) {
	emulator, server := startEmulator(t, Options{RatePer10s: 2, Now: newFakeClock().Now})
	header := validHeader()
	header.Set("Authorization", "Bearer pat-na1-wrong")

	for range 5 {
		send(t, http.MethodPost, server.URL+PathTokensCreate, header, `{"email":"visitor@example.com"}`)
	}
	res := createToken(t, server, "visitor@example.com")

	decodeToken(t, res)
	checkRateHeaders(t, res, 2, 1, DefaultDailyLimit, DefaultDailyLimit-1)
	if got := emulator.TotalCalls(); got != 6 {
		t.Errorf("got TotalCalls %d, want 6", got)
	}
}

func TestRateLimitCountsRejectedBodies(t *testing.T) {
	_, server := startEmulator(t, Options{RatePer10s: 2, Now: newFakeClock().Now})

	invalid := send(t, http.MethodPost, server.URL+PathTokensCreate, validHeader(), `{"email":"not-an-email"}`)
	checkError(t, invalid, http.StatusBadRequest, "VALIDATION_ERROR")
	checkRateHeaders(t, invalid, 2, 1, DefaultDailyLimit, DefaultDailyLimit-1)

	decodeToken(t, createToken(t, server, "visitor@example.com"))
	checkError(t, createToken(t, server, "visitor@example.com"), http.StatusTooManyRequests, "RATE_LIMITS")
}

func TestResetClearsRateLimit(t *testing.T) {
	emulator, server := startEmulator(t, Options{RatePer10s: 1, DailyLimit: 1, Now: newFakeClock().Now})
	decodeToken(t, createToken(t, server, "visitor@example.com"))
	checkError(t, createToken(t, server, "visitor@example.com"), http.StatusTooManyRequests, "RATE_LIMITS")

	emulator.Reset()

	res := createToken(t, server, "visitor@example.com")
	decodeToken(t, res)
	checkRateHeaders(t, res, 1, 0, 1, 0)
}
