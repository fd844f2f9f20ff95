package app

import (
	"errors"
	"strings"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Handlers of the account's security API: two-factor authentication,
// sessions and personal API tokens. All of them need a session (not a
// token): see requireSession.

// --- two-factor authentication ---

type twoFactorStatus struct {
	Enabled         bool `json:"enabled"`
	Pending         bool `json:"pending"` // a set-up waits for its confirming code
	BackupCodesLeft int  `json:"backup_codes_left"`
}

func (s *Server) twoFactorStatus(c *fiber.Ctx, userID string) (twoFactorStatus, error) {
	tf, err := s.store.TwoFactorOf(c.UserContext(), userID)
	if errors.Is(err, models.ErrNotFound) {
		return twoFactorStatus{}, nil
	}
	if err != nil {
		return twoFactorStatus{}, err
	}
	return twoFactorStatus{Enabled: tf.Enabled, Pending: !tf.Enabled, BackupCodesLeft: tf.BackupCodesLeft}, nil
}

func (s *Server) apiTwoFactorStatus(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	st, err := s.twoFactorStatus(c, user.ID)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

type twoFactorSetup struct {
	Secret     string `json:"secret"`
	OTPAuthURL string `json:"otpauth_url"`
	QRPNG      string `json:"qr_png"` // a data:image/png;base64 URL
}

func (s *Server) apiTwoFactorSetup(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	setup, err := s.accounts.BeginTwoFactor(c.UserContext(), user)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store") // a secret
	return c.JSON(twoFactorSetup{Secret: setup.Secret, OTPAuthURL: setup.URL, QRPNG: setup.QR})
}

type codeRequest struct {
	Code       string `json:"code"`
	BackupCode string `json:"backup_code"`
}

func (r codeRequest) factor() (accounts.Factor, error) {
	f := accounts.Factor{Code: r.Code, BackupCode: r.BackupCode}
	if f.Empty() {
		return f, fieldErrors(models.FieldError{Field: "code", Message: "is required (or backup_code)"})
	}
	return f, nil
}

type backupCodesResponse struct {
	BackupCodes []string `json:"backup_codes"`
}

func (s *Server) apiTwoFactorEnable(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Code) == "" {
		return fieldErrors(models.FieldError{Field: "code", Message: "is required"})
	}
	codes, err := s.accounts.EnableTwoFactor(c.UserContext(), clientOf(c), user, req.Code)
	if err != nil {
		return codeFieldError(err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(backupCodesResponse{codes})
}

func (s *Server) apiTwoFactorDisable(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req struct {
		Password   string `json:"password"`
		Code       string `json:"code"`
		BackupCode string `json:"backup_code"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f, err := codeRequest{req.Code, req.BackupCode}.factor()
	if err != nil {
		return err
	}
	if err := s.accounts.DisableTwoFactor(c.UserContext(), clientOf(c), user, req.Password, f); err != nil {
		return codeFieldError(err)
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiRegenerateBackupCodes(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req codeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f, err := req.factor()
	if err != nil {
		return err
	}
	codes, err := s.accounts.RegenerateBackupCodes(c.UserContext(), clientOf(c), user, f)
	if err != nil {
		return codeFieldError(err)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(backupCodesResponse{codes})
}

// codeFieldError answers a wrong code of a signed-in caller as a 422 on
// the field (a 401 would read as "signed out"); other errors pass.
func codeFieldError(err error) error {
	if errors.Is(err, accounts.ErrWrongCode) {
		return fieldErrors(models.FieldError{Field: "code", Message: "is not right (wrong, expired or already used)"})
	}
	return err
}

func (s *Server) apiLoginSecondFactor(c *fiber.Ctx) error {
	var req struct {
		PendingToken string `json:"pending_token"`
		Code         string `json:"code"`
		BackupCode   string `json:"backup_code"`
	}
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	f, err := codeRequest{req.Code, req.BackupCode}.factor()
	if err != nil {
		return err
	}
	user, err := s.accounts.CompleteSignIn(c.UserContext(), clientOf(c), req.PendingToken, f)
	if err != nil {
		return err
	}
	if err := s.startSession(c, user); err != nil {
		return err
	}
	return c.JSON(user)
}

// --- sessions ---

// sessionView is a session as its owner sees it in the list.
type sessionView struct {
	ID         string    `json:"id"`
	Device     string    `json:"device"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Current    bool      `json:"current"`
}

func (s *Server) sessionViews(c *fiber.Ctx, userID string) ([]sessionView, error) {
	sessions, err := s.store.Sessions(c.UserContext(), userID)
	if err != nil {
		return nil, err
	}
	cur, _ := currentSession(c)
	out := make([]sessionView, len(sessions))
	for i, x := range sessions {
		out[i] = sessionView{ID: x.ID, Device: deviceName(x.UserAgent), UserAgent: x.UserAgent, IP: x.IP,
			CreatedAt: x.CreatedAt, LastSeenAt: x.LastSeenAt, ExpiresAt: x.ExpiresAt, Current: x.ID == cur.ID}
	}
	return out, nil
}

func (s *Server) apiListSessions(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	items, err := s.sessionViews(c, user.ID)
	if err != nil {
		return err
	}
	return c.JSON(list[sessionView]{Items: items})
}

// revokeSession ends one session of the user; its cookie stops working at
// once (every request reads the row) and its sockets close.
func (s *Server) revokeSession(c *fiber.Ctx, user models.User, sessionID string) error {
	if err := s.store.DeleteSession(c.UserContext(), user.ID, sessionID); err != nil {
		return err
	}
	s.sessionsEnded(sessionID)
	s.audit(c, user.ID, accounts.AuditSessionRevoked, map[string]any{"session_id": sessionID})
	if cur, _ := currentSession(c); cur.ID == sessionID {
		s.clearSessionCookie(c)
	}
	return nil
}

func (s *Server) revokeOtherSessions(c *fiber.Ctx, user models.User) (int, error) {
	cur, _ := currentSession(c)
	ended, err := s.store.DeleteOtherSessions(c.UserContext(), user.ID, cur.ID)
	s.sessionsEnded(ended...)
	if err != nil {
		return 0, err
	}
	if len(ended) > 0 {
		s.audit(c, user.ID, accounts.AuditSessionRevoked, map[string]any{"session_ids": ended})
	}
	return len(ended), nil
}

func (s *Server) apiRevokeSession(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	if err := s.revokeSession(c, user, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiRevokeOtherSessions(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	n, err := s.revokeOtherSessions(c, user)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"revoked": n})
}

// --- personal API tokens ---

func (s *Server) apiListTokens(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	items, err := s.store.Tokens(c.UserContext(), user.ID)
	if err != nil {
		return err
	}
	return c.JSON(list[models.APIToken]{Items: items})
}

func (s *Server) apiCreateToken(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req createTokenRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	out, err := s.createToken(c, user, accounts.TokenRequest(req))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store") // the token, shown once
	return c.Status(fiber.StatusCreated).JSON(out)
}

func (s *Server) apiRevokeToken(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	if err := s.revokeToken(c, user, c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// deviceName summarises a User-Agent as "Firefox on Linux" for the
// sessions list (the full string is shown beside it).
func deviceName(ua string) string {
	has := func(s string) bool { return strings.Contains(ua, s) }
	browser := ""
	switch {
	case has("Edg/"):
		browser = "Edge"
	case has("OPR/"):
		browser = "Opera"
	case has("Firefox/"):
		browser = "Firefox"
	case has("Chrome/") || has("Chromium/"):
		browser = "Chrome"
	case has("Safari/"):
		browser = "Safari"
	case has("curl/"):
		browser = "curl"
	case has("Go-http-client"):
		browser = "Go program"
	}
	os := ""
	switch {
	case has("iPhone"):
		os = "iPhone"
	case has("iPad"):
		os = "iPad"
	case has("Android"):
		os = "Android"
	case has("Windows"):
		os = "Windows"
	case has("Mac OS X") || has("Macintosh"):
		os = "macOS"
	case has("CrOS"):
		os = "ChromeOS"
	case has("Linux"):
		os = "Linux"
	}
	switch {
	case browser != "" && os != "":
		return browser + " on " + os
	case browser != "":
		return browser
	case os != "":
		return os
	case ua == "":
		return "Unknown device"
	}
	return "Other"
}
