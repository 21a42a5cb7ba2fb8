package hubspotemu

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenLifetime is how long an identification token stays valid after it is minted.
const TokenLifetime = 12 * time.Hour

// ErrEmailMismatch is returned by Verify when a valid token was minted for
// another email.
var ErrEmailMismatch = errors.New("identification token is for another email")

// identificationClaims is the payload of an identification token. IssuedAt,
// ExpiresAt and ID (a random UUID, so each token differs) are always set.
type identificationClaims struct {
	Email     string `json:"email"`
	FirstName string `json:"firstName,omitempty"`
	LastName  string `json:"lastName,omitempty"`
	jwt.RegisteredClaims
}

// mintToken returns a new identification token for request, signed with HS256.
// The jwt package encodes times in whole seconds, so iat is truncated first to
// keep exp exactly TokenLifetime later.
func (e *Emulator) mintToken(request tokenRequest) (string, error) {
	issuedAt := e.now().Truncate(time.Second)
	claims := identificationClaims{
		Email:     request.Email,
		FirstName: request.FirstName,
		LastName:  request.LastName,
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        newUUID(),
			IssuedAt:  jwt.NewNumericDate(issuedAt),
			ExpiresAt: jwt.NewNumericDate(issuedAt.Add(TokenLifetime)),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(e.signingKey)
}

// Verify checks that token was minted by this emulator for email, compared
// without regard to case, and has not expired by the emulator's clock.
// The error wraps jwt.ErrTokenMalformed, jwt.ErrTokenSignatureInvalid,
// jwt.ErrTokenExpired or another jwt error for a token that fails to parse or
// validate, and ErrEmailMismatch for a valid token minted for another email.
func (e *Emulator) Verify(token, email string) error {
	var claims identificationClaims
	_, err := jwt.ParseWithClaims(token, &claims,
		func(*jwt.Token) (any, error) { return e.signingKey, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithTimeFunc(e.now),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
	if err != nil {
		return fmt.Errorf("hubspotemu: invalid identification token: %w", err)
	}

	if !strings.EqualFold(claims.Email, email) {
		return fmt.Errorf("hubspotemu: %w: minted for %q, verified for %q", ErrEmailMismatch, claims.Email, email)
	}
	return nil
}
