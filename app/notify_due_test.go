package app

import (
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// TestDueSoon: an issue assigned to someone and due tomorrow in its
// project's time zone tells them once (however many runs), from the
// system; one due later, or unassigned, tells nobody. A project in
// UTC+14 is already at tomorrow's date while UTC is not.
func TestDueSoon(t *testing.T) {
	ts, clk, _ := notifyServer(t, testdb.SQLite(t))
	// 11:00 UTC: 01:00 the next day in Kiritimati (UTC+14).
	now := clk.Now()
	clk.Advance(now.Truncate(24 * time.Hour).Add(35 * time.Hour).Sub(now))
	f := newFixture(ts)
	date := func(days int) string { return clk.Now().UTC().AddDate(0, 0, days).Format(time.DateOnly) }
	mk := func(title string, assignee *client, due string) models.Issue {
		body := map[string]any{"title": title, "due_date": due}
		if assignee != nil {
			body["assignee_id"] = assignee.user.ID
		}
		var is models.Issue
		f.owner.must(201, "POST", f.path("/issues"), body, &is)
		return is
	}
	tomorrow := mk("Due tomorrow", f.editor, date(1))
	mk("Due later", f.editor, date(2))
	mk("Nobody's", nil, date(1))
	mine := mk("Owner's own", f.owner, date(1))

	var other models.Project
	f.owner.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Far east"}, &other)
	f.owner.must(200, "PATCH", "/api/v1/projects/"+other.ID, map[string]any{"timezone": "Pacific/Kiritimati"}, nil)
	f.owner.must(201, "POST", "/api/v1/projects/"+other.ID+"/members", map[string]string{"email": f.viewer.user.Email, "role": "editor"}, nil)
	var east models.Issue // due the day after tomorrow in UTC, which is tomorrow there
	f.owner.must(201, "POST", "/api/v1/projects/"+other.ID+"/issues", map[string]any{"title": "East",
		"assignee_id": f.viewer.user.ID, "due_date": date(2)}, &east)

	dueSoon := func(c *client) []models.Notification {
		var out []models.Notification
		for _, n := range notes(c, "").Items {
			if n.Kind == models.NotifyDueSoon {
				out = append(out, n)
			}
		}
		return out
	}
	waitFor(t, "the due_soon notifications", func() bool {
		return len(dueSoon(f.editor)) == 1 && len(dueSoon(f.viewer)) == 1 && len(dueSoon(f.owner)) == 1
	})
	for _, c := range []struct {
		who   *client
		issue models.Issue
	}{{f.editor, tomorrow}, {f.viewer, east}, {f.owner, mine}} {
		n := dueSoon(c.who)[0]
		if n.Issue.ID != c.issue.ID || n.Actor.ID != models.SystemActorID {
			t.Fatalf("%s: %+v", c.who.user.Email, n)
		}
	}
	// Later runs the same day add nothing.
	for range 3 {
		clk.Advance(time.Minute)
		f.editor.must(201, "POST", f.commentsPath(f.issues[0].ID), map[string]string{"body": "@" + f.owner.user.Handle}, nil)
	}
	marker := len(notes(f.owner, "").Items)
	runs := ts.notifyRuns.Load()
	waitFor(t, "two more runs", func() bool { return ts.notifyRuns.Load() >= runs+2 })
	if len(dueSoon(f.editor)) != 1 || len(dueSoon(f.viewer)) != 1 || len(notes(f.owner, "").Items) != marker {
		t.Fatal("due_soon told twice")
	}
}
