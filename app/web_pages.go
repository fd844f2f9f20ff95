package app

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Handlers of the server-rendered pages. Forms post back; a successful
// change redirects (post/redirect/get) with a flash message.

func asValidation(err error, ve **models.ValidationError) bool { return errors.As(err, ve) }
func isConflict(err error) bool                                { return errors.Is(err, models.ErrConflict) }
func itoa(n int) string                                        { return strconv.Itoa(n) }

// textareaValue is a textarea's text with the CRLF line ends browsers send
// turned into the LF that the API stores.
func textareaValue(c *fiber.Ctx, key string) string {
	return strings.ReplaceAll(c.FormValue(key), "\r\n", "\n")
}

// requirePageUser sends anonymous visitors to the login page, remembering
// where they were going (302 for a page; 303 after a form post, so the
// browser follows with a GET).
func (s *Server) requirePageUser(c *fiber.Ctx) error {
	if _, ok := currentUser(c); ok {
		return c.Next()
	}
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusFound)
	}
	// A form posted after the session ended: come back to the page that
	// held the form (a POST-only path has no page of its own).
	next := "/projects"
	if ref, err := url.Parse(c.Get(fiber.HeaderReferer)); err == nil && ref.Host != "" && s.sameOrigin(c, ref.Scheme+"://"+ref.Host) {
		next = localPath(ref.RequestURI())
	}
	return c.Redirect("/login?next="+url.QueryEscape(next), fiber.StatusSeeOther)
}

// localPath keeps a redirect target on this site: "/x", never "//evil",
// "https://evil", "/\\evil", or "/\t/evil" (browsers drop tabs and
// newlines from URLs, which would turn it into "//evil").
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) {
		return "/projects"
	}
	return next
}

func (s *Server) pageHome(c *fiber.Ctx) error {
	if _, ok := currentUser(c); ok {
		return c.Redirect("/projects", fiber.StatusSeeOther)
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// --- accounts ---

func (s *Server) pageLogin(c *fiber.Ctx) error {
	if _, ok := currentUser(c); ok {
		return c.Redirect(localPath(c.Query("next")), fiber.StatusSeeOther)
	}
	return s.render(c, 200, "login", "Sign in", nil, fiber.Map{"Next": c.Query("next"), "Form": fiber.Map{}})
}

func (s *Server) pageLoginSubmit(c *fiber.Ctx) error {
	email, next := c.FormValue("email"), c.FormValue("next")
	user, err := s.throttledLogin(c, email, c.FormValue("password"))
	if errors.Is(err, errBadCredentials) {
		return s.render(c, fiber.StatusUnauthorized, "login", "Sign in", nil, fiber.Map{
			"Next": next, "Form": fiber.Map{"email": email}, "Error": "Wrong email or password."})
	}
	var te *throttledError
	if errors.As(err, &te) {
		_ = refuseLogin(c, err) // Retry-After
		return s.render(c, te.problem().p.Status, "login", "Sign in", nil, fiber.Map{
			"Next": next, "Form": fiber.Map{"email": email}, "Error": te.message()})
	}
	if err != nil {
		return err
	}
	if done, err := s.pageLoginNeedsCode(c, user, next); done || err != nil {
		return err
	}
	if err := s.startSession(c, user); err != nil {
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
	form := fiber.Map{"email": c.FormValue("email"), "display_name": c.FormValue("display_name")}
	user, err := s.register(c.UserContext(), c.FormValue("email"), c.FormValue("password"), c.FormValue("display_name"))
	if fields, ok := fieldMap(err); ok {
		return s.render(c, fiber.StatusUnprocessableEntity, "register", "Create an account", nil, fiber.Map{"Next": next, "Form": form, "Errors": fields})
	}
	var pe *problemError
	if errors.As(err, &pe) && pe.p.Status == fiber.StatusConflict {
		return s.render(c, fiber.StatusConflict, "register", "Create an account", nil, fiber.Map{"Next": next, "Form": form,
			"Errors": map[string]string{"email": "already has an account: sign in instead"}})
	}
	if err != nil {
		return err
	}
	if err := s.startSession(c, user); err != nil {
		return err
	}
	return s.back(c, localPath(next), true, "Welcome to Corkboard, "+user.DisplayName+".")
}

func (s *Server) pageLogout(c *fiber.Ctx) error {
	if err := s.endSession(c); err != nil {
		return err
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}

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
	if _, ok := form["display_name"]; !ok {
		form["display_name"] = user.DisplayName
	}
	data["Form"], data["Errors"] = form, errs
	for k, v := range extra {
		data[k] = v
	}
	return s.render(c, status, "account", "Account", []crumb{{"Account", ""}}, data)
}

func (s *Server) pageAccountProfile(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	raw := c.FormValue("display_name")
	name := strings.TrimSpace(raw)
	if n := len([]rune(name)); n == 0 || n > 80 || !models.ValidText(name) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 }) {
		return s.renderAccount(c, fiber.StatusUnprocessableEntity, fiber.Map{"display_name": raw},
			map[string]string{"display_name": "must be 1 to 80 characters"})
	}
	if _, err := s.store.UpdateProfile(c.UserContext(), user.ID, name); err != nil {
		if fields, ok := fieldMap(err); ok {
			return s.renderAccount(c, fiber.StatusUnprocessableEntity, fiber.Map{"display_name": raw}, fields)
		}
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
	var te *throttledError
	if err := s.checkPasswordOf(c, user.ID, c.FormValue("current_password")); errors.As(err, &te) {
		c.Set(fiber.HeaderRetryAfter, te.retryAfter())
		return s.renderAccount(c, te.problem().p.Status, fiber.Map{}, map[string]string{"current_password": te.fieldMessage()})
	} else if errors.Is(err, errWrongPassword) {
		return s.renderAccount(c, fiber.StatusUnprocessableEntity, fiber.Map{},
			map[string]string{"current_password": "is not right"})
	} else if err != nil {
		return err
	}
	v := &models.ValidationError{}
	validatePassword(v, "new_password", c.FormValue("new_password"), user.Email, user.DisplayName)
	if fields, ok := fieldMap(v.Err()); ok {
		return s.renderAccount(c, fiber.StatusUnprocessableEntity, fiber.Map{}, fields)
	}
	newHash, err := hashPassword(c.FormValue("new_password"), s.cfg.Password)
	if err != nil {
		return err
	}
	ended, err := s.store.SetPassword(c.UserContext(), user.ID, newHash, sess.ID)
	s.sessionsEnded(ended...)
	if err != nil {
		return err
	}
	s.audit(c, user.ID, auditPasswordChange, map[string]any{"sessions_ended": len(ended)})
	return s.back(c, "/settings", true, "Password changed; your other sessions were signed out.")
}
