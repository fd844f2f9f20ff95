package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The hub's seams, faked: the socket (Transport) and the database's event
// log (Log). These are what the seams are for; the end-to-end tests in app
// run the same paths over real sockets, a real database and Redis.

const testProject = "p1"

// waitTimeout bounds every wait on a condition in these tests.
const waitTimeout = 5 * time.Second

// notifier wakes waiters on every change: changed() is taken before the
// condition is checked, so no change between the check and the wait is
// missed.
type notifier struct {
	mu sync.Mutex
	ch chan struct{}
}

func (n *notifier) changed() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = make(chan struct{})
	}
	return n.ch
}

func (n *notifier) notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch != nil {
		close(n.ch)
		n.ch = nil
	}
}

// waitFor waits until cond holds, waking on n's changes, or fails the test.
func waitFor(t *testing.T, n *notifier, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		ch := n.changed()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		}
	}
}

// --- the event log ---

// fakeLog is one project's event log in memory, with the knobs the tests
// need: pruning, failing reads, and reads held at a gate.
type fakeLog struct {
	notifier
	mu     sync.Mutex
	msgs   []Message // every committed event: msgs[i].Seq == i+1
	pruned int64     // events up to this seq are no longer kept
	fail   int       // the next fail reads answer an error
	reads  int       // Since calls so far
	gates  map[int64]*gate
}

// gate holds the reads of the log after one seq until it is opened.
type gate struct {
	entered chan struct{} // closed when a read reached the gate
	open    chan struct{}
	once    sync.Once
	opened  sync.Once
}

// release lets the reads through.
func (g *gate) release() { g.opened.Do(func() { close(g.open) }) }

func (l *fakeLog) openGates() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, g := range l.gates {
		g.release()
	}
}

var errLogDown = errors.New("fake log: database unavailable")

func (l *fakeLog) Since(ctx context.Context, _ string, after int64, limit int) ([]Message, int64, error) {
	l.mu.Lock()
	l.reads++
	g := l.gates[after]
	failing := l.fail > 0
	if failing {
		l.fail--
	}
	l.mu.Unlock()
	l.notify()
	if g != nil {
		g.once.Do(func() { close(g.entered) })
		select {
		case <-g.open:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	head := int64(len(l.msgs))
	switch {
	case failing:
		return nil, 0, errLogDown
	case after >= head:
		return nil, head, nil
	case after < l.pruned:
		return nil, head, ErrPruned
	}
	end := min(head, after+int64(limit))
	return slices.Clone(l.msgs[after:end]), head, nil
}

// commit appends an event of type typ (data is its "data" object) and
// returns it; nothing is published.
func (l *fakeLog) commit(typ, data string) Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	seq := int64(len(l.msgs)) + 1
	m := Message{Seq: seq, Type: typ, Data: eventFrame(typ, seq, data)}
	l.msgs = append(l.msgs, m)
	return m
}

// commitN commits n issue.moved events.
func (l *fakeLog) commitN(n int) []Message {
	ms := make([]Message, n)
	for i := range ms {
		ms[i] = l.commit("issue.moved", `{}`)
	}
	return ms
}

func eventFrame(typ string, seq int64, data string) []byte {
	return fmt.Appendf(nil, `{"type":%q,"project_id":%q,"seq":%d,"data":%s}`, typ, testProject, seq, data)
}

func (l *fakeLog) prune(upto int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pruned = upto
}

func (l *fakeLog) failNext(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fail = n
}

func (l *fakeLog) head() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.msgs))
}

func (l *fakeLog) readCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reads
}

// gateAfter makes reads of the events after seq wait until the returned
// gate is opened.
func (l *fakeLog) gateAfter(seq int64) *gate {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gates == nil {
		l.gates = map[int64]*gate{}
	}
	g := &gate{entered: make(chan struct{}), open: make(chan struct{})}
	l.gates[seq] = g
	return g
}

// --- the socket ---

// fakeConn is a Transport that records what the hub writes. Writes beyond
// the first stallAfter block until the connection is closed (a client that
// stopped reading) or resumed; the client's messages are fed to Read.
type fakeConn struct {
	notifier
	in         chan fakeMessage
	closed     chan struct{}
	release    chan struct{} // closed by resume
	served     chan struct{} // closed when Serve returned
	stallAfter int           // -1: writes never block

	mu       sync.Mutex
	frames   []sentFrame
	stalled  int  // writes blocked now
	resumed  bool // writes no longer stall
	code     websocket.StatusCode
	reason   string
	isClosed bool
}

type fakeMessage struct {
	text bool
	data []byte
}

type sentFrame struct {
	Type string `json:"type"`
	Seq  int64  `json:"seq"`
	at   time.Time
	raw  []byte
}

// durable reports whether the frame is an event of the log (not hello,
// presence or resync).
func (f sentFrame) durable() bool {
	return f.Type != "hello" && f.Type != "presence" && f.Type != "resync"
}

var errConnClosed = errors.New("fake conn: closed")

var _ Transport = (*fakeConn)(nil)

func newFakeConn() *fakeConn { return newStallingConn(-1) }

func newStallingConn(stallAfter int) *fakeConn {
	return &fakeConn{in: make(chan fakeMessage, 16), closed: make(chan struct{}), release: make(chan struct{}),
		served: make(chan struct{}), stallAfter: stallAfter}
}

func (c *fakeConn) Read(ctx context.Context) (bool, []byte, error) {
	select {
	case m := <-c.in:
		return m.text, m.data, nil
	case <-c.closed:
		return false, nil, errConnClosed
	case <-ctx.Done():
		return false, nil, ctx.Err()
	}
}

func (c *fakeConn) Write(ctx context.Context, frame []byte) error {
	c.mu.Lock()
	for c.stallAfter >= 0 && len(c.frames) >= c.stallAfter && !c.isClosed && !c.resumed {
		c.stalled++
		c.mu.Unlock()
		c.notify()
		var err error
		select {
		case <-c.closed:
		case <-c.release:
		case <-ctx.Done():
			err = ctx.Err()
		}
		c.mu.Lock()
		c.stalled--
		if err != nil {
			c.mu.Unlock()
			return err
		}
	}
	if c.isClosed {
		c.mu.Unlock()
		return errConnClosed
	}
	f := sentFrame{at: time.Now(), raw: slices.Clone(frame)}
	if err := json.Unmarshal(frame, &f); err != nil {
		c.mu.Unlock()
		return fmt.Errorf("fake conn: the hub wrote a frame that is not JSON: %q", frame)
	}
	c.frames = append(c.frames, f)
	c.mu.Unlock()
	c.notify()
	return nil
}

// resume lets stalled and later writes through.
func (c *fakeConn) resume() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.resumed {
		c.resumed = true
		close(c.release)
	}
}

// waitStalled waits until a write is blocked.
func (c *fakeConn) waitStalled(t *testing.T) {
	t.Helper()
	waitFor(t, &c.notifier, "a stalled write", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.stalled > 0
	})
}

func (c *fakeConn) Ping(ctx context.Context) error {
	select {
	case <-c.closed:
		return errConnClosed
	default:
		return nil
	}
}

// Close records the first close (as a peer sees only one close frame).
func (c *fakeConn) Close(code websocket.StatusCode, reason string) error {
	c.mu.Lock()
	if c.isClosed {
		c.mu.Unlock()
		return errConnClosed
	}
	c.isClosed, c.code, c.reason = true, code, reason
	close(c.closed)
	c.mu.Unlock()
	c.notify()
	return nil
}

// CloseNow drops the connection; a peer sees no close code (-1).
func (c *fakeConn) CloseNow() error { return c.Close(-1, "") }

// send is a message from the client.
func (c *fakeConn) send(text bool, data string) { c.in <- fakeMessage{text: text, data: []byte(data)} }

func (c *fakeConn) sent() []sentFrame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.frames)
}

// seqs are the seqs of the durable events written, in order.
func (c *fakeConn) seqs() []int64 {
	var s []int64
	for _, f := range c.sent() {
		if f.durable() {
			s = append(s, f.Seq)
		}
	}
	return s
}

func (c *fakeConn) closeCode() (websocket.StatusCode, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.code, c.isClosed
}

// waitSeqs waits until the client got at least len(want) events and checks
// that they are exactly want.
func (c *fakeConn) waitSeqs(t *testing.T, want ...int64) {
	t.Helper()
	waitFor(t, &c.notifier, fmt.Sprintf("events %v", want), func() bool { return len(c.seqs()) >= len(want) })
	if got := c.seqs(); !slices.Equal(got, want) {
		t.Fatalf("client got events %v, want %v", got, want)
	}
}

// waitHello waits for the first frame, which must be hello, and returns
// its seq.
func (c *fakeConn) waitHello(t *testing.T) int64 {
	t.Helper()
	waitFor(t, &c.notifier, "hello", func() bool { return len(c.sent()) > 0 })
	f := c.sent()[0]
	if f.Type != "hello" {
		t.Fatalf("first frame %s, want hello", f.raw)
	}
	return f.Seq
}

// waitClosed waits for the hub to close the connection and returns the code.
func (c *fakeConn) waitClosed(t *testing.T) websocket.StatusCode {
	t.Helper()
	waitFor(t, &c.notifier, "the connection to be closed", func() bool { _, ok := c.closeCode(); return ok })
	code, _ := c.closeCode()
	return code
}

// waitServed waits for Serve to return.
func (c *fakeConn) waitServed(t *testing.T) {
	t.Helper()
	select {
	case <-c.served:
	case <-time.After(waitTimeout):
		t.Fatal("Serve did not return")
	}
}

// --- the hub ---

// countingObserver counts what the hub reports; the counts are updated
// after the frames are queued, so tests wait for them (waitCount).
type countingObserver struct {
	NopObserver
	notifier
	delivered, queueFull, gapFilled, reconnected atomic.Int64
}

func (o *countingObserver) Delivered(n int)    { o.delivered.Add(int64(n)); o.notify() }
func (o *countingObserver) QueueFull()         { o.queueFull.Add(1); o.notify() }
func (o *countingObserver) GapFilled(n int)    { o.gapFilled.Add(int64(n)); o.notify() }
func (o *countingObserver) BrokerReconnected() { o.reconnected.Add(1); o.notify() }

// waitCount waits until counter reaches want and checks it did not pass it.
func (ht *hubTest) waitCount(name string, counter *atomic.Int64, want int64) {
	ht.t.Helper()
	waitFor(ht.t, &ht.obs.notifier, fmt.Sprintf("%s to count %d", name, want), func() bool { return counter.Load() >= want })
	if n := counter.Load(); n != want {
		ht.t.Fatalf("%s counted %d, want %d", name, n, want)
	}
}

// hubTest is a hub over a fake log, serving fake connections. Cleanup
// shuts it down and checks that its goroutines ended.
type hubTest struct {
	t      *testing.T
	hub    *Hub
	log    *fakeLog
	obs    *countingObserver
	serves sync.WaitGroup
}

// newHubTest starts a hub with opt on an in-memory broker; wrap, if set,
// puts a test broker around it.
func newHubTest(t *testing.T, opt Options, wrap func(*MemoryBroker) Broker) *hubTest {
	t.Helper()
	baseline := runtime.NumGoroutine()
	ht := &hubTest{t: t, log: &fakeLog{}, obs: &countingObserver{}}
	opt.Observer = ht.obs
	ht.hub = NewHub(ht.log, func(h Handler) Broker {
		mb := NewMemoryBroker(h)
		if wrap != nil {
			return wrap(mb)
		}
		return mb
	}, opt)
	t.Cleanup(func() {
		ht.log.openGates() // a test that failed may have left a read waiting
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := ht.hub.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		ht.serves.Wait()
		deadline := time.Now().Add(waitTimeout)
		for runtime.NumGoroutine() > baseline {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Errorf("%d goroutines after shutdown, %d before the hub:\n%s", runtime.NumGoroutine(), baseline,
					buf[:runtime.Stack(buf, true)])
				return
			}
			time.Sleep(5 * time.Millisecond) // polling a count nothing signals
		}
	})
	return ht
}

// join serves conn as a client of the test project with info's user
// (user "u1", session "s1" unless set).
func (ht *hubTest) join(conn *fakeConn, info ClientInfo) {
	ht.t.Helper()
	info.ProjectID = testProject
	if info.UserID == "" {
		info.UserID = "u1"
	}
	if info.SessionID == "" {
		info.SessionID = "s1"
	}
	release, err := ht.hub.Admit(info.UserID)
	if err != nil {
		ht.t.Fatal(err)
	}
	ht.serves.Add(1)
	go func() {
		defer ht.serves.Done()
		defer close(conn.served)
		defer release()
		ht.hub.Serve(context.Background(), conn, info)
	}()
}

// live joins a client at the log's head and waits for its hello.
func (ht *hubTest) live(info ClientInfo) *fakeConn {
	ht.t.Helper()
	conn := newFakeConn()
	info.Since = ht.log.head()
	ht.join(conn, info)
	conn.waitHello(ht.t)
	return conn
}

// publish announces committed events as the app does after a commit.
func (ht *hubTest) publish(ms ...Message) {
	ht.t.Helper()
	for _, m := range ms {
		if err := ht.hub.Publish(context.Background(), testProject, m); err != nil {
			ht.t.Fatalf("publish %d: %v", m.Seq, err)
		}
	}
}

// backlog is the seqs of the live events waiting behind conn's replay.
func (ht *hubTest) backlog(conn *fakeConn) []int64 {
	ht.t.Helper()
	ht.hub.mu.Lock()
	r := ht.hub.rooms[testProject]
	ht.hub.mu.Unlock()
	if r == nil {
		ht.t.Fatal("no room")
	}
	r.mu.Lock()
	var c *Client
	for x := range r.clients {
		if x.conn == Transport(conn) {
			c = x
		}
	}
	r.mu.Unlock()
	if c == nil {
		ht.t.Fatal("the connection is not in the room")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var seqs []int64
	for _, m := range c.backlog {
		seqs = append(seqs, m.Seq)
	}
	return seqs
}
