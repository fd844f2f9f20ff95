package accounts_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/internal/testredis"
	"github.com/corkboard/corkboard/kv"
)

// The throttle rule with plain calls: no HTTP, no database. Each test runs
// on the memory store and, with TEST_REDIS_URL, on Redis (a fresh prefix);
// the clock is the test's on both (deadlines are compared with it).

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// each runs fn with a Guard of the default throttle (adjusted) on each
// store.
func each(t *testing.T, adjust func(*accounts.Throttle), fn func(t *testing.T, g accounts.Guard, clk *clock)) {
	guard := func(store kv.Store, clk *clock) accounts.Guard {
		th := accounts.DefaultThrottle()
		if adjust != nil {
			adjust(&th)
		}
		return accounts.Guard{Throttle: th.WithDefaults(), Store: store, Now: clk.Now}
	}
	t.Run("memory", func(t *testing.T) {
		clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
		fn(t, guard(kv.NewMemoryClock(clk.Now), clk), clk)
	})
	t.Run("redis", func(t *testing.T) {
		clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
		fn(t, guard(dialRedis(t), clk), clk)
	})
}

func dialRedis(t *testing.T) *kv.Redis {
	s, err := kv.DialRedis(context.Background(), testredis.URL(t), testredis.Prefix("accountstest"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// refusal is the *Refused of err, or fails.
func refusal(t *testing.T, err error) *accounts.Refused {
	t.Helper()
	var r *accounts.Refused
	if !errors.As(err, &r) {
		t.Fatalf("want a refusal, got %v", err)
	}
	return r
}

// fail reserves a check of email from ip and fails it, returning the lock
// it set, if any.
func fail(t *testing.T, g accounts.Guard, email, ip string) *accounts.Refused {
	t.Helper()
	a, err := g.Reserve(context.Background(), email, ip)
	if err != nil {
		t.Fatalf("reserve: %v", err)
	}
	return a.Failed()
}

// TestThrottleSequence: the README's table, one attempt after another.
func TestThrottleSequence(t *testing.T) {
	ctx := context.Background()
	each(t, nil, func(t *testing.T, g accounts.Guard, clk *clock) {
		for i := range 3 {
			if lock := fail(t, g, "alice@example.com", ""); lock != nil {
				t.Fatalf("free failure %d locked: %v", i+1, lock)
			}
		}
		fail(t, g, "alice@example.com", "") // the 4th starts 5 s
		_, err := g.Reserve(ctx, "Alice@Example.com ", "")
		if r := refusal(t, err); r.RetryAfter != 5*time.Second || !r.LockedUntil.IsZero() {
			t.Fatalf("after the 4th failure (any spelling of the email): %+v, want 5 s", r)
		}
		for _, d := range []time.Duration{5 * time.Second, 30 * time.Second} {
			clk.Advance(d)
			fail(t, g, "alice@example.com", "")
		}
		clk.Advance(59 * time.Second)
		_, err = g.Reserve(ctx, "alice@example.com", "")
		if r := refusal(t, err); r.RetryAfter != time.Second {
			t.Fatalf("1 s before the 60 s delay ends: %+v", r)
		}
		clk.Advance(time.Second)
		a, err := g.Reserve(ctx, "alice@example.com", "")
		if err != nil {
			t.Fatal(err)
		}
		lock := a.Failed()
		if lock == nil || a.Failures() != 7 || lock.RetryAfter != time.Hour || !lock.LockedUntil.Equal(clk.Now().Add(time.Hour)) {
			t.Fatalf("the 7th failure: %+v after %d failures, want a lock of 1 h", lock, a.Failures())
		}
		clk.Advance(10 * time.Minute)
		_, err = g.Reserve(ctx, "alice@example.com", "")
		if r := refusal(t, err); r.RetryAfter != 50*time.Minute || !r.LockedUntil.Equal(lock.LockedUntil) {
			t.Fatalf("while locked: %+v", r)
		}
		if err := g.Clear(ctx, "alice@example.com"); err != nil {
			t.Fatal(err)
		}
		a, err = g.Reserve(ctx, "alice@example.com", "")
		if err != nil || a.Failures() != 1 {
			t.Fatalf("after Clear: %v; want a fresh count", err)
		}
		a.Succeeded(ctx)
		for range 3 {
			fail(t, g, "alice@example.com", "")
		}
		if a, err := g.Reserve(ctx, "alice@example.com", ""); err != nil || a.Failures() != 4 {
			t.Fatalf("a success did not reset the count: %v", err)
		}

		// A lock nobody lifts ends by itself.
		for range 7 {
			fail(t, g, "bob@example.com", "")
			clk.Advance(2 * time.Minute)
		}
		if _, err := g.Reserve(ctx, "bob@example.com", ""); refusal(t, err).LockedUntil.IsZero() {
			t.Fatal("bob is not locked")
		}
		clk.Advance(time.Hour)
		if _, err := g.Reserve(ctx, "bob@example.com", ""); err != nil {
			t.Fatalf("after the hour: %v", err)
		}
	})
}

// TestThrottleRightOnTheLockingAttempt: the 7th attempt is still a check;
// if its password is right, it gets in and lifts the lock it set.
func TestThrottleRightOnTheLockingAttempt(t *testing.T) {
	ctx := context.Background()
	each(t, func(th *accounts.Throttle) { th.FreeFailures = 6 }, func(t *testing.T, g accounts.Guard, _ *clock) {
		for range 6 {
			fail(t, g, "alice@example.com", "")
		}
		a, err := g.Reserve(ctx, "alice@example.com", "")
		if err != nil || a.Failed() == nil {
			t.Fatalf("the 7th reservation did not set the lock: %v", err)
		}
		if _, err := g.Reserve(ctx, "alice@example.com", ""); refusal(t, err).LockedUntil.IsZero() {
			t.Fatal("not locked while the 7th is being checked")
		}
		a.Succeeded(ctx)
		if a, err := g.Reserve(ctx, "alice@example.com", ""); err != nil || a.Failures() != 1 {
			t.Fatalf("after the 7th succeeded: %v", err)
		}
	})
}

// TestThrottlePerIP: one client is held at IPFailures failures on any
// account until the window ends; successes give their slot back; ip ""
// (a signed-in user's own password) counts for the account only.
func TestThrottlePerIP(t *testing.T) {
	ctx := context.Background()
	each(t, func(th *accounts.Throttle) { th.IPFailures, th.IPWindow = 3, 10*time.Minute }, func(t *testing.T, g accounts.Guard, clk *clock) {
		clk.Advance(time.Duration(10*time.Minute.Nanoseconds()-clk.Now().UnixNano()%(10*time.Minute).Nanoseconds()) + 2*time.Minute)
		for i := range 3 {
			a, err := g.Reserve(ctx, "right@example.com", "192.0.2.1")
			if err != nil {
				t.Fatal(err)
			}
			a.Succeeded(ctx) // gives its slot back
			fail(t, g, "user"+strconv.Itoa(i)+"@example.com", "192.0.2.1")
		}
		_, err := g.Reserve(ctx, "right@example.com", "192.0.2.1")
		if r := refusal(t, err); r.RetryAfter != 8*time.Minute {
			t.Fatalf("over the limit, 2 minutes into the window: %+v, want 8 min", r)
		}
		if _, err := g.Reserve(ctx, "right@example.com", "192.0.2.2"); err != nil {
			t.Fatalf("another client: %v", err)
		}
		if _, err := g.Reserve(ctx, "right@example.com", ""); err != nil {
			t.Fatalf("no client: %v", err)
		}
		clk.Advance(8 * time.Minute)
		if _, err := g.Reserve(ctx, "right@example.com", "192.0.2.1"); err != nil {
			t.Fatalf("the next window: %v", err)
		}
	})
}

// TestThrottleConcurrent: 100 simultaneous reservations for one account
// get as many checks as 100 sequential ones would: 4 with the defaults (the
// 4th starts a delay), 7 when the lock comes first; for one client on 100
// accounts, IPFailures.
func TestThrottleConcurrent(t *testing.T) {
	race := func(g accounts.Guard, email func(i int) string, ip string) (checked, locks int) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		start := make(chan struct{})
		for i := range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				a, err := g.Reserve(context.Background(), email(i), ip)
				if err != nil {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				checked++
				if a.Failed() != nil {
					locks++
				}
			}()
		}
		close(start)
		wg.Wait()
		return checked, locks
	}
	one := func(int) string { return "alice@example.com" }
	each(t, nil, func(t *testing.T, g accounts.Guard, _ *clock) {
		if n, locks := race(g, one, ""); n != 4 || locks != 0 {
			t.Errorf("defaults: %d checks, %d locks; want 4, 0", n, locks)
		}
		if n, _ := race(g, func(i int) string { return "u" + strconv.Itoa(i) + "@example.com" }, "192.0.2.1"); n != 30 {
			t.Errorf("one client, 100 accounts: %d checks, want 30", n)
		}
	})
	each(t, func(th *accounts.Throttle) { th.FreeFailures = 6 }, func(t *testing.T, g accounts.Guard, _ *clock) {
		if n, locks := race(g, one, ""); n != 7 || locks != 1 {
			t.Errorf("to the lock: %d checks, %d locks; want 7, 1", n, locks)
		}
	})
}

// TestCodeThrottle: five codes, the fifth locks for 15 minutes; a right
// code forgets the wrong ones; codes do not touch the password's counts.
func TestCodeThrottle(t *testing.T) {
	ctx := context.Background()
	each(t, nil, func(t *testing.T, g accounts.Guard, clk *clock) {
		code := func() (*accounts.Attempt, error) { return g.ReserveCode(ctx, "user-1") }
		for range 3 {
			a, err := code()
			if err != nil || a.Failed() != nil {
				t.Fatalf("wrong code: %v", err)
			}
		}
		a, _ := code()
		a.Succeeded(ctx) // a right code: a fresh count
		for i := 1; i <= 4; i++ {
			if a, err := code(); err != nil || a.Failed() != nil || a.Failures() != i {
				t.Fatalf("wrong code %d after a right one: %v", i, err)
			}
		}
		a, err := code()
		if err != nil || a.Failed() == nil || a.Failed().RetryAfter != 15*time.Minute {
			t.Fatalf("the fifth wrong code: %v, %+v", err, a)
		}
		clk.Advance(14 * time.Minute)
		_, err = code()
		if r := refusal(t, err); r.RetryAfter != time.Minute {
			t.Fatalf("after 14 minutes: %+v", r)
		}
		clk.Advance(time.Minute)
		if _, err := code(); err != nil {
			t.Fatalf("after 15 minutes: %v", err)
		}
		if _, err := g.Reserve(ctx, "user-1", ""); err != nil {
			t.Fatalf("codes touched a password count: %v", err)
		}
	})
}

// TestStoreDown: when the store cannot answer, a password check goes ahead
// (and Warn hears why), and a code is refused with the error.
func TestStoreDown(t *testing.T) {
	store := dialRedis(t)
	store.Close()
	var warned []string
	g := accounts.Guard{Throttle: accounts.DefaultThrottle(), Store: store, Now: time.Now,
		Warn: func(msg string, err error) { warned = append(warned, msg+": "+err.Error()) }}
	a, err := g.Reserve(context.Background(), "alice@example.com", "192.0.2.1")
	if err != nil || len(warned) != 1 {
		t.Fatalf("password check with the store down: %v, warned %v", err, warned)
	}
	a.Succeeded(context.Background())
	if _, err := g.ReserveCode(context.Background(), "user-1"); err == nil {
		t.Fatal("a code went ahead uncounted")
	}
}
