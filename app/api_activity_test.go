package app

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
)

// activityPage is GET …/activity's body.
type activityPage struct {
	Items []struct {
		Seq     int64        `json:"seq"`
		Type    string       `json:"type"`
		Actor   models.Actor `json:"actor"`
		At      time.Time    `json:"at"`
		Changes []struct {
			Field string `json:"field"`
			From  any    `json:"from"`
			To    any    `json:"to"`
		} `json:"changes"`
		Text string `json:"text"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// texts are the entries' sentences.
func (p activityPage) texts() []string {
	out := []string{}
	for _, it := range p.Items {
		out = append(out, it.Text)
	}
	return out
}

// allActivity reads every page of an issue's activity, limit at a time.
func (f *fixture) allActivity(c *client, iid string, limit int) activityPage {
	f.ts.t.Helper()
	var all activityPage
	cursor := ""
	for range 100 {
		var page activityPage
		c.must(200, "GET", f.path("/issues/"+iid+"/activity?limit="+itoa(limit)+"&cursor="+cursor), nil, &page)
		all.Items = append(all.Items, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
	f.ts.t.Fatal("activity pages never end")
	return all
}

// TestIssueActivity builds an issue's history through the API — create,
// rename, move across columns, assign, estimate, put in a cycle, comment,
// delete the comment — and reads it back as entries with field changes
// and sentences (names, not keys or ids; no comment body), in pages; then
// a prune with a short retention leaves the live issue's history whole
// while the other old events go and /events?since=0 still answers 410.
func TestIssueActivity(t *testing.T) {
	planningFixture(t, func(t *testing.T, f *fixture, clk *testClock) {
		first, second := f.issues[0], f.issues[1]
		ip := f.path("/issues/" + first.ID)
		var is models.Issue
		f.editor.must(200, "PATCH", ip, map[string]any{"title": "First, fixed", "version": first.Version}, &is)
		clk.Advance(time.Minute)
		movedAt := clk.Now()
		f.editor.must(200, "POST", ip+"/move", map[string]any{"status": "done"}, &is)
		f.editor.must(200, "PATCH", ip, map[string]any{"assignee_id": f.spare.user.ID, "version": is.Version}, &is)
		f.editor.must(200, "PATCH", ip, map[string]any{"effort": 3, "version": is.Version}, &is)
		cy := f.cycle("2026-11-23", "2026-12-06")
		f.editor.must(200, "PATCH", ip, map[string]any{"cycle_id": cy.ID, "version": is.Version}, &is)
		var cm models.Comment
		f.editor.must(201, "POST", ip+"/comments", map[string]string{"body": "a secret body"}, &cm)
		f.owner.must(204, "DELETE", ip+"/comments/"+cm.ID, nil, nil)
		// Another issue's change is not this one's history.
		f.editor.must(200, "PATCH", f.path("/issues/"+second.ID), map[string]any{"title": "Other", "version": second.Version}, nil)

		want := []string{
			"Owner created " + first.Key + " in Open",
			"Editor renamed " + first.Key + " from “First” to “First, fixed”",
			"Editor moved " + first.Key + " from Open to Done",
			"Editor assigned " + first.Key + " to Spare",
			"Editor estimated " + first.Key + " at 3",
			"Editor put " + first.Key + " in " + cy.Name,
			"Editor commented on " + first.Key,
			"Owner deleted a comment on " + first.Key,
		}
		all := f.allActivity(f.viewer, first.ID, 50)
		if got := all.texts(); !reflect.DeepEqual(got, want) {
			t.Fatalf("activity:\n got %q\nwant %q", got, want)
		}
		type change struct {
			Field    string
			From, To any
		}
		wantChanges := [][]change{nil, {{"title", "First", "First, fixed"}}, {{"status", "open", "done"}},
			{{"assignee", nil, f.spare.user.ID}}, {{"effort", nil, 3.0}}, {{"cycle", nil, cy.ID}}, nil, nil}
		for i, it := range all.Items {
			var got []change
			for _, c := range it.Changes {
				got = append(got, change{c.Field, c.From, c.To})
			}
			if !reflect.DeepEqual(got, wantChanges[i]) {
				t.Errorf("entry %d %q changes %+v, want %+v", i, it.Text, got, wantChanges[i])
			}
			if i > 0 && it.Seq <= all.Items[i-1].Seq {
				t.Errorf("entry %d: seq %d after %d, want oldest first", i, it.Seq, all.Items[i-1].Seq)
			}
		}
		if it := all.Items[2]; it.Type != "issue.moved" || it.Actor.ID != f.editor.user.ID || it.Actor.Name != "Editor" ||
			!it.At.Equal(movedAt) {
			t.Fatalf("move entry %+v, want issue.moved by Editor at %v", it, movedAt)
		}
		if it := all.Items[6]; it.Type != "comment.created" {
			t.Fatalf("comment entry %+v", it)
		}
		// Pages of 3 tell the same story: each page's first change is
		// compared with the state the previous page left.
		if got := f.allActivity(f.viewer, first.ID, 3).texts(); !reflect.DeepEqual(got, want) {
			t.Fatalf("paged activity:\n got %q\nwant %q", got, want)
		}

		// Outsiders, other projects' issues, unknown issues: 404; a
		// cursor we never gave out: 422.
		f.outsider.must(404, "GET", ip+"/activity", nil, nil)
		var other models.Project
		f.outsider.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Elsewhere"}, &other)
		var foreign models.Issue
		f.outsider.must(201, "POST", "/api/v1/projects/"+other.ID+"/issues", map[string]string{"title": "Theirs"}, &foreign)
		f.owner.must(404, "GET", f.path("/issues/"+foreign.ID+"/activity"), nil, nil)
		f.owner.must(404, "GET", f.path("/issues/00000000-0000-0000-0000-000000000000/activity"), nil, nil)
		f.owner.must(404, "GET", f.path("/issues/not-a-uuid/activity"), nil, nil)
		f.refused(t, f.viewer, 422, "cursor", "GET", "/issues/"+first.ID+"/activity?cursor=bogus", nil)

		// Retention: two days on, a prune of what is older than a day
		// (EVENT_RETENTION) keeps the live issues' events, their activity,
		// and drops the rest; so does one that keeps only the newest event
		// (EVENT_RETENTION_COUNT). The log has holes, which readers are
		// told about.
		f.owner.must(204, "DELETE", f.path("/issues/"+second.ID), nil, nil)
		f.owner.must(204, "DELETE", f.path("/trash/"+second.ID), nil, nil) // kept while in the trash
		head := f.seq()
		clk.Advance(48 * time.Hour)
		var fresh models.Issue
		f.editor.must(201, "POST", f.path("/issues"), map[string]string{"title": "Fresh"}, &fresh)
		n, err := f.ts.store.PruneEvents(context.Background(), 24*time.Hour, 10000)
		if err != nil {
			t.Fatal(err)
		}
		// Gone: three member.added, cycle.created, Second's three events,
		// its purge.
		if n != 8 {
			t.Fatalf("pruned %d events, want 8", n)
		}
		if n, err := f.ts.store.PruneEvents(context.Background(), 24*time.Hour, 1); err != nil || n != 0 {
			t.Fatalf("prune by count: %d, %v; want nothing more (every event left is a live issue's)", n, err)
		}
		if got := f.allActivity(f.viewer, first.ID, 50).texts(); !reflect.DeepEqual(got, want) {
			t.Fatalf("activity after the prune:\n got %q\nwant %q", got, want)
		}
		f.owner.must(410, "GET", f.path("/events?since=0"), nil, nil)
		f.owner.must(410, "GET", f.path("/events?since="+itoa(int(all.Items[0].Seq))), nil, nil)
		var page eventsResponse
		f.owner.must(200, "GET", f.path("/events?since="+itoa(int(head))), nil, &page)
		if len(page.Items) != 1 || page.Items[0].Seq != head+1 {
			t.Fatalf("events after the hole: %+v", page.Items)
		}
	})
}

// TestIssuePageShowsActivity: the issue page tells the activity in words,
// server-rendered, each with a relative time and the absolute time in its
// title (the clock moved two minutes on); a mangled ?activity= cursor
// shows the first entries.
func TestIssuePageShowsActivity(t *testing.T) {
	forEachDBClock(t, func(t *testing.T, ts *testServer, clk *testClock) {
		f := newFixture(ts)
		is := f.issues[0]
		movedAt := clk.Now()
		f.editor.must(200, "POST", f.path("/issues/"+is.ID+"/move"), map[string]any{"status": "done"}, nil)
		clk.Advance(2*time.Minute + 10*time.Second)
		page := "/projects/" + f.project.ID + "/issues/" + is.ID
		for _, p := range []string{page, page + "?activity=bogus"} {
			status, body := f.viewer.page(p)
			if status != 200 {
				t.Fatalf("%s: %d", p, status)
			}
			for _, want := range []string{`id="activity"`, "Owner created " + is.Key + " in Open",
				"Editor moved " + is.Key + " from Open to Done"} {
				if !strings.Contains(body, want) {
					t.Fatalf("%s: no %q in the page", p, want)
				}
			}
			// The move's line: relative time, absolute time in the title.
			line := `Editor moved ` + is.Key + ` from Open to Done</span> · <time class="opacity-70" datetime="` +
				movedAt.Format(time.RFC3339) + `" title="` + movedAt.Format("2 Jan 2006 15:04 UTC") + `">2 minutes ago</time>`
			if !strings.Contains(body, line) {
				t.Fatalf("%s: no line %q in the page", p, line)
			}
		}
		if status, _ := f.outsider.page(page); status != 404 {
			t.Fatalf("outsider: %d", status)
		}
	})
}
