package hubspotemu

import (
	"encoding/json"
	"net/mail"
	"strconv"
)

// tokenRequest is the body of a token-create request.
type tokenRequest struct {
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

// parseTokenRequest decodes and validates a token-create request body. On
// failure it returns the VALIDATION_ERROR body to send with status 400.
func parseTokenRequest(body []byte) (tokenRequest, *errorBody) {
	var request tokenRequest
	if err := json.Unmarshal(body, &request); err != nil {
		return tokenRequest{}, &errorBody{
			Category: "VALIDATION_ERROR",
			Message:  "invalid JSON in request body: " + err.Error(),
		}
	}

	if request.Email == "" {
		return tokenRequest{}, &errorBody{
			Category: "VALIDATION_ERROR",
			Message:  "missing email: the request body must contain an email field",
			Errors:   []errorDetail{{Message: "email is required", Code: "REQUIRED", In: "email"}},
		}
	}
	if !isEmailAddress(request.Email) {
		return tokenRequest{}, &errorBody{
			Category: "VALIDATION_ERROR",
			Message:  "invalid email " + strconv.Quote(request.Email) + ": it must be a bare address such as name@example.com",
			Errors:   []errorDetail{{Message: "email is not a valid address", Code: "INVALID_EMAIL", In: "email"}},
		}
	}
	return request, nil
}

// isEmailAddress reports whether s is one bare RFC 5322 address, with no
// display name, comment or surrounding space.
//
// NOTE: HubSpot's own email check is not documented and may accept or reject
// other strings, such as addresses without a dot in the domain.
func isEmailAddress(s string) bool {
	address, err := mail.ParseAddress(s)
	return err == nil && address.Name == "" && address.Address == s
}

// peekEmail returns the email field of a request body, if the body is a JSON
// object with a non-empty string email.
func peekEmail(body []byte) (string, bool) {
	var fields struct {
		Email *string `json:"email"`
	}
	if err := json.Unmarshal(body, &fields); err != nil || fields.Email == nil || *fields.Email == "" {
		return "", false
	}
	return *fields.Email, true
}
