package realtime

import (
	"context"
	"time"

	"github.com/coder/websocket"
)

// Transport is what a client needs of its socket: exactly the calls the
// hub makes, so the ordering, gap filling, replay seam and slow-client
// close are tested with a fake one. The server's sockets are
// wsconn.Conn (a Listener); coder/websocket is the other adapter
// (WebSocket), for the benchmark. Write and Read run in different goroutines; Close and
// CloseNow may be called from any goroutine, also while a Write or Read is
// in progress, and must make them return.
type Transport interface {
	// Read returns the client's next message; text is false for a binary
	// one. A message over ReadLimit is an error (and closes with 1009).
	Read(ctx context.Context) (text bool, data []byte, err error)
	// Write sends one text frame; ctx carries the write's deadline.
	Write(ctx context.Context, frame []byte) error
	// Ping sends a ping and waits for the pong, up to ctx's deadline.
	Ping(ctx context.Context) error
	// Close runs the close handshake with code and reason.
	Close(code websocket.StatusCode, reason string) error
	// CloseNow drops the connection without a handshake.
	CloseNow() error
}

// Listener is a Transport that hands what the client sends to a callback
// instead of a blocked Read (wsconn.Conn): an idle socket then needs no
// goroutine of its own. Serve uses it when the transport is one.
type Listener interface {
	Transport
	// Listen calls onMessage with each message, in order, one at a time
	// (data is valid during the call only); false means the handler closed
	// the connection. onEnd is called once, on its own goroutine, when the
	// connection has ended, also if it ended before Listen.
	Listen(onMessage func(text bool, data []byte) bool, onEnd func())
}

// frameWriter is a Transport that writes several frames in one call,
// bounded by a timeout rather than a context (none to allocate per write),
// and takes frames encoded once for every socket (wsconn.Conn): the
// client's queue then holds whole frames (wsconn.TextFrame).
type frameWriter interface {
	WriteFrames(timeout time.Duration, payloads ...[]byte) error
	WriteWire(timeout time.Duration, frames ...[]byte) error
	TryWire(frame []byte) (taken, flush bool)
}

// ReadLimit is the largest message a client may send (DESIGN.md, "Bounded
// input"); presence messages are far smaller.
const ReadLimit = 64 << 10

// WebSocket adapts an accepted coder/websocket connection, setting its
// read limit. The adapter is one pointer: storing it in a Transport does
// not allocate, and each call is one indirect call on the fan-out path.
func WebSocket(conn *websocket.Conn) Transport {
	conn.SetReadLimit(ReadLimit)
	return webSocket{conn}
}

type webSocket struct{ c *websocket.Conn }

var _ Transport = webSocket{}

func (w webSocket) Read(ctx context.Context) (bool, []byte, error) {
	typ, b, err := w.c.Read(ctx)
	return typ == websocket.MessageText, b, err
}

func (w webSocket) Write(ctx context.Context, frame []byte) error {
	return w.c.Write(ctx, websocket.MessageText, frame)
}

func (w webSocket) Ping(ctx context.Context) error { return w.c.Ping(ctx) }

func (w webSocket) Close(code websocket.StatusCode, reason string) error {
	return w.c.Close(code, reason)
}

func (w webSocket) CloseNow() error { return w.c.CloseNow() }
