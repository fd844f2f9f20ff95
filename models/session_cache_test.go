package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// stoppedClock is a clock that moves only when told to: with it, nothing
// leaves the session cache by age, so only an explicit invalidation can
// make a lookup see a write.
type stoppedClock struct{ ns atomic.Int64 }

func newStoppedClock() *stoppedClock {
	c := &stoppedClock{}
	c.ns.Store(time.Now().UTC().Truncate(time.Millisecond).UnixNano())
	return c
}

func (c *stoppedClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *stoppedClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// cacheEnv is one user with two sessions, both looked up once through the
// cache (so both are cached) before the write under test.
type cacheEnv struct {
	s    *models.Store
	clk  *stoppedClock
	user models.User
	sess [2]models.Session
	// what the cache answered before the write
	before [2]models.Session
}

// lookup is what SessionUserCached answers for session i.
func (e *cacheEnv) lookup(t *testing.T, i int) (models.Session, models.User, error) {
	t.Helper()
	return e.s.SessionUserCached(t.Context(), e.sess[i].ID)
}

func (e *cacheEnv) wantGone(t *testing.T, i int) {
	t.Helper()
	if _, _, err := e.lookup(t, i); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("session %d after the write: err %v, want ErrNotFound (the cache still serves it)", i, err)
	}
}

func (e *cacheEnv) wantAlive(t *testing.T, i int) (models.Session, models.User) {
	t.Helper()
	sess, user, err := e.lookup(t, i)
	if err != nil {
		t.Fatalf("session %d after the write: %v, want it alive", i, err)
	}
	return sess, user
}

// TestSessionCacheForgetsEveryWrite: each store method that writes a row
// the session cache holds (a session, or its user) makes the very next
// SessionUserCached see the write, with the clock stopped so that no entry
// ages out on its own. A method added without invalidating the cache fails
// here (and in TestSessionAndUserWritesForgetTheCache, which finds them in
// the source).
func TestSessionCacheForgetsEveryWrite(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, e *cacheEnv) // before the sessions are cached
		write func(t *testing.T, e *cacheEnv) error
		check func(t *testing.T, e *cacheEnv)
	}{{
		name: "TouchSession",
		write: func(t *testing.T, e *cacheEnv) error {
			e.clk.Advance(time.Millisecond) // well inside the cache's TTL
			return e.s.TouchSession(t.Context(), e.sess[0].ID)
		},
		check: func(t *testing.T, e *cacheEnv) {
			if got, _ := e.wantAlive(t, 0); !got.LastSeenAt.After(e.before[0].LastSeenAt) {
				t.Errorf("last seen %v after a touch at %v: the cache still serves %v",
					got.LastSeenAt, e.clk.Now(), e.before[0].LastSeenAt)
			}
		},
	}, {
		name:  "DeleteSession",
		write: func(t *testing.T, e *cacheEnv) error { return e.s.DeleteSession(t.Context(), e.user.ID, e.sess[0].ID) },
		check: func(t *testing.T, e *cacheEnv) { e.wantGone(t, 0); e.wantAlive(t, 1) },
	}, {
		name: "DeleteOtherSessions",
		write: func(t *testing.T, e *cacheEnv) error {
			_, err := e.s.DeleteOtherSessions(t.Context(), e.user.ID, e.sess[0].ID)
			return err
		},
		check: func(t *testing.T, e *cacheEnv) { e.wantAlive(t, 0); e.wantGone(t, 1) },
	}, {
		name: "SetPassword keeping this session",
		write: func(t *testing.T, e *cacheEnv) error {
			_, err := e.s.SetPassword(t.Context(), e.user.ID, "new-hash", e.sess[0].ID)
			return err
		},
		check: func(t *testing.T, e *cacheEnv) { e.wantAlive(t, 0); e.wantGone(t, 1) },
	}, {
		name: "SetPassword ending every session",
		write: func(t *testing.T, e *cacheEnv) error {
			_, err := e.s.SetPassword(t.Context(), e.user.ID, "new-hash", "")
			return err
		},
		check: func(t *testing.T, e *cacheEnv) { e.wantGone(t, 0); e.wantGone(t, 1) },
	}, {
		name: "ResetPassword",
		setup: func(t *testing.T, e *cacheEnv) {
			if err := e.s.CreateAccountToken(t.Context(), e.user.ID, models.PurposeReset, "reset-hash",
				e.clk.Now(), time.Hour, 5); err != nil {
				t.Fatal(err)
			}
		},
		write: func(t *testing.T, e *cacheEnv) error {
			_, err := e.s.ResetPassword(t.Context(), "reset-hash", "new-hash", e.clk.Now())
			return err
		},
		check: func(t *testing.T, e *cacheEnv) { e.wantGone(t, 0); e.wantGone(t, 1) },
	}, {
		name: "UpdateProfile",
		write: func(t *testing.T, e *cacheEnv) error {
			_, err := e.s.UpdateProfile(t.Context(), e.user.ID, models.ProfilePatch{DisplayName: ptr("Renamed")})
			return err
		},
		check: func(t *testing.T, e *cacheEnv) {
			for i := range e.sess {
				if _, u := e.wantAlive(t, i); u.DisplayName != "Renamed" {
					t.Errorf("session %d: display name %q after a rename, want Renamed", i, u.DisplayName)
				}
			}
		},
	}, {
		name: "SetInvisible",
		write: func(t *testing.T, e *cacheEnv) error {
			_, err := e.s.SetInvisible(t.Context(), e.user.ID, true)
			return err
		},
		check: func(t *testing.T, e *cacheEnv) {
			for i := range e.sess {
				if _, u := e.wantAlive(t, i); !u.Invisible {
					t.Errorf("session %d: still visible after SetInvisible(true)", i)
				}
			}
		},
	}}
	forEachStore(t, func(t *testing.T, s *models.Store) {
		clk := newStoppedClock()
		models.SetClock(s, clk.Now)
		for n, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				e := &cacheEnv{s: s, clk: clk, user: newUser(t, s, fmt.Sprintf("cache%d", n))}
				for i := range e.sess {
					sess, err := s.CreateSession(t.Context(), e.user.ID, "test", "127.0.0.1", time.Hour)
					if err != nil {
						t.Fatal(err)
					}
					e.sess[i] = sess
				}
				if tc.setup != nil {
					tc.setup(t, e)
				}
				for i := range e.sess {
					e.before[i], _ = e.wantAlive(t, i)
				}
				if err := tc.write(t, e); err != nil {
					t.Fatalf("write: %v", err)
				}
				tc.check(t, e)
			})
		}
	})
}

// TestSessionCacheAnswersFromMemory is the control of the test above: with
// the clock stopped, a write this store did not make (another instance's)
// is not seen until the cache's TTL has passed, so the cache is really in
// use when the test above primes it.
func TestSessionCacheAnswersFromMemory(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := t.Context()
		var stores [2]*models.Store
		for i := range stores {
			s, err := models.Open(ctx, url, models.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			stores[i] = s
		}
		s, other := stores[0], stores[1]
		clk := newStoppedClock()
		models.SetClock(s, clk.Now)
		models.SetClock(other, clk.Now)
		u := newUser(t, s, "Memory")
		sess, err := s.CreateSession(ctx, u.ID, "test", "127.0.0.1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUserCached(ctx, sess.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := other.UpdateProfile(ctx, u.ID, models.ProfilePatch{DisplayName: ptr("Elsewhere")}); err != nil {
			t.Fatal(err)
		}
		if _, got, err := s.SessionUserCached(ctx, sess.ID); err != nil || got.DisplayName != "Memory" {
			t.Fatalf("within the TTL: %+v %v, want the cached name Memory", got, err)
		}
		clk.Advance(models.SessionCacheTTL)
		if _, got, err := s.SessionUserCached(ctx, sess.ID); err != nil || got.DisplayName != "Elsewhere" {
			t.Fatalf("after the TTL: %+v %v, want Elsewhere", got, err)
		}
	})
}

// TestSessionCacheNeverKeepsARowOlderThanAWrite: lookups racing renames
// never leave the cache holding a name older than the last rename that
// returned (a lookup that read the row before a write and stored it after
// the write's invalidation would). The clock is stopped: only
// invalidation refreshes entries.
func TestSessionCacheNeverKeepsARowOlderThanAWrite(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		clk := newStoppedClock()
		models.SetClock(s, clk.Now)
		ctx, stop := context.WithCancel(t.Context())
		defer stop()
		u := newUser(t, s, "Racer")
		sess, err := s.CreateSession(ctx, u.ID, "test", "127.0.0.1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		var readers sync.WaitGroup
		for range 2 {
			readers.Go(func() {
				for ctx.Err() == nil {
					if _, _, err := s.SessionUserCached(ctx, sess.ID); err != nil && ctx.Err() == nil {
						t.Errorf("lookup: %v", err)
						return
					}
				}
			})
		}
		for i := range 40 {
			name := fmt.Sprintf("Racer %d", i)
			if _, err := s.UpdateProfile(t.Context(), u.ID, models.ProfilePatch{DisplayName: &name}); err != nil {
				t.Fatal(err)
			}
			if _, got, err := s.SessionUserCached(t.Context(), sess.ID); err != nil || got.DisplayName != name {
				t.Fatalf("after rename %d: %q %v, want %q", i, got.DisplayName, err, name)
			}
		}
		stop()
		readers.Wait()
	})
}

// TestSessionAndUserWritesForgetTheCache reads the package's source: every
// function that writes the sessions or users table (a GORM write on
// sessionRow or userRow, or SQL text that updates, inserts into or deletes
// from them) must drop what the session cache holds of the rows it wrote,
// by calling forgetSessions or forgetUser, unless it is listed below with
// the reason it cannot change a cached entry. So a write method added
// later without invalidation fails here, even before a behaviour test
// names it.
func TestSessionAndUserWritesForgetTheCache(t *testing.T) {
	exempt := map[string]string{
		"CreateUser":             "a new account: none of its sessions can be cached yet",
		"CreateUserWithIdentity": "a new account (OpenID Connect sign-in): none of its sessions can be cached yet",
		"createSession":          "a new session id (CreateSession, CreateAuthenticatedSession): a lookup that found nothing is not cached",
		"CreateAccountToken":     "UPDATE users SET updated_at = updated_at locks the row and changes nothing",
		"backfillHandles":        "migration 0007 runs before the store serves anything: nothing is cached yet",
	}
	// Known writers: if the scan stops finding these, the scan is broken.
	known := []string{"CreateUser", "createSession", "TouchSession", "DeleteSession", "DeleteOtherSessions", "ReauthenticateSession",
		"UpdateProfile", "SetPassword", "SetInvisible", "CreateAccountToken", "ResetPassword"}

	writers := cacheTableWriters(t, ".")
	for _, name := range known {
		if _, ok := writers[name]; !ok {
			t.Errorf("the scan no longer sees %s as a write to sessions or users: fix the scan", name)
		}
	}
	for name, forgets := range writers {
		reason, isExempt := exempt[name]
		switch {
		case isExempt && forgets:
			t.Errorf("%s is exempt (%s) but forgets cache entries: drop the exemption", name, reason)
		case !isExempt && !forgets:
			t.Errorf("%s writes sessions or users but never calls forgetSessions or forgetUser: "+
				"SessionUserCached would serve the old row for up to %v", name, models.SessionCacheTTL)
		}
	}
	for name := range exempt {
		if _, ok := writers[name]; !ok {
			t.Errorf("exemption for %s, which no longer writes sessions or users: drop it", name)
		}
	}
}
