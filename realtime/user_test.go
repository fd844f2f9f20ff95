package realtime

import (
	"context"
	"testing"
)

// notifications counts the notification frames conn received.
func (c *fakeConn) notifications() int {
	n := 0
	for _, f := range c.sent() {
		if f.Type == TypeNotification {
			n++
		}
	}
	return n
}

// TestNotifyUser: a notification reaches every socket of its user (any
// session), once, and no socket of anyone else; the frame has no seq.
func TestNotifyUser(t *testing.T) {
	ht := newHubTest(t, Options{}, nil)
	a1 := ht.live(ClientInfo{UserID: "ua", SessionID: "s1"})
	a2 := ht.live(ClientInfo{UserID: "ua", SessionID: "s2"})
	b := ht.live(ClientInfo{UserID: "ub", SessionID: "s3"})
	frame := []byte(`{"type":"notification","data":{"id":"n1"}}`)
	ht.hub.NotifyUser(context.Background(), "ua", frame)
	for _, c := range []*fakeConn{a1, a2} {
		waitFor(t, &c.notifier, "the notification", func() bool { return c.notifications() == 1 })
	}
	// b's frames so far are hello and presence; a notification to ua was
	// queued on ua's clients only, before anything sent to b next.
	ht.hub.NotifyUser(context.Background(), "ub", frame)
	waitFor(t, &b.notifier, "b's own notification", func() bool { return b.notifications() == 1 })
	for _, c := range []*fakeConn{a1, a2} {
		if n := c.notifications(); n != 1 {
			t.Fatalf("ua's socket got %d notifications, want 1", n)
		}
		for _, f := range c.sent() {
			if f.Type == TypeNotification && f.Seq != 0 {
				t.Fatalf("notification frame with seq %d", f.Seq)
			}
		}
	}
	// Nobody of that user here: nothing happens, nothing blocks.
	ht.hub.NotifyUser(context.Background(), "nobody", frame)
}
