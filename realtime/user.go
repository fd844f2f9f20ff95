package realtime

import (
	"context"
	"encoding/json"
)

// TypeNotification is the frame a user's sockets receive when they are
// told something (DESIGN "Conversation"): {"type":"notification",
// "data":…}, with no seq. It is not part of a project's log; the
// notifications list is its durable form. Every frame sent by NotifyUser
// travels as this type inside the hub (no seq, kept through a replay),
// whatever its own "type" says (app's "notification.read" too).
const TypeNotification = "notification"

// NotifyUser sends frame to every open socket of userID, on any board:
// this instance's at once, the others' through the control channel (a
// shared broker carries it to every instance; each delivers to its own
// sockets of that user, if any). The frame is encoded once by the caller.
func (h *Hub) NotifyUser(ctx context.Context, userID string, frame []byte) {
	h.deliverToUser(userID, frame)
	if !h.shared {
		return
	}
	m := controlMessage{Type: typeUserNotified, Instance: h.id}
	m.Data.User, m.Data.Frame = userID, json.RawMessage(frame)
	h.publishControl(ctx, m)
}

// deliverToUser queues frame on this instance's sockets of userID. The
// hub's lock covers only copying the set; enqueue never blocks.
func (h *Hub) deliverToUser(userID string, frame []byte) {
	h.mu.Lock()
	set := h.users[userID]
	if len(set) == 0 {
		h.mu.Unlock()
		return
	}
	list := make([]*Client, 0, len(set))
	for c := range set {
		list = append(list, c)
	}
	h.mu.Unlock()
	m := Message{Type: TypeNotification, Data: frame}.withFrame()
	for _, c := range list {
		c.enqueue(m)
	}
}
