package app

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Personal API tokens: "cbp_" + 64 hex digits (32 random bytes), sent as
// Authorization: Bearer. Only the SHA-256 is stored (a 256-bit random token
// needs no slow hash); the prefix lets secret scanners and people
// recognise one.

const (
	apiTokenPrefix = "cbp_"
	// tokenTouchEvery bounds the writes "last used" costs: one per token
	// per minute at most, whatever the request rate.
	tokenTouchEvery = time.Minute
)

// tokenLifetimes are the expiries offered, in days.
var tokenLifetimes = []int{7, 30, 90, 365}

var (
	errReadOnlyToken = newProblem(fiber.StatusForbidden, "read-only-token", "Read-only token",
		"This API token is read-only: it may read and watch, not change anything.")
	errTokenNotAllowed = newProblem(fiber.StatusForbidden, "token-not-allowed", "Not with an API token",
		"API tokens cannot manage tokens, sessions, two-factor authentication or the password: sign in.")
)

func newAPIToken() (token, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	token = apiTokenPrefix + hex.EncodeToString(b)
	return token, hashAPIToken(token), nil
}

func hashAPIToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// currentToken is the API token the caller authenticated with, if any.
func currentToken(c *fiber.Ctx) (models.APIToken, bool) {
	t, ok := c.Locals(localToken).(models.APIToken)
	return t, ok
}

// credentialID names what the caller signed in with (a session or a token),
// so that ending it can close the sockets it opened.
func credentialID(c *fiber.Ctx) string {
	if t, ok := currentToken(c); ok {
		return t.ID
	}
	sess, _ := currentSession(c)
	return sess.ID
}

// authenticateToken signs in a request bearing a personal API token. Tokens
// are for the API only: on pages the caller stays anonymous. A read-only
// token may not change anything, and no token may touch the account's
// credentials (everything under /api/v1/auth/ except GET me).
func (s *Server) authenticateToken(c *fiber.Ctx, raw string) error {
	if !isAPI(c) {
		return c.Next()
	}
	tok, user, err := s.store.TokenUser(c.UserContext(), hashAPIToken(raw), s.now())
	if errors.Is(err, models.ErrNotFound) {
		return unauthorized()
	}
	if err != nil {
		return err
	}
	c.Locals(localUser, user)
	c.Locals(localToken, tok)
	c.Locals(localBearer, true)
	// Routes of the account's credentials also carry requireSession; this
	// catches any added later.
	if path := strings.ToLower(c.Path()); strings.HasPrefix(path, "/api/v1/auth/") &&
		!(strings.TrimSuffix(path, "/") == "/api/v1/auth/me" && safeMethod(c.Method())) {
		return errTokenNotAllowed
	}
	if tok.Scope != models.ScopeWrite && !safeMethod(c.Method()) {
		return errReadOnlyToken
	}
	s.touchToken(c, user.ID, tok)
	return c.Next()
}

func safeMethod(m string) bool {
	return m == fiber.MethodGet || m == fiber.MethodHead || m == fiber.MethodOptions
}

// touchToken records "last used" at most once a minute, and audits the
// first use of each day.
func (s *Server) touchToken(c *fiber.Ctx, userID string, tok models.APIToken) {
	now := s.now()
	if tok.LastUsedAt != nil && now.Sub(*tok.LastUsedAt) < tokenTouchEvery {
		return
	}
	first, err := s.store.TouchToken(c.UserContext(), tok.ID, now, tokenTouchEvery)
	if err != nil {
		s.log.Warn("touch token", "err", err)
		return
	}
	if first {
		s.audit(c, userID, auditTokenUsed, map[string]any{"token_id": tok.ID, "name": tok.Name})
	}
}

// createTokenRequest is POST /api/v1/auth/tokens and the account page form.
type createTokenRequest struct {
	Name          string `json:"name"`
	Scope         string `json:"scope"`
	ExpiresInDays int    `json:"expires_in_days"`
}

// createdToken is the one response that carries the token itself.
type createdToken struct {
	models.APIToken
	Token string `json:"token"`
}

func (s *Server) createToken(c *fiber.Ctx, user models.User, req createTokenRequest) (createdToken, error) {
	v := &models.ValidationError{}
	known := false
	for _, d := range tokenLifetimes {
		known = known || d == req.ExpiresInDays
	}
	if !known {
		v.Add("expires_in_days", "must be one of 7, 30, 90 or 365")
	}
	if req.Scope != string(models.ScopeRead) && req.Scope != string(models.ScopeWrite) {
		v.Add("scope", "must be read or write")
	}
	if err := v.Err(); err != nil {
		return createdToken{}, err
	}
	token, hash, err := newAPIToken()
	if err != nil {
		return createdToken{}, err
	}
	now := s.now()
	t, err := s.store.CreateToken(c.UserContext(), user.ID, models.TokenInput{Name: req.Name, Scope: models.TokenScope(req.Scope),
		TokenHash: hash, Prefix: token[:len(apiTokenPrefix)+8], CreatedAt: now,
		ExpiresAt: now.Add(time.Duration(req.ExpiresInDays) * 24 * time.Hour)})
	if err != nil {
		return createdToken{}, err
	}
	s.audit(c, user.ID, auditTokenCreated, map[string]any{"token_id": t.ID, "name": t.Name, "scope": string(t.Scope)})
	return createdToken{APIToken: t, Token: token}, nil
}

// revokeToken deletes the token and closes the sockets it opened.
func (s *Server) revokeToken(c *fiber.Ctx, user models.User, tokenID string) error {
	t, err := s.store.DeleteToken(c.UserContext(), user.ID, tokenID)
	if err != nil {
		return err
	}
	s.sessionsEnded(t.ID)
	s.audit(c, user.ID, auditTokenRevoked, map[string]any{"token_id": t.ID, "name": t.Name})
	return nil
}

// requireSession refuses API tokens on the routes that manage the
// account's credentials: a leaked token must not be able to mint more
// tokens, end sessions or turn off two-factor authentication.
func requireSession(c *fiber.Ctx) error {
	if _, ok := currentToken(c); ok {
		return errTokenNotAllowed
	}
	return c.Next()
}
