package realtime

import (
	"context"
	"errors"
	"sync"
	"testing"
)

type received struct {
	mu   sync.Mutex
	msgs []string
}

func (r *received) handle(projectID string, payload []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, projectID+":"+string(payload))
}

func (r *received) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.msgs...)
}

func TestMemoryBrokerDeliversOnlySubscribedProjects(t *testing.T) {
	ctx := context.Background()
	var got received
	b := NewMemoryBroker(got.handle)
	if err := b.Publish(ctx, "p1", []byte("before")); err != nil {
		t.Fatal(err)
	}
	if err := b.Subscribe(ctx, "p1"); err != nil {
		t.Fatal(err)
	}
	b.Publish(ctx, "p1", []byte("one"))
	b.Publish(ctx, "p2", []byte("other project"))
	b.Unsubscribe(ctx, "p1")
	b.Publish(ctx, "p1", []byte("after"))
	if msgs := got.list(); len(msgs) != 1 || msgs[0] != "p1:one" {
		t.Fatalf("delivered %v, want [p1:one]", msgs)
	}
	b.Close()
	if err := b.Publish(ctx, "p1", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("publish after close: %v", err)
	}
	if err := b.Subscribe(ctx, "p1"); !errors.Is(err, ErrClosed) {
		t.Fatalf("subscribe after close: %v", err)
	}
}

func TestMemoryBrokerConcurrentUse(t *testing.T) {
	ctx := context.Background()
	var got received
	b := NewMemoryBroker(got.handle)
	b.Subscribe(ctx, "p")
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				b.Publish(ctx, "p", []byte("x"))
				b.Subscribe(ctx, "q")
				b.Unsubscribe(ctx, "q")
			}
		}()
	}
	wg.Wait()
	if n := len(got.list()); n != 800 {
		t.Fatalf("delivered %d, want 800", n)
	}
}
