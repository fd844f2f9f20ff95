package realtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"
)

// What crosses instances besides project events: session ends on the
// control channel, and each instance's presence on the project's channel.
// Neither has a seq; neither is in the log.

// controlChannel is subscribed by every hub for its whole life. Project
// ids are UUIDs, so it cannot collide with one.
const controlChannel = "_control"

const (
	typeSessionsEnded    = "sessions.ended"
	typeCatchUp          = "catch.up"
	typeInstancePresence = "presence.instance"
	typeUserNotified     = "user.notified"
)

// controlMessage is what the control channel carries: sessions that ended
// (close their sockets), or an instance back from a broker outage (it
// delivered its changes only locally meanwhile: read the log).
type controlMessage struct {
	Type     string `json:"type"`
	Instance string `json:"instance,omitempty"` // the sender, for messages it delivered itself
	Data     struct {
		IDs   []string        `json:"ids,omitempty"`
		User  string          `json:"user,omitempty"`
		Frame json.RawMessage `json:"frame,omitempty"`
	} `json:"data"`
}

// instancePresence is one instance's visible users of a project. Others
// keep it until TTL passes without a refresh (the instance died).
type instancePresence struct {
	Type string `json:"type"`
	Data struct {
		Instance string         `json:"instance"`
		TTLms    int64          `json:"ttl_ms"`
		Users    []presenceUser `json:"users"`
		Hello    bool           `json:"hello,omitempty"` // a new room: others answer with theirs
	} `json:"data"`
}

func newInstanceID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startCluster wires the hub to a shared broker: the control channel, the
// broker's state, and the presence heartbeat.
func (h *Hub) startCluster() {
	h.shared = h.broker.Distributed()
	h.broker.OnStateChange(h.brokerState)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.broker.Subscribe(ctx, controlChannel); err != nil {
		h.opt.Logger.Warn("realtime: control channel", "err", err)
	}
	if h.shared {
		go h.heartbeat()
	}
}

// EndSessions closes every socket of the given sessions, on this instance
// at once and on the others through the control channel.
func (h *Hub) EndSessions(ctx context.Context, ids ...string) {
	if len(ids) == 0 {
		return
	}
	for _, id := range ids {
		h.CloseSession(id)
	}
	if !h.shared {
		return
	}
	m := controlMessage{Type: typeSessionsEnded}
	m.Data.IDs = ids
	h.publishControl(ctx, m)
}

// receiveControl handles a control-channel message.
func (h *Hub) receiveControl(payload []byte) {
	var m controlMessage
	if err := json.Unmarshal(payload, &m); err != nil {
		h.opt.Logger.Warn("realtime: dropped a malformed control message")
		return
	}
	switch m.Type {
	case typeSessionsEnded:
		if h.opt.OnSessionsEnded != nil {
			h.opt.OnSessionsEnded(m.Data.IDs)
		}
		for _, id := range m.Data.IDs {
			h.CloseSession(id)
		}
	case typeCatchUp:
		h.catchUpAll()
	case typeUserNotified:
		if m.Instance != h.id && m.Data.User != "" && json.Valid(m.Data.Frame) {
			h.deliverToUser(m.Data.User, m.Data.Frame)
		}
	}
}

// brokerState is the broker's report that its connection dropped or came
// back. While it is down every room polls the log; when it is back every
// room catches up once, which fills what Redis dropped in between.
func (h *Hub) brokerState(up bool) {
	h.mu.Lock()
	was := h.degraded
	h.degraded = !up
	rooms := h.roomList()
	h.mu.Unlock()
	if !up && !was {
		go h.pollWhileDegraded()
	}
	if up {
		if was {
			h.opt.Observer.BrokerReconnected()
			// Changes made here while the connection was down reached only
			// this instance's viewers: the others must read the log too.
			go h.publishControl(context.Background(), controlMessage{Type: typeCatchUp})
		}
		for _, r := range rooms {
			go r.catchUp()
			r.announceSoon(true)
		}
	}
}

// catchUpAll has every room read what it missed from the log.
func (h *Hub) catchUpAll() {
	h.mu.Lock()
	rooms := h.roomList()
	h.mu.Unlock()
	for _, r := range rooms {
		go r.catchUp()
	}
}

func (h *Hub) publishControl(ctx context.Context, m controlMessage) {
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := h.broker.Publish(ctx, controlChannel, b); err != nil {
		h.opt.Logger.Warn("realtime: control message not sent", "type", m.Type, "err", err)
	}
}

// roomList copies the rooms. Called with h.mu held.
func (h *Hub) roomList() []*room {
	list := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		list = append(list, r)
	}
	return list
}

// pollWhileDegraded reads the log of every room each DegradedPoll until the
// broker is back, so viewers keep seeing changes made on other instances.
func (h *Hub) pollWhileDegraded() {
	t := time.NewTicker(h.opt.DegradedPoll)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		h.mu.Lock()
		degraded := h.degraded
		rooms := h.roomList()
		h.mu.Unlock()
		if !degraded {
			return
		}
		for _, r := range rooms {
			r.catchUp()
		}
	}
}

// heartbeat re-announces this instance's presence in every room and drops
// other instances' entries that were not refreshed in time.
func (h *Hub) heartbeat() {
	t := time.NewTicker(h.opt.PresenceHeartbeat)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		h.mu.Lock()
		rooms := h.roomList()
		h.mu.Unlock()
		for _, r := range rooms {
			r.expireRemote()
			r.announceSoon(true)
		}
	}
}

// receivePresence takes another instance's presence for room r.
func (h *Hub) receivePresence(r *room, payload []byte) {
	var m instancePresence
	if err := json.Unmarshal(payload, &m); err != nil || m.Data.Instance == "" {
		h.opt.Logger.Warn("realtime: dropped a malformed presence message", "project", r.id)
		return
	}
	if m.Data.Instance == h.id {
		return // our own, back from the broker
	}
	r.remotePresence(m.Data.Instance, m.Data.Users, time.Duration(m.Data.TTLms)*time.Millisecond, m.Data.Hello)
}
