package app

import (
	"context"
	"errors"
	"net/url"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/app/oidc"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Sign-in with an OpenID Connect provider (OIDC_*): the button on /login
// leads to /auth/oidc/start, the provider sends the browser back to
// /auth/oidc/callback. The rules are app/oidc's; a failure lands on
// /login with its message and changes nothing.

// oidcCookie carries the pending sign-in (oidc.Begin) to the callback.
const oidcCookie = "corkboard_oidc"

// oidcCallbackPath is where the provider sends the browser back:
// PUBLIC_URL + this is the redirect URI to register there.
const oidcCallbackPath = "/auth/oidc/callback"

// newOIDC builds the provider's service when OIDC_ISSUER is set (nil
// otherwise), discovering it now: one that does not answer is logged and
// tried again later.
func (s *Server) newOIDC(ctx context.Context) *oidc.Service {
	o := s.cfg.OIDC
	if !o.Enabled() {
		return nil
	}
	return oidc.New(ctx, oidc.Deps{Settings: oidc.Settings{Issuer: o.Issuer, ClientID: o.ClientID,
		ClientSecret: o.ClientSecret, RedirectURL: s.cfg.PublicURL + oidcCallbackPath, Label: o.Button,
		ExistingOnly: o.ExistingOnly}, Store: s.store, Key: s.jwtKey, Now: s.now, Log: s.log})
}

// loginRetry is /login keeping next, where every failure lands.
func loginRetry(next string) string {
	if next == "" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(localPath(next))
}

func (s *Server) pageOIDCStart(c *fiber.Ctx) error {
	if s.oidc == nil {
		return models.ErrNotFound
	}
	next := localPath(c.Query("next"))
	_, signedIn := currentUser(c)
	start, err := s.oidc.Begin(c.UserContext(), next, signedIn && c.Query("reauth") == "1") // confirming it is you (sudo.go)
	if err != nil {
		return s.oidcFailed(c, next, err)
	}
	s.setCookie(c, &fiber.Cookie{Name: oidcCookie, Value: start.Pending, Path: "/auth/oidc", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int(oidc.PendingTTL.Seconds())})
	return c.Redirect(start.URL, fiber.StatusSeeOther)
}

func (s *Server) pageOIDCCallback(c *fiber.Ctx) error {
	if s.oidc == nil {
		return models.ErrNotFound
	}
	pending := s.readCookie(c, oidcCookie)
	s.setCookie(c, &fiber.Cookie{Name: oidcCookie, Value: "", Path: "/auth/oidc", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Unix(1, 0), MaxAge: -1}) // one use
	next := localPath(s.oidc.NextOf(pending))
	id, err := s.oidc.Finish(c.UserContext(), pending, oidc.Callback{State: c.Query("state"), Code: c.Query("code"),
		Error: c.Query("error"), ErrorDesc: c.Query("error_description")})
	if err != nil {
		return s.oidcFailed(c, next, err)
	}
	user, how, err := s.oidc.SignIn(c.UserContext(), id)
	if err != nil {
		return s.oidcFailed(c, next, err)
	}
	if how != oidc.Found {
		s.audit(c, user.ID, accounts.AuditIdentityLinked, map[string]any{"issuer": id.Issuer, "how": how})
	}
	cur, signedIn := currentUser(c)
	if sess, ok := currentSession(c); id.Confirm && signedIn && ok && cur.ID == user.ID { // confirming it is you (sudo.go)
		// The provider must have checked the credentials just now, not
		// let an old session there answer.
		if !accounts.RecentlyAuthenticated(id.AuthAt, s.now()) {
			return s.back(c, next, false, "The provider did not ask for your credentials again, so this does not confirm it is you: "+
				"enter your password instead.")
		}
		if err := s.accounts.ReauthenticatedElsewhere(c.UserContext(), clientOf(c), user.ID, sess.ID, "oidc"); err != nil {
			return err
		}
		return s.back(c, next, true, "Confirmed: you can make security changes for the next "+reauthMinutes+" minutes.")
	}
	// Local two-factor authentication is not asked: the provider
	// authenticated the person, with its own factors.
	if err := s.startSessionVia(c, user, "oidc"); err != nil {
		return err
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// oidcFailed sends a failed sign-in to /login with its message; a
// failure of the store is a server error like any other.
func (s *Server) oidcFailed(c *fiber.Ctx, next string, err error) error {
	var f *oidc.Failure
	switch {
	case errors.As(err, &f):
		return s.back(c, loginRetry(next), false, f.Message)
	case errors.Is(err, accounts.ErrEmailTaken), errors.Is(err, accounts.ErrHandleTaken), errors.Is(err, models.ErrConflict):
		return s.back(c, loginRetry(next), false, "Your account could not be set up just now: try again.")
	}
	return err
}

// errPasswordSignInOff answers password sign-in and registration with
// OIDC_ONLY=1.
var errPasswordSignInOff = newProblem(fiber.StatusForbidden, "password-sign-in-off", "Password sign-in is off",
	"This Corkboard signs people in with single sign-on only: use the sign-in button on /login.")

// passwordSignIn guards password sign-in, registration, and the password
// reset and unlock flows (pages and API): 403 with OIDC_ONLY=1, where a
// password signs nobody in.
func (s *Server) passwordSignIn(c *fiber.Ctx) error {
	if s.cfg.OIDC.Only {
		return errPasswordSignInOff
	}
	return c.Next()
}

// oidcView is what the sign-in and account pages show of single sign-on.
func (s *Server) oidcView() fiber.Map {
	if s.oidc == nil {
		return nil
	}
	return fiber.Map{"Label": s.oidc.Label(), "Problem": s.oidc.Problem(), "Only": s.cfg.OIDC.Only}
}
