package realtime

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Client is one socket watching one board. Frames go through a bounded
// queue drained by a writer goroutine that exists only while there is
// something to write; a frame the socket takes at once (TryWire) skips
// both. An idle socket costs one goroutine (its reader) over a plain
// Transport, none over a Listener (wsconn on Linux).
type Client struct {
	hub  *Hub
	conn Transport
	fw   frameWriter // conn, when it writes several frames at once
	info ClientInfo
	room *room

	heard    atomic.Int64 // unix nanos of the last frame or pong received
	nextPing time.Time    // guarded by hub.mu

	mu        sync.Mutex
	queue     [][]byte // frames waiting for the writer
	spare     [][]byte // the writer's previous batch, reused
	writing   bool
	replaying bool      // live events go to backlog until the replay is sent
	backlog   []Message // live events that arrived during the replay
	sent      int64     // highest seq queued to the socket
	closing   bool
	presence  Presence
	tokens    float64 // presence rate limit (token bucket)
	tokensAt  time.Time
}

// enqueue queues m unless it is a durable event the client already has.
// A full queue closes the client with 1013 (it reconnects with since);
// enqueue never blocks.
func (c *Client) enqueue(m Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.enqueueLocked(m)
}

func (c *Client) enqueueLocked(m Message) {
	if c.closing {
		return
	}
	if c.replaying {
		if m.Seq == 0 && m.Type != TypeNotification {
			return // presence: a fresh snapshot follows the replay
		}
		if len(c.backlog) >= c.hub.opt.QueueSize {
			c.tooSlowLocked()
			return
		}
		c.backlog = append(c.backlog, m)
		return
	}
	if m.Seq > 0 {
		if m.Seq <= c.sent {
			return
		}
		c.sent = m.Seq
	}
	if len(c.queue) >= c.hub.opt.QueueSize {
		c.tooSlowLocked()
		return
	}
	data := m.Data
	if c.fw != nil {
		data = m.wire()
		if !c.writing && len(c.queue) == 0 {
			// Written here if the socket takes it now: no goroutine.
			switch taken, flush := c.fw.TryWire(data); {
			case taken && !flush:
				return
			case taken:
				c.writing = true
				go c.writeLoop() // finishes the frame
				return
			}
		}
	}
	c.queue = append(c.queue, data)
	if !c.writing {
		c.writing = true
		go c.writeLoop()
	}
}

func (c *Client) tooSlowLocked() {
	c.hub.slowClosed.Add(1)
	c.hub.opt.Observer.QueueFull()
	c.closeLocked(websocket.StatusTryAgainLater, "too slow: reconnect with since")
}

// writeLoop writes queued frames until the queue is empty, then ends.
func (c *Client) writeLoop() {
	for {
		c.mu.Lock()
		if c.closing {
			c.writing = false
			c.mu.Unlock()
			return
		}
		batch := c.queue
		c.queue = c.spare[:0]
		c.mu.Unlock()
		// An empty batch still finishes a frame TryWire began.
		if err := c.writeBatch(batch); err != nil {
			c.closeWith(websocket.StatusGoingAway, "write failed")
			c.mu.Lock()
			c.writing = false
			c.mu.Unlock()
			return
		}
		clear(batch)
		c.mu.Lock()
		c.spare = batch[:0]
		if len(c.queue) == 0 {
			c.writing = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
}

// writeBatch sends queued frames in order with the write deadline, in one
// call when the transport can (its queue holds whole frames then).
func (c *Client) writeBatch(frames [][]byte) error {
	if c.fw != nil {
		return c.fw.WriteWire(c.hub.opt.WriteTimeout, frames...)
	}
	for _, frame := range frames {
		if err := c.write(context.Background(), frame); err != nil {
			return err
		}
	}
	return nil
}

// write sends one frame with the write deadline.
func (c *Client) write(ctx context.Context, frame []byte) error {
	if c.fw != nil && ctx.Done() == nil {
		return c.fw.WriteFrames(c.hub.opt.WriteTimeout, frame)
	}
	ctx, cancel := context.WithTimeout(ctx, c.hub.opt.WriteTimeout)
	defer cancel()
	return c.conn.Write(ctx, frame)
}

// closeWith closes the socket with code; queued frames are dropped. The
// close handshake runs in its own goroutine: it may wait for a write in
// progress, and callers hold room locks.
func (c *Client) closeWith(code websocket.StatusCode, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLocked(code, reason)
}

func (c *Client) closeLocked(code websocket.StatusCode, reason string) {
	if c.closing {
		return
	}
	c.closing = true
	c.queue, c.backlog = nil, nil
	go c.conn.Close(code, reason)
}

// markClosed stops queueing once the client has left.
func (c *Client) markClosed() {
	c.mu.Lock()
	c.closing = true
	c.queue, c.backlog = nil, nil
	c.mu.Unlock()
}

func (c *Client) lastHeard() time.Time { return time.Unix(0, c.heard.Load()) }

func (c *Client) ping() {
	ctx, cancel := context.WithTimeout(context.Background(), c.hub.opt.PongTimeout)
	defer cancel()
	if err := c.conn.Ping(ctx); err == nil {
		c.heard.Store(time.Now().UnixNano())
	}
	// On failure Ping has closed the connection; the reader ends.
}

func (c *Client) presenceNow() Presence {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.presence
}

// start registers c in r, sends hello, replays the log from Since up to the
// room's position at registration, then releases the live events that
// arrived meanwhile: no gap and no duplicate at the seam.
func (c *Client) start(ctx context.Context, r *room) error {
	c.room = r
	log, pid := c.hub.log, c.info.ProjectID
	upto := r.add(c)
	if c.info.Authorize != nil {
		if err := onFreshStack(func() error { return c.info.Authorize(ctx) }); err != nil {
			c.closeWith(CloseNoAccess, "no access to this project")
			return err
		}
	}
	since := max(c.info.Since, 0)
	if err := c.write(ctx, helloFrame(pid, upto)); err != nil {
		return err
	}
	after := since
	for after < upto {
		if upto-after > c.hub.opt.MaxReplay {
			return c.resync(ctx, upto)
		}
		if msgs, ok := r.recentAfter(after, upto); ok {
			for _, m := range msgs {
				if err := c.write(ctx, m.Data); err != nil {
					return err
				}
			}
			after = upto
			break
		}
		msgs, _, err := log.Since(ctx, pid, after, 500)
		if errors.Is(err, ErrPruned) || err == nil && (len(msgs) == 0 || msgs[0].Seq != after+1) {
			return c.resync(ctx, upto)
		}
		if err != nil {
			c.closeWith(websocket.StatusInternalError, "try again")
			return err
		}
		for _, m := range msgs {
			if m.Seq > upto {
				break
			}
			if m.Seq != after+1 {
				return c.resync(ctx, upto) // pruned while we read
			}
			if err := c.write(ctx, m.Data); err != nil {
				return err
			}
			after = m.Seq
		}
	}
	if since > upto {
		// The client has seen events this instance has not forwarded yet;
		// a since beyond the log's head is from another timeline.
		if _, head, err := log.Since(ctx, pid, since, 1); err != nil || since > head {
			return c.resync(ctx, upto)
		}
	}
	c.mu.Lock()
	c.sent = max(after, since)
	backlog := c.backlog
	c.backlog, c.replaying = nil, false
	for _, m := range backlog {
		c.enqueueLocked(m)
	}
	c.mu.Unlock()
	// The newcomer gets the last snapshot now; a changed one follows
	// within PresenceInterval.
	r.mu.Lock()
	if r.lastPresence != nil {
		c.enqueue(Message{Type: "presence", Data: r.lastPresence})
	}
	r.presenceChanged()
	r.mu.Unlock()
	return nil
}

// resync tells the client to reload the board and reconnect from there.
func (c *Client) resync(ctx context.Context, seq int64) error {
	if err := c.write(ctx, resyncFrame(seq)); err != nil {
		return err
	}
	c.closeWith(websocket.StatusNormalClosure, "resync")
	return errResync
}

var errResync = errors.New("realtime: client sent resync")

// readLoop reads presence messages until the socket ends.
func (c *Client) readLoop(ctx context.Context, r *room) {
	for {
		text, b, err := c.conn.Read(ctx)
		if err != nil || !c.handle(r, text, b) {
			return
		}
	}
}

// handle takes one message from the client: presence. Anything else
// closes the socket: binary 1003, malformed or too frequent 1008 (over
// 64 KiB is the transport's 1009). False means it closed the socket.
func (c *Client) handle(r *room, text bool, b []byte) bool {
	now := time.Now()
	c.heard.Store(now.UnixNano())
	if !text {
		c.closeWith(websocket.StatusUnsupportedData, "text frames only")
		return false
	}
	p, err := decodeClientMessage(b)
	if err != nil {
		c.closeWith(websocket.StatusPolicyViolation, err.Error())
		return false
	}
	c.mu.Lock()
	rate := c.hub.opt.PresenceRate
	c.tokens = min(2*rate, c.tokens+now.Sub(c.tokensAt).Seconds()*rate)
	c.tokensAt = now
	ok := c.tokens >= 1
	if ok {
		c.tokens--
		c.presence = p
	}
	c.mu.Unlock()
	if !ok {
		c.closeWith(websocket.StatusPolicyViolation, "too many messages")
		return false
	}
	if !c.info.Invisible {
		r.mu.Lock()
		r.presenceChanged()
		r.mu.Unlock()
	}
	return true
}

// onFreshStack runs f on a short-lived goroutine and waits for it. The
// database calls behind f grow that goroutine's stack instead of the
// connection's, which then idles in its read loop for hours (a grown stack
// is only halved once per GC cycle, and an idle server rarely collects):
// measured 10-12 KB per idle socket saved.
func onFreshStack(f func() error) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				done <- fmt.Errorf("realtime: panic: %v", p)
			}
		}()
		done <- f()
	}()
	return <-done
}
