package app

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
	"github.com/corkboard/corkboard/realtime"
)

// API tests of planning (README "Planning"): every route through the
// contract-checking client, every refusal of the issue's "Bad input" list
// as a 422 on its field that changes nothing, the block policy's 409, and
// concurrent assignments over HTTP. The server clock is newManualClock's
// (2026-11-23 10:00:15 UTC); tests move it.

// planningFixture is newFixture on a server with a clock the test moves.
func planningFixture(t *testing.T, fn func(t *testing.T, f *fixture, clk *testClock)) {
	forEachDBClock(t, func(t *testing.T, ts *testServer, clk *testClock) { fn(t, newFixture(ts), clk) })
}

func (f *fixture) cycle(starts, ends string) models.Cycle {
	f.ts.t.Helper()
	var c models.Cycle
	f.owner.must(201, "POST", f.path("/cycles"), map[string]any{"starts_on": starts, "ends_on": ends}, &c)
	return c
}

// refused sends a request that must be answered status with a problem on
// field (when not ""), and change nothing (the project's seq stays).
func (f *fixture) refused(t *testing.T, c *client, status int, field, method, path string, body any) problem {
	t.Helper()
	before := f.seq()
	res, b := c.do(method, f.path(path), body)
	var p problem
	mustJSON(t, b, &p)
	if res.StatusCode != status || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, b, status)
	}
	if field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != field) {
		t.Fatalf("%s %s: errors %+v, want field %q", method, path, p.Errors, field)
	}
	if after := f.seq(); after != before {
		t.Fatalf("%s %s: refused, yet seq %d -> %d", method, path, before, after)
	}
	return p
}

func TestPlanningSettingsAndScale(t *testing.T) {
	planningFixture(t, func(t *testing.T, f *fixture, _ *testClock) {
		var p models.Project
		f.owner.must(200, "GET", f.path(""), nil, &p)
		if p.EstimateScale != "free" || p.UnestimatedEffort != 1 || p.Timezone != "UTC" || p.CapacityPolicy != "warn" {
			t.Fatalf("defaults %+v", p.ProjectSettings)
		}
		for _, tc := range []struct {
			field string
			value any
		}{
			{"estimate_scale", "points"}, {"unestimated_effort", 22}, {"unestimated_effort", -1},
			{"timezone", "Mars/Olympus"}, {"timezone", "Local"}, {"timezone", ""}, {"capacity_policy", "deny"},
		} {
			f.refused(t, f.owner, 422, tc.field, "PATCH", "", map[string]any{tc.field: tc.value})
		}
		f.refused(t, f.editor, 403, "", "PATCH", "", map[string]any{"estimate_scale": "fibonacci"})

		var is models.Issue
		f.owner.must(201, "POST", f.path("/issues"), map[string]any{"title": "Seven", "effort": 7}, &is)
		f.owner.must(200, "PATCH", f.path(""), map[string]any{"estimate_scale": "fibonacci", "unestimated_effort": 2,
			"timezone": "America/New_York", "capacity_policy": "block"}, &p)
		if p.EstimateScale != "fibonacci" || p.UnestimatedEffort != 2 || p.Timezone != "America/New_York" || p.CapacityPolicy != "block" {
			t.Fatalf("settings %+v", p.ProjectSettings)
		}
		// Off the scale: 422 on effort; the kept 7 stays and may be re-sent.
		f.refused(t, f.editor, 422, "effort", "POST", "/issues", map[string]any{"title": "x", "effort": 4})
		f.refused(t, f.editor, 422, "effort", "PATCH", "/issues/"+is.ID, map[string]any{"effort": 4, "version": is.Version})
		f.editor.must(200, "PATCH", f.path("/issues/"+is.ID), map[string]any{"effort": 7, "title": "Still seven", "version": is.Version}, &is)
		f.editor.must(200, "PATCH", f.path("/issues/"+is.ID), map[string]any{"effort": 13, "version": is.Version}, &is)
		if *is.Effort != 13 {
			t.Fatalf("effort %v", *is.Effort)
		}
	})
}

func TestColumnCategories(t *testing.T) {
	planningFixture(t, func(t *testing.T, f *fixture, _ *testClock) {
		var col models.Column
		f.owner.must(201, "POST", f.path("/columns"), map[string]any{"name": "Review", "category": "started"}, &col)
		if col.Category != "started" {
			t.Fatalf("created %+v", col)
		}
		f.owner.must(201, "POST", f.path("/columns"), map[string]any{"name": "Icebox"}, &col)
		if col.Category != "todo" {
			t.Fatalf("default category %+v", col)
		}
		f.owner.must(200, "PATCH", f.path("/columns/icebox"), map[string]any{"category": "done"}, &col)
		f.refused(t, f.owner, 422, "category", "POST", "/columns", map[string]any{"name": "X", "category": "finished"})
		f.refused(t, f.owner, 422, "category", "PATCH", "/columns/review", map[string]any{"category": ""})
		var b boardResponse
		f.viewer.must(200, "GET", f.path("/board"), nil, &b)
		got := map[string]string{}
		for _, c := range b.Project.Columns {
			got[c.Key] = c.Category
		}
		want := map[string]string{"open": "todo", "in_progress": "started", "done": "done", "review": "started", "icebox": "done"}
		if len(got) != len(want) {
			t.Fatalf("categories %v", got)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("categories %v, want %v", got, want)
			}
		}
	})
}

func TestCyclesAPI(t *testing.T) {
	planningFixture(t, func(t *testing.T, f *fixture, clk *testClock) {
		// Today is 2026-11-23.
		var c1 models.Cycle
		f.owner.must(201, "POST", f.path("/cycles"), map[string]any{"starts_on": "2026-11-18", "ends_on": "2026-12-01",
			"name": "Launch", "goal": "Beta out"}, &c1)
		if c1.Number != 1 || c1.Name != "Launch" || c1.Goal != "Beta out" || c1.State != "active" {
			t.Fatalf("created %+v", c1)
		}
		// Bad input: 422 on the field, nothing changed.
		for _, tc := range []struct {
			field string
			body  map[string]any
		}{
			{"starts_on", map[string]any{"starts_on": "2026-02-30", "ends_on": "2027-03-01"}},
			{"ends_on", map[string]any{"starts_on": "2027-01-01", "ends_on": "next week"}},
			{"ends_on", map[string]any{"starts_on": "2027-01-10", "ends_on": "2027-01-09"}},
			{"ends_on", map[string]any{"starts_on": "2027-01-01", "ends_on": "2027-02-26"}},   // 57 days
			{"starts_on", map[string]any{"starts_on": "2026-12-01", "ends_on": "2026-12-05"}}, // overlaps on its last day
			{"starts_on", map[string]any{"ends_on": "2027-01-05"}},
			{"name", map[string]any{"starts_on": "2027-01-01", "ends_on": "2027-01-02", "name": strings.Repeat("n", 101)}},
			{"starts_on", map[string]any{"starts_on": 20270101, "ends_on": "2027-01-02"}},
			{"colour", map[string]any{"starts_on": "2027-01-01", "ends_on": "2027-01-02", "colour": "red"}},
		} {
			f.refused(t, f.owner, 422, tc.field, "POST", "/cycles", tc.body)
		}
		f.refused(t, f.editor, 403, "", "POST", "/cycles", map[string]any{"starts_on": "2027-01-01", "ends_on": "2027-01-02"})
		f.refused(t, f.outsider, 404, "", "POST", "/cycles", map[string]any{"starts_on": "2027-01-01", "ends_on": "2027-01-02"})

		// Schedule: bad ranges, then an overlap that makes none, then six
		// two-week cycles starting on a Wednesday.
		sched := func(starts string, length, cooldown, count int) map[string]any {
			return map[string]any{"starts_on": starts, "length_days": length, "cooldown_days": cooldown, "count": count}
		}
		for field, body := range map[string]map[string]any{
			"length_days": sched("2026-12-02", 57, 0, 2), "cooldown_days": sched("2026-12-02", 14, 15, 2),
			"count": sched("2026-12-02", 14, 0, 13), "starts_on": sched("2026-12-32", 14, 0, 2),
		} {
			f.refused(t, f.owner, 422, field, "POST", "/cycles/schedule", body)
		}
		f.refused(t, f.owner, 422, "count", "POST", "/cycles/schedule", sched("2026-12-02", 14, 0, 0))
		f.refused(t, f.owner, 422, "starts_on", "POST", "/cycles/schedule", sched("2026-10-01", 14, 0, 4)) // the 4th overlaps c1
		var made list[models.Cycle]
		f.owner.must(201, "POST", f.path("/cycles/schedule"), sched("2026-12-02", 14, 0, 6), &made)
		if len(made.Items) != 6 || made.Items[0].StartsOn != "2026-12-02" || made.Items[0].EndsOn != "2026-12-15" ||
			made.Items[1].StartsOn != "2026-12-16" || made.Items[5].Number != 7 || made.Items[5].State != "upcoming" {
			t.Fatalf("scheduled %+v", made.Items)
		}

		// List by start date, a page at a time; get one.
		var page list[models.Cycle]
		f.viewer.must(200, "GET", f.path("/cycles?limit=4"), nil, &page)
		if len(page.Items) != 4 || page.Items[0].ID != c1.ID || page.NextCursor == "" {
			t.Fatalf("page 1 %+v", page)
		}
		f.viewer.must(200, "GET", f.path("/cycles?limit=4&cursor="+page.NextCursor), nil, &page)
		if len(page.Items) != 3 || page.NextCursor != "" || page.Items[2].ID != made.Items[5].ID {
			t.Fatalf("page 2 %+v", page)
		}
		f.refused(t, f.viewer, 422, "cursor", "GET", "/cycles?cursor=zzz", nil)
		var got models.Cycle
		f.viewer.must(200, "GET", f.path("/cycles/"+c1.ID), nil, &got)
		if got.ID != c1.ID || got.State != "active" {
			t.Fatalf("get %+v", got)
		}
		f.refused(t, f.outsider, 404, "", "GET", "/cycles/"+c1.ID, nil)
		f.refused(t, f.viewer, 404, "", "GET", "/cycles/00000000-0000-4000-8000-000000000000", nil)

		// Patch: checked as a whole; moving ends_on into the past completes it.
		f.refused(t, f.owner, 422, "starts_on", "PATCH", "/cycles/"+c1.ID, map[string]any{"ends_on": "2026-12-02"})
		f.refused(t, f.owner, 422, "ends_on", "PATCH", "/cycles/"+c1.ID, map[string]any{"starts_on": "2026-12-02"})
		f.refused(t, f.owner, 422, "ends_on", "PATCH", "/cycles/"+c1.ID, map[string]any{"starts_on": "2026-10-01"}) // 62 days
		f.refused(t, f.editor, 403, "", "PATCH", "/cycles/"+c1.ID, map[string]any{"name": "Mine"})
		f.owner.must(200, "PATCH", f.path("/cycles/"+c1.ID), map[string]any{"ends_on": "2026-11-22", "goal": ""}, &got)
		if got.State != "completed" || got.Goal != "" || got.Name != "Launch" || got.StartsOn != "2026-11-18" {
			t.Fatalf("patched %+v", got)
		}
		// The state follows the clock, in the project's time zone.
		next := made.Items[0]                      // 2026-12-02 ..
		clk.Advance(8*24*time.Hour + 14*time.Hour) // 2026-12-02 00:00:15 UTC
		f.viewer.must(200, "GET", f.path("/cycles/"+next.ID), nil, &got)
		if got.State != "active" {
			t.Fatalf("state on its first day in UTC: %s", got.State)
		}
		f.owner.must(200, "PATCH", f.path(""), map[string]any{"timezone": "America/Los_Angeles"}, nil)
		f.viewer.must(200, "GET", f.path("/cycles/"+next.ID), nil, &got)
		if got.State != "upcoming" {
			t.Fatalf("state while it is still Dec 1 in Los Angeles: %s", got.State)
		}

		// Delete: its issues leave it in the same change.
		var is models.Issue
		f.editor.must(201, "POST", f.path("/issues"), map[string]any{"title": "Planned", "cycle_id": next.ID}, &is)
		f.refused(t, f.editor, 403, "", "DELETE", "/cycles/"+next.ID, nil)
		seq := f.seq()
		f.owner.must(204, "DELETE", f.path("/cycles/"+next.ID), nil, nil)
		var evs eventsResponse
		f.viewer.must(200, "GET", f.path("/events?since="+strconv.FormatInt(seq, 10)), nil, &evs)
		if len(evs.Items) != 1 || evs.Items[0].Type != "cycle.deleted" {
			t.Fatalf("events %+v", evs.Items)
		}
		var del models.CycleDeleted
		mustJSON(t, evs.Items[0].Data, &del)
		if del.Cycle.ID != next.ID || len(del.IssueIDs) != 1 || del.IssueIDs[0] != is.ID {
			t.Fatalf("cycle.deleted %s", evs.Items[0].Data)
		}
		var after models.Issue
		f.viewer.must(200, "GET", f.path("/issues/"+is.ID), nil, &after)
		if after.CycleID != nil || after.Version != is.Version+1 {
			t.Fatalf("issue after the delete %+v", after)
		}
		f.refused(t, f.owner, 404, "", "DELETE", "/cycles/"+next.ID, nil)
	})
}

func TestIssuesInCycles(t *testing.T) {
	planningFixture(t, func(t *testing.T, f *fixture, _ *testClock) {
		past := f.cycle("2026-10-01", "2026-10-14")
		now := f.cycle("2026-11-18", "2026-12-01")
		var is models.Issue
		f.editor.must(201, "POST", f.path("/issues"), map[string]any{"title": "Planned", "cycle_id": now.ID}, &is)
		if is.CycleID == nil || *is.CycleID != now.ID || is.Carryover != 0 {
			t.Fatalf("created %+v", is)
		}
		f.refused(t, f.editor, 422, "cycle_id", "POST", "/issues", map[string]any{"title": "x", "cycle_id": past.ID})
		f.refused(t, f.editor, 422, "cycle_id", "POST", "/issues", map[string]any{"title": "x", "cycle_id": "not-a-uuid"})
		f.refused(t, f.editor, 422, "cycle_id", "PATCH", "/issues/"+is.ID, map[string]any{"cycle_id": past.ID, "version": is.Version})
		// Another project's cycle is not this project's.
		var other models.Project
		f.owner.must(201, "POST", "/api/v1/projects", map[string]any{"name": "Other"}, &other)
		var foreign models.Cycle
		f.owner.must(201, "POST", "/api/v1/projects/"+other.ID+"/cycles", map[string]any{"starts_on": "2026-11-18", "ends_on": "2026-12-01"}, &foreign)
		f.refused(t, f.editor, 422, "cycle_id", "PATCH", "/issues/"+is.ID, map[string]any{"cycle_id": foreign.ID, "version": is.Version})
		f.editor.must(200, "PATCH", f.path("/issues/"+is.ID), map[string]any{"cycle_id": nil, "version": is.Version}, &is)
		if is.CycleID != nil {
			t.Fatalf("cycle not cleared: %+v", is)
		}
	})
}

func TestCapacitiesAndBlockPolicyAPI(t *testing.T) {
	planningFixture(t, func(t *testing.T, f *fixture, _ *testClock) {
		c := f.cycle("2026-11-18", "2026-12-01")
		ed := f.editor.user.ID
		var m models.Member
		f.owner.must(200, "PATCH", f.path("/members/"+ed), map[string]any{"capacity": 5}, &m)
		if m.Capacity == nil || *m.Capacity != 5 || m.Role != models.RoleEditor {
			t.Fatalf("member %+v", m)
		}
		f.refused(t, f.owner, 422, "capacity", "PATCH", "/members/"+ed, map[string]any{"capacity": -1})
		f.refused(t, f.owner, 422, "capacity", "PATCH", "/members/"+ed, map[string]any{"capacity": "lots"})
		f.refused(t, f.owner, 422, "role", "PATCH", "/members/"+ed, map[string]any{})
		f.refused(t, f.editor, 403, "", "PATCH", "/members/"+ed, map[string]any{"capacity": 50})
		var cc models.CycleCapacity
		f.owner.must(200, "PUT", f.path("/cycles/"+c.ID+"/capacity/"+ed), map[string]any{"points": 3}, &cc)
		if cc.UserID != ed || cc.CycleID != c.ID || *cc.Points != 3 {
			t.Fatalf("override %+v", cc)
		}
		f.refused(t, f.owner, 422, "points", "PUT", "/cycles/"+c.ID+"/capacity/"+ed, map[string]any{"points": -1})
		f.refused(t, f.owner, 422, "points", "PUT", "/cycles/"+c.ID+"/capacity/"+ed, map[string]any{})
		f.refused(t, f.editor, 403, "", "PUT", "/cycles/"+c.ID+"/capacity/"+ed, map[string]any{"points": 9})
		f.refused(t, f.owner, 404, "", "PUT", "/cycles/"+c.ID+"/capacity/"+f.outsider.user.ID, map[string]any{"points": 9})

		// The board carries the open cycles and the overrides; members their capacity.
		past := f.cycle("2026-10-01", "2026-10-14")
		var b boardResponse
		f.viewer.must(200, "GET", f.path("/board"), nil, &b)
		if len(b.Cycles) != 1 || b.Cycles[0].ID != c.ID || len(b.Capacities) != 1 || *b.Capacities[0].Points != 3 {
			t.Fatalf("board cycles %+v capacities %+v (completed %s must not be there)", b.Cycles, b.Capacities, past.ID)
		}
		for _, m := range b.Members {
			if (m.UserID == ed) != (m.Capacity != nil) {
				t.Fatalf("board members %+v", b.Members)
			}
		}

		// Block: over the override (3) is a 409 with the numbers.
		f.owner.must(200, "PATCH", f.path(""), map[string]any{"capacity_policy": "block"}, nil)
		var is models.Issue
		f.editor.must(201, "POST", f.path("/issues"), map[string]any{"title": "a", "cycle_id": c.ID, "assignee_id": ed, "effort": 2}, &is)
		p := f.refused(t, f.editor, 409, "", "POST", "/issues", map[string]any{"title": "b", "cycle_id": c.ID, "assignee_id": ed, "effort": 2})
		if p.Type != "urn:corkboard:problem:over-capacity" || p.UserID != ed || p.CycleID != c.ID || *p.Load != 4 || *p.Capacity != 3 {
			t.Fatalf("problem %+v", p)
		}
		f.refused(t, f.editor, 409, "", "PATCH", "/issues/"+is.ID, map[string]any{"effort": 4, "version": is.Version})
		// Lowering is fine; removing the override falls back to the member's 5.
		f.editor.must(200, "PATCH", f.path("/issues/"+is.ID), map[string]any{"effort": 1, "version": is.Version}, &is)
		f.owner.must(200, "PUT", f.path("/cycles/"+c.ID+"/capacity/"+ed), map[string]any{"points": nil}, &cc)
		if cc.Points != nil {
			t.Fatalf("override not removed: %+v", cc)
		}
		f.editor.must(201, "POST", f.path("/issues"), map[string]any{"title": "c", "cycle_id": c.ID, "assignee_id": ed, "effort": 4}, nil)
	})
}

// Two editors assign at once over HTTP, round after round (a fresh cycle
// each): exactly one of each pair gets through a capacity that fits one
// issue, on both databases.
func TestConcurrentAssignmentOverHTTP(t *testing.T) {
	planningFixture(t, func(t *testing.T, f *fixture, _ *testClock) {
		const rounds = 8
		var cycles list[models.Cycle]
		f.owner.must(201, "POST", f.path("/cycles/schedule"), map[string]any{"starts_on": "2026-11-24", "length_days": 7,
			"cooldown_days": 0, "count": rounds}, &cycles)
		target := f.viewer.user.ID
		f.owner.must(200, "PATCH", f.path(""), map[string]any{"capacity_policy": "block"}, nil)
		f.owner.must(200, "PATCH", f.path("/members/"+target), map[string]any{"capacity": 5}, nil)
		for round, c := range cycles.Items {
			var pair [2]models.Issue
			for i := range pair {
				f.owner.must(201, "POST", f.path("/issues"), map[string]any{"title": "x", "cycle_id": c.ID, "effort": 3}, &pair[i])
			}
			editors := [2]*client{f.editor, f.spare}
			var statuses [2]int
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range pair {
				wg.Go(func() {
					<-start
					res, _ := editors[i].do("PATCH", f.path("/issues/"+pair[i].ID), map[string]any{"assignee_id": target, "version": pair[i].Version})
					statuses[i] = res.StatusCode
				})
			}
			close(start)
			wg.Wait()
			if statuses != [2]int{200, 409} && statuses != [2]int{409, 200} {
				t.Fatalf("round %d: statuses %v, want one 200 and one 409 (capacity 5, 3 points each)", round, statuses)
			}
		}
		var b boardResponse
		f.viewer.must(200, "GET", f.path("/board"), nil, &b)
		load := map[string]int{}
		for _, is := range b.Issues {
			if is.AssigneeID != nil && *is.AssigneeID == target {
				load[*is.CycleID] += *is.Effort
			}
		}
		if len(load) != rounds {
			t.Fatalf("loads %v", load)
		}
		for cid, l := range load {
			if l != 3 {
				t.Fatalf("load %d in cycle %s after the race, capacity 5", l, cid)
			}
		}
	})
}

// A viewer's board socket receives every planning change live, in seq
// order: cycles made, scheduled, changed and deleted, capacities of
// members and per cycle, and the settings.
func TestWSViewerSeesPlanningEvents(t *testing.T) {
	forEachDatabaseURL(t, func(t *testing.T, url string) {
		ls := newLiveServer(t, url, realtime.Options{})
		owner, p, _ := ls.board("planner@example.com", 0)
		viewer := ls.register("watcher@example.com", "Watcher")
		path := func(s string) string { return "/api/v1/projects/" + p.ID + s }
		owner.must(201, "POST", path("/members"), map[string]string{"email": viewer.user.Email, "role": "viewer"}, nil)
		var proj models.Project
		owner.must(200, "GET", path(""), nil, &proj)
		conn := ls.mustDial(viewer, p.ID, proj.Seq)
		if f := next(t, conn); f.Type != "hello" {
			t.Fatalf("first frame %+v", f)
		}
		var c models.Cycle
		owner.must(201, "POST", path("/cycles"), map[string]any{"starts_on": "2030-01-07", "ends_on": "2030-01-20"}, &c)
		owner.must(201, "POST", path("/cycles/schedule"), map[string]any{"starts_on": "2030-02-01", "length_days": 5, "count": 2}, nil)
		owner.must(200, "PATCH", path("/cycles/"+c.ID), map[string]any{"goal": "Ship"}, nil)
		owner.must(200, "PATCH", path("/members/"+viewer.user.ID), map[string]any{"capacity": 8}, nil)
		owner.must(200, "PUT", path("/cycles/"+c.ID+"/capacity/"+viewer.user.ID), map[string]any{"points": 5}, nil)
		owner.must(200, "PATCH", path(""), map[string]any{"capacity_policy": "block"}, nil)
		owner.must(204, "DELETE", path("/cycles/"+c.ID), nil, nil)
		want := []string{"cycle.created", "cycle.scheduled", "cycle.updated", "member.updated", "cycle.capacity_updated",
			"project.updated", "cycle.deleted"}
		for i, typ := range want {
			f := next(t, conn)
			if f.Type != typ || f.Seq != proj.Seq+int64(i)+1 {
				t.Fatalf("frame %d: %s seq %d, want %s seq %d", i, f.Type, f.Seq, typ, proj.Seq+int64(i)+1)
			}
			switch typ {
			case "cycle.updated":
				var got models.Cycle
				mustJSON(t, f.Data, &got)
				if got.ID != c.ID || got.Goal != "Ship" || got.State != "upcoming" {
					t.Fatalf("cycle.updated data %s", f.Data)
				}
			case "cycle.scheduled":
				var got models.CycleList
				mustJSON(t, f.Data, &got)
				if len(got.Items) != 2 || got.Items[1].StartsOn != "2030-02-06" {
					t.Fatalf("cycle.scheduled data %s", f.Data)
				}
			case "member.updated":
				var got models.Member
				mustJSON(t, f.Data, &got)
				if got.UserID != viewer.user.ID || got.Capacity == nil || *got.Capacity != 8 {
					t.Fatalf("member.updated data %s", f.Data)
				}
			case "cycle.capacity_updated":
				var got models.CycleCapacity
				mustJSON(t, f.Data, &got)
				if got.CycleID != c.ID || got.UserID != viewer.user.ID || got.Points == nil || *got.Points != 5 {
					t.Fatalf("cycle.capacity_updated data %s", f.Data)
				}
			case "cycle.deleted":
				var got models.CycleDeleted
				mustJSON(t, f.Data, &got)
				if got.Cycle.ID != c.ID || got.IssueIDs == nil {
					t.Fatalf("cycle.deleted data %s", f.Data)
				}
			}
		}
	})
}
