package kv_test

import (
	"context"
	"fmt"
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

func ExampleMemory() {
	s := kv.NewMemory()
	n, _ := s.Incr(context.Background(), "login:acct:ada@example.com", time.Hour)
	fmt.Println(n)
	// Output: 1
}
