package hubspotemu

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
)

// jsonContentType is the Content-Type of every JSON response, as HubSpot spells it.
const jsonContentType = "application/json;charset=utf-8"

// errorBody is HubSpot's error response shape. Status and CorrelationID are
// filled in by writeError.
type errorBody struct {
	Status        string        `json:"status"`
	Message       string        `json:"message"`
	CorrelationID string        `json:"correlationId"`
	Category      string        `json:"category"`
	Errors        []errorDetail `json:"errors,omitempty"`
	PolicyName    string        `json:"policyName,omitempty"`
}

// errorDetail is one entry of an error response's errors array.
type errorDetail struct {
	Message string              `json:"message"`
	Code    string              `json:"code,omitempty"`
	In      string              `json:"in,omitempty"`
	Context map[string][]string `json:"context,omitempty"`
}

type tokenResponse struct {
	Token string `json:"token"`
}

// writeError writes body as a JSON error response with a new correlation ID.
func writeError(w http.ResponseWriter, status int, body errorBody) {
	body.Status = "error"
	body.CorrelationID = newUUID()
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, value any) {
	data, err := json.Marshal(value)
	if err != nil {
		// Only a programming error in this package's response types gets here.
		panic("hubspotemu: failed to encode response: " + err.Error())
	}

	w.Header().Set("Content-Type", jsonContentType)
	w.WriteHeader(status)
	w.Write(data)
}

// newUUID returns a random version 4 UUID as defined by RFC 9562.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // variant 10

	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
