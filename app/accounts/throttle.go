package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/corkboard/corkboard/kv"
	"github.com/corkboard/corkboard/models"
)

// Throttle sets how failed password checks are slowed down, per account
// (by the email typed, whether or not it has an account, so the answers
// never tell which emails exist) and per client IP.
type Throttle struct {
	FreeFailures int             // LOGIN_FREE_FAILURES: failures before any delay (3)
	Delays       []time.Duration // LOGIN_DELAYS: waits after each further failure ("5s,30s,60s"; the last repeats)
	LockAfter    int             // LOGIN_LOCK_AFTER: failures that lock the account (7)
	LockFor      time.Duration   // LOGIN_LOCK_FOR: how long a lock lasts (1h); also how long failures count
	IPFailures   int             // LOGIN_IP_FAILURES: failures from one IP per window before 429 (30)
	IPWindow     time.Duration   // LOGIN_IP_WINDOW: that window (15m)
}

// DefaultThrottle is the throttle of the README's table (a fresh copy on
// every call: Delays is a slice).
func DefaultThrottle() Throttle {
	return Throttle{FreeFailures: 3, Delays: []time.Duration{5 * time.Second, 30 * time.Second, time.Minute},
		LockAfter: 7, LockFor: time.Hour, IPFailures: 30, IPWindow: 15 * time.Minute}
}

// WithDefaults fills the zero fields from DefaultThrottle.
func (t Throttle) WithDefaults() Throttle {
	d := DefaultThrottle()
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

// The second factor: five wrong codes in 15 minutes lock it for 15 minutes.
const (
	CodeFailures = 5
	CodeLockFor  = 15 * time.Minute
)

// Guard applies the throttles over a kv.Store (Redis when scaled out, so
// every instance counts the same attempts) on a clock (tests move it).
type Guard struct {
	Throttle Throttle // with its defaults filled
	Store    kv.Store
	Now      func() time.Time
	// Warn hears store failures that let a password check go ahead
	// unthrottled; nil ignores them.
	Warn func(msg string, err error)
}

// Refused is an attempt refused before its secret was checked, or the lock
// set by the attempt that was just checked and failed (Attempt.Failed).
type Refused struct {
	RetryAfter  time.Duration
	LockedUntil time.Time // zero: a delay or the per-client limit, not a lock
}

func (e *Refused) Error() string {
	if !e.LockedUntil.IsZero() {
		return "locked until " + e.LockedUntil.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("throttled: retry after %v", e.RetryAfter)
}

// Attempt is one reserved check: already counted as a failure, until
// Succeeded says otherwise.
type Attempt struct {
	store                    kv.Store
	warn                     func(string, error)
	lockKey, delay, failures string
	client                   string // "" when nothing was counted for a client
	count                    int64
	lock                     *Refused // the lock this attempt set, if any
}

// passwordKeys name an account by a hash of its normalised email: the store never
// holds addresses, and any text makes a short key. The names are those the
// counters have always had, so instances of two versions agree.
func passwordKeys(email string) (lock, delay, failures string) {
	sum := sha256.Sum256([]byte(models.NormalizeEmail(email)))
	acct := "login:acct:" + hex.EncodeToString(sum[:16])
	return acct + ":lock", acct + ":delay", acct + ":fails"
}

// Reserve counts a password check of the account of email (typed, known
// or not) from client ip before the password is checked, or refuses it: a
// *Refused while the account is locked, while the delay after its last
// failure runs, or while ip is over its limit. ip "" counts for the
// account only (a signed-in user confirming their password: the per-IP
// limit is for sign-in, where anyone can name any account).
//
// If the store cannot answer, the check goes ahead (Warn hears it): the
// throttle slows guessing down; it must not lock everyone out while Redis
// restarts.
func (g Guard) Reserve(ctx context.Context, email, ip string) (*Attempt, error) {
	t, now := g.Throttle, g.Now()
	at := now.UnixMilli()
	a := &Attempt{store: g.Store, warn: g.Warn}
	a.lockKey, a.delay, a.failures = passwordKeys(email)
	r := kv.Reservation{Now: at, Lock: a.lockKey, Delay: a.delay, Failures: a.failures, FailuresTTL: t.LockFor,
		Free: int64(t.FreeFailures), LockAt: int64(t.LockAfter),
		LockUntil: kv.Deadline{At: now.Add(t.LockFor).UnixMilli(), TTL: t.LockFor}}
	for _, d := range t.Delays {
		r.Delays = append(r.Delays, kv.Deadline{At: now.Add(d).UnixMilli(), TTL: d + time.Second})
	}
	window := t.IPWindow.Milliseconds()
	if ip != "" {
		r.Client = "login:ip:" + ip + ":" + strconv.FormatInt(at/window, 10)
		r.ClientLimit, r.ClientTTL = int64(t.IPFailures), 2*t.IPWindow
	}
	v, err := g.Store.Reserve(ctx, r)
	if err != nil {
		a.warnf("reserving a password check", err)
		return a, nil
	}
	switch v.Refused {
	case kv.RefusedLock:
		until := time.UnixMilli(v.Until)
		return nil, &Refused{RetryAfter: until.Sub(now), LockedUntil: until}
	case kv.RefusedDelay:
		return nil, &Refused{RetryAfter: time.UnixMilli(v.Until).Sub(now)}
	case kv.RefusedClient:
		return nil, &Refused{RetryAfter: time.UnixMilli((at/window + 1) * window).Sub(now)}
	}
	a.client, a.count = r.Client, v.Count
	if v.Locked {
		a.lock = &Refused{RetryAfter: t.LockFor, LockedUntil: now.Add(t.LockFor)}
	}
	return a, nil
}

// ReserveCode counts a second-factor code of userID before it is checked,
// or refuses it (a *Refused with LockedUntil) while the second factor is
// locked. A store failure is returned: without the count, no code is
// checked.
func (g Guard) ReserveCode(ctx context.Context, userID string) (*Attempt, error) {
	now := g.Now()
	a := &Attempt{store: g.Store, warn: g.Warn, lockKey: "2fa:lock:" + userID, failures: "2fa:fails:" + userID}
	// These deadlines are Unix seconds, as they have always been.
	v, err := g.Store.Reserve(ctx, kv.Reservation{Now: now.Unix(), Lock: a.lockKey, Failures: a.failures,
		FailuresTTL: CodeLockFor, LockAt: CodeFailures,
		LockUntil: kv.Deadline{At: now.Add(CodeLockFor).Unix(), TTL: CodeLockFor}})
	if err != nil {
		return nil, err
	}
	if !v.OK {
		until := time.Unix(v.Until, 0)
		return nil, &Refused{RetryAfter: until.Sub(now), LockedUntil: until}
	}
	a.count = v.Count
	if v.Locked {
		a.lock = &Refused{RetryAfter: CodeLockFor, LockedUntil: now.Add(CodeLockFor)}
	}
	return a, nil
}

// Succeeded is a right secret: the account's failures are forgotten (and
// the lock, if this very attempt set it), and the client's slot is given
// back, so sign-ins that succeed never count against an IP.
func (a *Attempt) Succeeded(ctx context.Context) {
	keys := []string{a.failures}
	if a.delay != "" {
		keys = append(keys, a.delay)
	}
	if a.lock != nil {
		keys = append(keys, a.lockKey)
	}
	if err := a.store.Del(ctx, keys...); err != nil {
		a.warnf("forgetting failures", err)
	}
	if a.client != "" {
		if err := a.store.Decr(ctx, a.client); err != nil {
			a.warnf("giving back a client's attempt", err)
		}
	}
}

// Failed is a wrong secret. It was counted when reserved; Failed returns
// the lock this attempt set (to answer instead of "wrong"), or nil.
func (a *Attempt) Failed() *Refused { return a.lock }

// Failures is the count of failures with this attempt (0 when the store
// could not count it).
func (a *Attempt) Failures() int { return int(a.count) }

// Clear lifts the lock and forgets the failures of the account of email
// (an unlock link, a password reset). Per-IP counts stay.
func (g Guard) Clear(ctx context.Context, email string) error {
	lock, delay, failures := passwordKeys(email)
	return g.Store.Del(ctx, lock, delay, failures)
}

func (a *Attempt) warnf(msg string, err error) {
	if a.warn != nil {
		a.warn(msg, err)
	}
}
