package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
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
	if len(r.recent) > 0 && r.recent[len(r.recent)-1].Seq != m.Seq-1 {
		r.recent = r.recent[:0] // not contiguous (cannot happen: deliver is in order); start again
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
	for c := range r.clients {
		c.enqueue(m)
		switch {
		case m.Type == typeProjectDeleted:
			c.closeWith(CloseNoAccess, "project deleted")
		case m.Type == typeMemberRemoved && c.info.UserID == removedUser:
			c.closeWith(CloseNoAccess, "removed from the project")
		}
	}
	r.hub.opt.Observer.Delivered(len(r.clients))
	r.hub.opt.Observer.FanOut(time.Since(start))
}

// --- presence ---

type presenceUser struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Presence
}

// presenceChanged schedules one presence broadcast within PresenceInterval,
// however many changes come before it. Called with r.mu held.
func (r *room) presenceChanged() {
	if r.presenceTimer == nil && !r.closed {
		r.presenceTimer = time.AfterFunc(r.hub.opt.PresenceInterval, r.broadcastPresence)
	}
}

func (r *room) broadcastPresence() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.presenceTimer = nil
	if r.closed {
		return
	}
	local := r.localUsers()
	if r.hub.shared {
		r.announceLocked(false)
	}
	frame := presenceFrame(mergeUsers(local, r.remote))
	if bytes.Equal(frame, r.lastPresence) {
		return // nothing anyone sees changed (say, another tab of the same user)
	}
	r.lastPresence = frame
	for c := range r.clients {
		c.enqueue(Message{Type: "presence", Data: frame})
	}
}

// localUsers lists each visible user of this instance once (several tabs
// merge: any non-null field wins). Called with r.mu held.
func (r *room) localUsers() []presenceUser {
	byUser := map[string]*presenceUser{}
	for c := range r.clients {
		if c.info.Invisible {
			continue
		}
		p := c.presenceNow()
		u := byUser[c.info.UserID]
		if u == nil {
			u = &presenceUser{ID: c.info.UserID, Name: c.info.UserName}
			byUser[c.info.UserID] = u
		}
		u.merge(p)
	}
	users := make([]presenceUser, 0, len(byUser))
	for _, u := range byUser {
		users = append(users, *u)
	}
	sortUsers(users)
	return users
}

func (u *presenceUser) merge(p Presence) {
	u.Viewing = firstSet(u.Viewing, p.Viewing)
	u.Editing = firstSet(u.Editing, p.Editing)
	u.Dragging = firstSet(u.Dragging, p.Dragging)
}

// mergeUsers adds other instances' users to this instance's, each user
// once, sorted by name.
func mergeUsers(local []presenceUser, remote map[string]remoteUsers) []presenceUser {
	if len(remote) == 0 {
		return local
	}
	byUser := make(map[string]int, len(local))
	all := append([]presenceUser(nil), local...)
	for i, u := range all {
		byUser[u.ID] = i
	}
	for _, ru := range remote {
		for _, u := range ru.users {
			if i, ok := byUser[u.ID]; ok {
				all[i].merge(u.Presence)
				continue
			}
			byUser[u.ID] = len(all)
			all = append(all, u)
		}
	}
	sortUsers(all)
	return all
}

func sortUsers(users []presenceUser) {
	sort.Slice(users, func(i, j int) bool {
		if users[i].Name != users[j].Name {
			return users[i].Name < users[j].Name
		}
		return users[i].ID < users[j].ID
	})
}

// presenceFrame is the frame every viewer of the board gets.
func presenceFrame(users []presenceUser) []byte {
	var f struct {
		Type string `json:"type"`
		Data struct {
			Users []presenceUser `json:"users"`
		} `json:"data"`
	}
	f.Type, f.Data.Users = "presence", users
	b, _ := json.Marshal(f)
	return b
}

// --- presence across instances ---

// announceSoon schedules this instance's announcement of its users to the
// others (coalesced over PresenceInterval); force announces even if they
// did not change (heartbeat, answering a newcomer).
func (r *room) announceSoon(force bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.announceLocked(force)
}

// announceLocked is announceSoon with r.mu held.
func (r *room) announceLocked(force bool) {
	if !r.hub.shared || r.closed {
		return
	}
	r.announceForce = r.announceForce || force
	if r.announceTimer == nil {
		r.announceTimer = time.AfterFunc(r.hub.opt.PresenceInterval, r.announce)
	}
}

// announce publishes this instance's users if they changed since the last
// announcement or one is due. The broker is called outside the room lock.
func (r *room) announce() {
	r.mu.Lock()
	r.announceTimer = nil
	if r.closed {
		r.mu.Unlock()
		return
	}
	users := r.localUsers()
	b, _ := json.Marshal(users)
	force, hello := r.announceForce, r.announceHello
	r.announceForce, r.announceHello = false, false
	if !force && bytes.Equal(b, r.lastAnnounced) {
		r.mu.Unlock()
		return
	}
	r.lastAnnounced = b
	r.mu.Unlock()
	r.publishPresence(users, hello)
}

func (r *room) publishPresence(users []presenceUser, hello bool) {
	h := r.hub
	var m instancePresence
	m.Type = typeInstancePresence
	m.Data.Instance, m.Data.Users, m.Data.Hello = h.id, users, hello
	if users == nil {
		m.Data.Users = []presenceUser{}
	}
	m.Data.TTLms = (3 * h.opt.PresenceHeartbeat).Milliseconds()
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := h.broker.Publish(ctx, r.id, b); err != nil {
		h.opt.Logger.Debug("realtime: presence not announced", "project", r.id, "err", err)
	}
}

// remotePresence records another instance's users. A newcomer (or one
// saying hello) gets this instance's users in answer.
func (r *room) remotePresence(instance string, users []presenceUser, ttl time.Duration, hello bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, known := r.remote[instance]
	if len(users) == 0 {
		delete(r.remote, instance) // nobody visible there (or it left)
	} else {
		r.remote[instance] = remoteUsers{users: users, expires: time.Now().Add(ttl)}
	}
	r.presenceChanged()
	// Answer a hello, and an instance first seen with users. (Not one seen
	// empty: two instances of invisible users would answer each other
	// forever.)
	if hello || (!known && len(users) > 0) {
		r.announceLocked(true)
	}
}

// expireRemote drops the users of instances that stopped announcing.
func (r *room) expireRemote() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	for id, ru := range r.remote {
		if now.After(ru.expires) {
			delete(r.remote, id)
			r.presenceChanged()
		}
	}
}

func firstSet(a, b *string) *string {
	if a != nil {
		return a
	}
	return b
}
