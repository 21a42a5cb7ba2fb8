package hubspotemu

import (
	"io"
	"net/http"
	"strconv"
)

// Fault is a failure mode that replaces the normal response to token-create requests.
type Fault int

const (
	// FaultNone handles requests normally.
	FaultNone Fault = iota

	// FaultServerError responds 500 with a JSON error of category INTERNAL_ERROR.
	FaultServerError

	// FaultUnavailable responds 503 with an HTML body, as a load balancer in
	// front of HubSpot would.
	FaultUnavailable

	// FaultGarbage responds 200 with a JSON Content-Type but a truncated,
	// non-JSON body.
	FaultGarbage

	// FaultBadToken responds 200 with valid JSON whose token is BadToken.
	FaultBadToken

	// FaultDrop closes the connection without sending a response.
	FaultDrop
)

// BadToken is the token that FaultBadToken sends. It is not JWT-shaped and
// would end an inline script if a client embedded it without escaping.
const BadToken = `</script><script>alert("identification token")</script>`

var faultNames = [...]string{
	FaultNone:        "FaultNone",
	FaultServerError: "FaultServerError",
	FaultUnavailable: "FaultUnavailable",
	FaultGarbage:     "FaultGarbage",
	FaultBadToken:    "FaultBadToken",
	FaultDrop:        "FaultDrop",
}

func (f Fault) String() string {
	if f < 0 || int(f) >= len(faultNames) {
		return "Fault(" + strconv.Itoa(int(f)) + ")"
	}
	return faultNames[f]
}

const unavailablePage = `<!DOCTYPE html>
<html>
<head><title>503 Service Unavailable</title></head>
<body><h1>Service Unavailable</h1><p>No upstream server is available for this request.</p></body>
</html>
`

// writeFault writes the response that fault f prescribes for a token-create request.
func writeFault(w http.ResponseWriter, f Fault) {
	switch f {
	case FaultServerError:
		writeError(w, http.StatusInternalServerError, errorBody{
			Category: "INTERNAL_ERROR",
			Message:  "internal error while creating the identification token, retry later",
		})

	case FaultUnavailable:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, unavailablePage)

	case FaultGarbage:
		w.Header().Set("Content-Type", jsonContentType)
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"token":"eyJhbGciOiJIUzI1NiIs`)

	case FaultBadToken:
		writeJSON(w, http.StatusOK, tokenResponse{Token: BadToken})

	case FaultDrop:
		dropConnection(w)
	}
}

// dropConnection closes the client connection without writing a response.
// Where the connection cannot be hijacked, as with HTTP/2, it aborts the
// handler instead, which resets the stream.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}
