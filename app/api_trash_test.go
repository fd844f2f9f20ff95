package app

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
	"github.com/corkboard/corkboard/realtime"
)

// The trash over the API and the pages (README "Trash and undo").

func (f *fixture) trash(c *client) list[models.TrashedIssue] {
	f.ts.t.Helper()
	var page list[models.TrashedIssue]
	c.must(200, "GET", f.path("/trash"), nil, &page)
	return page
}

// TestTrashAPI walks the trash routes with each role: editors delete and
// restore, owners purge one or all, viewers read, outsiders get 404; a
// purged issue's events keep their place in /events, redacted.
func TestTrashAPI(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		f := newFixture(ts)
		var is models.Issue
		f.editor.must(201, "POST", f.path("/issues"), map[string]string{"title": "Pelican-title", "description": "Pelican-description"}, &is)
		f.editor.must(201, "POST", f.path("/issues/"+is.ID+"/comments"), map[string]string{"body": "Pelican-comment"}, nil)
		first := f.seq()

		f.viewer.must(403, "DELETE", f.path("/issues/"+is.ID), nil, nil)
		f.editor.must(204, "DELETE", f.path("/issues/"+is.ID), nil, nil)
		f.editor.must(404, "GET", f.path("/issues/"+is.ID), nil, nil)
		f.editor.must(404, "DELETE", f.path("/issues/"+is.ID), nil, nil)
		var b boardResponse
		f.viewer.must(200, "GET", f.path("/board"), nil, &b)
		for _, it := range b.Issues {
			if it.ID == is.ID {
				t.Fatal("the trashed issue is on the board")
			}
		}
		page := f.trash(f.viewer)
		if len(page.Items) != 1 || page.Items[0].ID != is.ID || page.Items[0].DeletedBy.Name != "Editor" || page.NextCursor != "" {
			t.Fatalf("trash %+v", page)
		}
		f.outsider.must(404, "GET", f.path("/trash"), nil, nil)
		f.viewer.must(422, "GET", f.path("/trash?cursor=nope"), nil, nil)

		// Restore: editors; 404 for what is not in the trash.
		f.viewer.must(403, "POST", f.path("/issues/"+is.ID+"/restore"), nil, nil)
		f.outsider.must(404, "POST", f.path("/issues/"+is.ID+"/restore"), nil, nil)
		f.editor.must(404, "POST", f.path("/issues/"+f.issues[0].ID+"/restore"), nil, nil)
		f.editor.must(404, "POST", f.path("/issues/not-a-uuid/restore"), nil, nil)
		var back models.Issue
		f.editor.must(200, "POST", f.path("/issues/"+is.ID+"/restore"), nil, &back)
		if back.ID != is.ID || back.Version != is.Version+1 || back.Status != is.Status {
			t.Fatalf("restored %+v", back)
		}
		f.editor.must(404, "POST", f.path("/issues/"+is.ID+"/restore"), nil, nil)
		f.viewer.must(200, "GET", f.path("/issues/"+is.ID), nil, nil)

		// Purge: owners only.
		f.editor.must(204, "DELETE", f.path("/issues/"+is.ID), nil, nil)
		f.editor.must(403, "DELETE", f.path("/trash/"+is.ID), nil, nil)
		f.viewer.must(403, "DELETE", f.path("/trash/"+is.ID), nil, nil)
		f.outsider.must(404, "DELETE", f.path("/trash/"+is.ID), nil, nil)
		f.owner.must(404, "DELETE", f.path("/trash/"+f.issues[0].ID), nil, nil) // not in the trash
		last := f.seq()
		f.owner.must(204, "DELETE", f.path("/trash/"+is.ID), nil, nil)
		f.owner.must(404, "DELETE", f.path("/trash/"+is.ID), nil, nil)
		f.editor.must(404, "POST", f.path("/issues/"+is.ID+"/restore"), nil, nil)

		// /events: every event of the issue is still there, redacted.
		raw := f.owner.must(200, "GET", f.path("/events?since="+strconv.FormatInt(first-2, 10)+"&limit=100"), nil, nil)
		if strings.Contains(string(raw), "Pelican") {
			t.Fatalf("/events still carries the purged text: %s", raw)
		}
		var evs eventsResponse
		mustJSON(t, raw, &evs)
		if len(evs.Items) != int(last-first+3) {
			t.Fatalf("%d events, want %d: the purge must keep them", len(evs.Items), last-first+3)
		}
		for _, ev := range evs.Items {
			var d struct {
				Redacted bool `json:"redacted"`
			}
			mustJSON(t, ev.Data, &d)
			if want := ev.Type != models.EventTrashPurged; d.Redacted != want {
				t.Errorf("event %d %s: redacted %v, want %v (%s)", ev.Seq, ev.Type, d.Redacted, want, ev.Data)
			}
		}
		if evs.Items[len(evs.Items)-1].Type != models.EventTrashPurged {
			t.Fatalf("last event %s, want trash.purged", evs.Items[len(evs.Items)-1].Type)
		}

		// Emptying the trash.
		for _, it := range f.issues {
			f.editor.must(204, "DELETE", f.path("/issues/"+it.ID), nil, nil)
		}
		f.editor.must(403, "DELETE", f.path("/trash"), nil, nil)
		f.owner.must(204, "DELETE", f.path("/trash"), nil, nil)
		if page := f.trash(f.owner); len(page.Items) != 0 {
			t.Fatalf("trash after emptying: %+v", page.Items)
		}
		seq := f.seq()
		f.owner.must(204, "DELETE", f.path("/trash"), nil, nil)
		if f.seq() != seq {
			t.Fatal("emptying an empty trash wrote an event")
		}
	})
}

// TestTrashPage: the page lists the trash with who and when; restore and
// purge are forms that work without JavaScript, shown to those who may.
func TestTrashPage(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		f := newFixture(ts)
		gone := f.issues[0]
		f.editor.must(204, "DELETE", f.path("/issues/"+gone.ID), nil, nil)
		page := "/projects/" + f.project.ID + "/trash"
		for _, tc := range []struct {
			c             *client
			restore, purg bool
		}{{f.viewer, false, false}, {f.editor, true, false}, {f.owner, true, true}} {
			res, body := tc.c.do("GET", page, nil)
			html := string(body)
			if res.StatusCode != 200 || !strings.Contains(html, gone.Key) || !strings.Contains(html, "First") ||
				!strings.Contains(html, "Editor") {
				t.Fatalf("%s: trash page %d %s", tc.c.user.DisplayName, res.StatusCode, html)
			}
			if got := strings.Contains(html, "/restore"); got != tc.restore {
				t.Errorf("%s: restore shown %v", tc.c.user.DisplayName, got)
			}
			if got := strings.Contains(html, "Empty trash"); got != tc.purg {
				t.Errorf("%s: empty trash shown %v", tc.c.user.DisplayName, got)
			}
		}
		if res, _ := f.outsider.do("GET", page, nil); res.StatusCode != 404 {
			t.Fatalf("outsider: %d", res.StatusCode)
		}
		// The board links to it.
		if _, body := f.viewer.do("GET", "/projects/"+f.project.ID, nil); !strings.Contains(string(body), `href="/projects/`+f.project.ID+`/trash"`) {
			t.Fatal("no link to the trash on the board")
		}
		// A viewer's restore is refused with a message; an editor's works.
		if res, _ := f.viewer.form(page+"/"+gone.ID+"/restore", nil); res.StatusCode != 303 {
			t.Fatalf("viewer restore: %d", res.StatusCode)
		}
		f.viewer.must(404, "GET", f.path("/issues/"+gone.ID), nil, nil)
		if res, _ := f.editor.form(page+"/"+gone.ID+"/restore", nil); res.StatusCode != 303 || res.Header.Get("Location") != page {
			t.Fatalf("editor restore: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		f.viewer.must(200, "GET", f.path("/issues/"+gone.ID), nil, nil)
		// Restoring again (someone was faster) is a message, not a 404.
		if res, _ := f.editor.form(page+"/"+gone.ID+"/restore", nil); res.StatusCode != 303 {
			t.Fatalf("restore twice: %d", res.StatusCode)
		}
		// Purge one, then empty: owners.
		f.editor.must(204, "DELETE", f.path("/issues/"+gone.ID), nil, nil)
		f.editor.must(204, "DELETE", f.path("/issues/"+f.issues[1].ID), nil, nil)
		if res, _ := f.editor.form(page+"/"+gone.ID+"/purge", nil); res.StatusCode != 303 {
			t.Fatalf("editor purge: %d", res.StatusCode)
		}
		if len(f.trash(f.owner).Items) != 2 {
			t.Fatal("an editor's purge went through")
		}
		if res, _ := f.owner.form(page+"/"+gone.ID+"/purge", nil); res.StatusCode != 303 {
			t.Fatalf("owner purge: %d", res.StatusCode)
		}
		if res, _ := f.owner.form(page+"/purge", nil); res.StatusCode != 303 {
			t.Fatalf("owner empty: %d", res.StatusCode)
		}
		if len(f.trash(f.owner).Items) != 0 {
			t.Fatal("the trash is not empty")
		}
		if _, body := f.owner.do("GET", page, nil); !strings.Contains(string(body), "The trash is empty.") {
			t.Fatal("no empty state")
		}
	})
}

// TestTrashLive: a viewer's socket sees issue.deleted and issue.restored
// (with the issue); after a purge, a client replaying from before it gets
// the redacted events, not copies the room kept in memory.
func TestTrashLive(t *testing.T) {
	forEachDatabaseURL(t, func(t *testing.T, url string) {
		ls := newLiveServer(t, url, realtime.Options{RecentEvents: 64})
		a, p, _ := ls.board("trash-live@example.com", 2)
		watcher := ls.register("trash-viewer@example.com", "Viewer")
		a.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": watcher.user.Email, "role": "viewer"}, nil)
		v := newViewer(t, "viewer", ls.mustDial(watcher, p.ID, 0))
		path := "/api/v1/projects/" + p.ID
		var heron models.Issue
		a.must(201, "POST", path+"/issues", map[string]string{"title": "Heron-title"}, &heron)
		a.must(204, "DELETE", path+"/issues/"+heron.ID, nil, nil)
		a.must(200, "POST", path+"/issues/"+heron.ID+"/restore", nil, nil)
		var proj models.Project
		a.must(200, "GET", path, nil, &proj)
		v.until(proj.Seq)
		got := v.frames[len(v.frames)-1]
		var is models.Issue
		mustJSON(t, got.Data, &is)
		if got.Type != models.EventIssueRestored || is.ID != heron.ID || is.Title != "Heron-title" || is.Status != heron.Status ||
			v.frames[len(v.frames)-2].Type != models.EventIssueDeleted {
			t.Fatalf("viewer saw %s %s", got.Type, got.Data)
		}
		// Purge: the live room has the unredacted events in memory.
		a.must(204, "DELETE", path+"/issues/"+heron.ID, nil, nil)
		a.must(204, "DELETE", path+"/trash/"+heron.ID, nil, nil)
		a.must(200, "GET", path, nil, &proj)
		v.until(proj.Seq)
		if last := v.frames[len(v.frames)-1]; last.Type != models.EventTrashPurged {
			t.Fatalf("last frame %s", last.Type)
		}
		late := &viewer{t: t, name: "replay", seen: 2, state: map[string]models.Issue{}}
		late.conn = ls.mustDial(a, p.ID, 2)
		if hello := next(t, late.conn); hello.Type != "hello" {
			t.Fatalf("hello %+v", hello)
		}
		late.until(proj.Seq)
		for _, f := range late.frames {
			if strings.Contains(string(f.Data), "Heron") {
				t.Fatalf("replay after the purge carries the text: seq %d %s %s", f.Seq, f.Type, f.Data)
			}
		}
	})
}

// TestTrashPurgeExactlyOnceAcrossInstances: two instances sharing
// PostgreSQL and Redis, both checking every few milliseconds: 30 days
// after its deletion an issue is purged once (one trash.purged), and one
// deleted a day later stays.
func TestTrashPurgeExactlyOnceAcrossInstances(t *testing.T) {
	url, redisURL, prefix := testdb.Postgres(t), testRedisURL(t), "cbtest:"+randomHex(6)+":"
	clk := newManualClock()
	start := func() *liveServer {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + ln.Addr().String()
		ts := newTestServerWith(t, url, base, func(cfg *Config) {
			cfg.Now, cfg.TrashPurgeInterval = clk.Now, 2*time.Millisecond
			cfg.SessionTTL = 90 * 24 * time.Hour // the test moves the clock 30 days
			cfg.RedisURL, cfg.RedisPrefix = redisURL, prefix
			cfg.RateLimitPerMinute = 100000
		})
		go ts.Serve(ln)
		return &liveServer{testServer: ts, base: base}
	}
	n1, n2 := start(), start()
	a, p, issues := n1.board("trash-cluster@example.com", 2)
	path := "/api/v1/projects/" + p.ID
	a.must(204, "DELETE", path+"/issues/"+issues[0].ID, nil, nil)
	clk.Advance(24 * time.Hour)
	a.must(204, "DELETE", path+"/issues/"+issues[1].ID, nil, nil)
	var proj models.Project
	a.must(200, "GET", path, nil, &proj)
	seq := proj.Seq
	clk.Advance(models.TrashRetention - 24*time.Hour)
	waitUntil(t, "the expired issue purged", func() bool {
		var page list[models.TrashedIssue]
		a.must(200, "GET", path+"/trash", nil, &page)
		return len(page.Items) == 1 && page.Items[0].ID == issues[1].ID
	})
	// Both run again, at once: nothing is purged twice.
	for _, ls := range []*liveServer{n1, n2, n1, n2} {
		if n, err := ls.purgeExpired(t.Context()); err != nil || n != 0 {
			t.Fatalf("a run after the purge purged %d, %v", n, err)
		}
	}
	var evs eventsResponse
	a.must(200, "GET", path+"/events?since="+strconv.FormatInt(seq, 10), nil, &evs)
	if len(evs.Items) != 1 || evs.Items[0].Type != models.EventTrashPurged || evs.Items[0].Actor.ID != models.SystemActorID {
		t.Fatalf("events after the deletions: %+v", evs.Items)
	}
}

// TestCycleReportTrash: the cycle report, replayed from the log, counts a
// trashed issue out from its deletion, back in from its restore, and still
// reads the log once the purge has redacted its events.
func TestCycleReportTrash(t *testing.T) {
	planningFixture(t, func(t *testing.T, f *fixture, clk *testClock) {
		c1 := f.cycle("2026-11-25", "2026-12-04")
		var x, y models.Issue
		f.editor.must(201, "POST", f.path("/issues"), map[string]any{"title": "X", "effort": 3, "cycle_id": c1.ID}, &x)
		f.editor.must(201, "POST", f.path("/issues"), map[string]any{"title": "Y", "effort": 2, "cycle_id": c1.ID}, &y)
		scope := func() int { return f.report(f.viewer, c1.ID).Totals.Scope }
		if got := scope(); got != 5 {
			t.Fatalf("scope %d, want 5", got)
		}
		f.editor.must(204, "DELETE", f.path("/issues/"+x.ID), nil, nil)
		if got := scope(); got != 2 {
			t.Fatalf("scope with X in the trash %d, want 2", got)
		}
		f.editor.must(200, "POST", f.path("/issues/"+x.ID+"/restore"), nil, nil)
		if got := scope(); got != 5 {
			t.Fatalf("scope with X restored %d, want 5", got)
		}
		f.editor.must(204, "DELETE", f.path("/issues/"+x.ID), nil, nil)
		f.owner.must(204, "DELETE", f.path("/trash"), nil, nil)
		if got := scope(); got != 2 {
			t.Fatalf("scope after the purge %d, want 2", got)
		}
	})
}
