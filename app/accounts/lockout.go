package accounts

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/corkboard/corkboard/models"
)

// What a wrong password leaves behind: its audit event, and at the lock
// the lock's event and the unlock mail, written in the background so that
// an unknown email answers as fast as a known one.

// passwordFailed records a wrong password counted by attempt: its audit
// (auditFailure: the sign-in's; a settings form has its own answer) and,
// when this attempt locked the account, the lock's audit and the unlock
// mail. It returns the lock to answer (a *Refused), or nil.
func (s *Service) passwordFailed(cl Client, email string, attempt *Attempt, auditFailure bool) error {
	// The events are written in the background; their ids and times are
	// taken now, so the log keeps the order in which things happened.
	failed := s.event(cl, AuditLoginFailed, map[string]any{"failures": attempt.Failures()})
	typed := strings.Clone(email)
	lock := attempt.Failed()
	if lock == nil {
		if auditFailure {
			s.background(func(ctx context.Context) { s.failedLogin(ctx, typed, failed) })
		}
		return nil
	}
	until := lock.LockedUntil
	locked := s.event(cl, AuditLocked, map[string]any{"until": until.UTC().Format(time.RFC3339)})
	locked.At = failed.At
	n := attempt.Failures()
	s.background(func(ctx context.Context) { s.lockedOut(ctx, typed, n, until, failed, locked) })
	return lock
}

// failedLogin audits a wrong password of an existing account (unknown
// emails leave no trace: the log belongs to accounts).
func (s *Service) failedLogin(ctx context.Context, email string, failed models.AuditEvent) {
	user, _, err := s.store.Credentials(ctx, email)
	if err != nil {
		return
	}
	failed.UserID = user.ID
	s.record(ctx, failed)
}

// lockedOut audits a lock and mails the account's owner an unlock link.
func (s *Service) lockedOut(ctx context.Context, email string, failures int, until time.Time, failed, locked models.AuditEvent) {
	user, _, err := s.store.Credentials(ctx, email)
	if err != nil {
		return
	}
	failed.UserID, locked.UserID = user.ID, user.ID
	s.record(ctx, failed)
	s.record(ctx, locked)
	token, err := s.issueAccountToken(ctx, user.ID, models.PurposeUnlock, UnlockTTL)
	if err != nil {
		if !errors.Is(err, models.ErrTooManyTokens) {
			s.log.Error("unlock token", "user_id", user.ID, "err", err)
		}
		return
	}
	s.send(user.Email, lockedMail(user.DisplayName, failures, until, s.link("/unlock", token)))
}

// clearLock ends the lock and the failures of an account (an unlock link,
// a reset). Per-IP counts stay.
func (s *Service) clearLock(ctx context.Context, email string) {
	if err := s.guard().Clear(ctx, email); err != nil {
		s.log.Warn("login throttle: clearing a lock", "err", err)
	}
}
