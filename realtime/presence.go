package realtime

// Presence: who is on a board and what each is viewing, editing or
// dragging, coalesced per room, merged with what other instances announce,
// and expired when an instance stops announcing.

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"
	"time"
)

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
	m := Message{Type: "presence", Data: frame}.withFrame()
	for c := range r.clients {
		c.enqueue(m)
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
