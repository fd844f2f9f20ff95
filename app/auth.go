package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
)

const (
	sessionCookie     = "corkboard_session"
	touchEvery        = time.Minute // "last seen" costs at most one write a minute per session
	defaultSessionTTL = 30 * 24 * time.Hour
)

type sessionClaims struct {
	SessionID string `json:"sid"`
	jwt.RegisteredClaims
}

// issueToken signs the JWT naming a session row (HS256).
func (s *Server) issueToken(sess models.Session) (string, error) {
	claims := sessionClaims{SessionID: sess.ID, RegisteredClaims: jwt.RegisteredClaims{
		Subject: sess.UserID, IssuedAt: jwt.NewNumericDate(sess.CreatedAt), ExpiresAt: jwt.NewNumericDate(sess.ExpiresAt),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.jwtKey)
}

// parseToken verifies a JWT, with the algorithm pinned to HS256 so a token
// cannot choose "none" or an asymmetric algorithm.
func (s *Server) parseToken(raw string) (sessionClaims, error) {
	var claims sessionClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return s.jwtKey, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired())
	if err != nil || claims.SessionID == "" {
		return sessionClaims{}, errors.New("invalid token")
	}
	return claims, nil
}

// authenticate finds the caller from the session cookie or a bearer token
// (a session JWT, or a personal API token "cbp_…") and loads the session
// or token row (one read). It never writes, except to refresh last_seen_at
// (last_used_at) at most every touchEvery (tokenTouchEvery).
func (s *Server) authenticate(c *fiber.Ctx) error {
	raw, fromCookie := "", false
	if h := c.Get(fiber.HeaderAuthorization); strings.HasPrefix(h, "Bearer ") {
		raw = strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
		if strings.HasPrefix(raw, accounts.APITokenPrefix) {
			return s.authenticateToken(c, raw)
		}
	} else if v := s.readCookie(c, sessionCookie); v != "" {
		raw, fromCookie = v, true
	}
	if raw == "" {
		return c.Next()
	}
	claims, err := s.parseTokenCached(raw)
	if err != nil {
		if fromCookie {
			s.clearSessionCookie(c)
		}
		return c.Next()
	}
	sess, user, err := s.store.SessionUserCached(c.UserContext(), claims.SessionID)
	if errors.Is(err, models.ErrNotFound) {
		if fromCookie {
			s.clearSessionCookie(c)
		}
		return c.Next()
	}
	if err != nil {
		return err
	}
	if time.Since(sess.LastSeenAt) > touchEvery {
		if err := s.store.TouchSession(c.UserContext(), sess.ID); err != nil {
			s.log.Warn("touch session", "err", err)
		}
	}
	c.Locals(localUser, user)
	c.Locals(localSession, sess)
	c.Locals(localBearer, !fromCookie)
	return c.Next()
}

type localKey int

const (
	localUser localKey = iota
	localSession
	localBearer
	localRequestID
	localToken // the personal API token of the request, if it came with one
)

// currentUser is the signed-in caller, if any.
func currentUser(c *fiber.Ctx) (models.User, bool) {
	u, ok := c.Locals(localUser).(models.User)
	return u, ok
}

func currentSession(c *fiber.Ctx) (models.Session, bool) {
	s, ok := c.Locals(localSession).(models.Session)
	return s, ok
}

func viaBearer(c *fiber.Ctx) bool {
	b, _ := c.Locals(localBearer).(bool)
	return b
}

// requireAPIUser answers 401 problem+json to anonymous API callers.
func requireAPIUser(c *fiber.Ctx) error {
	if _, ok := currentUser(c); !ok {
		return unauthorized()
	}
	return c.Next()
}

// startSession creates the session row, and sets the cookie. Every way in
// has just checked the password (or the second factor after it), so the
// session starts recently authenticated (sudo.go).
func (s *Server) startSession(c *fiber.Ctx, user models.User) error {
	return s.startSessionVia(c, user, "")
}

// startSessionVia is startSession recording how the user got in ("": the
// password, "oidc": an OpenID provider) in the audit log.
func (s *Server) startSessionVia(c *fiber.Ctx, user models.User, method string) error {
	sess, err := s.store.CreateAuthenticatedSession(c.UserContext(), user.ID, c.Get(fiber.HeaderUserAgent), c.IP(),
		s.cfg.SessionTTL, s.now())
	if err != nil {
		return err
	}
	token, err := s.issueToken(sess)
	if err != nil {
		return err
	}
	s.setCookie(c, &fiber.Cookie{Name: sessionCookie, Value: token, Path: "/", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: sess.ExpiresAt})
	c.Locals(localUser, user)
	c.Locals(localSession, sess)
	// Every way in (password, second factor, registration) passes here.
	detail := map[string]any{"session_id": sess.ID}
	if method != "" {
		detail["method"] = method
	}
	s.audit(c, user.ID, accounts.AuditLogin, detail)
	return nil
}

func (s *Server) clearSessionCookie(c *fiber.Ctx) {
	s.setCookie(c, &fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Unix(1, 0), MaxAge: -1})
}

// hostPrefix marks a cookie that browsers accept only with Secure, Path=/
// and no Domain: a sibling subdomain or a plain-http page cannot set (or
// shadow) it.
const hostPrefix = "__Host-"

// cookieName is the name the cookie called base has in this mode:
// __Host-base with COOKIE_SECURE, base without.
func (s *Server) cookieName(base string) string {
	if s.cfg.CookieSecure {
		return hostPrefix + base
	}
	return base
}

// setCookie sets ck under its mode's name. With COOKIE_SECURE it is
// Secure, on Path=/ and without Domain, as the prefix demands.
func (s *Server) setCookie(c *fiber.Ctx, ck *fiber.Cookie) {
	ck.Name = s.cookieName(ck.Name)
	if s.cfg.CookieSecure {
		ck.Secure, ck.Path, ck.Domain = true, "/", ""
	}
	c.Cookie(ck)
}

// readCookie is the value of the cookie base under this mode's name only:
// with COOKIE_SECURE a plain-named cookie (which anyone on a sibling
// subdomain or on http could have planted) is ignored.
func (s *Server) readCookie(c *fiber.Ctx, base string) string {
	return c.Cookies(s.cookieName(base))
}

// CreateUser registers an account outside HTTP (the CLI's user create),
// with the same validation as the register endpoint.
func (s *Server) CreateUser(ctx context.Context, email, password, displayName string) (models.User, error) {
	return s.accounts.Register(ctx, accounts.Registration{Email: email, Password: password, DisplayName: displayName})
}
