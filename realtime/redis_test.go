package realtime

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testredis"
	"github.com/redis/go-redis/v9"
)

func testRedis(t *testing.T) *redis.Client {
	opt, err := redis.ParseURL(testredis.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// TestRedisBroker: two brokers on one Redis (two instances). A message
// published by one reaches the other once it has subscribed (Subscribe
// returns only after Redis confirmed), and stops after Unsubscribe.
func TestRedisBroker(t *testing.T) {
	rdb := testRedis(t)
	prefix := testredis.Prefix("rbtest")
	var mu sync.Mutex
	var got []string
	recv := NewRedisBroker(rdb, prefix, func(pid string, payload []byte) {
		mu.Lock()
		got = append(got, pid+"="+string(payload))
		mu.Unlock()
	}, nil)
	defer recv.Close()
	send := NewRedisBroker(rdb, prefix, nil, nil)
	defer send.Close()
	ctx := context.Background()
	// The sender publishes only once its own connection is confirmed.
	if err := send.Subscribe(ctx, "own"); err != nil {
		t.Fatal(err)
	}
	if err := recv.Subscribe(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	if err := send.Publish(ctx, "p1", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := send.Publish(ctx, "p2", []byte("not subscribed")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the subscribed message did not arrive")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := recv.Unsubscribe(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	// A marker on a still-subscribed channel proves later messages of p1
	// would have arrived by then.
	if err := recv.Subscribe(ctx, "marker"); err != nil {
		t.Fatal(err)
	}
	send.Publish(ctx, "p1", []byte("after unsubscribe"))
	send.Publish(ctx, "marker", []byte("m"))
	for {
		mu.Lock()
		last := got[len(got)-1]
		mu.Unlock()
		if last == "marker=m" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the marker did not arrive")
		}
		time.Sleep(5 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"p1=one", "marker=m"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("received %q, want %q", got, want)
	}
	if err := recv.Close(); err != nil {
		t.Fatal(err)
	}
	if err := recv.Publish(ctx, "p1", nil); err != ErrClosed {
		t.Fatalf("Publish after Close: %v", err)
	}
}
