package accounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"time"

	"github.com/corkboard/corkboard/models"
)

// Personal API tokens: "cbp_" + 64 hex digits (32 random bytes), sent as
// Authorization: Bearer. Only the SHA-256 is stored (HashToken); the prefix
// lets secret scanners and people recognise one. Authenticating a request
// with one is app's (per-request middleware).

// APITokenPrefix starts every personal API token.
const APITokenPrefix = "cbp_"

// TokenLifetimes are the expiries offered, in days.
func TokenLifetimes() []int { return []int{7, 30, 90, 365} }

// TokenRequest is a token to create: a name, a scope ("read" or "write")
// and a lifetime in days (one of TokenLifetimes).
type TokenRequest struct {
	Name          string
	Scope         string
	ExpiresInDays int
}

func newAPIToken() (token string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return APITokenPrefix + hex.EncodeToString(b), nil
}

// CreateToken validates req (field errors on scope and expires_in_days;
// the name is the store's to check), creates the token, and returns its
// row and the token itself, to show once: only its hash is stored.
func (s *Service) CreateToken(ctx context.Context, cl Client, user models.User, req TokenRequest) (models.APIToken, string, error) {
	v := &models.ValidationError{}
	if !slices.Contains(TokenLifetimes(), req.ExpiresInDays) {
		v.Add("expires_in_days", "must be one of 7, 30, 90 or 365")
	}
	if req.Scope != string(models.ScopeRead) && req.Scope != string(models.ScopeWrite) {
		v.Add("scope", "must be read or write")
	}
	if err := v.Err(); err != nil {
		return models.APIToken{}, "", err
	}
	token, err := newAPIToken()
	if err != nil {
		return models.APIToken{}, "", err
	}
	now := s.now()
	t, err := s.store.CreateToken(ctx, user.ID, models.TokenInput{Name: req.Name, Scope: models.TokenScope(req.Scope),
		TokenHash: HashToken(token), Prefix: token[:len(APITokenPrefix)+8], CreatedAt: now,
		ExpiresAt: now.Add(time.Duration(req.ExpiresInDays) * 24 * time.Hour)})
	if err != nil {
		return models.APIToken{}, "", err
	}
	s.Audit(ctx, cl, user.ID, AuditTokenCreated, map[string]any{"token_id": t.ID, "name": t.Name, "scope": string(t.Scope)})
	return t, token, nil
}

// RevokeToken deletes a token of user and returns it (the caller closes
// the sockets it opened); models.ErrNotFound if user has no such token.
func (s *Service) RevokeToken(ctx context.Context, cl Client, user models.User, tokenID string) (models.APIToken, error) {
	t, err := s.store.DeleteToken(ctx, user.ID, tokenID)
	if err != nil {
		return models.APIToken{}, err
	}
	s.Audit(ctx, cl, user.ID, AuditTokenRevoked, map[string]any{"token_id": t.ID, "name": t.Name})
	return t, nil
}
