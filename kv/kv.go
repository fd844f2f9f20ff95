// Package kv is the state that must hold across instances: counters for
// login throttling and rate limits, temporary locks, and leases for
// connection caps. Redis keeps it when REDIS_URL is set (so every instance
// sees the same numbers); memory keeps it otherwise (one instance).
package kv

import (
	"context"
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
