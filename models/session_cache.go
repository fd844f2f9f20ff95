package models

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"
)

// Every authenticated request used to read its session and user (one join,
// a fifth of a card move's server time). SessionUserCached answers from
// memory for at most sessionCacheTTL.
//
// Revocation stays immediate on this instance: any write through this store
// to the sessions or users tables (logout, revocation, a password change, a
// profile edit, even a touch) moves the cache to a new generation, and
// entries of an older generation are never served. Another instance's
// writes reach this one within the TTL.
const (
	sessionCacheTTL  = time.Second
	sessionCacheSize = 10000 // entries; past it the cache starts over
)

type sessionCache struct {
	gen     atomic.Uint64
	mu      sync.RWMutex
	entries map[string]sessionEntry
}

type sessionEntry struct {
	sess  Session
	user  User
	gen   uint64
	until time.Time
}

// SessionUserCached is SessionUser answered from a cache at most a second
// old, and never older than the last change to sessions or users made
// through this store.
func (s *Store) SessionUserCached(ctx context.Context, sessionID string) (Session, User, error) {
	now := s.now()
	c := &s.sessions
	gen := c.gen.Load()
	c.mu.RLock()
	e, ok := c.entries[sessionID]
	c.mu.RUnlock()
	if ok && e.gen == gen && now.Before(e.until) && now.Before(e.sess.ExpiresAt) {
		return e.sess, e.user, nil
	}
	// gen was read before the row: a write that lands meanwhile moves the
	// generation on, so what is stored here is never served after it.
	sess, user, err := s.SessionUser(ctx, sessionID)
	if err != nil {
		return sess, user, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= sessionCacheSize {
		c.entries = make(map[string]sessionEntry)
	}
	c.entries[sessionID] = sessionEntry{sess: sess, user: user, gen: gen, until: now.Add(sessionCacheTTL)}
	c.mu.Unlock()
	return sess, user, nil
}

// ForgetSessions drops cached sessions at once (after they were ended
// elsewhere, e.g. on another instance, and announced here).
func (s *Store) ForgetSessions() { s.sessions.gen.Add(1) }

// watchSessionWrites registers GORM callbacks on the writer handle that
// start a new cache generation after any statement that may write to
// sessions or users: any other than a SELECT that names either table.
func (s *Store) watchSessionWrites() {
	bump := func(db *gorm.DB) {
		q := db.Statement.SQL.String()
		if isSelect(q) {
			return
		}
		// GORM quotes table names, Raw SQL may not: look at the text.
		q = strings.ToLower(q)
		if strings.Contains(q, "sessions") || strings.Contains(q, "users") {
			s.sessions.gen.Add(1)
		}
	}
	cb := s.wdb.Callback()
	const name = "corkboard:session_cache"
	_ = cb.Create().After("gorm:create").Register(name, bump)
	_ = cb.Update().After("gorm:update").Register(name, bump)
	_ = cb.Delete().After("gorm:delete").Register(name, bump)
	_ = cb.Raw().After("gorm:raw").Register(name, bump)
	_ = cb.Row().After("gorm:row").Register(name, bump)
	_ = cb.Query().After("gorm:query").Register(name, bump)
}

func isSelect(q string) bool {
	q = strings.TrimSpace(q)
	return len(q) >= 6 && strings.EqualFold(q[:6], "select")
}
