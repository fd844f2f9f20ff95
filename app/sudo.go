package app

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Recent authentication ("sudo mode"): creating API tokens, turning
// two-factor authentication on or off, new backup codes and a new password
// need the password (or, with 2FA on, a code) entered on this session in
// the last accounts.ReauthWindow. A stolen session cookie alone can read
// and edit boards, but not lock the owner out or mint lasting access.
// Signing in counts (startSession records it); so does
// POST /api/v1/auth/reauth or the /settings/reauth form.

var reauthMinutes = strconv.Itoa(int(accounts.ReauthWindow.Minutes()))

var errReauthRequired = newProblem(fiber.StatusForbidden, "reauth-required", "Confirm your password",
	"This change needs your password (or, with two-factor authentication on, a code) entered on this session in the last "+
		reauthMinutes+" minutes: send it to POST /api/v1/auth/reauth, then try again.")

// recentlyAuthenticated reports whether the request's session entered its
// credentials within the window. The session came from a cache up to a
// second old, which may predate a re-authentication on another instance:
// before refusing, the row itself is read (sensitive changes are rare).
func (s *Server) recentlyAuthenticated(c *fiber.Ctx) (bool, error) {
	sess, ok := currentSession(c)
	if !ok {
		return false, nil // an API token: never (requireSession refuses it first)
	}
	now := s.now()
	if accounts.RecentlyAuthenticated(sess.AuthAt, now) {
		return true, nil
	}
	fresh, _, err := s.store.SessionUser(c.UserContext(), sess.ID)
	if errors.Is(err, models.ErrNotFound) { // ended meanwhile
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return accounts.RecentlyAuthenticated(fresh.AuthAt, now), nil
}

// requireRecentAuth guards a sensitive API route (after requireSession):
// 403 reauth-required past the window.
func (s *Server) requireRecentAuth(c *fiber.Ctx) error {
	ok, err := s.recentlyAuthenticated(c)
	if err != nil {
		return err
	}
	if !ok {
		return errReauthRequired
	}
	return c.Next()
}

// recentAuthPage guards a sensitive page form: past the window the browser
// goes to the re-authentication form, which brings it back to backTo (the
// page holding the form) to submit again. What was typed is not carried
// along: it may hold a password or a code.
func (s *Server) recentAuthPage(backTo string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ok, err := s.recentlyAuthenticated(c)
		if err != nil {
			return err
		}
		if !ok {
			return c.Redirect("/settings/reauth?next="+url.QueryEscape(backTo), fiber.StatusSeeOther)
		}
		return c.Next()
	}
}

type reauthRequest struct {
	Password   string `json:"password"`
	Code       string `json:"code"`
	BackupCode string `json:"backup_code"`
}

// reauthenticate records on this session that its credentials were just
// entered again (accounts.Reauthenticate). Wrong credentials are 422 on the
// field: the session itself is fine.
func (s *Server) reauthenticate(c *fiber.Ctx, req reauthRequest) error {
	user, _ := currentUser(c)
	sess, ok := currentSession(c)
	if !ok {
		return errTokenNotAllowed
	}
	err := s.accounts.Reauthenticate(c.UserContext(), clientOf(c), user.ID, sess.ID, req.Password,
		accounts.Factor{Code: req.Code, BackupCode: req.BackupCode})
	if errors.Is(err, models.ErrNotFound) { // the session ended meanwhile
		return unauthorized()
	}
	return codeFieldError(err)
}

func (s *Server) apiReauth(c *fiber.Ctx) error {
	var req reauthRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.reauthenticate(c, req); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// --- the page ---

// looksLikeTOTP tells a 6-digit TOTP code from a backup code
// ("abcd-efgh-jkmn"), which always has letters or dashes.
func looksLikeTOTP(code string) bool {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	return len(code) == 6 && strings.Trim(code, "0123456789") == ""
}

// formFactor reads a page form's single "code" field, which takes either
// kind of code, as people have them at hand.
func formFactor(code string) accounts.Factor {
	if looksLikeTOTP(code) {
		return accounts.Factor{Code: code}
	}
	return accounts.Factor{BackupCode: code}
}

// reauthNext is where the form returns: a path on this site, the account
// page by default.
func reauthNext(next string) string {
	if next == "" {
		return "/settings"
	}
	return localPath(next)
}

func (s *Server) pageReauth(c *fiber.Ctx) error {
	return s.renderReauth(c, fiber.StatusOK, c.Query("next"), "")
}

func (s *Server) renderReauth(c *fiber.Ctx, status int, next, errMsg string) error {
	user, _ := currentUser(c)
	on, err := s.store.TwoFactorEnabled(c.UserContext(), user.ID)
	if err != nil {
		return err
	}
	return s.render(c, status, "reauth", "Confirm it is you", []crumb{{"Account", "/settings"}, {"Confirm it is you", ""}},
		fiber.Map{"Next": reauthNext(next), "TwoFactor": on, "Error": errMsg, "Minutes": reauthMinutes, "OIDC": s.oidcView()})
}

func (s *Server) pageReauthSubmit(c *fiber.Ctx) error {
	next := reauthNext(c.FormValue("next"))
	f := formFactor(c.FormValue("code"))
	req := reauthRequest{Password: c.FormValue("password"), Code: f.Code, BackupCode: f.BackupCode}
	err := s.reauthenticate(c, req)
	if err == nil {
		return s.back(c, next, true, "Confirmed: you can make security changes for the next "+reauthMinutes+" minutes.")
	}
	if fields, ok := fieldMap(err); ok {
		msg := ""
		for _, field := range []string{"password", "code"} {
			if m, ok := fields[field]; ok {
				msg = humanField(field) + " " + m + "."
				break
			}
		}
		return s.renderReauth(c, fiber.StatusUnprocessableEntity, next, msg)
	}
	setRetryAfter(c, err)
	var r *accounts.Refused
	if errors.As(err, &r) { // the password throttle
		return s.renderReauth(c, throttleProblem(r).p.Status, next, "Password "+throttleFieldMessage(r)+".")
	}
	if pe, ok := asProblem(err); ok && pe.p.Status < fiber.StatusInternalServerError { // a locked second factor, throttling
		return s.renderReauth(c, pe.p.Status, next, pe.p.Detail)
	}
	return err
}
