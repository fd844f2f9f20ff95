package realtime

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisBroker carries events between instances over Redis pub/sub: one
// PubSub connection per instance, one channel per project subscribed while
// the instance has viewers of it. Redis is only the doorbell: a message lost
// while Redis is away is filled from the event log, which the hub does when
// the broker reports that it is back (OnStateChange).
//
// Its receive loop calls the handler inline and never waits on a consumer:
// the hub's handler only queues to bounded per-socket queues.
type RedisBroker struct {
	rdb     *redis.Client
	prefix  string // channel = prefix + project id
	handler Handler
	log     *slog.Logger
	ps      *redis.PubSub
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}

	mu      sync.Mutex
	up      bool
	onState func(up bool)
	waiters map[string][]chan struct{} // channel → Subscribe calls awaiting Redis's confirmation
	closed  bool
}

var _ Broker = (*RedisBroker)(nil)

// SubscribeWait bounds how long Subscribe waits for Redis to confirm. If
// Redis is away the channel is still recorded and resubscribed when it
// returns; the hub fills what it missed from the log.
const SubscribeWait = 2 * time.Second

// NewRedisBroker starts the receive loop on rdb; channels are named
// prefix+projectID. Close stops the loop but leaves rdb to its owner.
func NewRedisBroker(rdb *redis.Client, prefix string, h Handler, log *slog.Logger) *RedisBroker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &RedisBroker{rdb: rdb, prefix: prefix, handler: h, log: log, ctx: ctx, cancel: cancel,
		done: make(chan struct{}), waiters: map[string][]chan struct{}{}}
	b.ps = rdb.Subscribe(ctx) // no channels yet: connects on the first Subscribe
	go b.receive()
	return b
}

// OnStateChange registers fn, called from the receive loop when the Redis
// connection is lost (false) and when its subscriptions are back (true).
func (b *RedisBroker) OnStateChange(fn func(up bool)) {
	b.mu.Lock()
	b.onState = fn
	b.mu.Unlock()
}

// Distributed reports that other instances share this broker.
func (b *RedisBroker) Distributed() bool { return true }

// Publish sends payload to the project's channel. It fails while Redis is
// away; the caller's change is durable and other instances fill from the log.
func (b *RedisBroker) Publish(ctx context.Context, projectID string, payload []byte) error {
	b.mu.Lock()
	closed, up := b.closed, b.up
	b.mu.Unlock()
	switch {
	case closed:
		return ErrClosed
	case !up:
		// Fail fast: the caller delivers locally, and the other instances
		// read the log when the connection is back (see Hub.brokerState).
		return ErrBrokerDown
	}
	return b.rdb.Publish(ctx, b.prefix+projectID, payload).Err()
}

// ErrBrokerDown is Publish's answer while the Redis connection is lost.
var ErrBrokerDown = errors.New("realtime: broker connection lost")

// Subscribe subscribes to the project's channel and waits (up to
// SubscribeWait) until Redis confirms, so an event published after it
// returns is delivered. While Redis is away it returns at once: go-redis
// keeps the channel and subscribes again on reconnection.
func (b *RedisBroker) Subscribe(ctx context.Context, projectID string) error {
	ch := b.prefix + projectID
	wait := make(chan struct{})
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return ErrClosed
	}
	b.waiters[ch] = append(b.waiters[ch], wait)
	b.mu.Unlock()
	if err := b.ps.Subscribe(ctx, ch); err != nil {
		b.dropWaiter(ch, wait)
		b.log.Warn("realtime: Redis subscribe failed; will resubscribe when Redis is back", "channel", ch, "err", err)
		return nil
	}
	t := time.NewTimer(SubscribeWait)
	defer t.Stop()
	select {
	case <-wait:
	case <-t.C:
		b.dropWaiter(ch, wait)
	case <-ctx.Done():
		b.dropWaiter(ch, wait)
	}
	return nil
}

func (b *RedisBroker) dropWaiter(ch string, w chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	list := b.waiters[ch]
	for i, x := range list {
		if x == w {
			b.waiters[ch] = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(b.waiters[ch]) == 0 {
		delete(b.waiters, ch)
	}
}

// Unsubscribe leaves the project's channel. A failure while Redis is away
// is not an error: go-redis forgets the channel either way.
func (b *RedisBroker) Unsubscribe(ctx context.Context, projectID string) error {
	if b.isClosed() {
		return ErrClosed
	}
	if err := b.ps.Unsubscribe(ctx, b.prefix+projectID); err != nil {
		b.log.Debug("realtime: Redis unsubscribe", "project", projectID, "err", err)
	}
	return nil
}

// Close stops the receive loop and the PubSub connection.
func (b *RedisBroker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	b.cancel()
	err := b.ps.Close()
	<-b.done
	return err
}

func (b *RedisBroker) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// healthEvery is how long the loop waits for a message before it pings, so
// a silently dead connection shows as an error.
const healthEvery = 15 * time.Second

// receive is the one loop reading the PubSub connection.
func (b *RedisBroker) receive() {
	defer close(b.done)
	backoff := 50 * time.Millisecond
	for {
		msg, err := b.ps.ReceiveTimeout(b.ctx, healthEvery)
		if b.ctx.Err() != nil {
			return
		}
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				_ = b.ps.Ping(b.ctx) // a write on a dead connection fails and reconnects
				continue
			}
			b.setUp(false, err)
			if !b.sleep(backoff) {
				return
			}
			backoff = min(backoff*2, time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		switch m := msg.(type) {
		case *redis.Message:
			if pid, ok := strings.CutPrefix(m.Channel, b.prefix); ok && b.handler != nil {
				b.handler(pid, []byte(m.Payload))
			}
		case *redis.Subscription:
			if m.Kind == "subscribe" {
				// Up first: a Subscribe that returns on the confirmation may
				// publish at once, and must not find the broker still down.
				b.setUp(true, nil)
				b.confirmed(m.Channel)
			}
		}
	}
}

func (b *RedisBroker) confirmed(ch string) {
	b.mu.Lock()
	list := b.waiters[ch]
	delete(b.waiters, ch)
	b.mu.Unlock()
	for _, w := range list {
		close(w)
	}
}

// setUp records the connection state and tells the hub on a change (the
// first confirmation counts as one: the hub then catches up, harmlessly).
func (b *RedisBroker) setUp(up bool, err error) {
	b.mu.Lock()
	was, fn := b.up, b.onState
	b.up = up
	b.mu.Unlock()
	if was == up {
		return
	}
	if !up {
		b.log.Warn("realtime: lost the Redis connection; events will be filled from the log", "err", err)
	} else {
		b.log.Info("realtime: Redis subscriptions restored")
	}
	if fn != nil {
		fn(up)
	}
}

func (b *RedisBroker) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-b.ctx.Done():
		return false
	}
}
