package app

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/kv"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

// Throttle is the sign-in throttle's settings (the rule itself is
// accounts.Guard's).
type Throttle = accounts.Throttle

// openKV is the shared-state store when Config.KV is nil: Redis on
// REDIS_URL (so counters hold across instances), memory otherwise.
func (s *Server) openKV(ctx context.Context) (kv.Store, error) {
	if s.cfg.RedisURL == "" {
		return kv.NewMemoryClock(s.now), nil
	}
	r, err := kv.DialRedis(ctx, s.cfg.RedisURL, s.cfg.RedisPrefix)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	return r, nil
}

// guard is the throttle over this instance's store and clock.
func (s *Server) guard() accounts.Guard {
	return accounts.Guard{Throttle: s.cfg.Throttle, Store: s.kv, Now: s.now,
		Warn: func(msg string, err error) { s.log.Warn("login throttle: "+msg, "err", err) }}
}

// throttledError refuses an attempt without checking the password: 429
// while a delay runs or the IP is over its limit, 423 while the account is
// locked (and from the failure that locks it). The answer is the same for
// every email, with or without account. The error handler answers it with
// Retry-After.
type throttledError struct {
	retry       time.Duration
	lockedUntil time.Time // zero: a delay, not a lock
}

func throttled(r *accounts.Refused) *throttledError {
	return &throttledError{retry: r.RetryAfter, lockedUntil: r.LockedUntil}
}

// asThrottled turns the refusal of a reservation into a *throttledError;
// other errors pass through.
func asThrottled(err error) error {
	var r *accounts.Refused
	if errors.As(err, &r) {
		return throttled(r)
	}
	return err
}

func (e *throttledError) Error() string { return "login throttled for " + e.retry.String() }

func (e *throttledError) retryAfter() string {
	return strconv.Itoa(int(math.Ceil(max(e.retry, time.Second).Seconds())))
}

func (e *throttledError) problem() *problemError {
	if !e.lockedUntil.IsZero() {
		p := newProblem(fiber.StatusLocked, "account-locked", "Account locked",
			"Too many failed sign-ins: this account is locked until locked_until. "+
				"If it is yours, the e-mail we sent has a link that unlocks it now.")
		until := e.lockedUntil.UTC().Truncate(time.Second)
		p.p.LockedUntil = &until
		return p
	}
	return newProblem(fiber.StatusTooManyRequests, "too-many-attempts", "Too many attempts",
		"Too many failed sign-ins: wait "+e.retryAfter()+" seconds (Retry-After) before trying again.")
}

// message is the sentence the login page shows.
func (e *throttledError) message() string {
	if !e.lockedUntil.IsZero() {
		return "Too many failed sign-ins: this account is locked until " + e.lockedUntil.UTC().Format("15:04 UTC") +
			". If it is yours, we have e-mailed you a link that unlocks it now, or you can reset your password."
	}
	return "Too many failed sign-ins. Please wait " + e.retryAfter() + " seconds and try again."
}

// fieldMessage follows "Current password" on a settings form.
func (e *throttledError) fieldMessage() string {
	if !e.lockedUntil.IsZero() {
		return "was wrong too many times: the account is locked until " + e.lockedUntil.UTC().Format("15:04 UTC") +
			" (the e-mail we sent has a link that unlocks it)"
	}
	return "was wrong too many times: wait " + e.retryAfter() + " seconds and try again"
}

// throttledLogin is login behind the throttle: the attempt is counted
// before the password is checked, so simultaneous guesses get no more
// checks than the same guesses in a row. A refused attempt is a
// *throttledError (the caller sets Retry-After); a wrong password is
// errBadCredentials; success forgets the account's failures.
func (s *Server) throttledLogin(c *fiber.Ctx, email, password string) (models.User, error) {
	ctx := c.UserContext()
	attempt, err := s.guard().Reserve(ctx, email, c.IP())
	if err != nil {
		return models.User{}, asThrottled(err)
	}
	s.metrics.passwordChecks.Add(1)
	user, err := s.login(ctx, email, password)
	if err == nil {
		attempt.Succeeded(ctx)
		return user, nil // audited by startSession, once any second factor is passed
	}
	if !errors.Is(err, errBadCredentials) {
		return models.User{}, err // counted: it may have been a guess
	}
	// A failure. Nothing below reads the database (the audit and the mail
	// happen in the background), so an unknown email answers as fast.
	if lock := s.passwordFailed(c, email, attempt, true); lock != nil {
		return models.User{}, lock
	}
	return models.User{}, err
}

// passwordFailed records a wrong password counted by attempt: its audit
// (auditFailure: the sign-in's; a settings form has its own answer) and,
// when this attempt locked the account, the lock's audit and the unlock
// mail. It returns the lock to answer, or nil.
func (s *Server) passwordFailed(c *fiber.Ctx, email string, attempt *accounts.Attempt, auditFailure bool) error {
	// The events are written in the background; their ids and times are
	// taken now, so the log keeps the order in which things happened.
	now := s.now()
	failed := models.AuditEvent{ID: models.NewAuditID(), Type: auditLoginFailed, IP: c.IP(),
		UserAgent: utils.CopyString(c.Get(fiber.HeaderUserAgent)), At: now, Detail: map[string]any{"failures": attempt.Failures()}}
	typed := utils.CopyString(email)
	lock := attempt.Failed()
	if lock == nil {
		if auditFailure {
			s.background(func(ctx context.Context) { s.failedLogin(ctx, typed, failed) })
		}
		return nil
	}
	until := lock.LockedUntil
	locked := models.AuditEvent{ID: models.NewAuditID(), Type: auditLocked, IP: failed.IP, UserAgent: failed.UserAgent,
		At: now, Detail: map[string]any{"until": until.UTC().Format(time.RFC3339)}}
	n := attempt.Failures()
	s.background(func(ctx context.Context) { s.lockedOut(ctx, typed, n, until, failed, locked) })
	return throttled(lock)
}

// refuseLogin sets Retry-After on a throttled answer and returns the
// problem to send; other errors pass through.
func refuseLogin(c *fiber.Ctx, err error) error {
	var te *throttledError
	if errors.As(err, &te) {
		c.Set(fiber.HeaderRetryAfter, te.retryAfter())
		return te.problem()
	}
	return err
}

// failedLogin audits a wrong password of an existing account (unknown
// emails leave no trace: the log belongs to accounts).
func (s *Server) failedLogin(ctx context.Context, email string, failed models.AuditEvent) {
	user, _, err := s.store.Credentials(ctx, email)
	if err != nil {
		return
	}
	failed.UserID = user.ID
	s.recordAudit(ctx, failed)
}

// lockedOut audits a lock and mails the account's owner an unlock link.
func (s *Server) lockedOut(ctx context.Context, email string, failures int, until time.Time, failed, locked models.AuditEvent) {
	user, _, err := s.store.Credentials(ctx, email)
	if err != nil {
		return
	}
	failed.UserID, locked.UserID = user.ID, user.ID
	s.recordAudit(ctx, failed)
	s.recordAudit(ctx, locked)
	token, err := s.issueAccountToken(ctx, user.ID, models.PurposeUnlock, unlockTTL)
	if err != nil {
		if !errors.Is(err, models.ErrTooManyTokens) {
			s.log.Error("unlock token", "user_id", user.ID, "err", err)
		}
		return
	}
	s.sendMail(user.Email, "Your Corkboard account is locked", fmt.Sprintf(
		"Hello %s,\n\nThere were %d failed attempts to sign in to your Corkboard account (or to confirm its password), so it is locked until %s.\n\n"+
			"If it was you, this link unlocks it now (it works once, for one hour):\n\n%s\n\n"+
			"If it was not you, someone may be guessing your password: the lock stops them, and you may want to choose a stronger one.\n",
		user.DisplayName, failures, until.UTC().Format("2006-01-02 15:04 UTC"), s.link("/unlock", token)))
}

// clearLoginLock ends the lock and the failures of an account (an unlock
// link, a reset). Per-IP counts stay.
func (s *Server) clearLoginLock(ctx context.Context, email string) {
	if err := s.guard().Clear(ctx, email); err != nil {
		s.log.Warn("login throttle: clearing a lock", "err", err)
	}
}
