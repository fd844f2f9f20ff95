package app

import (
	"errors"
	"html/template"
	"strconv"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Pages of the account's security: the second sign-in step, the 2FA
// set-up, and the sessions, tokens and 2FA sections of the account page.
// Plain forms: everything works without JavaScript.

// accountSecurity is the account page's data for the security sections.
func (s *Server) accountSecurity(c *fiber.Ctx, user models.User) (fiber.Map, error) {
	sessions, err := s.sessionViews(c, user.ID)
	if err != nil {
		return nil, err
	}
	tokens, err := s.store.Tokens(c.UserContext(), user.ID)
	if err != nil {
		return nil, err
	}
	views := make([]tokenView, len(tokens))
	for i, t := range tokens {
		views[i] = tokenView{APIToken: t, Expired: !t.ExpiresAt.After(s.now())}
	}
	tf, err := s.twoFactorStatus(c, user.ID)
	if err != nil {
		return nil, err
	}
	return fiber.Map{"Sessions": sessions, "Tokens": views, "TwoFactor": tf, "TokenLifetimes": accounts.TokenLifetimes(),
		"TokenForm": fiber.Map{"name": "", "scope": "read", "expires_in_days": "30"}, "TokenErrors": map[string]string{}}, nil
}

type tokenView struct {
	models.APIToken
	Expired bool
}

// --- two-factor set-up and management ---

// pageTwoFactor shows the pending set-up: QR code, secret, confirm form.
func (s *Server) pageTwoFactor(c *fiber.Ctx) error {
	return s.renderTwoFactorSetup(c, fiber.StatusOK, "")
}

func (s *Server) renderTwoFactorSetup(c *fiber.Ctx, status int, errMsg string) error {
	user, _ := currentUser(c)
	setup, err := s.accounts.PendingTwoFactor(c.UserContext(), user)
	if errors.Is(err, models.ErrNotFound) || errors.Is(err, accounts.ErrTwoFactorOn) {
		return c.Redirect("/settings", fiber.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store") // the secret
	return s.render(c, status, "two_factor_setup", "Set up two-factor authentication",
		[]crumb{{"Account", "/settings"}, {"Two-factor authentication", ""}},
		fiber.Map{"QR": template.URL(setup.QR), "Secret": setup.Secret, "Error": errMsg}) // #nosec: our own PNG data: URL
}

func (s *Server) pageTwoFactorSetup(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	if _, err := s.accounts.BeginTwoFactor(c.UserContext(), user); errors.Is(err, accounts.ErrTwoFactorOn) {
		return s.back(c, "/settings", false, "Two-factor authentication is already on.")
	} else if err != nil {
		return err
	}
	return c.Redirect("/settings/2fa", fiber.StatusSeeOther)
}

func (s *Server) pageTwoFactorEnable(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	codes, err := s.accounts.EnableTwoFactor(c.UserContext(), clientOf(c), user, c.FormValue("code"))
	if msg, status, ok := codeRefusal(c, err); ok {
		return s.renderTwoFactorSetup(c, status, msg)
	}
	if errors.Is(err, accounts.ErrNoSetup) || errors.Is(err, accounts.ErrTwoFactorOn) {
		pe, _ := asProblem(err)
		return s.back(c, "/settings", false, pe.p.Detail)
	}
	if err != nil {
		return err
	}
	return s.renderBackupCodes(c, codes, "Two-factor authentication is on.")
}

func (s *Server) renderBackupCodes(c *fiber.Ctx, codes []string, heading string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.render(c, fiber.StatusOK, "backup_codes", "Backup codes",
		[]crumb{{"Account", "/settings"}, {"Backup codes", ""}}, fiber.Map{"Codes": codes, "Heading": heading})
}

// codeRefusal turns a wrong or locked code into a message for the form
// (a lock's Retry-After set on c).
func codeRefusal(c *fiber.Ctx, err error) (msg string, status int, ok bool) {
	pe, isProblem := asProblem(err)
	if isProblem && (errors.Is(err, accounts.ErrWrongCode) || pe.p.Status == fiber.StatusTooManyRequests) {
		setRetryAfter(c, err)
		status = pe.p.Status
		if status == fiber.StatusUnauthorized {
			status = fiber.StatusUnprocessableEntity // the session is fine; the code is not
		}
		return pe.p.Detail, status, true
	}
	return "", 0, false
}

func (s *Server) pageTwoFactorDisable(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	err := s.accounts.DisableTwoFactor(c.UserContext(), clientOf(c), user, c.FormValue("password"), formFactor(c.FormValue("code")))
	if msg, _, ok := codeRefusal(c, err); ok {
		return s.back(c, "/settings", false, msg)
	}
	if errors.Is(err, accounts.ErrWrongPassword) {
		return s.back(c, "/settings", false, "The password is not right.")
	}
	if err != nil {
		return s.pageError(c, "/settings", err)
	}
	return s.back(c, "/settings", true, "Two-factor authentication is off.")
}

func (s *Server) pageRegenerateBackupCodes(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	codes, err := s.accounts.RegenerateBackupCodes(c.UserContext(), clientOf(c), user, accounts.Factor{Code: c.FormValue("code")})
	if msg, _, ok := codeRefusal(c, err); ok {
		return s.back(c, "/settings", false, msg)
	}
	if err != nil {
		return s.pageError(c, "/settings", err)
	}
	return s.renderBackupCodes(c, codes, "New backup codes: the old ones no longer work.")
}

// --- sessions ---

func (s *Server) pageRevokeSession(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	cur, _ := currentSession(c)
	id := c.Params("id")
	if err := s.revokeSession(c, user, id); err != nil {
		return s.pageError(c, "/settings", err)
	}
	if id == cur.ID {
		return c.Redirect("/login", fiber.StatusSeeOther)
	}
	return s.back(c, "/settings", true, "Session signed out.")
}

func (s *Server) pageRevokeOtherSessions(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	n, err := s.revokeOtherSessions(c, user)
	if err != nil {
		return err
	}
	return s.back(c, "/settings", true, "Signed out "+strconv.Itoa(n)+" other session(s).")
}

// --- personal API tokens ---

func (s *Server) pageCreateToken(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	form := fiber.Map{"name": c.FormValue("name"), "scope": c.FormValue("scope"), "expires_in_days": c.FormValue("expires_in_days")}
	days, _ := strconv.Atoi(c.FormValue("expires_in_days"))
	out, err := s.createToken(c, user, accounts.TokenRequest{Name: c.FormValue("name"), Scope: c.FormValue("scope"), ExpiresInDays: days})
	if fields, ok := fieldMap(err); ok {
		return s.renderAccountWith(c, fiber.StatusUnprocessableEntity, fiber.Map{}, map[string]string{},
			fiber.Map{"TokenForm": form, "TokenErrors": fields})
	}
	if err != nil {
		return err
	}
	// Shown once, on this response only: never in a redirect or a flash.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.renderAccountWith(c, fiber.StatusOK, fiber.Map{}, map[string]string{}, fiber.Map{"NewToken": out})
}

func (s *Server) pageRevokeToken(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	if err := s.revokeToken(c, user, c.Params("id")); err != nil {
		return s.pageError(c, "/settings", err)
	}
	return s.back(c, "/settings", true, "Token revoked.")
}
