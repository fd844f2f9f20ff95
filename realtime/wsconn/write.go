package wsconn

import (
	"context"
	"sync"
	"time"
)

var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// Write sends one text frame; ctx's deadline bounds it.
func (c *Conn) Write(ctx context.Context, payload []byte) error {
	var timeout time.Duration
	if dl, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(dl), time.Nanosecond)
	}
	return c.WriteFrames(timeout, payload)
}

// WriteFrames sends each payload as a text frame, all in one write call
// when the socket takes them; timeout bounds a write that has to wait
// (0: no bound).
func (c *Conn) WriteFrames(timeout time.Duration, payloads ...[]byte) error {
	bp := framePool.Get().(*[]byte)
	b := (*bp)[:0]
	for _, p := range payloads {
		b = AppendFrame(b, opText, p)
	}
	err := c.write(timeout, b, false)
	if cap(b) <= 64<<10 {
		*bp = b[:0]
		framePool.Put(bp)
	}
	return err
}

// WriteWire writes whole frames (TextFrame's), in one call when the socket
// takes them: the same bytes can go to every socket. Without frames it
// finishes the frame TryWire began.
func (c *Conn) WriteWire(timeout time.Duration, frames ...[]byte) error {
	if len(frames) <= 1 {
		var b []byte
		if len(frames) == 1 {
			b = frames[0]
		}
		return c.write(timeout, b, false)
	}
	bp := framePool.Get().(*[]byte)
	b := (*bp)[:0]
	for _, f := range frames {
		b = append(b, f...)
	}
	err := c.write(timeout, b, false)
	if cap(b) <= 64<<10 {
		*bp = b[:0]
		framePool.Put(bp)
	}
	return err
}

// TryWire writes a whole frame now if the socket's buffer takes it without
// waiting, so a fan-out needs no goroutine per socket. taken: the frame is
// the connection's; flush: only part of it went out, and WriteWire (with
// no frames) must finish it before anything else is written. Not taken:
// nothing was written (busy writing, or the buffer is full).
func (c *Conn) TryWire(frame []byte) (taken, flush bool) {
	if !c.wmu.TryLock() {
		return false, false
	}
	defer c.wmu.Unlock()
	c.mu.Lock()
	stop := c.ended || c.closeSent
	c.mu.Unlock()
	if stop || c.pending != nil {
		return false, false
	}
	switch n := c.tryWrite(frame); {
	case n == len(frame):
		return true, false
	case n == 0:
		return false, false
	default:
		c.pending = frame[n:] // frames are never modified once written
		return true, true
	}
}

// send writes one control frame.
func (c *Conn) send(timeout time.Duration, op byte, payload []byte) error {
	var a [2 + 125]byte
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	return c.write(timeout, AppendFrame(a[:0], op, payload), op == opClose || op == opPong)
}

// write writes the rest of a frame TryWire began, then b; first without
// waiting (most writes fit the socket's buffer), then, for what is left,
// with a deadline. After a close frame only control frames of the
// handshake go out.
func (c *Conn) write(timeout time.Duration, b []byte, closing bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	stop := c.ended || c.closeSent && !closing
	c.mu.Unlock()
	if stop {
		return errClosed
	}
	if p := c.pending; p != nil {
		c.pending = nil
		if err := c.writeLocked(timeout, p); err != nil {
			return err
		}
	}
	return c.writeLocked(timeout, b)
}

func (c *Conn) writeLocked(timeout time.Duration, b []byte) error {
	n := c.tryWrite(b)
	if n == len(b) {
		return nil
	}
	if timeout > 0 {
		c.nc.SetWriteDeadline(time.Now().Add(timeout))
	}
	_, err := c.nc.Write(b[n:])
	if timeout > 0 {
		c.nc.SetWriteDeadline(time.Time{})
	}
	if err != nil {
		c.CloseNow()
	}
	return err
}
