package app

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
	"github.com/corkboard/corkboard/realtime"
)

// waitFrame reads conn until a frame of type typ arrives, within the
// deadline; other frames (the board's events) are skipped.
func waitFrame(t *testing.T, conn *websocket.Conn, typ string, deadline time.Time) frame {
	t.Helper()
	for {
		f, err := read(conn, time.Until(deadline))
		if err != nil {
			t.Fatalf("no %s frame in time: %v", typ, err)
		}
		if f.Type == typ {
			return f
		}
	}
}

// waitNotification waits for a notification frame and decodes it.
func waitNotification(t *testing.T, conn *websocket.Conn, deadline time.Time) (frame, models.Notification) {
	t.Helper()
	f := waitFrame(t, conn, realtime.TypeNotification, deadline)
	var n models.Notification
	if err := json.Unmarshal(f.Data, &n); err != nil {
		t.Fatal(err)
	}
	return f, n
}

// twoPeopleOnTwoInstances starts two instances (PostgreSQL, Redis) with a
// project of a (one issue) where b is an editor, and another project of b.
func twoPeopleOnTwoInstances(t *testing.T, prefix string) (nA, nB *liveServer, a, b *client, p models.Project,
	issues []models.Issue, other models.Project) {
	t.Helper()
	nodes := newCluster(t, 2, testdb.Postgres(t), testRedisURL(t), realtime.Options{})
	nA, nB = nodes[0], nodes[1]
	a, p, issues = nA.board(prefix+"a@example.com", 1)
	b = nA.register(prefix+"b@example.com", "Bea")
	a.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": b.user.Email, "role": "editor"}, nil)
	b.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Elsewhere"}, &other)
	return nA, nB, a, b, p, issues, other
}

// TestClusterNotificationReachesEverySocket: a mention made on instance A
// reaches, within a second, the recipient's sockets on instance B, on the
// board of the issue and on a board of another project, and on A, as one
// {"type":"notification"} frame without seq, once each; the author's own
// socket gets none.
func TestClusterNotificationReachesEverySocket(t *testing.T) {
	nA, nB, a, b, p, issues, other := twoPeopleOnTwoInstances(t, "n")

	onBoard := nB.mustDial(b.on(nB), p.ID, 0)
	onOther := nB.mustDial(b.on(nB), other.ID, 0)
	author := nA.mustDial(a, p.ID, 0)
	onA := nA.mustDial(b.on(nA), other.ID, 0) // and one on the instance that makes the change
	for _, c := range []*websocket.Conn{onBoard, onOther, author, onA} {
		next(t, c) // hello
	}

	start := time.Now()
	var cm models.Comment
	a.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues/"+issues[0].ID+"/comments",
		map[string]string{"body": "@" + b.user.Handle + " can you look?"}, &cm)
	for name, conn := range map[string]*websocket.Conn{"the issue's board": onBoard, "another board": onOther,
		"a board on instance A": onA} {
		f, n := waitNotification(t, conn, start.Add(time.Second))
		if f.Seq != 0 || n.Kind != models.NotifyMention || n.Issue.ID != issues[0].ID || n.Actor.ID != a.user.ID ||
			n.CommentID == nil || *n.CommentID != cm.ID {
			t.Fatalf("%s: frame seq %d, %+v", name, f.Seq, n)
		}
		t.Logf("%s: notification after %v", name, time.Since(start))
	}
	// The author's socket sees the comment event and no notification.
	for {
		f, err := read(author, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if f.Type == realtime.TypeNotification {
			t.Fatalf("the author was notified of their own comment: %s", f.Data)
		}
		if f.Type == models.EventCommentCreated {
			break
		}
	}
	// And another notification arrives once on each socket, not once per
	// instance (the publisher hears its own message back from Redis).
	a.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues/"+issues[0].ID+"/comments",
		map[string]string{"body": "and again"}, nil)
	for _, conn := range []*websocket.Conn{onOther, onA} {
		_, n := waitNotification(t, conn, time.Now().Add(time.Second))
		if n.Kind != models.NotifyComment {
			t.Fatalf("second notification %+v", n)
		}
	}
	for _, conn := range []*websocket.Conn{onOther, onA} {
		for quiet := time.Now().Add(300 * time.Millisecond); ; {
			f, err := read(conn, time.Until(quiet))
			if err != nil {
				break
			}
			if f.Type == realtime.TypeNotification {
				t.Fatalf("the same notification twice: %s", f.Data)
			}
		}
	}
}
