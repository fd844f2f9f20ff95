package realtime

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// Close codes the hub sends, besides the standard ones (1000 resync,
// 1008 policy, 1011 internal, 1012 restart, 1013 too slow).
const (
	CloseSessionEnded websocket.StatusCode = 4001 // logged out or revoked: do not reconnect
	CloseNoAccess     websocket.StatusCode = 4003 // removed from the project or project deleted
)

// Options tune the hub; zero values take the defaults noted.
type Options struct {
	QueueSize        int           // frames waiting per client before it is closed 1013 (256)
	WriteTimeout     time.Duration // deadline of every socket write (10 s)
	PingInterval     time.Duration // idle time before a ping (25 s)
	PongTimeout      time.Duration // a ping unanswered this long closes the socket (10 s)
	GapWait          time.Duration // how long an out-of-order event waits for the missing one (20 ms)
	MaxReplay        int64         // a client further behind than this gets resync (10,000)
	PresenceInterval time.Duration // presence updates of a board are coalesced this long (100 ms)
	PresenceRate     float64       // presence messages per second a client may send (20, burst 2×)
	MaxConns         int           // sockets per instance (20,000)
	MaxConnsPerUser  int           // sockets per user (50)
	DegradedPoll     time.Duration // while the broker is down, rooms read the log this often (1 s)
	RecentEvents     int           // events each room keeps for replays, sparing the log a reconnect storm (128)
	// PresenceHeartbeat is how often an instance re-announces its presence
	// to the others (shared brokers only); entries not refreshed within 3×
	// this are dropped, so a dead instance's users leave (5 s).
	PresenceHeartbeat time.Duration
	Logger            *slog.Logger
	Observer          Observer // metrics (NopObserver)
	// OnSessionsEnded is told of sessions ended on any instance (before
	// their sockets close here), so caches of sessions can drop them.
	OnSessionsEnded func(ids []string)
}

func (o *Options) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.QueueSize, 256)
	def(&o.MaxConns, 20000)
	def(&o.MaxConnsPerUser, 50)
	def(&o.RecentEvents, 128)
	defDur(&o.WriteTimeout, 10*time.Second)
	defDur(&o.PingInterval, 25*time.Second)
	defDur(&o.PongTimeout, 10*time.Second)
	defDur(&o.GapWait, 20*time.Millisecond)
	defDur(&o.PresenceInterval, 100*time.Millisecond)
	defDur(&o.DegradedPoll, time.Second)
	defDur(&o.PresenceHeartbeat, 5*time.Second)
	if o.MaxReplay <= 0 {
		o.MaxReplay = 10000
	}
	if o.PresenceRate <= 0 {
		o.PresenceRate = 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Observer == nil {
		o.Observer = NopObserver{}
	}
}

// Hub fans each project's events out to the sockets watching it, in seq
// order, gap-free, with a bounded queue per socket. Its lock is never held
// while a socket is written; a room's lock is held only over writes that
// never wait (TryWire), anything else waits in the writer goroutines.
type Hub struct {
	log    Log
	broker Broker
	opt    Options

	id     string // this instance, in presence messages
	shared bool   // the broker reaches other instances

	mu       sync.Mutex
	degraded bool // the broker's connection is down: rooms poll the log
	rooms    map[string]*room
	sessions map[string]map[*Client]struct{}
	users    map[string]map[*Client]struct{} // a user's sockets on any board, for NotifyUser
	perUser  map[string]int
	conns    int
	closing  bool

	subMu sync.Mutex // orders broker Subscribe/Unsubscribe calls

	clients sync.WaitGroup // Serve calls running
	stop    chan struct{}
	stopped sync.Once

	slowClosed atomic.Int64
}

// NewHub returns a hub reading from log; newBroker is handed the hub's
// receive function and returns the broker the hub subscribes through.
func NewHub(log Log, newBroker func(Handler) Broker, opt Options) *Hub {
	opt.defaults()
	h := &Hub{id: newInstanceID(), log: log, opt: opt, rooms: map[string]*room{}, sessions: map[string]map[*Client]struct{}{},
		users: map[string]map[*Client]struct{}{}, perUser: map[string]int{}, stop: make(chan struct{})}
	h.broker = newBroker(h.Receive)
	h.startCluster()
	go h.pinger()
	return h
}

// MaxConnsPerUser is the per-user socket cap in force.
func (h *Hub) MaxConnsPerUser() int { return h.opt.MaxConnsPerUser }

// Broker is the broker the hub publishes through.
func (h *Hub) Broker() Broker { return h.broker }

// ErrTooManyConnections is Admit's answer when a cap is reached.
var ErrTooManyConnections = errors.New("realtime: too many connections")

// ErrClosing is Admit's answer during shutdown.
var ErrClosing = errors.New("realtime: shutting down")

// Admit reserves a connection slot for userID before the upgrade; release
// it (exactly once) when the connection ends or the upgrade fails.
func (h *Hub) Admit(userID string) (release func(), err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closing:
		return nil, ErrClosing
	case h.conns >= h.opt.MaxConns || h.perUser[userID] >= h.opt.MaxConnsPerUser:
		return nil, ErrTooManyConnections
	}
	h.conns++
	h.perUser[userID]++
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.conns--
			if h.perUser[userID]--; h.perUser[userID] <= 0 {
				delete(h.perUser, userID)
			}
		})
	}, nil
}

// Stats are counters for tests and the benchmark.
type Stats struct {
	Conns, Rooms int
	SlowClosed   int64
}

// Stats reports the hub's current counters.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return Stats{Conns: h.conns, Rooms: len(h.rooms), SlowClosed: h.slowClosed.Load()}
}

// publishTimeout bounds the broker's publication of one event; a broker
// that has not answered by then counts as down for that event.
const publishTimeout = time.Second

// Publish announces one committed event of projectID to its viewers on
// every instance: through the broker, or, when the broker refuses it (Redis
// away), to this instance's viewers at once; the other instances read it
// from the log when the broker is back (brokerState). Call it only after
// the event's transaction committed: a rolled-back change is never
// announced. The error is the broker's refusal, for metrics; it is logged
// here, and the event is delivered locally and durable in the log either
// way, so the change itself has not failed.
func (h *Hub) Publish(ctx context.Context, projectID string, m Message) error {
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	err := h.broker.Publish(ctx, projectID, m.Data)
	cancel()
	if err != nil {
		h.opt.Logger.Warn("realtime: event not published; delivered on this instance only",
			"project", projectID, "seq", m.Seq, "err", err)
		h.Receive(projectID, m.Data)
	}
	return err
}

// Receive is the broker's handler: one published event of projectID.
func (h *Hub) Receive(projectID string, payload []byte) {
	if projectID == controlChannel {
		h.receiveControl(payload)
		return
	}
	hd, err := decodeHeader(payload)
	if err != nil {
		h.opt.Logger.Warn("realtime: dropped a malformed broker message", "project", projectID, "err", err)
		return
	}
	h.mu.Lock()
	r := h.rooms[projectID]
	h.mu.Unlock()
	switch {
	case r == nil:
	case hd.Type == typeInstancePresence:
		h.receivePresence(r, payload)
	default:
		r.receive(Message{Seq: hd.Seq, Type: hd.Type, Data: payload})
	}
}

// CloseSession closes every socket opened with sessionID (4001).
func (h *Hub) CloseSession(sessionID string) {
	h.mu.Lock()
	list := make([]*Client, 0, len(h.sessions[sessionID]))
	for c := range h.sessions[sessionID] {
		list = append(list, c)
	}
	h.mu.Unlock()
	for _, c := range list {
		c.closeWith(CloseSessionEnded, "session ended")
	}
}

// Shutdown closes every socket with 1012 (clients reconnect, perhaps to
// another instance), refuses new ones, and waits for them to end or ctx.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	var all []*Client
	for _, r := range h.rooms {
		r.mu.Lock()
		for c := range r.clients {
			all = append(all, c)
		}
		r.mu.Unlock()
	}
	h.mu.Unlock()
	for _, c := range all {
		c.closeWith(websocket.StatusServiceRestart, "server restarting")
	}
	done := make(chan struct{})
	go func() { h.clients.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		for _, c := range all {
			c.conn.CloseNow()
		}
		err = ctx.Err()
	}
	h.stopped.Do(func() { close(h.stop) })
	return errors.Join(err, h.broker.Close())
}

// pinger pings, once per PingInterval, every socket that sent nothing in
// that time, spreading the pings over the interval; an unanswered ping
// closes the socket (idle detection: fasthttp clears deadlines on
// hijacked connections).
func (h *Hub) pinger() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-h.stop:
			return
		case now := <-tick.C:
			h.mu.Lock()
			var due []*Client
			for _, set := range h.sessions {
				for c := range set {
					if now.Sub(c.lastHeard()) >= h.opt.PingInterval && now.After(c.nextPing) {
						c.nextPing = now.Add(h.opt.PingInterval)
						due = append(due, c)
					}
				}
			}
			h.mu.Unlock()
			for _, c := range due {
				go c.ping()
			}
		}
	}
}

// ClientInfo describes a connection being served.
type ClientInfo struct {
	ProjectID string
	UserID    string
	UserName  string
	SessionID string // the session, or the API token, the socket was opened with
	Since     int64
	Invisible bool // not shown in presence
	// Authorize re-checks access after the client joined its room, so a
	// removal racing the connection still closes it.
	Authorize func(ctx context.Context) error
}

// Serve runs one accepted connection (ServeListener for a Listener)
// until it ends. The caller has reserved a slot with Admit and releases it
// after Serve returns.
func (h *Hub) Serve(ctx context.Context, conn Transport, info ClientInfo) {
	h.clients.Add(1)
	defer h.clients.Done()
	c, r := h.begin(ctx, conn, info)
	if r == nil {
		return
	}
	defer h.leave(r, c)
	if err := c.start(ctx, r); err != nil {
		return
	}
	c.readLoop(ctx, r)
}

// ServeListener runs conn like Serve but returns once the client has been
// sent its replay: the connection lives on in conn's callbacks (no
// goroutine while it is idle), and ended is called once it has ended and
// left, where Serve would have returned.
func (h *Hub) ServeListener(ctx context.Context, conn Listener, info ClientInfo, ended func()) {
	h.clients.Add(1)
	c, r := h.begin(ctx, conn, info)
	if r == nil {
		// Listening lets the close handshake finish.
		conn.Listen(func(bool, []byte) bool { return false }, func() { h.clients.Done(); ended() })
		return
	}
	onEnd := func() {
		h.leave(r, c)
		h.clients.Done()
		ended()
	}
	if c.start(ctx, r) != nil {
		conn.Listen(func(bool, []byte) bool { return false }, onEnd)
		return
	}
	conn.Listen(func(text bool, data []byte) bool { return c.handle(r, text, data) }, onEnd)
}

// begin makes conn's client and joins its room (nil when that failed, and
// the connection is being closed).
func (h *Hub) begin(ctx context.Context, conn Transport, info ClientInfo) (*Client, *room) {
	c := &Client{hub: h, conn: conn, info: info, replaying: true}
	c.heard.Store(time.Now().UnixNano())
	c.nextPing = time.Now().Add(time.Duration(rand.Int64N(int64(h.opt.PingInterval))))
	c.tokens = 2 * h.opt.PresenceRate
	c.tokensAt = time.Now()
	c.fw, _ = conn.(frameWriter)

	r, err := h.join(ctx, c)
	if err != nil {
		h.opt.Logger.Warn("realtime: could not open the board's feed", "project", info.ProjectID, "err", err)
		conn.Close(websocket.StatusInternalError, "try again")
		return nil, nil
	}
	return c, r
}

// join adds c to its project's room, starting the room (broker subscription
// and head seq) if c is its first client.
func (h *Hub) join(ctx context.Context, c *Client) (*room, error) {
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		return nil, ErrClosing
	}
	r := h.rooms[c.info.ProjectID]
	first := r == nil
	if first {
		r = newRoom(h, c.info.ProjectID)
		h.rooms[r.id] = r
	}
	r.refs++
	// Clients are indexed by session (token connections under ""), for
	// CloseSession and the pinger.
	if h.sessions[c.info.SessionID] == nil {
		h.sessions[c.info.SessionID] = map[*Client]struct{}{}
	}
	h.sessions[c.info.SessionID][c] = struct{}{}
	if h.users[c.info.UserID] == nil {
		h.users[c.info.UserID] = map[*Client]struct{}{}
	}
	h.users[c.info.UserID][c] = struct{}{}
	h.mu.Unlock()
	if first {
		r.open(ctx)
	}
	select {
	case <-r.ready:
	case <-ctx.Done():
		h.leave(r, c)
		return nil, ctx.Err()
	}
	if r.err != nil {
		h.leave(r, c)
		return nil, r.err
	}
	return r, nil
}

// leave removes c; the last client out closes the room and unsubscribes.
func (h *Hub) leave(r *room, c *Client) {
	c.markClosed()
	r.remove(c)
	h.mu.Lock()
	if set := h.sessions[c.info.SessionID]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.sessions, c.info.SessionID)
		}
	}
	if set := h.users[c.info.UserID]; set != nil {
		delete(set, c)
		if len(set) == 0 {
			delete(h.users, c.info.UserID)
		}
	}
	r.refs--
	last := r.refs == 0
	if last && h.rooms[r.id] == r {
		delete(h.rooms, r.id)
	}
	h.mu.Unlock()
	if last {
		r.shut()
	}
}
