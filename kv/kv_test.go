package kv_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testredis"
	"github.com/corkboard/corkboard/kv"
)

// each runs fn against Memory (on a clock the test moves) and Redis (on
// TEST_REDIS_URL, a fresh key prefix; time really passes there, so TTLs
// are short and expiry is waited for with a deadline).
func each(t *testing.T, fn func(t *testing.T, s kv.Store, pass func(time.Duration))) {
	t.Run("memory", func(t *testing.T) {
		var now atomic.Int64
		now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
		s := kv.NewMemoryClock(func() time.Time { return time.Unix(0, now.Load()) })
		fn(t, s, func(d time.Duration) { now.Add(int64(d)) })
	})
	t.Run("redis", func(t *testing.T) {
		s := dialRedis(t)
		fn(t, s, func(d time.Duration) { time.Sleep(d) }) // real expiry needs real time
	})
}

func dialRedis(t *testing.T) *kv.Redis {
	s, err := kv.DialRedis(context.Background(), testredis.URL(t), testredis.Prefix("kvtest"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestCounters(t *testing.T) {
	ctx := context.Background()
	each(t, func(t *testing.T, s kv.Store, pass func(time.Duration)) {
		for want := int64(1); want <= 3; want++ {
			if n, err := s.Incr(ctx, "fails", 300*time.Millisecond); err != nil || n != want {
				t.Fatalf("Incr = %d, %v; want %d", n, err, want)
			}
		}
		if n, _ := s.Get(ctx, "fails"); n != 3 {
			t.Fatalf("Get = %d, want 3", n)
		}
		if d, _ := s.TTL(ctx, "fails"); d <= 0 || d > 300*time.Millisecond {
			t.Fatalf("TTL = %v, want (0, 300ms]", d)
		}
		if n, _ := s.Get(ctx, "absent"); n != 0 {
			t.Fatalf("Get(absent) = %d", n)
		}
		if d, _ := s.TTL(ctx, "absent"); d != 0 {
			t.Fatalf("TTL(absent) = %v", d)
		}
		pass(400 * time.Millisecond) // the window ends: the count starts again
		if n, _ := s.Incr(ctx, "fails", time.Minute); n != 1 {
			t.Fatalf("Incr after expiry = %d, want 1", n)
		}
		if err := s.Set(ctx, "lock", 7, time.Minute); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.Get(ctx, "lock"); n != 7 {
			t.Fatalf("Get(lock) = %d", n)
		}
		if err := s.Del(ctx, "lock", "fails", "absent"); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.Get(ctx, "lock"); n != 0 {
			t.Fatalf("Get after Del = %d", n)
		}
	})
}

func TestIncrIsAtomic(t *testing.T) {
	ctx := context.Background()
	each(t, func(t *testing.T, s kv.Store, _ func(time.Duration)) {
		var wg sync.WaitGroup
		seen := make([]bool, 201)
		var mu sync.Mutex
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					n, err := s.Incr(ctx, "n", time.Minute)
					if err != nil || n < 1 || n > 200 {
						t.Errorf("Incr = %d, %v", n, err)
						return
					}
					mu.Lock()
					if seen[n] {
						t.Errorf("value %d returned twice", n)
					}
					seen[n] = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if n, _ := s.Get(ctx, "n"); n != 200 {
			t.Fatalf("after 200 increments Get = %d", n)
		}
	})
}

func TestLeases(t *testing.T) {
	ctx := context.Background()
	each(t, func(t *testing.T, s kv.Store, pass func(time.Duration)) {
		acquire := func(member string, lease time.Duration) bool {
			ok, err := s.Acquire(ctx, "conns:u1", member, 2, lease)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !acquire("a", time.Minute) || !acquire("b", 300*time.Millisecond) {
			t.Fatal("the first two leases were refused")
		}
		if acquire("c", time.Minute) {
			t.Fatal("a third lease was granted over the limit of 2")
		}
		if !acquire("a", time.Minute) {
			t.Fatal("re-acquiring a held lease was refused")
		}
		if err := s.Release(ctx, "conns:u1", "a"); err != nil {
			t.Fatal(err)
		}
		if !acquire("c", time.Minute) {
			t.Fatal("a released slot was not given out")
		}
		// b's lease runs out unless renewed: renew c, let b lapse.
		pass(150 * time.Millisecond)
		if err := s.Renew(ctx, "conns:u1", []string{"c", "gone"}, time.Minute); err != nil {
			t.Fatal(err)
		}
		pass(250 * time.Millisecond)
		if !acquire("d", time.Minute) {
			t.Fatal("an expired lease (a dead instance's socket) still held its slot")
		}
		if acquire("e", time.Minute) {
			t.Fatal("renewed lease c lapsed or the renew of an unknown member added it")
		}
	})
}

// login is the sign-in rule (3 free failures, delays of 5/30/60 s, a lock
// at the 7th) at now, in seconds; client is an IP's counter, or "".
func login(now int64, account, client string) kv.Reservation {
	delays := []kv.Deadline{{At: now + 5, TTL: time.Minute}, {At: now + 30, TTL: time.Minute}, {At: now + 60, TTL: time.Minute}}
	return kv.Reservation{Now: now, Lock: account + ":lock", Delay: account + ":delay",
		Failures: account + ":fails", FailuresTTL: time.Hour, Free: 3, Delays: delays,
		LockAt: 7, LockUntil: kv.Deadline{At: now + 3600, TTL: time.Hour},
		Client: client, ClientLimit: 5, ClientTTL: time.Hour}
}

// TestReserve: the rule step by step. Refused attempts change nothing;
// deadlines are compared with the caller's Now, not the store's clock.
func TestReserve(t *testing.T) {
	ctx := context.Background()
	each(t, func(t *testing.T, s kv.Store, _ func(time.Duration)) {
		reserve := func(r kv.Reservation) kv.Verdict {
			t.Helper()
			v, err := s.Reserve(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		now := int64(1_000_000)
		for want := int64(1); want <= 3; want++ {
			if v := reserve(login(now, "a", "")); !v.OK || v.Count != want || v.Locked {
				t.Fatalf("free attempt %d: %+v", want, v)
			}
		}
		if v := reserve(login(now, "a", "")); !v.OK || v.Count != 4 {
			t.Fatalf("4th attempt: %+v", v)
		}
		// The 4th set a 5 s delay: refused, and not counted, until it ends.
		if v := reserve(login(now+4, "a", "")); v.OK || v.Refused != kv.RefusedDelay || v.Until != now+5 {
			t.Fatalf("during the delay: %+v", v)
		}
		if v := reserve(login(now+5, "a", "")); !v.OK || v.Count != 5 {
			t.Fatalf("after the delay: %+v", v)
		}
		if v := reserve(login(now+34, "a", "")); v.Refused != kv.RefusedDelay || v.Until != now+35 {
			t.Fatalf("during the second delay: %+v", v)
		}
		now += 35
		if v := reserve(login(now, "a", "")); !v.OK || v.Count != 6 {
			t.Fatalf("6th: %+v", v)
		}
		now += 60
		if v := reserve(login(now, "a", "")); !v.OK || v.Count != 7 || !v.Locked {
			t.Fatalf("7th (locks): %+v", v)
		}
		if v := reserve(login(now+3599, "a", "")); v.Refused != kv.RefusedLock || v.Until != now+3600 {
			t.Fatalf("while locked: %+v", v)
		}
		// The lock's deadline passes on the caller's clock: a fresh count.
		if v := reserve(login(now+3600, "a", "")); !v.OK || v.Count != 1 {
			t.Fatalf("after the lock: %+v", v)
		}
		// A success deletes the failures (the caller's part).
		if err := s.Del(ctx, "a:fails", "a:delay"); err != nil {
			t.Fatal(err)
		}
		if v := reserve(login(now+3600, "a", "")); v.Count != 1 {
			t.Fatalf("after a success: %+v", v)
		}

		// The client counter: refused at its limit, on any account; a
		// refusal by the account's delay does not count for the client.
		for i := range 5 {
			if v := reserve(login(now, "c"+strconv.Itoa(i), "ip")); !v.OK || v.Count != 1 {
				t.Fatalf("client attempt %d: %+v", i, v)
			}
		}
		if v := reserve(login(now, "other", "ip")); v.OK || v.Refused != kv.RefusedClient {
			t.Fatalf("over the client limit: %+v", v)
		}
		if n, _ := s.Get(ctx, "other:fails"); n != 0 {
			t.Fatalf("a refused attempt counted for the account: %d", n)
		}
		// Decr gives a slot back (a success), never below zero, and never
		// makes a key.
		for range 2 {
			if err := s.Decr(ctx, "ip"); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := s.Get(ctx, "ip"); n != 3 {
			t.Fatalf("after two Decr: %d", n)
		}
		if d, _ := s.TTL(ctx, "ip"); d <= 0 {
			t.Fatalf("Decr lost the expiry: %v", d)
		}
		if err := s.Decr(ctx, "absent"); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.Get(ctx, "absent"); n != 0 {
			t.Fatalf("Decr made a key: %d", n)
		}

		// Without Delay (the two-factor rule: five, then a lock).
		r := kv.Reservation{Now: now, Lock: "2fa:lock", Failures: "2fa:fails", FailuresTTL: time.Minute,
			LockAt: 5, LockUntil: kv.Deadline{At: now + 900, TTL: time.Minute}}
		for want := int64(1); want <= 5; want++ {
			if v := reserve(r); !v.OK || v.Count != want || v.Locked != (want == 5) {
				t.Fatalf("code attempt %d: %+v", want, v)
			}
		}
		if v := reserve(r); v.Refused != kv.RefusedLock || v.Until != now+900 {
			t.Fatalf("code while locked: %+v", v)
		}
		if _, err := s.Reserve(ctx, kv.Reservation{Failures: "x"}); err == nil {
			t.Fatal("a reservation without a Lock key was accepted")
		}
	})
}

// TestReserveIsAtomic: 100 goroutines reserve at once; exactly as many go
// ahead as the rule allows, for the account and for the client.
func TestReserveIsAtomic(t *testing.T) {
	ctx := context.Background()
	race := func(t *testing.T, n int, r func(i int) reservable) (ok, locked int, refused map[kv.Refusal]int) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		start := make(chan struct{})
		refused = map[kv.Refusal]int{}
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				v, err := r(i).Reserve(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if v.OK {
					ok++
				} else {
					refused[v.Refused]++
				}
				if v.Locked {
					locked++
				}
			}()
		}
		close(start)
		wg.Wait()
		return ok, locked, refused
	}
	each(t, func(t *testing.T, s kv.Store, _ func(time.Duration)) {
		on := func(r kv.Reservation) reservable { return reservable{s, r} }
		now := int64(1_000_000)
		// Delays as configured: the 4th sets one, so 4 go ahead.
		ok, locked, refused := race(t, 100, func(int) reservable { return on(login(now, "a", "")) })
		if ok != 4 || locked != 0 || refused[kv.RefusedDelay] != 96 {
			t.Errorf("with delays: %d went ahead, %d locked, refused %v; want 4, 0, 96 by the delay", ok, locked, refused)
		}
		// No free delay before the lock: 7 go ahead, one of them locks.
		ok, locked, refused = race(t, 100, func(int) reservable {
			r := login(now, "b", "")
			r.Free = 6
			return on(r)
		})
		if ok != 7 || locked != 1 || refused[kv.RefusedLock] != 93 {
			t.Errorf("to the lock: %d went ahead, %d locked, refused %v; want 7, 1, 93 by the lock", ok, locked, refused)
		}
		// One client, 100 accounts: the client's limit of 5.
		ok, _, refused = race(t, 100, func(i int) reservable { return on(login(now, "acct"+strconv.Itoa(i), "ip")) })
		if ok != 5 || refused[kv.RefusedClient] != 95 {
			t.Errorf("per client: %d went ahead, refused %v; want 5, 95 by the client limit", ok, refused)
		}
	})
}

// reservable binds a reservation to its store, for the race above.
type reservable struct {
	s kv.Store
	r kv.Reservation
}

func (x reservable) Reserve(ctx context.Context) (kv.Verdict, error) { return x.s.Reserve(ctx, x.r) }

func ExampleMemory() {
	s := kv.NewMemory()
	n, _ := s.Incr(context.Background(), "login:acct:ada@example.com", time.Hour)
	fmt.Println(n)
	// Output: 1
}
