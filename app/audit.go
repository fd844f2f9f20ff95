package app

import (
	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

// audit records a security event of userID from this request (the event
// types are accounts.Audit*). It never fails the request: a store error is
// logged. Detail must hold no password, token or secret.
func (s *Server) audit(c *fiber.Ctx, userID, typ string, detail map[string]any) {
	s.accounts.Audit(c.UserContext(), clientOf(c), userID, typ, detail)
}

// clientOf is the caller as the account rules and the audit log see it.
func clientOf(c *fiber.Ctx) accounts.Client {
	return accounts.Client{IP: utils.CopyString(c.IP()), UserAgent: utils.CopyString(c.Get(fiber.HeaderUserAgent))}
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
	accounts.AuditLogin:          "Signed in",
	accounts.AuditLoginFailed:    "Failed sign-in (wrong password)",
	accounts.AuditLocked:         "Locked after failed sign-ins",
	accounts.AuditUnlocked:       "Unlocked with the e-mailed link",
	accounts.AuditResetRequested: "Password reset requested",
	accounts.AuditReset:          "Password reset with the e-mailed link",
	accounts.AuditPasswordChange: "Password changed",
	accounts.AuditIdentityLinked: "Single sign-on linked to this account",
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
