package hubspot

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// APIError is a non-200 response from HubSpot, carrying the fields of its
// JSON error body that tell an operator what went wrong.
type APIError struct {
	// StatusCode is the HTTP status of the response.
	StatusCode int

	// Category is HubSpot's error category, such as INVALID_AUTHENTICATION,
	// MISSING_SCOPES, VALIDATION_ERROR or RATE_LIMITS. It is empty when the
	// body was not HubSpot's JSON error shape (a proxy's error page, say).
	Category string

	// Message is HubSpot's human-readable message. It can repeat the
	// visitor's email, so Error leaves it out.
	Message string

	// CorrelationID identifies the request in HubSpot's support tools.
	CorrelationID string

	// PolicyName names the rate limit that was hit, such as
	// TEN_SECONDLY_ROLLING or DAILY.
	PolicyName string

	// RetryAfter is the wait the Retry-After header requests, or zero.
	RetryAfter time.Duration
}

// Error returns the status, category and correlation id. It omits Message
// because HubSpot's messages may contain the visitor's email.
func (e *APIError) Error() string {
	s := fmt.Sprintf("hubspot returned status %d", e.StatusCode)
	if e.Category != "" {
		s += " " + e.Category
	}
	if e.PolicyName != "" {
		s += " (" + e.PolicyName + ")"
	}
	if e.CorrelationID != "" {
		s += ", correlation id " + e.CorrelationID
	}
	return s
}

// Hint returns what an operator can do about the error, or "" when the
// error is not caused by configuration.
func (e *APIError) Hint() string {
	switch {
	case e.StatusCode == http.StatusUnauthorized:
		return "check access_token: it must be a valid private app access token, service key or OAuth access token"
	case e.StatusCode == http.StatusForbidden:
		return "grant the scope conversations.visitor_identification.tokens.create, and check the account has a Professional or Enterprise subscription"
	case e.StatusCode == http.StatusTooManyRequests:
		return "HubSpot's rate limit is shared by every integration of the account; lower the number of new visitors per second or raise the account's limit"
	}
	return ""
}

// errorBody is HubSpot's JSON error shape.
type errorBody struct {
	Status        string `json:"status"`
	Message       string `json:"message"`
	CorrelationID string `json:"correlationId"`
	Category      string `json:"category"`
	PolicyName    string `json:"policyName"`
}

func newAPIError(resp *http.Response, body []byte) *APIError {
	apiErr := &APIError{
		StatusCode: resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}

	var parsed errorBody
	if json.Unmarshal(body, &parsed) == nil {
		apiErr.Category = parsed.Category
		apiErr.Message = parsed.Message
		apiErr.CorrelationID = parsed.CorrelationID
		apiErr.PolicyName = parsed.PolicyName
	}
	return apiErr
}

// parseRetryAfter reads a Retry-After value in either of the forms RFC 9110
// allows: delay seconds or an HTTP date. It returns zero when absent or invalid.
func parseRetryAfter(value string, now time.Time) time.Duration {
	if value == "" {
		return 0
	}
	if seconds, err := strconv.Atoi(value); err == nil {
		if seconds < 0 {
			return 0
		}
		return time.Duration(seconds) * time.Second
	}
	if at, err := http.ParseTime(value); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}
