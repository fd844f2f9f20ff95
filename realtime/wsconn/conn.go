// Package wsconn is the server side of RFC 6455 for the board sockets,
// written for many idle connections: no goroutine and no buffer per idle
// socket. On Linux a connection's reads are driven by an epoll instance
// shared by all of them (a small pool of goroutines reads a socket once it
// is readable); elsewhere, and for connections that are not plain TCP, a
// goroutine per connection reads. Frames are written whole, unmasked, with
// one write call; what the client sends (presence, pongs, close) is parsed
// here and handed to the hub. No extensions, no subprotocols.
package wsconn

import (
	"context"
	"encoding/binary"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// pollQueue is how many readable sockets wait for the poller's workers
// (tests make it small).
var pollQueue = 4096

// closeWait is how long Close waits for the client's close frame before
// dropping the connection.
const closeWait = 5 * time.Second

// Conn is one accepted board socket. Its read state exists only while a
// frame or a fragmented message is incomplete.
type Conn struct {
	nc      net.Conn
	rc      syscall.RawConn // nil: not a socket the poller can drive
	limit   int
	fd      atomic.Int32 // registered with the poller; -1 when not
	busy    atomic.Bool  // a worker is reading it
	ponging atomic.Bool  // a goroutine is writing a pong

	wmu     sync.Mutex // one frame written at a time
	pending []byte     // guarded by wmu: the rest of a frame TryWire began

	mu        sync.Mutex
	ended     bool
	closeSent bool
	pong      chan struct{} // a Ping waiting; closed by the pong or the end
	timer     *time.Timer   // drops the connection if the close handshake stalls
	onMsg     func(text bool, data []byte) bool
	onEnd     func()

	in       *inbound  // reader's; nil between frames
	draining bool      // reader's: a protocol error was answered, discard the rest
	deaf     bool      // reader's: the handler closed the connection; only control frames count
	inbox    []message // Read's messages parsed but not returned yet
}

type inbound struct {
	partial []byte // an incomplete frame
	msgOp   byte   // opcode of the fragmented message being assembled
	msg     []byte
}

type message struct {
	text bool
	data []byte
}

func newConn(nc net.Conn, limit int) *Conn {
	c := &Conn{nc: nc, limit: limit}
	c.fd.Store(-1)
	if tc, ok := nc.(*net.TCPConn); ok {
		c.rc, _ = tc.SyscallConn()
	}
	return c
}

// Listen hands every message the client sends to onMessage, in order, one
// at a time; onMessage returns false to stop reading (it closed the
// connection). onEnd is called once, on its own goroutine, when the
// connection has ended, also if it ended before Listen.
func (c *Conn) Listen(onMessage func(text bool, data []byte) bool, onEnd func()) {
	c.mu.Lock()
	c.onMsg, c.onEnd = onMessage, onEnd
	ended := c.ended
	c.mu.Unlock()
	if ended {
		go onEnd()
		return
	}
	if !c.poll() {
		go c.readLoop()
	}
}

// readLoop is the fallback without the poller: a goroutine reading.
func (c *Conn) readLoop() {
	buf := make([]byte, 512)
	for {
		n, err := c.nc.Read(buf)
		if n > 0 {
			if !c.consumeOrFail(buf[:n]) {
				return
			}
		}
		if err != nil {
			c.CloseNow()
			return
		}
	}
}

// Read returns the client's next message, for callers that read in their
// own goroutine instead of calling Listen.
func (c *Conn) Read(ctx context.Context) (bool, []byte, error) {
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { c.CloseNow() })
		defer stop()
	}
	var buf []byte
	for len(c.inbox) == 0 {
		if buf == nil {
			buf = make([]byte, 512)
		}
		n, err := c.nc.Read(buf)
		if n > 0 && !c.consumeOrFail(buf[:n]) {
			return false, nil, errClosed
		}
		if err != nil && len(c.inbox) == 0 {
			c.CloseNow()
			return false, nil, err
		}
	}
	m := c.inbox[0]
	c.inbox = c.inbox[1:]
	if len(c.inbox) == 0 {
		c.inbox = nil
	}
	return m.text, m.data, nil
}

// consumeOrFail parses data; false means reading is over (the connection
// was closed, or a protocol error was answered and the rest is discarded
// until the client closes).
func (c *Conn) consumeOrFail(data []byte) bool {
	if c.draining {
		return true
	}
	err := c.consume(data)
	if pe, ok := err.(*protocolError); ok {
		c.in, c.draining = nil, true
		go c.Close(pe.code, pe.reason) // the reader never waits on a write
		return true
	}
	return err == nil
}

// consume parses data (modifying it) and handles every whole frame in it.
func (c *Conn) consume(data []byte) error {
	buf := data
	if c.in != nil && len(c.in.partial) > 0 {
		c.in.partial = append(c.in.partial, data...)
		buf = c.in.partial
	}
	for {
		f, n, err := parseFrame(buf, c.limit)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		buf = buf[n:]
		if err := c.frame(f); err != nil {
			return err
		}
	}
	if len(buf) > 0 {
		if c.in == nil {
			c.in = &inbound{}
		}
		c.in.partial = append(c.in.partial[:0], buf...) // buf may be a suffix of partial: append copies like memmove
	} else if c.in != nil {
		c.in.partial = nil
	}
	if c.in != nil && len(c.in.partial) == 0 && c.in.msgOp == 0 {
		c.in = nil
	}
	return nil
}

func (c *Conn) frame(f frame) error {
	switch f.op {
	case opPing:
		c.pongSoon(f.payload)
		return nil
	case opPong:
		c.mu.Lock()
		if c.pong != nil {
			close(c.pong)
			c.pong = nil
		}
		c.mu.Unlock()
		return nil
	case opClose:
		return c.peerClosed(f.payload)
	case opContinuation:
		if c.in == nil || c.in.msgOp == 0 {
			return errContinuation
		}
		if len(c.in.msg)+len(f.payload) > c.limit {
			return errTooBig
		}
		c.in.msg = append(c.in.msg, f.payload...)
		if !f.fin {
			return nil
		}
		op, msg := c.in.msgOp, c.in.msg
		c.in.msgOp, c.in.msg = 0, nil
		return c.deliver(op == opText, msg)
	}
	if c.in != nil && c.in.msgOp != 0 {
		return errInterleaved
	}
	if f.fin {
		return c.deliver(f.op == opText, f.payload)
	}
	if c.in == nil {
		c.in = &inbound{}
	}
	c.in.msgOp, c.in.msg = f.op, append([]byte(nil), f.payload...)
	return nil
}

// deliver hands a message to Listen's handler, or queues it for Read.
func (c *Conn) deliver(text bool, data []byte) error {
	switch {
	case c.onMsg == nil:
		c.inbox = append(c.inbox, message{text, append([]byte(nil), data...)})
	case !c.deaf:
		// On false the handler has closed the connection; reading goes on
		// for the client's answer to the close frame.
		c.deaf = !c.onMsg(text, data)
	}
	return nil
}

// peerClosed answers the client's close frame (or ends the handshake we
// started) and drops the connection.
func (c *Conn) peerClosed(p []byte) error {
	code, ok := decodeClose(p)
	c.mu.Lock()
	answered := c.closeSent
	c.closeSent = true
	c.mu.Unlock()
	if answered {
		c.CloseNow()
		return errClosed
	}
	var echo []byte
	switch {
	case !ok:
		echo = closePayload(websocket.StatusProtocolError, "bad close frame")
	case code != websocket.StatusNoStatusRcvd:
		echo = closePayload(code, "")
	}
	go func() { // the reader never waits on a write
		_ = c.send(0, opClose, echo)
		c.CloseNow()
	}()
	return errClosed
}

// pongSoon answers a ping without the reader waiting on a write: now if
// the socket takes the pong at once, else from a goroutine, one at a time
// (a ping arriving meanwhile goes unanswered, as RFC 6455 allows for all
// but the latest).
func (c *Conn) pongSoon(payload []byte) {
	begun := false
	if c.wmu.TryLock() {
		c.mu.Lock()
		stop := c.ended
		c.mu.Unlock()
		if stop {
			c.wmu.Unlock()
			return
		}
		if c.pending == nil {
			var a [2 + 125]byte
			frame := AppendFrame(a[:0], opPong, payload)
			n := c.tryWrite(frame)
			if n == len(frame) {
				c.wmu.Unlock()
				return
			}
			if n > 0 {
				c.pending = append([]byte(nil), frame[n:]...)
				payload = nil
				begun = true // the flush below finishes this pong
			}
		}
		c.wmu.Unlock()
	}
	if !c.ponging.CompareAndSwap(false, true) {
		return
	}
	go func(p []byte) {
		defer c.ponging.Store(false)
		if begun {
			_ = c.write(10*time.Second, nil, true) // the pending rest
			return
		}
		_ = c.send(0, opPong, p)
	}(append([]byte(nil), payload...))
}

func closePayload(code websocket.StatusCode, reason string) []byte {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	return append(binary.BigEndian.AppendUint16(make([]byte, 0, 2+len(reason)), uint16(code)), reason...)
}

// Ping sends a ping and waits for the pong until ctx is done, then drops
// the connection.
func (c *Conn) Ping(ctx context.Context) error {
	c.mu.Lock()
	if c.pong == nil {
		c.pong = make(chan struct{})
	}
	pong := c.pong
	c.mu.Unlock()
	if err := c.send(0, opPing, nil); err != nil {
		return err
	}
	select {
	case <-pong:
		c.mu.Lock()
		ended := c.ended
		c.mu.Unlock()
		if ended {
			return errClosed
		}
		return nil
	case <-ctx.Done():
		c.CloseNow()
		return ctx.Err()
	}
}

// Close sends a close frame with code and reason; the connection is
// dropped when the client answers, or after closeWait.
func (c *Conn) Close(code websocket.StatusCode, reason string) error {
	c.mu.Lock()
	if c.ended || c.closeSent {
		c.mu.Unlock()
		return nil
	}
	c.closeSent = true
	c.timer = time.AfterFunc(closeWait, func() { c.CloseNow() })
	c.mu.Unlock()
	err := c.send(0, opClose, closePayload(code, reason))
	if err != nil {
		c.CloseNow()
	}
	return err
}

// CloseNow drops the connection without a handshake.
func (c *Conn) CloseNow() error {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return nil
	}
	c.ended = true
	onEnd, pong, timer := c.onEnd, c.pong, c.timer
	c.pong, c.timer = nil, nil
	c.mu.Unlock()
	if timer != nil {
		timer.Stop()
	}
	c.unpoll()
	err := c.nc.Close()
	if pong != nil {
		close(pong)
	}
	if onEnd != nil {
		go onEnd()
	}
	return err
}
