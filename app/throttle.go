package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/corkboard/corkboard/kv"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Throttle sets how login failures are slowed down, per account (by the
// email typed, whether or not it has an account, so the answers never tell
// which emails exist) and per client IP.
type Throttle struct {
	FreeFailures int             // LOGIN_FREE_FAILURES: failures before any delay (3)
	Delays       []time.Duration // LOGIN_DELAYS: waits after each further failure ("5s,30s,60s"; the last repeats)
	LockAfter    int             // LOGIN_LOCK_AFTER: failures that lock the account (7)
	LockFor      time.Duration   // LOGIN_LOCK_FOR: how long a lock lasts (1h); also how long failures count
	IPFailures   int             // LOGIN_IP_FAILURES: failures from one IP per window before 429 (30)
	IPWindow     time.Duration   // LOGIN_IP_WINDOW: that window (15m)
}

// DefaultThrottle is the throttle of the README's table.
var DefaultThrottle = Throttle{FreeFailures: 3, Delays: []time.Duration{5 * time.Second, 30 * time.Second, time.Minute},
	LockAfter: 7, LockFor: time.Hour, IPFailures: 30, IPWindow: 15 * time.Minute}

func (t Throttle) withDefaults() Throttle {
	d := DefaultThrottle
	if t.FreeFailures == 0 {
		t.FreeFailures = d.FreeFailures
	}
	if len(t.Delays) == 0 {
		t.Delays = d.Delays
	}
	if t.LockAfter == 0 {
		t.LockAfter = d.LockAfter
	}
	if t.LockFor == 0 {
		t.LockFor = d.LockFor
	}
	if t.IPFailures == 0 {
		t.IPFailures = d.IPFailures
	}
	if t.IPWindow == 0 {
		t.IPWindow = d.IPWindow
	}
	return t
}

// throttleFromEnv reads the LOGIN_* variables.
func throttleFromEnv(get func(k, def string) string) (Throttle, error) {
	t := DefaultThrottle
	var err error
	if t.FreeFailures, err = envInt(get, "LOGIN_FREE_FAILURES", t.FreeFailures); err != nil {
		return t, err
	}
	if t.LockAfter, err = envInt(get, "LOGIN_LOCK_AFTER", t.LockAfter); err != nil {
		return t, err
	}
	if t.IPFailures, err = envInt(get, "LOGIN_IP_FAILURES", t.IPFailures); err != nil {
		return t, err
	}
	if raw := get("LOGIN_DELAYS", ""); raw != "" {
		t.Delays = nil
		for _, part := range strings.Split(raw, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(part))
			if err != nil || d <= 0 {
				return t, fmt.Errorf("LOGIN_DELAYS must be positive durations separated by commas (5s,30s,60s), not %q", raw)
			}
			t.Delays = append(t.Delays, d)
		}
	}
	for _, v := range []struct {
		key string
		dst *time.Duration
	}{{"LOGIN_LOCK_FOR", &t.LockFor}, {"LOGIN_IP_WINDOW", &t.IPWindow}} {
		if raw := get(v.key, ""); raw != "" {
			d, err := time.ParseDuration(raw)
			if err != nil || d < time.Second {
				return t, fmt.Errorf("%s must be a duration of at least 1s (e.g. 1h), not %q", v.key, raw)
			}
			*v.dst = d
		}
	}
	if t.LockAfter <= t.FreeFailures {
		return t, errors.New("LOGIN_LOCK_AFTER must be more than LOGIN_FREE_FAILURES")
	}
	return t, nil
}

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

// Keys. The account is named by a hash of the typed email: Redis never
// holds addresses, and any text makes a short key.
type loginKeys struct{ fails, delay, lock, ip string }

func (s *Server) loginKeys(email, ip string, now time.Time) loginKeys {
	sum := sha256.Sum256([]byte(models.NormalizeEmail(email)))
	acct := "login:acct:" + hex.EncodeToString(sum[:16])
	window := now.UnixMilli() / s.cfg.Throttle.IPWindow.Milliseconds()
	return loginKeys{fails: acct + ":fails", delay: acct + ":delay", lock: acct + ":lock",
		ip: "login:ip:" + ip + ":" + strconv.FormatInt(window, 10)}
}

// throttledError refuses an attempt without checking the password: 429
// while a delay runs or the IP is over its limit, 423 while the account is
// locked. The answer is the same for every email, with or without account.
type throttledError struct {
	retry       time.Duration
	lockedUntil time.Time // zero: a delay, not a lock
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

// throttledLogin is login behind the throttle. A refused attempt is a
// *throttledError (the caller sets Retry-After); a wrong password is
// errBadCredentials; success clears the account's failures.
func (s *Server) throttledLogin(c *fiber.Ctx, email, password string) (models.User, error) {
	ctx, now, t := c.UserContext(), s.now(), s.cfg.Throttle
	keys := s.loginKeys(email, c.IP(), now)
	if err := s.loginGate(ctx, keys, now); err != nil {
		return models.User{}, err
	}
	s.metrics.passwordChecks.Add(1)
	user, err := s.login(ctx, email, password)
	if err == nil {
		if derr := s.kv.Del(ctx, keys.fails, keys.delay); derr != nil {
			s.log.Warn("login throttle: clearing failures", "err", derr)
		}
		return user, nil // audited by startSession, once any second factor is passed
	}
	if !errors.Is(err, errBadCredentials) {
		return models.User{}, err
	}
	// A failure. Nothing below reads the database (the audit and the mail
	// happen in the background), so an unknown email answers as fast.
	if _, kerr := s.kv.Incr(ctx, keys.ip, 2*t.IPWindow); kerr != nil {
		s.log.Warn("login throttle: counting an IP failure", "err", kerr)
	}
	n, kerr := s.kv.Incr(ctx, keys.fails, t.LockFor)
	if kerr != nil {
		s.log.Warn("login throttle: counting a failure", "err", kerr)
		return models.User{}, err
	}
	// The events are written in the background; their ids and times are
	// taken now, so the log keeps the order in which things happened.
	failed := models.AuditEvent{ID: models.NewAuditID(), Type: auditLoginFailed, IP: c.IP(),
		UserAgent: c.Get(fiber.HeaderUserAgent), At: now, Detail: map[string]any{"failures": n}}
	typed := email
	switch {
	case n >= int64(t.LockAfter):
		until := now.Add(t.LockFor)
		if kerr := s.kv.Set(ctx, keys.lock, until.UnixMilli(), t.LockFor); kerr != nil {
			s.log.Warn("login throttle: locking", "err", kerr)
		}
		// A fresh count once the lock ends (or is lifted).
		_ = s.kv.Del(ctx, keys.fails, keys.delay)
		locked := models.AuditEvent{ID: models.NewAuditID(), Type: auditLocked, IP: failed.IP, UserAgent: failed.UserAgent,
			At: now, Detail: map[string]any{"until": until.UTC().Format(time.RFC3339)}}
		s.background(func(ctx context.Context) { s.lockedOut(ctx, typed, int(n), until, failed, locked) })
		return models.User{}, &throttledError{retry: t.LockFor, lockedUntil: until}
	case n > int64(t.FreeFailures):
		d := t.Delays[min(int(n)-t.FreeFailures-1, len(t.Delays)-1)]
		if kerr := s.kv.Set(ctx, keys.delay, now.Add(d).UnixMilli(), d+time.Second); kerr != nil {
			s.log.Warn("login throttle: setting a delay", "err", kerr)
		}
	}
	s.background(func(ctx context.Context) { s.failedLogin(ctx, typed, failed) })
	return models.User{}, err
}

// loginGate refuses an attempt while the account is locked, while a delay
// after its last failure runs, or while the IP is over its limit. If the
// store cannot answer, the attempt goes ahead (logged): the throttle slows
// guessing down, it must not lock everyone out while Redis restarts.
func (s *Server) loginGate(ctx context.Context, keys loginKeys, now time.Time) error {
	t := s.cfg.Throttle
	if until, err := s.kv.Get(ctx, keys.lock); err != nil {
		s.log.Warn("login throttle: reading a lock", "err", err)
	} else if end := time.UnixMilli(until); until > 0 && end.After(now) {
		return &throttledError{retry: end.Sub(now), lockedUntil: end}
	}
	if until, err := s.kv.Get(ctx, keys.delay); err != nil {
		s.log.Warn("login throttle: reading a delay", "err", err)
	} else if end := time.UnixMilli(until); until > 0 && end.After(now) {
		return &throttledError{retry: end.Sub(now)}
	}
	if n, err := s.kv.Get(ctx, keys.ip); err != nil {
		s.log.Warn("login throttle: reading an IP count", "err", err)
	} else if n >= int64(t.IPFailures) {
		w := t.IPWindow.Milliseconds()
		end := time.UnixMilli((now.UnixMilli()/w + 1) * w)
		return &throttledError{retry: end.Sub(now)}
	}
	return nil
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
		"Hello %s,\n\nThere were %d failed attempts to sign in to your Corkboard account, so it is locked until %s.\n\n"+
			"If it was you, this link unlocks it now (it works once, for one hour):\n\n%s\n\n"+
			"If it was not you, someone may be guessing your password: the lock stops them, and you may want to choose a stronger one.\n",
		user.DisplayName, failures, until.UTC().Format("2006-01-02 15:04 UTC"), s.link("/unlock", token)))
}

// clearLoginLock ends the lock and the failures of an account (an unlock
// link, a reset). Per-IP counts stay.
func (s *Server) clearLoginLock(ctx context.Context, email string) {
	keys := s.loginKeys(email, "", s.now())
	if err := s.kv.Del(ctx, keys.lock, keys.fails, keys.delay); err != nil {
		s.log.Warn("login throttle: clearing a lock", "err", err)
	}
}
