package realtime

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// seqRange is from, from+1, …, to.
func seqRange(from, to int64) []int64 {
	var s []int64
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

// TestEventsOutOfOrderAreForwardedInSeqOrder: events published as 3, 2, 4
// are held until 1 arrives, then every client gets 1, 2, 3, 4. GapWait is
// an hour, so the order can only come from holding, not from the log.
func TestEventsOutOfOrderAreForwardedInSeqOrder(t *testing.T) {
	ht := newHubTest(t, Options{GapWait: time.Hour}, nil)
	a := ht.live(ClientInfo{UserID: "u1"})
	b := ht.live(ClientInfo{UserID: "u2", SessionID: "s2"})
	reads := ht.log.readCount()
	ms := ht.log.commitN(4)

	ht.publish(ms[2], ms[1], ms[3])
	// Publish queues to the sockets before it returns: nothing was.
	if n := ht.obs.delivered.Load(); n != 0 {
		t.Fatalf("%d frames queued while seq 1 was missing, want 0", n)
	}
	ht.publish(ms[0])
	a.waitSeqs(t, 1, 2, 3, 4)
	b.waitSeqs(t, 1, 2, 3, 4)
	if n := ht.log.readCount() - reads; n != 0 {
		t.Fatalf("the log was read %d times, want 0 (nothing was missing in the end)", n)
	}
}

// TestGapIsFilledFromTheLog: seq 2 arrives and seq 1 never does (its
// publication was lost). 2 is held for GapWait, then 1 is read from the log
// and both are forwarded in order; later copies of 1 and 2 are dropped.
func TestGapIsFilledFromTheLog(t *testing.T) {
	const gapWait = 50 * time.Millisecond
	ht := newHubTest(t, Options{GapWait: gapWait}, nil)
	a := ht.live(ClientInfo{})
	ms := ht.log.commitN(2)

	start := time.Now()
	ht.publish(ms[1])
	a.waitSeqs(t, 1, 2)
	var first sentFrame
	for _, f := range a.sent() {
		if f.durable() {
			first = f
			break
		}
	}
	if held := first.at.Sub(start); held < gapWait {
		t.Fatalf("seq 1 forwarded %v after seq 2 arrived, before GapWait (%v)", held, gapWait)
	}
	// The fill reads from the last forwarded seq: 1, and 2 again (the
	// held copy is dropped), both forwarded from the log.
	ht.waitCount("GapFilled", &ht.obs.gapFilled, 2)

	// Late and repeated copies are dropped; the next event goes through.
	m3 := ht.log.commit("issue.moved", `{}`)
	ht.publish(ms[0], ms[1], ms[1], m3)
	a.waitSeqs(t, 1, 2, 3)
	ht.waitCount("Delivered", &ht.obs.delivered, 3) // one frame per event
}

// TestGapFillRetriesWhileTheLogFails: while the log cannot be read the
// held event stays held (a gap is never forwarded); the fill is retried
// every GapWait until the log answers.
func TestGapFillRetriesWhileTheLogFails(t *testing.T) {
	ht := newHubTest(t, Options{GapWait: 10 * time.Millisecond}, nil)
	a := ht.live(ClientInfo{})
	ms := ht.log.commitN(2)
	ht.log.failNext(3)
	reads := ht.log.readCount()

	ht.publish(ms[1])
	a.waitSeqs(t, 1, 2)
	if n := ht.log.readCount() - reads; n != 4 {
		t.Fatalf("the log was read %d times, want 4 (three failures, then the fill)", n)
	}
	ht.waitCount("Delivered", &ht.obs.delivered, 2)
}

// TestSlowClientIsClosedWhileOthersGetEverything: a client whose socket
// stopped taking writes fills its queue and is closed with 1013; publishing
// never waits for it, and a client of the same board that keeps pace
// (never a queue behind) gets every event.
func TestSlowClientIsClosedWhileOthersGetEverything(t *testing.T) {
	const queue = 8
	ht := newHubTest(t, Options{QueueSize: queue, WriteTimeout: time.Hour, PresenceInterval: time.Hour}, nil)
	fast := ht.live(ClientInfo{UserID: "u1"})
	slow := newStallingConn(1) // takes hello, then stops reading
	ht.join(slow, ClientInfo{UserID: "u2", SessionID: "s2"})
	slow.waitHello(t)

	const batch, batches = queue / 2, 6
	for i := range batches {
		ms := ht.log.commitN(batch)
		published := make(chan error, 1)
		go func() {
			var errs []error
			for _, m := range ms {
				errs = append(errs, ht.hub.Publish(context.Background(), testProject, m))
			}
			published <- errors.Join(errs...)
		}()
		select {
		case err := <-published:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(waitTimeout):
			t.Fatal("publishing waited for the slow client")
		}
		fast.waitSeqs(t, seqRange(1, int64((i+1)*batch))...)
	}

	if code := slow.waitClosed(t); code != websocket.StatusTryAgainLater {
		t.Fatalf("slow client closed with %d, want 1013", code)
	}
	if code, closed := fast.closeCode(); closed {
		t.Fatalf("fast client closed with %d", code)
	}
	if got := slow.seqs(); len(got) != 0 {
		t.Fatalf("the stalled socket took events %v", got)
	}
	slow.waitServed(t)
	if s := ht.hub.Stats(); s.SlowClosed != 1 || s.Conns != 1 {
		t.Fatalf("stats %+v, want one slow close and one connection left", s)
	}
	ht.waitCount("QueueFull", &ht.obs.queueFull, 1)
}

// TestJoinReplaysThenGoesLive: a client joining with since=2 while the
// head is 5 gets hello(5), then 3, 4, 5 replayed, then the live events
// published during its replay (6, 7), each once: no gap and no duplicate
// at the seam, whether the replay comes from the log (which by then
// already holds 6 and 7) or from the room's recent events.
func TestJoinReplaysThenGoesLive(t *testing.T) {
	for _, tc := range []struct {
		name    string
		recent  int
		fromLog bool
	}{
		{"from the log", 1, true},
		{"from the room's recent events", 128, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ht := newHubTest(t, Options{RecentEvents: tc.recent, GapWait: time.Hour}, nil)
			ms := ht.log.commitN(5)
			other := ht.live(ClientInfo{UserID: "u2", SessionID: "s2"}) // opens the room at head 5
			reads := ht.log.readCount()

			var joiner *fakeConn
			var resume func()
			if tc.fromLog {
				g := ht.log.gateAfter(2)
				joiner = newFakeConn()
				ht.join(joiner, ClientInfo{Since: 2})
				select {
				case <-g.entered:
				case <-time.After(waitTimeout):
					t.Fatal("the replay did not read the log")
				}
				resume = g.release
			} else {
				joiner = newStallingConn(2) // hello and seq 3, then held mid-replay
				ht.join(joiner, ClientInfo{Since: 2})
				joiner.waitStalled(t)
				resume = joiner.resume
			}

			// Live events during the replay, with repeats of replayed ones.
			ms = append(ms, ht.log.commitN(2)...)
			ht.publish(ms[5], ms[4], ms[3], ms[6])
			// They wait behind the replay (a write now would overtake it),
			// the repeats already dropped by the room.
			if got := ht.backlog(joiner); !slices.Equal(got, []int64{6, 7}) {
				t.Fatalf("held behind the replay: %v, want [6 7]", got)
			}
			resume()
			if hello := joiner.waitHello(t); hello != 5 {
				t.Fatalf("hello seq %d, want 5", hello)
			}
			joiner.waitSeqs(t, 3, 4, 5, 6, 7)
			m8 := ht.log.commit("issue.moved", `{}`)
			ht.publish(m8)
			joiner.waitSeqs(t, 3, 4, 5, 6, 7, 8)
			other.waitSeqs(t, 6, 7, 8)
			if n := ht.log.readCount() - reads; tc.fromLog != (n > 0) {
				t.Fatalf("the log was read %d times during the replay", n)
			}
		})
	}
}

// TestResync: a client the hub cannot bring up to date by replay gets
// hello, then resync with the head, and is closed normally (it reloads the
// board over REST and reconnects from there).
func TestResync(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opt    Options
		events int
		pruned int64
		since  int64
	}{
		{"events pruned from the log", Options{RecentEvents: 1}, 20, 10, 5},
		{"further behind than MaxReplay", Options{RecentEvents: 1, MaxReplay: 5}, 20, 0, 2},
		{"since beyond the log's head", Options{}, 3, 0, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ht := newHubTest(t, tc.opt, nil)
			ht.log.commitN(tc.events)
			ht.log.prune(tc.pruned)
			conn := newFakeConn()
			ht.join(conn, ClientInfo{Since: tc.since})
			if code := conn.waitClosed(t); code != websocket.StatusNormalClosure {
				t.Fatalf("closed with %d, want 1000", code)
			}
			conn.waitServed(t)
			head := int64(tc.events)
			var got []string
			for _, f := range conn.sent() {
				got = append(got, string(f.raw))
			}
			want := []string{string(helloFrame(testProject, head)), string(resyncFrame(head))}
			if !slices.Equal(got, want) {
				t.Fatalf("frames %q, want %q", got, want)
			}
		})
	}
}

// flakyBroker is the in-memory broker with a switch that makes Publish
// fail, as the Redis broker does while its connection is lost.
type flakyBroker struct {
	*MemoryBroker
	down      atomic.Bool
	published atomic.Int64 // project events the broker took
}

func (b *flakyBroker) Publish(ctx context.Context, projectID string, payload []byte) error {
	if b.down.Load() {
		return ErrBrokerDown
	}
	if projectID != controlChannel {
		b.published.Add(1)
	}
	return b.MemoryBroker.Publish(ctx, projectID, payload)
}

// TestPublishDeliversLocallyWhenTheBrokerIsDown: Hub.Publish goes through
// the broker; when the broker refuses, it reports the refusal and this
// instance's viewers get the event anyway, once.
func TestPublishDeliversLocallyWhenTheBrokerIsDown(t *testing.T) {
	var fb *flakyBroker
	// GapWait is an hour: seq 2 can only come from the local delivery,
	// not from the log.
	ht := newHubTest(t, Options{GapWait: time.Hour}, func(mb *MemoryBroker) Broker {
		fb = &flakyBroker{MemoryBroker: mb}
		return fb
	})
	a := ht.live(ClientInfo{})
	ms := ht.log.commitN(3)

	if err := ht.hub.Publish(context.Background(), testProject, ms[0]); err != nil {
		t.Fatal(err)
	}
	fb.down.Store(true)
	if err := ht.hub.Publish(context.Background(), testProject, ms[1]); !errors.Is(err, ErrBrokerDown) {
		t.Fatalf("Publish with the broker down: %v, want ErrBrokerDown", err)
	}
	a.waitSeqs(t, 1, 2)
	fb.down.Store(false)
	if err := ht.hub.Publish(context.Background(), testProject, ms[2]); err != nil {
		t.Fatal(err)
	}
	a.waitSeqs(t, 1, 2, 3)
	if n := fb.published.Load(); n != 2 {
		t.Fatalf("the broker took %d events, want 2", n)
	}
}

// TestAccessEventsCloseSockets: member.removed closes the removed user's
// sockets with 4003 while the others go on; project.deleted (no seq)
// closes every socket with 4003.
func TestAccessEventsCloseSockets(t *testing.T) {
	ht := newHubTest(t, Options{}, nil)
	a := ht.live(ClientInfo{UserID: "u1"})
	b1 := ht.live(ClientInfo{UserID: "u2", SessionID: "s2"})
	b2 := ht.live(ClientInfo{UserID: "u2", SessionID: "s3"})

	ht.publish(ht.log.commit(typeMemberRemoved, `{"user_id":"u2"}`))
	for _, c := range []*fakeConn{b1, b2} {
		if code := c.waitClosed(t); code != CloseNoAccess {
			t.Fatalf("removed member's socket closed with %d, want 4003", code)
		}
	}
	a.waitSeqs(t, 1)
	if code, closed := a.closeCode(); closed {
		t.Fatalf("the remaining member's socket closed with %d", code)
	}

	ht.publish(Message{Type: typeProjectDeleted, Data: []byte(`{"type":"project.deleted","project_id":"p1","data":{}}`)})
	if code := a.waitClosed(t); code != CloseNoAccess {
		t.Fatalf("closed with %d after project.deleted, want 4003", code)
	}
}

// TestAuthorizeFailureClosesWithNoAccess: access lost between the upgrade
// and the join closes the socket (4003) before any event is sent.
func TestAuthorizeFailureClosesWithNoAccess(t *testing.T) {
	ht := newHubTest(t, Options{}, nil)
	ht.log.commitN(3)
	conn := newFakeConn()
	ht.join(conn, ClientInfo{Authorize: func(context.Context) error { return errors.New("not a member") }})
	if code := conn.waitClosed(t); code != CloseNoAccess {
		t.Fatalf("closed with %d, want 4003", code)
	}
	conn.waitServed(t)
	if f := conn.sent(); len(f) != 0 {
		t.Fatalf("sent %d frames to a client without access", len(f))
	}
}

// TestClientMessagesAreBounded: only text presence messages are accepted,
// at the presence rate; anything else closes the socket with its code.
func TestClientMessagesAreBounded(t *testing.T) {
	valid := `{"type":"presence","data":{"viewing":"i1","editing":null,"dragging":null}}`
	for _, tc := range []struct {
		name string
		msgs []fakeMessage
		want websocket.StatusCode
	}{
		{"binary", []fakeMessage{{text: false, data: []byte(valid)}}, websocket.StatusUnsupportedData},
		{"unknown field", []fakeMessage{{text: true, data: []byte(`{"type":"presence","data":{"x":1}}`)}},
			websocket.StatusPolicyViolation},
		{"other type", []fakeMessage{{text: true, data: []byte(`{"type":"issue.moved"}`)}}, websocket.StatusPolicyViolation},
		{"two objects", []fakeMessage{{text: true, data: []byte(valid + `{}`)}}, websocket.StatusPolicyViolation},
		// At 0.5 per second (burst 1) the second message within two
		// seconds is one too many.
		{"too frequent", []fakeMessage{{text: true, data: []byte(valid)}, {text: true, data: []byte(valid)}},
			websocket.StatusPolicyViolation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ht := newHubTest(t, Options{PresenceRate: 0.5}, nil)
			conn := ht.live(ClientInfo{})
			for _, m := range tc.msgs {
				conn.in <- m
			}
			if code := conn.waitClosed(t); code != tc.want {
				t.Fatalf("closed with %d, want %d", code, tc.want)
			}
			conn.waitServed(t)
		})
	}
}

// TestPresenceReachesTheBoard: what a viewer says it is doing reaches the
// board's other viewers; an invisible viewer is not shown.
func TestPresenceReachesTheBoard(t *testing.T) {
	ht := newHubTest(t, Options{PresenceInterval: 5 * time.Millisecond}, nil)
	a := ht.live(ClientInfo{UserID: "u1", UserName: "Ann"})
	b := ht.live(ClientInfo{UserID: "u2", UserName: "Bob", SessionID: "s2"})
	ht.live(ClientInfo{UserID: "u3", UserName: "Hidden", SessionID: "s3", Invisible: true})
	a.send(true, `{"type":"presence","data":{"viewing":"issue-7","editing":null,"dragging":null}}`)
	want := []byte(`{"id":"u1","name":"Ann","viewing":"issue-7"`)
	var last []byte
	waitFor(t, &b.notifier, "Ann's presence on Bob's socket", func() bool {
		for _, f := range b.sent() {
			if f.Type == "presence" {
				last = f.raw
			}
		}
		return bytes.Contains(last, want)
	})
	if !bytes.Contains(last, []byte(`"name":"Bob"`)) || bytes.Contains(last, []byte("Hidden")) {
		t.Fatalf("presence %s: want Ann and Bob, not the invisible user", last)
	}
}

// TestEndSessionsAndShutdown: ending a session closes its sockets (4001)
// and no others; shutdown closes the rest (1012) and refuses newcomers.
func TestEndSessionsAndShutdown(t *testing.T) {
	ht := newHubTest(t, Options{}, nil)
	a := ht.live(ClientInfo{UserID: "u1", SessionID: "s1"})
	b := ht.live(ClientInfo{UserID: "u1", SessionID: "s2"})
	ht.hub.EndSessions(context.Background(), "s1")
	if code := a.waitClosed(t); code != CloseSessionEnded {
		t.Fatalf("ended session's socket closed with %d, want 4001", code)
	}
	a.waitServed(t)
	if code, closed := b.closeCode(); closed {
		t.Fatalf("the other session's socket closed with %d", code)
	}

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := ht.hub.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if code := b.waitClosed(t); code != websocket.StatusServiceRestart {
		t.Fatalf("closed with %d on shutdown, want 1012", code)
	}
	if _, err := ht.hub.Admit("u9"); !errors.Is(err, ErrClosing) {
		t.Fatalf("Admit after shutdown: %v, want ErrClosing", err)
	}
}

// TestAdmitCapsConnections: the instance and per-user caps refuse the
// connection beyond them; releasing a slot (once, however often called)
// gives it back.
func TestAdmitCapsConnections(t *testing.T) {
	ht := newHubTest(t, Options{MaxConns: 3, MaxConnsPerUser: 2}, nil)
	h := ht.hub
	r1, err1 := h.Admit("u1")
	_, err2 := h.Admit("u1")
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Admit("u1"); !errors.Is(err, ErrTooManyConnections) {
		t.Fatalf("third socket of u1: %v, want ErrTooManyConnections", err)
	}
	if _, err := h.Admit("u2"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Admit("u3"); !errors.Is(err, ErrTooManyConnections) {
		t.Fatalf("fourth socket: %v, want ErrTooManyConnections", err)
	}
	r1()
	r1()
	if _, err := h.Admit("u3"); err != nil {
		t.Fatalf("after a release: %v", err)
	}
	if _, err := h.Admit("u4"); !errors.Is(err, ErrTooManyConnections) {
		t.Fatalf("a double release freed two slots: %v", err)
	}
}

// stateBroker is the in-memory broker with a connection that the test
// drops and restores, reporting it as the Redis broker does.
type stateBroker struct {
	*MemoryBroker
	mu sync.Mutex
	fn func(up bool)
}

func (b *stateBroker) OnStateChange(fn func(up bool)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fn = fn
}

func (b *stateBroker) set(up bool) {
	b.mu.Lock()
	fn := b.fn
	b.mu.Unlock()
	fn(up)
}

// TestBrokerOutage: while the broker is down the board reads the log every
// DegradedPoll; when it is back the board catches up at once. Either way
// the events published nowhere during the outage reach the viewers.
func TestBrokerOutage(t *testing.T) {
	for _, tc := range []struct {
		name string
		poll time.Duration
		// back restores the broker before waiting for the events.
		back bool
	}{
		{"polls the log while down", 10 * time.Millisecond, false},
		{"catches up when back", time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sb *stateBroker
			ht := newHubTest(t, Options{DegradedPoll: tc.poll}, func(mb *MemoryBroker) Broker {
				sb = &stateBroker{MemoryBroker: mb}
				return sb
			})
			a := ht.live(ClientInfo{})
			sb.set(false)
			ht.log.commitN(2) // committed elsewhere; their publication was lost
			if tc.back {
				sb.set(true)
			}
			a.waitSeqs(t, 1, 2)
			if !tc.back {
				sb.set(true)
			}
			ht.waitCount("BrokerReconnected", &ht.obs.reconnected, 1)
			m3 := ht.log.commit("issue.moved", `{}`)
			ht.publish(m3)
			a.waitSeqs(t, 1, 2, 3)
		})
	}
}
