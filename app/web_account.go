package app

import (
	"errors"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/gofiber/fiber/v2"
)

// The account page (/settings): profile, presence, password, and the
// security sections drawn by accountSecurity (web_security.go).

func (s *Server) pageAccount(c *fiber.Ctx) error {
	return s.renderAccount(c, fiber.StatusOK, fiber.Map{}, map[string]string{})
}

// renderAccount draws the account page; form and errs refill a refused form.
func (s *Server) renderAccount(c *fiber.Ctx, status int, form fiber.Map, errs map[string]string) error {
	return s.renderAccountWith(c, status, form, errs, nil)
}

// renderAccountWith adds extra to the page's data (a refused token form, a
// token to show once).
func (s *Server) renderAccountWith(c *fiber.Ctx, status int, form fiber.Map, errs map[string]string, extra fiber.Map) error {
	user, _ := currentUser(c)
	data, err := s.accountSecurity(c, user) // sessions, tokens, 2FA
	if err != nil {
		return err
	}
	if data["Audit"], err = s.recentAudit(c, user.ID); err != nil {
		return err
	}
	if s.oidc != nil { // single sign-on: the linked identity (web_oidc.go)
		sso, err := s.oidc.AccountOf(c.UserContext(), user.ID)
		if err != nil {
			return err
		}
		data["SSO"] = fiber.Map{"Label": s.oidc.Label(), "Identities": sso.Identities, "HasPassword": sso.HasPassword}
	}
	if _, ok := form["display_name"]; !ok {
		form["display_name"] = user.DisplayName
	}
	if _, ok := form["handle"]; !ok {
		form["handle"] = user.Handle
	}
	data["Form"], data["Errors"] = form, errs
	for k, v := range extra {
		data[k] = v
	}
	return s.render(c, status, "account", "Account", []crumb{{"Account", ""}}, data)
}

func (s *Server) pageAccountProfile(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	name, handle := c.FormValue("display_name"), c.FormValue("handle")
	change, form := accounts.ProfileChange{DisplayName: &name}, fiber.Map{"display_name": name}
	if c.Request().PostArgs().Has("handle") { // a form from before handles leaves it as it is
		change.Handle, form["handle"] = &handle, handle
	}
	_, err := s.accounts.UpdateProfile(c.UserContext(), user, change)
	if fields, ok := fieldMap(err); ok {
		return s.renderAccount(c, fiber.StatusUnprocessableEntity, form, fields)
	}
	if errors.Is(err, accounts.ErrHandleTaken) {
		return s.renderAccount(c, fiber.StatusConflict, form, map[string]string{"handle": handleTakenMessage})
	}
	if err != nil {
		return err
	}
	return s.back(c, "/settings", true, "Profile saved.")
}

// pageAccountPresence sets "appear invisible"; boards opened from now on
// leave the user out of presence.
func (s *Server) pageAccountPresence(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	invisible := c.FormValue("invisible") == "1"
	if _, err := s.store.SetInvisible(c.UserContext(), user.ID, invisible); err != nil {
		return err
	}
	msg := "You appear on the boards you open."
	if invisible {
		msg = "You are invisible: boards you open from now on will not show you."
	}
	return s.back(c, "/settings", true, msg)
}

func (s *Server) pageAccountPassword(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	sess, _ := currentSession(c)
	// Password fields are never sent back; the errors say what to fix.
	// The current password is asked even within the sudo window (its
	// route's guard): the settings' password check, with its throttle.
	ended, err := s.accounts.ChangePassword(c.UserContext(), clientOf(c), user, sess.ID,
		c.FormValue("current_password"), c.FormValue("new_password"))
	s.sessionsEnded(ended...)
	var r *accounts.Refused
	if errors.As(err, &r) {
		setRetryAfter(c, err)
		return s.renderAccount(c, throttleProblem(r).p.Status, fiber.Map{}, map[string]string{"current_password": throttleFieldMessage(r)})
	} else if errors.Is(err, accounts.ErrWrongPassword) {
		return s.renderAccount(c, fiber.StatusUnprocessableEntity, fiber.Map{},
			map[string]string{"current_password": "is not right"})
	} else if fields, ok := fieldMap(err); ok {
		return s.renderAccount(c, fiber.StatusUnprocessableEntity, fiber.Map{}, fields)
	} else if err != nil {
		return err
	}
	return s.back(c, "/settings", true, "Password changed; your other sessions were signed out.")
}
