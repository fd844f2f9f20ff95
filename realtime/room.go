package realtime

import (
	"context"
	"maps"
	"runtime"
	"slices"
	"sync"
	"time"
)

// room is one project's live feed on this instance: its clients, the last
// seq forwarded, events held while an earlier one is missing, and presence.
type room struct {
	hub *Hub
	id  string

	refs  int           // clients joined or joining (guarded by hub.mu)
	ready chan struct{} // closed when open has finished
	err   error         // open's failure, read after ready

	mu       sync.Mutex
	clients  map[*Client]struct{}
	last     int64             // highest seq forwarded, in order
	held     map[int64]Message // arrived before last+1
	gapTimer *time.Timer
	filling  bool
	started  bool // head read: events can be forwarded
	closed   bool
	recent   []Message // the last RecentEvents events forwarded, in seq order

	presenceTimer *time.Timer
	lastPresence  []byte // the last presence frame broadcast

	// Other instances' viewers (shared brokers only), and this instance's
	// announcement of its own.
	remote        map[string]remoteUsers // instance id → its users
	announceTimer *time.Timer
	announceForce bool   // announce even if unchanged (heartbeat, hello)
	announceHello bool   // ask the others to answer with theirs
	lastAnnounced []byte // the users last announced
}

type remoteUsers struct {
	users   []presenceUser
	expires time.Time
}

func newRoom(h *Hub, id string) *room {
	return &room{hub: h, id: id, ready: make(chan struct{}), clients: map[*Client]struct{}{}, held: map[int64]Message{},
		remote: map[string]remoteUsers{}}
}

// open subscribes to the broker, then reads the head seq: an event that
// committed before the read is in the log (clients replay it), one that
// commits after is published after the subscription and arrives here.
func (r *room) open(ctx context.Context) {
	defer close(r.ready)
	h := r.hub
	h.subMu.Lock()
	err := h.broker.Subscribe(ctx, r.id)
	h.subMu.Unlock()
	if err != nil {
		r.err = err
		return
	}
	_, head, err := h.log.Since(ctx, r.id, 1<<62, 1)
	if err != nil {
		r.err = err
		r.unsubscribe()
		return
	}
	// The latest events, for clients reconnecting from a little behind
	// (say, the viewers of an instance that died): they replay from
	// memory instead of each reading the log.
	var recent []Message
	if head > 0 {
		if msgs, _, err := h.log.Since(ctx, r.id, max(0, head-int64(h.opt.RecentEvents)), h.opt.RecentEvents); err == nil {
			recent = msgs
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last, r.started = head, true
	for _, m := range recent {
		if m.Seq <= head && (len(r.recent) == 0 || m.Seq == r.recent[len(r.recent)-1].Seq+1) {
			r.recent = append(r.recent, m)
		}
	}
	r.drain()
	r.announceHello = true
	r.announceLocked(true)
}

// shut unsubscribes when the last client has left.
func (r *room) shut() {
	r.mu.Lock()
	r.closed = true
	if r.gapTimer != nil {
		r.gapTimer.Stop()
	}
	if r.presenceTimer != nil {
		r.presenceTimer.Stop()
	}
	if r.announceTimer != nil {
		r.announceTimer.Stop()
	}
	r.mu.Unlock()
	<-r.ready
	if r.err == nil {
		if r.hub.shared {
			r.publishPresence(nil, false) // no users here now: others drop ours at once
		}
		r.unsubscribe()
	}
}

// unsubscribe drops the broker subscription unless a newer room of the same
// project has taken over (it needs the subscription). Subscribe and
// Unsubscribe are serialised by hub.subMu, so a room closing while the next
// one opens cannot unsubscribe the newcomer.
func (r *room) unsubscribe() {
	h := r.hub
	h.subMu.Lock()
	defer h.subMu.Unlock()
	h.mu.Lock()
	cur := h.rooms[r.id]
	h.mu.Unlock()
	if cur != nil && cur != r {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.broker.Unsubscribe(ctx, r.id); err != nil {
		h.opt.Logger.Warn("realtime: unsubscribe", "project", r.id, "err", err)
	}
}

// add registers c and returns the seq up to which c must replay from the
// log; every later event reaches c through deliver.
func (r *room) add(c *Client) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clients[c] = struct{}{}
	r.presenceChanged()
	return r.last
}

func (r *room) remove(c *Client) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.clients[c]; ok {
		delete(r.clients, c)
		r.presenceChanged()
	}
}

// receive takes one published event. Events are forwarded in seq order:
// one that arrives early waits GapWait for the missing ones, which are then
// read from the log.
func (r *room) receive(m Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m.Seq == 0 {
		// Not in the log (project.deleted): forward as it comes.
		r.forward(m)
		return
	}
	if r.closed || m.Seq <= r.last {
		return // a duplicate, or already read from the log
	}
	r.held[m.Seq] = m
	if !r.started {
		return // open drains once the head is known
	}
	r.drain()
}

// drain forwards held events while the next one is there, and arms the gap
// timer when one is missing. Called with r.mu held.
func (r *room) drain() {
	for {
		m, ok := r.held[r.last+1]
		if !ok {
			break
		}
		delete(r.held, m.Seq)
		r.deliver(m)
	}
	for seq := range r.held {
		if seq <= r.last {
			delete(r.held, seq)
		}
	}
	if len(r.held) > 0 && r.gapTimer == nil && !r.filling && !r.closed {
		r.gapTimer = time.AfterFunc(r.hub.opt.GapWait, r.fill)
	}
}

// fill reads the missing events from the log (never under the room lock).
func (r *room) fill() {
	r.mu.Lock()
	r.gapTimer = nil
	held := len(r.held) > 0
	r.mu.Unlock()
	if held {
		r.readLog()
	}
}

// catchUp reads everything after the last forwarded event from the log: when
// the broker comes back (it dropped what was published meanwhile), and
// while it is down.
func (r *room) catchUp() {
	for r.readLog() {
	}
}

// readLog forwards, in order, up to a page of events after r.last from the
// log; it reports whether a full page came (there may be more).
func (r *room) readLog() (more bool) {
	const page = 1000
	r.mu.Lock()
	if r.closed || !r.started || r.filling {
		r.mu.Unlock()
		return false
	}
	r.filling = true
	from := r.last
	r.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	msgs, _, err := r.hub.log.Since(ctx, r.id, from, page)
	cancel()

	r.mu.Lock()
	defer r.mu.Unlock()
	r.filling = false
	if err != nil {
		r.hub.opt.Logger.Warn("realtime: reading the log to fill a gap", "project", r.id, "after", from, "err", err)
	}
	filled := 0
	for _, m := range msgs {
		if m.Seq > r.last {
			delete(r.held, m.Seq)
			if m.Seq == r.last+1 {
				filled++
				r.deliver(m)
			}
		}
	}
	if filled > 0 {
		r.hub.opt.Observer.GapFilled(filled)
	}
	r.drain()
	return err == nil && len(msgs) == page
}

// deliver forwards the next event in order. Called with r.mu held.
func (r *room) deliver(m Message) {
	r.last = m.Seq
	if len(r.recent) > 0 && r.recent[len(r.recent)-1].Seq != m.Seq-1 || m.Type == typeTrashPurged {
		// Not contiguous (cannot happen: deliver is in order), or redacted
		// in the log: start again.
		clear(r.recent)
		r.recent = r.recent[:0]
	}
	if len(r.recent) == r.hub.opt.RecentEvents {
		copy(r.recent, r.recent[1:])
		r.recent = r.recent[:len(r.recent)-1]
	}
	r.recent = append(r.recent, m)
	r.forward(m)
}

// recentAfter returns the events (after, upto] from memory, or false if
// the room does not hold all of them.
func (r *room) recentAfter(after, upto int64) ([]Message, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.recent) == 0 || r.recent[0].Seq > after+1 || r.recent[len(r.recent)-1].Seq < upto {
		return nil, false
	}
	i := int(after + 1 - r.recent[0].Seq)
	j := int(upto - r.recent[0].Seq + 1)
	return append([]Message(nil), r.recent[i:j]...), true
}

// parallelFanOut is the room size from which forward uses every CPU.
const parallelFanOut = 1024

// forward queues m to every client and applies its access consequences:
// a removed member's sockets and a deleted project's close with 4003.
func (r *room) forward(m Message) {
	var removedUser string
	if m.Type == typeMemberRemoved {
		if hd, err := decodeHeader(m.Data); err == nil {
			removedUser = hd.Data.UserID
		}
	}
	start := time.Now()
	m = m.withFrame()
	each := func(c *Client) {
		c.enqueue(m)
		switch {
		case m.Type == typeProjectDeleted:
			c.closeWith(CloseNoAccess, "project deleted")
		case m.Type == typeMemberRemoved && c.info.UserID == removedUser:
			c.closeWith(CloseNoAccess, "removed from the project")
		}
	}
	if n := runtime.GOMAXPROCS(0); n > 1 && len(r.clients) >= parallelFanOut {
		// Frames are written inline (enqueue): a big room's sockets are
		// split over the CPUs. r.mu stays held, so events stay in order.
		all := slices.Collect(maps.Keys(r.clients))
		var wg sync.WaitGroup
		for part := range slices.Chunk(all, (len(all)+n-1)/n) {
			wg.Go(func() {
				for _, c := range part {
					each(c)
				}
			})
		}
		wg.Wait()
	} else {
		for c := range r.clients {
			each(c)
		}
	}
	r.hub.opt.Observer.Delivered(len(r.clients))
	r.hub.opt.Observer.FanOut(time.Since(start))
}
