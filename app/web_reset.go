package app

import (
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// The pages of a forgotten password and of a locked account: ask for a
// reset link, choose a new password with it, unlock with the mailed link
// (the rules are accounts').

func (s *Server) pageForgotPassword(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "forgot_password", "Reset your password", nil, fiber.Map{"Form": fiber.Map{}})
}

func (s *Server) pageForgotPasswordSubmit(c *fiber.Ctx) error {
	email := c.FormValue("email")
	s.accounts.RequestReset(clientOf(c), email)
	return s.render(c, fiber.StatusOK, "forgot_password", "Reset your password", nil, fiber.Map{
		"Form": fiber.Map{"email": email}, "Sent": true})
}

// tokenPage marks a page whose URL or form holds a mailed token: not
// cached, and its URL not sent as a referrer even to this site's pages.
func tokenPage(c *fiber.Ctx) {
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
}

func (s *Server) pageResetPassword(c *fiber.Ctx) error {
	tokenPage(c)
	token := c.Query("token")
	data := fiber.Map{"Token": token, "Errors": map[string]string{}}
	valid, err := s.accounts.ResetTokenValid(c.UserContext(), token)
	if err != nil {
		return err
	}
	if !valid {
		data["Invalid"] = true
		return s.render(c, fiber.StatusNotFound, "reset_password", "Choose a new password", nil, data)
	}
	return s.render(c, fiber.StatusOK, "reset_password", "Choose a new password", nil, data)
}

func (s *Server) pageResetPasswordSubmit(c *fiber.Ctx) error {
	tokenPage(c)
	token := c.FormValue("token")
	_, err := s.resetPassword(c, token, c.FormValue("password"))
	if fields, ok := fieldMap(err); ok {
		data := fiber.Map{"Token": token, "Errors": fields}
		if _, bad := fields["token"]; bad {
			data["Invalid"] = true
		}
		return s.render(c, fiber.StatusUnprocessableEntity, "reset_password", "Choose a new password", nil, data)
	}
	if err != nil {
		return err
	}
	// The reset signed out every session, this browser's too.
	s.clearSessionCookie(c)
	return s.back(c, "/login", true, "Password changed: sign in with the new one. Every session was signed out and your API tokens were revoked.")
}

func (s *Server) pageUnlock(c *fiber.Ctx) error {
	tokenPage(c)
	// A GET never spends the token (mail scanners open links): the page
	// holds a button that posts it.
	return s.render(c, fiber.StatusOK, "unlock", "Unlock your account", nil, fiber.Map{"Token": c.Query("token")})
}

func (s *Server) pageUnlockSubmit(c *fiber.Ctx) error {
	err := s.accounts.Unlock(c.UserContext(), clientOf(c), c.FormValue("token"))
	if _, ok := fieldMap(err); ok {
		return s.render(c, fiber.StatusUnprocessableEntity, "unlock", "Unlock your account", nil, fiber.Map{"Invalid": true})
	}
	if err != nil {
		return err
	}
	return s.back(c, "/login", true, "Your account is unlocked: you can sign in again.")
}

// resetPassword sets a new password with a mailed token
// (accounts.ResetPassword) and closes the sockets of every session and API
// token it ended.
func (s *Server) resetPassword(c *fiber.Ctx, token, password string) (models.User, error) {
	r, err := s.accounts.ResetPassword(c.UserContext(), clientOf(c), token, password)
	if err != nil {
		return models.User{}, err
	}
	s.sessionsEnded(append(r.EndedSessions, r.RevokedTokens...)...)
	return r.User, nil
}
