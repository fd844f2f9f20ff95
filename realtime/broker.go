// Package realtime carries committed project events to live viewers: the
// Broker between instances and (in the live-board work) the per-project hub
// of WebSocket clients. It knows nothing of Fiber or GORM.
package realtime

import (
	"context"
	"errors"
	"sync"
)

// Handler receives every message published to a project this instance is
// subscribed to. It must not block: the broker calls it from its receive path.
type Handler func(projectID string, payload []byte)

// Broker is the doorbell between instances: after a change commits, the
// instance publishes the encoded event to the project's channel, and every
// instance subscribed to that project receives it. The event log in the
// database stays the truth; a message a broker loses is filled from the log.
type Broker interface {
	// Publish sends payload to the instances subscribed to projectID.
	Publish(ctx context.Context, projectID string, payload []byte) error
	// Subscribe starts delivering projectID's messages to the handler; the
	// hub calls it when its first local viewer of the project arrives.
	Subscribe(ctx context.Context, projectID string) error
	// Unsubscribe stops them, when the last local viewer leaves.
	Unsubscribe(ctx context.Context, projectID string) error
	// Close stops the broker; later calls fail with ErrClosed.
	Close() error
	// Distributed reports whether other instances share the broker: the
	// hub then announces presence and ended sessions through it, and
	// heartbeats its presence.
	Distributed() bool
	// OnStateChange registers fn (the hub does, once, before subscribing),
	// called when the broker's connection is lost (false) and when its
	// subscriptions are back (true). A broker that cannot lose its
	// connection never calls it.
	OnStateChange(fn func(up bool))
}

// ErrClosed is returned by a closed broker.
var ErrClosed = errors.New("realtime: broker closed")

// MemoryBroker is the in-process broker of a single instance (no REDIS_URL).
type MemoryBroker struct {
	handler Handler

	mu         sync.RWMutex
	subscribed map[string]bool
	closed     bool
}

var _ Broker = (*MemoryBroker)(nil)

// NewMemoryBroker returns a broker that hands published messages of
// subscribed projects to h, synchronously.
func NewMemoryBroker(h Handler) *MemoryBroker {
	return &MemoryBroker{handler: h, subscribed: map[string]bool{}}
}

// Publish delivers payload to the handler if projectID is subscribed.
func (b *MemoryBroker) Publish(_ context.Context, projectID string, payload []byte) error {
	b.mu.RLock()
	closed, on := b.closed, b.subscribed[projectID]
	b.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	if on && b.handler != nil {
		b.handler(projectID, payload)
	}
	return nil
}

// Subscribe marks projectID as wanted.
func (b *MemoryBroker) Subscribe(_ context.Context, projectID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	b.subscribed[projectID] = true
	return nil
}

// Unsubscribe forgets projectID.
func (b *MemoryBroker) Unsubscribe(_ context.Context, projectID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	delete(b.subscribed, projectID)
	return nil
}

// Distributed is false: the in-process broker reaches this instance only.
func (b *MemoryBroker) Distributed() bool { return false }

// OnStateChange does nothing: an in-process broker is never down.
func (b *MemoryBroker) OnStateChange(func(up bool)) {}

// Close stops delivery.
func (b *MemoryBroker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.subscribed = map[string]bool{}
	return nil
}
