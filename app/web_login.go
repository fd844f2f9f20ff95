package app

import (
	"errors"
	"net/url"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/gofiber/fiber/v2"
)

// The sign-in pages: sign in (and its second step with two-factor
// authentication on), create an account, sign out. The rules are
// accounts' (Login, CompleteSignIn, Register).

func (s *Server) pageLogin(c *fiber.Ctx) error {
	if _, ok := currentUser(c); ok {
		return c.Redirect(localPath(c.Query("next")), fiber.StatusSeeOther)
	}
	return s.render(c, 200, "login", "Sign in", nil, fiber.Map{"OIDC": s.oidcView(), "Next": c.Query("next"), "Form": fiber.Map{}})
}

func (s *Server) pageLoginSubmit(c *fiber.Ctx) error {
	email, next := c.FormValue("email"), c.FormValue("next")
	in, err := s.accounts.Login(c.UserContext(), clientOf(c), email, c.FormValue("password"))
	if errors.Is(err, accounts.ErrBadCredentials) {
		return s.render(c, fiber.StatusUnauthorized, "login", "Sign in", nil, fiber.Map{"OIDC": s.oidcView(),
			"Next": next, "Form": fiber.Map{"email": email}, "Error": "Wrong email or password."})
	}
	var r *accounts.Refused
	if errors.As(err, &r) {
		setRetryAfter(c, err)
		return s.render(c, throttleProblem(r).p.Status, "login", "Sign in", nil, fiber.Map{"OIDC": s.oidcView(),
			"Next": next, "Form": fiber.Map{"email": email}, "Error": throttleMessage(r)})
	}
	if err != nil {
		return err
	}
	if in.PendingToken != "" {
		return s.pageLoginNeedsCode(c, in.PendingToken, next)
	}
	if err := s.startSession(c, in.User); err != nil {
		return err
	}
	return c.Redirect(localPath(next), fiber.StatusSeeOther)
}

func (s *Server) pageRegister(c *fiber.Ctx) error {
	return s.render(c, 200, "register", "Create an account", nil, fiber.Map{"Next": c.Query("next"),
		"Form": fiber.Map{}, "Errors": map[string]string{}})
}

func (s *Server) pageRegisterSubmit(c *fiber.Ctx) error {
	next := c.FormValue("next")
	form := fiber.Map{"email": c.FormValue("email"), "display_name": c.FormValue("display_name"), "handle": c.FormValue("handle")}
	user, err := s.accounts.Register(c.UserContext(), accounts.Registration{Email: c.FormValue("email"),
		Password: c.FormValue("password"), DisplayName: c.FormValue("display_name"), Handle: c.FormValue("handle")})
	refused := func(status int, fields map[string]string) error {
		return s.render(c, status, "register", "Create an account", nil, fiber.Map{"Next": next, "Form": form, "Errors": fields})
	}
	if fields, ok := fieldMap(err); ok {
		return refused(fiber.StatusUnprocessableEntity, fields)
	}
	if errors.Is(err, accounts.ErrEmailTaken) {
		return refused(fiber.StatusConflict, map[string]string{"email": "already has an account: sign in instead"})
	}
	if errors.Is(err, accounts.ErrHandleTaken) {
		return refused(fiber.StatusConflict, map[string]string{"handle": handleTakenMessage})
	}
	if err != nil {
		return err
	}
	if err := s.startSession(c, user); err != nil {
		return err
	}
	return s.back(c, localPath(next), true, "Welcome to Corkboard, "+user.DisplayName+".")
}

// handleTakenMessage follows the field's label on the pages ("Handle …").
const handleTakenMessage = "is taken by another account (handles ignore case): choose another"

func (s *Server) pageLogout(c *fiber.Ctx) error {
	if err := s.endSession(c); err != nil {
		return err
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// --- sign-in, second step (two-factor authentication) ---

// pendingCookie holds the pending token between the password and the code.
const pendingCookie = "corkboard_2fa"

// pageLoginNeedsCode sends a correct password of an account with 2FA on to
// /login/2fa, holding the pending token in a short-lived cookie.
func (s *Server) pageLoginNeedsCode(c *fiber.Ctx, token, next string) error {
	s.setCookie(c, &fiber.Cookie{Name: pendingCookie, Value: token, Path: "/login", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, MaxAge: int(accounts.PendingLoginTTL.Seconds())})
	return c.Redirect("/login/2fa?next="+url.QueryEscape(localPath(next)), fiber.StatusSeeOther)
}

func (s *Server) clearPendingCookie(c *fiber.Ctx) {
	s.setCookie(c, &fiber.Cookie{Name: pendingCookie, Value: "", Path: "/login", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteLaxMode, Expires: time.Unix(1, 0), MaxAge: -1})
}

func (s *Server) pageLoginCode(c *fiber.Ctx) error {
	if _, err := s.accounts.PendingUser(s.readCookie(c, pendingCookie)); err != nil {
		return s.back(c, "/login?next="+url.QueryEscape(localPath(c.Query("next"))), false,
			"Sign in with your password first (the code step lasts 5 minutes).")
	}
	return s.render(c, 200, "login_2fa", "Two-factor authentication", nil, fiber.Map{"Next": c.Query("next")})
}

func (s *Server) pageLoginCodeSubmit(c *fiber.Ctx) error {
	next := c.FormValue("next")
	f := accounts.Factor{Code: c.FormValue("code"), BackupCode: c.FormValue("backup_code")}
	if f.Empty() {
		return s.render(c, fiber.StatusUnprocessableEntity, "login_2fa", "Two-factor authentication", nil,
			fiber.Map{"Next": next, "Error": "Enter the code from your app, or a backup code."})
	}
	user, err := s.accounts.CompleteSignIn(c.UserContext(), clientOf(c), s.readCookie(c, pendingCookie), f)
	if errors.Is(err, accounts.ErrBadPendingToken) {
		s.clearPendingCookie(c)
		return s.back(c, "/login?next="+url.QueryEscape(localPath(next)), false, "That took too long: sign in again.")
	}
	if pe, ok := asProblem(err); ok && (pe.p.Status == fiber.StatusUnauthorized || pe.p.Status == fiber.StatusTooManyRequests) {
		setRetryAfter(c, err)
		return s.render(c, pe.p.Status, "login_2fa", "Two-factor authentication", nil,
			fiber.Map{"Next": next, "Error": pe.p.Detail})
	}
	if err != nil {
		return err
	}
	s.clearPendingCookie(c)
	if err := s.startSession(c, user); err != nil {
		return err
	}
	return c.Redirect(localPath(next), fiber.StatusSeeOther)
}
