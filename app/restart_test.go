package app

import (
	"context"
	"strconv"
	"testing"

	"github.com/corkboard/corkboard/models"
)

// TestEverythingSurvivesARestart: two users share a project, create and move
// cards; a new server on the same database (same JWT secret) sees it all,
// and the session cookie still works.
func TestEverythingSurvivesARestart(t *testing.T) {
	forEachDatabaseURL(t, func(t *testing.T, url string) {
		first := newTestServerOn(t, url)
		alice := first.register("alice@example.com", "Alice")
		bob := first.register("bob@example.com", "Bob")
		var p models.Project
		alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Launch"}, &p)
		alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": bob.user.Email, "role": "editor"}, nil)
		var a, b models.Issue
		bob.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "A"}, &a)
		bob.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "B"}, &b)
		alice.must(200, "POST", "/api/v1/projects/"+p.ID+"/issues/"+b.ID+"/move", map[string]any{"status": "open", "before_id": a.ID}, nil)
		var evBefore eventsResponse
		alice.must(200, "GET", "/api/v1/projects/"+p.ID+"/events", nil, &evBefore)
		if err := first.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}

		second := newTestServerOn(t, url)
		alice.ts, bob.ts = second, second
		var list list[models.Issue]
		bob.must(200, "GET", "/api/v1/projects/"+p.ID+"/issues", nil, &list)
		if len(list.Items) != 2 {
			t.Fatalf("after restart: %d issues", len(list.Items))
		}
		_, board, err := second.Store().Board(context.Background(), bob.user.ID, p.ID)
		if err != nil || len(board) != 2 || board[0].ID != b.ID || board[1].ID != a.ID {
			t.Fatalf("board order after restart: %+v %v", board, err)
		}
		var evAfter eventsResponse
		alice.must(200, "GET", "/api/v1/projects/"+p.ID+"/events", nil, &evAfter)
		if evAfter.Seq != evBefore.Seq || len(evAfter.Items) != len(evBefore.Items) {
			t.Fatalf("event log changed across restart: %d/%d vs %d/%d", evAfter.Seq, len(evAfter.Items), evBefore.Seq, len(evBefore.Items))
		}
		// A new change continues the sequence without a gap.
		var c models.Issue
		bob.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "C"}, &c)
		if c.Number != 3 {
			t.Fatalf("numbering restarted: %d", c.Number)
		}
		alice.must(200, "GET", "/api/v1/projects/"+p.ID+"/events?since="+itoa64(evBefore.Seq), nil, &evAfter)
		if len(evAfter.Items) != 1 || evAfter.Items[0].Seq != evBefore.Seq+1 {
			t.Fatalf("seq after restart: %+v", evAfter.Items)
		}
	})
}

func itoa64(n int64) string {
	return strconv.FormatInt(n, 10)
}
