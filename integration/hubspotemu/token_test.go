package hubspotemu

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// decodeSegment decodes one unpadded base64url JWT segment as JSON.
func decodeSegment(t *testing.T, segment string) map[string]any {
	t.Helper()

	data, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil {
		t.Fatalf("decoding segment %q: %v", segment, err)
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatalf("decoding segment JSON %s: %v", data, err)
	}
	return fields
}

func TestTokenShapeAndClaims(t *testing.T) {
	clock := newFakeClock()
	_, server := startEmulator(t, Options{Now: clock.Now})
	body := `{"email": "visitor@example.com", "firstName": "Ada", "lastName": "Lovelace"}`

	token := decodeToken(t, send(t, http.MethodPost, server.URL+PathTokensCreate, validHeader(), body))

	segments := strings.Split(token, ".")
	if len(segments) != 3 {
		t.Fatalf("token %q: got %d segments, want 3", token, len(segments))
	}
	if strings.ContainsAny(token, "=+/") {
		t.Errorf("token %q: want unpadded base64url", token)
	}

	header := decodeSegment(t, segments[0])
	if header["alg"] != "HS256" {
		t.Errorf("token %q: got alg %v, want HS256", token, header["alg"])
	}

	claims := decodeSegment(t, segments[1])
	issuedAt := float64(clock.Now().Unix())
	want := map[string]any{
		"email":     "visitor@example.com",
		"firstName": "Ada",
		"lastName":  "Lovelace",
		"iat":       issuedAt,
		"exp":       issuedAt + TokenLifetime.Seconds(),
	}
	for name, value := range want {
		if claims[name] != value {
			t.Errorf("token %q: got claim %s %v, want %v", token, name, claims[name], value)
		}
	}
	if jti, _ := claims["jti"].(string); !uuidV4.MatchString(jti) {
		t.Errorf("token %q: got jti %v, want a version 4 UUID", token, claims["jti"])
	}
}

func TestTokenOmitsMissingNames(t *testing.T) {
	_, server := startEmulator(t, Options{})

	token := decodeToken(t, createToken(t, server, "visitor@example.com"))

	claims := decodeSegment(t, strings.Split(token, ".")[1])
	for _, name := range []string{"firstName", "lastName"} {
		if value, ok := claims[name]; ok {
			t.Errorf("token %q: got claim %s %v, want none", token, name, value)
		}
	}
}

func TestTokenUniquePerCall(t *testing.T) {
	_, server := startEmulator(t, Options{Now: newFakeClock().Now})

	first := decodeToken(t, createToken(t, server, "visitor@example.com"))
	second := decodeToken(t, createToken(t, server, "visitor@example.com"))

	if first == second {
		t.Errorf("got the same token %q twice at the same instant, want different tokens", first)
	}
}

func TestVerify(t *testing.T) {
	clock := newFakeClock()
	emulator, server := startEmulator(t, Options{Now: clock.Now})
	token := decodeToken(t, createToken(t, server, "Visitor@Example.com"))

	other := New(Options{AccessToken: testAccessToken, Now: clock.Now})
	otherServer := httptest.NewServer(other)
	t.Cleanup(otherServer.Close)
	otherToken := decodeToken(t, createToken(t, otherServer, "visitor@example.com"))

	segments := strings.Split(token, ".")
	forgedClaims := base64.RawURLEncoding.EncodeToString([]byte(
		`{"email":"attacker@example.com","iat":1773489600,"exp":1773532800,"jti":"x"}`))
	forged := segments[0] + "." + forgedClaims + "." + segments[2]
	flippedSignature := segments[0] + "." + segments[1] + "." + flipFirst(segments[2])

	unsigned, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{
		"email": "visitor@example.com",
		"iat":   clock.Now().Unix(),
		"exp":   clock.Now().Add(time.Hour).Unix(),
	}).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		token   string
		email   string
		wantErr error // nil for success
	}{
		{"minted", token, "Visitor@Example.com", nil},
		{"email case differs", token, "VISITOR@example.COM", nil},
		{"wrong email", token, "other@example.com", ErrEmailMismatch},
		{"tampered claims", forged, "attacker@example.com", jwt.ErrTokenSignatureInvalid},
		{"tampered signature", flippedSignature, "visitor@example.com", jwt.ErrTokenSignatureInvalid},
		{"other emulator", otherToken, "visitor@example.com", jwt.ErrTokenSignatureInvalid},
		{"alg none", unsigned, "visitor@example.com", jwt.ErrTokenSignatureInvalid},
		{"not JWT-shaped", BadToken, "visitor@example.com", jwt.ErrTokenMalformed},
		{"empty", "", "visitor@example.com", jwt.ErrTokenMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := emulator.Verify(tt.token, tt.email)

			if tt.wantErr == nil {
				if err != nil {
					t.Errorf("Verify(%q, %q): got error %v, want nil", tt.token, tt.email, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Verify(%q, %q): got error %v, want %v", tt.token, tt.email, err, tt.wantErr)
			}
		})
	}
}

func TestVerifyExpiry(t *testing.T) {
	clock := newFakeClock()
	emulator, server := startEmulator(t, Options{Now: clock.Now})
	token := decodeToken(t, createToken(t, server, "visitor@example.com"))

	clock.Advance(TokenLifetime - time.Second)
	if err := emulator.Verify(token, "visitor@example.com"); err != nil {
		t.Errorf("Verify 1 s before expiry: got error %v, want nil", err)
	}

	clock.Advance(time.Second)
	if err := emulator.Verify(token, "visitor@example.com"); !errors.Is(err, jwt.ErrTokenExpired) {
		t.Errorf("Verify at expiry: got error %v, want %v", err, jwt.ErrTokenExpired)
	}
}

func TestVerifySurvivesReset(t *testing.T) {
	emulator, server := startEmulator(t, Options{})
	token := decodeToken(t, createToken(t, server, "visitor@example.com"))

	emulator.Reset()

	if err := emulator.Verify(token, "visitor@example.com"); err != nil {
		t.Errorf("Verify after Reset: got error %v, want nil", err)
	}
}

// flipFirst changes the first character of a base64url segment.
func flipFirst(segment string) string {
	if segment[0] == 'A' {
		return "B" + segment[1:]
	}
	return "A" + segment[1:]
}
