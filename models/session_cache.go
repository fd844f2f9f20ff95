package models

import (
	"context"
	"sync"
	"time"
)

// Every authenticated request used to read its session and user (one join,
// a fifth of a card move's server time). SessionUserCached answers from
// memory for at most sessionCacheTTL.
//
// Revocation stays immediate on this instance: every method of this store
// that writes a session or user row the cache may hold (logout, revocation,
// a password change or reset, a profile edit, a touch) drops the entries of
// that session or that user once the write is done, through forgetSessions
// or forgetUser. TestSessionAndUserWritesForgetTheCache finds every such
// write in the source and fails if one does not. Another instance's writes
// reach this one within the TTL, or at once when announced (ForgetSessions).
const (
	sessionCacheTTL  = time.Second
	sessionCacheSize = 10000 // entries; past it the cache starts over
)

type sessionCache struct {
	mu      sync.RWMutex
	entries map[string]sessionEntry // by session id
	// forgets counts invalidations. A lookup stores the row it read only
	// if none happened since before it read: a write that commits after
	// the read was taken drops its entries after the commit, so either the
	// lookup sees the count move and stores nothing, or it stored first and
	// the write's invalidation removes the entry.
	forgets uint64
}

type sessionEntry struct {
	sess  Session
	user  User
	until time.Time
}

// SessionUserCached is SessionUser answered from a cache at most a second
// old, and never older than the last change to the session or its user
// made through this store.
func (s *Store) SessionUserCached(ctx context.Context, sessionID string) (Session, User, error) {
	now := s.now()
	c := &s.sessions
	c.mu.RLock()
	e, ok := c.entries[sessionID]
	forgets := c.forgets
	c.mu.RUnlock()
	if ok && now.Before(e.until) && now.Before(e.sess.ExpiresAt) {
		return e.sess, e.user, nil
	}
	sess, user, err := s.SessionUser(ctx, sessionID)
	if err != nil {
		return sess, user, err
	}
	c.mu.Lock()
	if c.forgets == forgets {
		if c.entries == nil || len(c.entries) >= sessionCacheSize {
			c.entries = make(map[string]sessionEntry)
		}
		c.entries[sessionID] = sessionEntry{sess: sess, user: user, until: now.Add(sessionCacheTTL)}
	}
	c.mu.Unlock()
	return sess, user, nil
}

// ForgetSessions drops every cached session at once (after sessions were
// ended elsewhere, e.g. on another instance, and announced here).
func (s *Store) ForgetSessions() {
	c := &s.sessions
	c.mu.Lock()
	c.forgets++
	c.entries = nil
	c.mu.Unlock()
}

// forgetSessions drops the cached entries of these sessions. Every write to
// a session row calls it once the write has committed (never inside the
// transaction: a lookup in between would cache the old row again), whether
// or not it succeeded (a failed commit may still have landed).
func (c *sessionCache) forgetSessions(ids ...string) {
	c.mu.Lock()
	c.forgets++
	for _, id := range ids {
		delete(c.entries, id)
	}
	c.mu.Unlock()
}

// forgetUser drops the cached entries of every session of the user: every
// write to a user row, or to sessions picked by user, calls it after the
// write. Such writes are rare (a person editing their account), so a scan
// of the bounded cache costs less than an index kept up on every lookup.
func (c *sessionCache) forgetUser(userID string) {
	c.mu.Lock()
	c.forgets++
	for id, e := range c.entries {
		if e.user.ID == userID {
			delete(c.entries, id)
		}
	}
	c.mu.Unlock()
}
