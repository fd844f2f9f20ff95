package app

import (
	"context"
	"time"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Security events written to the audit log. Part of the API: clients may
// show them, so a name once used keeps its meaning.
const (
	auditLogin          = "login"            // a session started (sign-in with every factor, or registration)
	auditLoginFailed    = "login.failed"     // a wrong password for this account
	auditLocked         = "account.locked"   // too many failures: locked, unlock link mailed
	auditUnlocked       = "account.unlocked" // the unlock link was used
	auditResetRequested = "password.reset_requested"
	auditReset          = "password.reset"   // a reset link set a new password
	auditPasswordChange = "password.changed" // changed on the account page
)

// audit records a security event of userID from this request. It never
// fails the request: a store error is logged. Detail must hold no
// password, token or secret.
func (s *Server) audit(c *fiber.Ctx, userID, typ string, detail map[string]any) {
	s.recordAudit(c.UserContext(), models.AuditEvent{UserID: userID, Type: typ, IP: c.IP(),
		UserAgent: c.Get(fiber.HeaderUserAgent), Detail: detail, At: s.now()})
}

// recordAudit is audit outside a request (work finished in the background,
// where the request's values were copied out beforehand).
func (s *Server) recordAudit(ctx context.Context, ev models.AuditEvent) {
	if err := s.store.Audit(ctx, ev); err != nil {
		s.log.Warn("audit log write failed", "type", ev.Type, "user_id", ev.UserID, "err", err)
	}
}

// background runs fn on its own goroutine with a bounded context; Shutdown
// waits for it before closing the database.
func (s *Server) background(fn func(ctx context.Context)) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		fn(ctx)
	}()
}

// --- API ---

func (s *Server) apiAudit(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	limit, err := queryLimit(c, 0, 200)
	if err != nil {
		return err
	}
	page, err := s.store.ListAudit(c.UserContext(), user.ID, c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(list[models.AuditEvent]{Items: page.Items, NextCursor: page.NextCursor})
}

// --- the account page ---

// auditLine is an event as the account page lists it.
type auditLine struct {
	models.AuditEvent
	Label string
}

// auditLabels name the events for people; part 2's types are listed too
// (an unknown type shows as itself).
var auditLabels = map[string]string{
	auditLogin:          "Signed in",
	auditLoginFailed:    "Failed sign-in (wrong password)",
	auditLocked:         "Locked after failed sign-ins",
	auditUnlocked:       "Unlocked with the e-mailed link",
	auditResetRequested: "Password reset requested",
	auditReset:          "Password reset with the e-mailed link",
	auditPasswordChange: "Password changed",
}

// recentAudit is the user's last 50 events, newest first.
func (s *Server) recentAudit(c *fiber.Ctx, userID string) ([]auditLine, error) {
	page, err := s.store.ListAudit(c.UserContext(), userID, "", 50)
	if err != nil {
		return nil, err
	}
	out := make([]auditLine, len(page.Items))
	for i, ev := range page.Items {
		label, ok := auditLabels[ev.Type]
		if !ok {
			label = ev.Type
		}
		out[i] = auditLine{AuditEvent: ev, Label: label}
	}
	return out, nil
}
