package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/url"
	"time"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Password reset and unlock by e-mail. A mailed token is 32 random bytes
// (base64url in the link); only its SHA-256 is stored, it works once, and
// it expires (a reset after 15 minutes, an unlock after an hour).

const (
	resetTTL       = 15 * time.Minute
	unlockTTL      = time.Hour
	tokensPerHour  = 3 // reset mails per account per hour
	maxTokenLength = 100
)

// issueAccountToken creates a token for a mailed link; ErrTooManyTokens
// when the account had its share this hour.
func (s *Server) issueAccountToken(ctx context.Context, userID string, purpose models.TokenPurpose, ttl time.Duration) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	err := s.store.CreateAccountToken(ctx, userID, purpose, hashToken(token), s.now(), ttl, tokensPerHour)
	return token, err
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// link is an absolute link to path?token= on PUBLIC_URL.
func (s *Server) link(path, token string) string {
	u := *s.publicURL
	u.Path = path
	u.RawQuery = url.Values{"token": {token}}.Encode()
	return u.String()
}

var errBadToken = fieldErrors(models.FieldError{Field: "token",
	Message: "is not valid: the link may have expired or been used already; ask for a new one"})

// checkToken refuses what cannot be a token before it reaches the store.
func checkToken(token string) error {
	if token == "" || len(token) > maxTokenLength || !models.ValidText(token) {
		return errBadToken
	}
	return nil
}

// requestReset mails a reset link to email's account, if there is one, in
// the background: the caller answers at once and the same either way.
func (s *Server) requestReset(c *fiber.Ctx, email string) {
	requested := models.AuditEvent{ID: models.NewAuditID(), Type: auditResetRequested, IP: c.IP(),
		UserAgent: c.Get(fiber.HeaderUserAgent), At: s.now()}
	s.background(func(ctx context.Context) {
		if !models.ValidText(email) || len(email) > 254 {
			return
		}
		user, _, err := s.store.Credentials(ctx, email)
		if err != nil {
			if !errors.Is(err, models.ErrNotFound) {
				s.log.Error("reset request: finding the account", "err", err)
			}
			return
		}
		token, err := s.issueAccountToken(ctx, user.ID, models.PurposeReset, resetTTL)
		if errors.Is(err, models.ErrTooManyTokens) {
			// Not audited: anyone may ask for anyone's reset, and the log
			// must not grow by the request.
			s.log.Info("reset request not mailed: the account had 3 this hour", "user_id", user.ID)
			return
		}
		if err != nil {
			s.log.Error("reset request: creating the token", "user_id", user.ID, "err", err)
			return
		}
		requested.UserID = user.ID
		s.recordAudit(ctx, requested)
		s.sendMail(user.Email, "Reset your Corkboard password",
			"Hello "+user.DisplayName+",\n\nSomeone (we hope you) asked to reset the password of your Corkboard account.\n\n"+
				"This link sets a new one; it works once, for 15 minutes:\n\n"+s.link("/reset-password", token)+"\n\n"+
				"Setting a new password signs out every session and revokes your personal API tokens.\n\n"+
				"If you did not ask, ignore this mail: your password stays as it is.\n")
	})
}

// resetPassword sets a new password with a reset token: it checks the
// token, then the password's strength against the account's email and
// name, and ends every session of the account and revokes every API token
// (and closes their sockets): whoever had the old password may have made
// either.
func (s *Server) resetPassword(c *fiber.Ctx, token, password string) (models.User, error) {
	ctx := c.UserContext()
	if err := checkToken(token); err != nil {
		return models.User{}, err
	}
	user, err := s.store.AccountTokenUser(ctx, models.PurposeReset, hashToken(token), s.now())
	if errors.Is(err, models.ErrNotFound) {
		return models.User{}, errBadToken
	}
	if err != nil {
		return models.User{}, err
	}
	v := &models.ValidationError{}
	validatePassword(v, "password", password, user.Email, user.DisplayName)
	if err := v.Err(); err != nil {
		return models.User{}, err
	}
	hash, err := hashPassword(password, s.cfg.Password)
	if err != nil {
		return models.User{}, err
	}
	rec, err := s.store.ResetPassword(ctx, hashToken(token), hash, s.now())
	if errors.Is(err, models.ErrNotFound) { // spent by a concurrent request
		return models.User{}, errBadToken
	}
	if err != nil {
		return models.User{}, err
	}
	user = rec.User
	s.sessionsEnded(rec.EndedSessions...)
	for _, t := range rec.RevokedTokens {
		s.sessionsEnded(t.ID)
		s.audit(c, user.ID, auditTokenRevoked, map[string]any{"token_id": t.ID, "name": t.Name, "reason": auditReset})
	}
	s.clearLoginLock(ctx, user.Email)
	s.audit(c, user.ID, auditReset, map[string]any{"sessions_ended": len(rec.EndedSessions),
		"tokens_revoked": len(rec.RevokedTokens)})
	s.sendMail(user.Email, "Your Corkboard password was changed",
		"Hello "+user.DisplayName+",\n\nThe password of your Corkboard account was just reset with a link sent to this address: "+
			"every session was signed out and your personal API tokens were revoked (scripts using one need a new token).\n\n"+
			"If this was not you, reset it again now from the sign-in page and "+
			"check the security log on your account page.\n")
	return user, nil
}

// unlock ends the lock of the token's account.
func (s *Server) unlock(c *fiber.Ctx, token string) error {
	if err := checkToken(token); err != nil {
		return err
	}
	user, err := s.store.UseAccountToken(c.UserContext(), models.PurposeUnlock, hashToken(token), s.now())
	if errors.Is(err, models.ErrNotFound) {
		return errBadToken
	}
	if err != nil {
		return err
	}
	s.clearLoginLock(c.UserContext(), user.Email)
	s.audit(c, user.ID, auditUnlocked, nil)
	return nil
}

// --- API ---

type forgotPasswordRequest struct {
	Email string `json:"email"`
}

// forgotPasswordAnswer is the one answer to every reset request.
var forgotPasswordAnswer = fiber.Map{"status": "accepted",
	"detail": "If an account has this email, a link to reset its password is on its way; it works for 15 minutes."}

func (s *Server) apiForgotPassword(c *fiber.Ctx) error {
	var req forgotPasswordRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	s.requestReset(c, req.Email)
	return c.Status(fiber.StatusAccepted).JSON(forgotPasswordAnswer)
}

type resetPasswordRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

func (s *Server) apiResetPassword(c *fiber.Ctx) error {
	var req resetPasswordRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if _, err := s.resetPassword(c, req.Token, req.Password); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type unlockRequest struct {
	Token string `json:"token"`
}

func (s *Server) apiUnlock(c *fiber.Ctx) error {
	var req unlockRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.unlock(c, req.Token); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// --- pages ---

func (s *Server) pageForgotPassword(c *fiber.Ctx) error {
	return s.render(c, fiber.StatusOK, "forgot_password", "Reset your password", nil, fiber.Map{"Form": fiber.Map{}})
}

func (s *Server) pageForgotPasswordSubmit(c *fiber.Ctx) error {
	email := c.FormValue("email")
	s.requestReset(c, email)
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
	if checkToken(token) != nil {
		data["Invalid"] = true
		return s.render(c, fiber.StatusNotFound, "reset_password", "Choose a new password", nil, data)
	}
	if _, err := s.store.AccountTokenUser(c.UserContext(), models.PurposeReset, hashToken(token), s.now()); err != nil {
		if !errors.Is(err, models.ErrNotFound) {
			return err
		}
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
	err := s.unlock(c, c.FormValue("token"))
	if _, ok := fieldMap(err); ok {
		return s.render(c, fiber.StatusUnprocessableEntity, "unlock", "Unlock your account", nil, fiber.Map{"Invalid": true})
	}
	if err != nil {
		return err
	}
	return s.back(c, "/login", true, "Your account is unlocked: you can sign in again.")
}
