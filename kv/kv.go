// Package kv is the state that must hold across instances: counters for
// login throttling and rate limits, temporary locks, and leases for
// connection caps. Redis keeps it when REDIS_URL is set (so every instance
// sees the same numbers); memory keeps it otherwise (one instance).
package kv

import (
	"context"
	"errors"
	"time"
)

// Store is implemented by Memory and Redis. Keys are plain strings; callers
// namespace them ("login:acct:<email>", "conns:<user id>"). Every key
// written carries a TTL, so nothing grows forever.
type Store interface {
	// Incr adds one to the counter at key and returns the new value. A
	// counter that did not exist starts at 1 and expires after ttl; later
	// increments keep that expiry (a fixed window).
	Incr(ctx context.Context, key string, ttl time.Duration) (int64, error)
	// Get returns the counter at key, 0 if absent or expired.
	Get(ctx context.Context, key string) (int64, error)
	// Set stores value at key for ttl, replacing what was there.
	Set(ctx context.Context, key string, value int64, ttl time.Duration) error
	// TTL is how long key has left; 0 if absent or expired.
	TTL(ctx context.Context, key string) (time.Duration, error)
	// Del removes keys; absent keys are not an error.
	Del(ctx context.Context, keys ...string) error

	// Decr takes one off the counter at key if it is above zero, keeping
	// its expiry: it gives back a slot counted by Incr or Reserve. An
	// absent or expired key stays absent.
	Decr(ctx context.Context, key string) error
	// Reserve counts one attempt at something guessable (a password, a
	// code) before it is checked, or refuses it, in one atomic step: see
	// Reservation. However many callers reserve at once, on one instance
	// or many, no more go ahead than the rule allows.
	Reserve(ctx context.Context, r Reservation) (Verdict, error)

	// Acquire adds member to the lease set at key if fewer than limit
	// unexpired members hold one, and reports whether it did. A member's
	// lease ends after lease unless renewed, so the slots of an instance
	// that died come back by themselves.
	Acquire(ctx context.Context, key, member string, limit int, lease time.Duration) (bool, error)
	// Renew extends the leases of members still in the set at key.
	Renew(ctx context.Context, key string, members []string, lease time.Duration) error
	// Release removes member from the lease set at key.
	Release(ctx context.Context, key, member string) error

	// Close releases connections.
	Close() error
}

// Reservation is one attempt for Store.Reserve. Deadlines are numbers on
// the caller's clock (Unix milliseconds, say, with Now in the same unit):
// the store compares them with Now and never reads a clock of its own, so
// instances that agree on the time agree on the answer. Keys expire by
// their TTLs, which are real time.
//
// In order: while the deadline at Lock or at Delay is after Now, or while
// the Client counter has reached ClientLimit, the attempt is refused and
// nothing changes. Otherwise the Client counter and the Failures counter
// both go up by one, and with n the new count of Failures:
//   - n >= LockAt (if LockAt > 0): Lock is set to LockUntil, and Failures
//     and Delay are deleted (a fresh count once the lock ends or is lifted);
//   - else n > Free (if Delay is set and Delays is not empty): Delay is set
//     to Delays[n-Free-1], the last one repeating.
type Reservation struct {
	Now int64
	// Lock must be set; Delay may be "" (no delays).
	Lock, Delay string
	// Failures counts attempts: a fixed window of FailuresTTL from the
	// first. The caller deletes it on a success.
	Failures    string
	FailuresTTL time.Duration
	Free        int64
	Delays      []Deadline
	LockAt      int64
	LockUntil   Deadline
	// Client, if not "", is a second counter (one client's attempts on any
	// account): refused once it holds ClientLimit; a fixed window of
	// ClientTTL from its first count.
	Client      string
	ClientLimit int64
	ClientTTL   time.Duration
}

// Deadline is a deadline to store and how long to keep it.
type Deadline struct {
	At  int64
	TTL time.Duration
}

// Refusal says why Reserve refused an attempt.
type Refusal int

const (
	NotRefused    Refusal = iota
	RefusedLock           // the Lock deadline is after Now
	RefusedDelay          // the Delay deadline is after Now
	RefusedClient         // the Client counter is at ClientLimit
)

// Verdict is Reserve's answer.
type Verdict struct {
	OK      bool    // counted: the attempt may go ahead
	Refused Refusal // why not, when !OK
	Until   int64   // the refusing Lock or Delay deadline
	Count   int64   // Failures with this attempt, when OK
	Locked  bool    // this attempt set the lock
}

// check refuses a Reservation the stores cannot carry out.
func (r Reservation) check() error {
	if r.Lock == "" || r.Failures == "" || (r.Client != "" && r.ClientLimit <= 0) {
		return errors.New("kv: a reservation needs Lock, Failures and, with Client, a ClientLimit")
	}
	return nil
}
