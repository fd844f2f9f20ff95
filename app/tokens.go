package app

import (
	"errors"
	"strings"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Personal API tokens on requests: authenticating a bearer "cbp_…" token,
// what a token may do, and "last used". Creating and revoking them is
// accounts' (accounts.CreateToken, RevokeToken).

// tokenTouchEvery bounds the writes "last used" costs: one per token per
// minute at most, whatever the request rate.
const tokenTouchEvery = time.Minute

var (
	errReadOnlyToken = newProblem(fiber.StatusForbidden, "read-only-token", "Read-only token",
		"This API token is read-only: it may read and watch, not change anything.")
	errTokenNotAllowed = newProblem(fiber.StatusForbidden, "token-not-allowed", "Not with an API token",
		"API tokens cannot manage tokens, sessions, two-factor authentication or the password: sign in.")
)

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
	tok, user, err := s.store.TokenUser(c.UserContext(), accounts.HashToken(raw), s.now())
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
		s.audit(c, userID, accounts.AuditTokenUsed, map[string]any{"token_id": tok.ID, "name": tok.Name})
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

func (s *Server) createToken(c *fiber.Ctx, user models.User, req accounts.TokenRequest) (createdToken, error) {
	t, token, err := s.accounts.CreateToken(c.UserContext(), clientOf(c), user, req)
	return createdToken{APIToken: t, Token: token}, err
}

// revokeToken deletes the token and closes the sockets it opened.
func (s *Server) revokeToken(c *fiber.Ctx, user models.User, tokenID string) error {
	t, err := s.accounts.RevokeToken(c.UserContext(), clientOf(c), user, tokenID)
	if err != nil {
		return err
	}
	s.sessionsEnded(t.ID)
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
