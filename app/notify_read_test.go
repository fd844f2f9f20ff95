package app

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/corkboard/corkboard/models"
)

// readData is the data of a notification.read frame.
type readData struct {
	IDs         []string `json:"ids"`
	All         bool     `json:"all"`
	UnreadCount *int64   `json:"unread_count"`
}

// waitRead waits for a notification.read frame and decodes it.
func waitRead(t *testing.T, conn *websocket.Conn, deadline time.Time) (frame, readData) {
	t.Helper()
	f := waitFrame(t, conn, typeNotificationRead, deadline)
	var d readData
	if err := json.Unmarshal(f.Data, &d); err != nil {
		t.Fatal(err)
	}
	return f, d
}

// TestNotificationReadReachesEveryTab: marking notifications read, by the
// API or by the page's form, sends {"type":"notification.read", data:{ids
// | all, unread_count}} (no seq) to every socket of that user — on another
// board and on another instance — so each tab's bell drops; a mark that
// changes nothing sends nothing, and nobody else hears of it.
func TestNotificationReadReachesEveryTab(t *testing.T) {
	nA, nB, a, b, p, issues, other := twoPeopleOnTwoInstances(t, "r")
	for _, body := range []string{"@" + b.user.Handle + " one", "@" + b.user.Handle + " two", "@" + b.user.Handle + " three"} {
		a.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues/"+issues[0].ID+"/comments", map[string]string{"body": body}, nil)
	}
	var list notificationList
	b.must(200, "GET", "/api/v1/notifications?unread=true", nil, &list)
	if len(list.Items) != 3 || list.UnreadCount != 3 {
		t.Fatalf("Rob's notifications %+v", list)
	}

	onB := nB.mustDial(b.on(nB), other.ID, 0) // a tab on another board, on the other instance
	onA := nA.mustDial(b.on(nA), p.ID, 0)     // a tab on the issue's board
	author := nA.mustDial(a, p.ID, 0)         // someone else on the same board
	for _, c := range []*websocket.Conn{onB, onA, author} {
		next(t, c) // hello
	}

	start := time.Now()
	one := list.Items[0].ID
	b.must(204, "POST", "/api/v1/notifications/read", map[string]any{"ids": []string{one}}, nil)
	for name, conn := range map[string]*websocket.Conn{"another instance": onB, "the same instance": onA} {
		f, d := waitRead(t, conn, start.Add(2*time.Second))
		if f.Seq != 0 || !slices.Equal(d.IDs, []string{one}) || d.All || d.UnreadCount == nil || *d.UnreadCount != 2 {
			t.Fatalf("%s: frame %s", name, f.Data)
		}
		t.Logf("%s: read frame after %v", name, time.Since(start))
	}

	// The same again changes nothing and sends nothing: the next frame is
	// the page form's, marking the second one.
	b.must(204, "POST", "/api/v1/notifications/read", map[string]any{"ids": []string{one}}, nil)
	two := list.Items[1].ID
	if res, body := b.on(nA).form("/notifications/read", map[string]string{"id": two}); res.StatusCode != 303 {
		t.Fatalf("the page's Mark read: %d %s", res.StatusCode, body)
	}
	for _, conn := range []*websocket.Conn{onB, onA} {
		if _, d := waitRead(t, conn, time.Now().Add(2*time.Second)); !slices.Equal(d.IDs, []string{two}) || *d.UnreadCount != 1 {
			t.Fatalf("after the form: %+v", d)
		}
	}

	b.must(204, "POST", "/api/v1/notifications/read", map[string]any{"all": true}, nil)
	if _, d := waitRead(t, onA, time.Now().Add(2*time.Second)); !d.All || len(d.IDs) != 0 || *d.UnreadCount != 0 {
		t.Fatalf("all: %+v", d)
	}
	// The author's socket heard none of it: up to a comment made after
	// all that, only the board's events.
	a.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues/"+issues[0].ID+"/comments", map[string]string{"body": "done"}, nil)
	for {
		f := next(t, author)
		if f.Type == typeNotificationRead {
			t.Fatalf("someone else's read frame reached the author: %s", f.Data)
		}
		if f.Type == models.EventCommentCreated {
			break
		}
	}
}
