package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/app/planning/cyclereport"
	"github.com/corkboard/corkboard/models"
)

// Tests of GET /projects/{pid}/cycles/{cid}/report: a cycle's history built
// through the API over several days on the server clock the test moves
// (newManualClock: Monday 2026-11-23 10:00:15 UTC), each day's point, the
// totals, members and health checked through the contract-checking client.

type reportResponse struct {
	Cycle models.Cycle `json:"cycle"`
	planning.Report
}

func (f *fixture) report(c *client, cycleID string) reportResponse {
	f.ts.t.Helper()
	var r reportResponse
	c.must(200, "GET", f.path("/cycles/"+cycleID+"/report"), nil, &r)
	return r
}

// edit patches an issue at its current version and keeps the answer.
func (f *fixture) edit(c *client, is *models.Issue, body map[string]any) {
	f.ts.t.Helper()
	body["version"] = is.Version
	c.must(200, "PATCH", f.path("/issues/"+is.ID), body, is)
}

func wantDays(t *testing.T, r reportResponse, want [][4]any) {
	t.Helper()
	if len(r.Days) != len(want) {
		t.Fatalf("%d days %+v, want %d", len(r.Days), r.Days, len(want))
	}
	for i, w := range want {
		d := r.Days[i]
		if d.Date.String() != w[0] || d.Scope != w[1] || d.Started != w[2] || d.Completed != w[3] {
			t.Fatalf("day %d: %+v, want %v", i, d, w)
		}
	}
}

func TestCycleReportHistory(t *testing.T) {
	planningFixture(t, func(t *testing.T, f *fixture, clk *testClock) {
		day := 24 * time.Hour
		c1 := f.cycle("2026-11-25", "2026-12-04") // Wednesday, 10 days
		editorID, ownerID := f.editor.user.ID, f.owner.user.ID
		f.owner.must(200, "PATCH", f.path("/members/"+editorID), map[string]any{"capacity": 2}, nil)
		f.owner.must(200, "PATCH", f.path("/members/"+ownerID), map[string]any{"capacity": 1}, nil)
		f.owner.must(200, "PUT", f.path("/cycles/"+c1.ID+"/capacity/"+ownerID), map[string]any{"points": 10}, nil)

		// Two days before the start: planned, estimated, assigned.
		mk := func(title string, effort *int, cycle *string, assignee string) *models.Issue {
			var is models.Issue
			body := map[string]any{"title": title, "effort": effort, "cycle_id": cycle}
			if assignee != "" {
				body["assignee_id"] = assignee
			}
			f.editor.must(201, "POST", f.path("/issues"), body, &is)
			return &is
		}
		three, five := 3, 5
		a := mk("A", nil, &c1.ID, "")
		f.edit(f.editor, a, map[string]any{"effort": three, "assignee_id": editorID})
		b := mk("B", &five, &c1.ID, editorID)
		c := mk("C", nil, &c1.ID, ownerID) // unestimated: counts 1
		d := mk("D", nil, nil, "")
		f.edit(f.editor, d, map[string]any{"effort": 2})
		if r := f.report(f.viewer, c1.ID); len(r.Days) != 0 || r.Totals.Scope != 9 || r.Cycle.ID != c1.ID || r.Cycle.State != "upcoming" {
			t.Fatalf("before the start: %+v", r)
		}

		clk.Advance(2 * day) // Wed 11-25, day 1: A started
		f.edit(f.editor, a, map[string]any{"status": "in_progress"})
		clk.Advance(day) // day 2: A done, B started, D added
		f.edit(f.editor, a, map[string]any{"status": "done"})
		f.edit(f.editor, b, map[string]any{"status": "in_progress"})
		f.edit(f.editor, d, map[string]any{"cycle_id": c1.ID})
		clk.Advance(day) // day 3: B leaves the cycle, C is deleted
		f.edit(f.editor, b, map[string]any{"cycle_id": nil})
		f.editor.must(204, "DELETE", f.path("/issues/"+c.ID), nil, nil)
		clk.Advance(day) // day 4: D started, then its column becomes a done one
		f.edit(f.editor, d, map[string]any{"status": "in_progress"})
		f.owner.must(200, "PATCH", f.path("/columns/in_progress"), map[string]any{"category": "done"}, nil)

		r := f.report(f.viewer, c1.ID)
		wantDays(t, r, [][4]any{
			{"2026-11-25", 9, 3, 0},
			{"2026-11-26", 11, 5, 3},
			{"2026-11-27", 5, 0, 3},
			{"2026-11-28", 5, 0, 5},
		})
		if want := (planning.Totals{Scope: 5, Completed: 5, Added: 2, Removed: 6}); r.Totals != want {
			t.Fatalf("totals %+v, want %+v", r.Totals, want)
		}
		// Every member is listed with their capacity for this cycle.
		members := map[string]planning.Member{}
		for _, m := range r.Members {
			members[m.UserID] = m
		}
		if len(members) != 4 {
			t.Fatalf("members %+v", r.Members)
		}
		if m := members[editorID]; m.DisplayName != "Editor" || *m.Capacity != 2 || m.Load != 3 || m.Completed != 3 {
			t.Fatalf("editor %+v", m)
		}
		if m := members[ownerID]; *m.Capacity != 10 || m.Load != 0 || m.Completed != 0 {
			t.Fatalf("owner (override 10 over 1; C deleted) %+v", m)
		}
		if m := members[f.viewer.user.ID]; m.Capacity != nil || m.Load != 0 {
			t.Fatalf("viewer %+v", m)
		}
		// All completed: on track, the editor's overload kept as a lesson.
		if r.Health.Status != planning.OnTrack || len(r.Health.Reasons) == 0 {
			t.Fatalf("health %+v", r.Health)
		}
		var over bool
		for _, reason := range r.Health.Reasons {
			over = over || reason.Code == planning.ReasonOverCapacity && reason.UserID == editorID
		}
		if !over {
			t.Fatalf("reasons %+v, want over_capacity for the editor", r.Health.Reasons)
		}

		// After the end: ten days, the past ones unchanged, nothing later counts.
		clk.Advance(7 * day) // 12-05
		f.edit(f.editor, d, map[string]any{"status": "open"})
		r = f.report(f.viewer, c1.ID)
		if len(r.Days) != 10 || r.Days[3] != (planning.Day{Date: planning.Date{Year: 2026, Month: 11, Day: 28}, Scope: 5, Completed: 5}) ||
			r.Days[9].Completed != 5 || r.Totals.Completed != 5 || r.Cycle.State != "completed" {
			t.Fatalf("after the end: days %+v totals %+v", r.Days, r.Totals)
		}
	})
}

func TestCycleReportHealthAndAccess(t *testing.T) {
	planningFixture(t, func(t *testing.T, f *fixture, clk *testClock) {
		day := 24 * time.Hour
		c := f.cycle("2026-11-24", "2026-12-03") // 10 days
		var e models.Issue
		f.editor.must(201, "POST", f.path("/issues"), map[string]any{"title": "E", "effort": 5, "cycle_id": c.ID}, &e)
		clk.Advance(6 * day) // 11-29: the 6th day of 10, nothing completed
		r := f.report(f.editor, c.ID)
		if r.Health.Status != planning.OffTrack || r.Health.Reasons[0].Code != planning.ReasonBehindPace || len(r.Days) != 6 {
			t.Fatalf("at 60%% with nothing completed: %+v", r.Health)
		}
		f.edit(f.editor, &e, map[string]any{"status": "done"})
		if r := f.report(f.editor, c.ID); r.Health.Status != planning.OnTrack || r.Totals.Completed != 5 {
			t.Fatalf("all completed: %+v %+v", r.Totals, r.Health)
		}

		// Another project's cycle, a non-member, an unknown id: 404.
		other := newFixture(f.ts)
		oc := other.cycle("2026-12-10", "2026-12-12")
		f.refused(t, f.owner, 404, "", "GET", "/cycles/"+oc.ID+"/report", nil)
		f.refused(t, f.outsider, 404, "", "GET", "/cycles/"+c.ID+"/report", nil)
		f.refused(t, f.viewer, 404, "", "GET", "/cycles/not-a-uuid/report", nil)

		// A deleted cycle has no report; its issue is in no cycle.
		f.owner.must(204, "DELETE", f.path("/cycles/"+c.ID), nil, nil)
		f.refused(t, f.viewer, 404, "", "GET", "/cycles/"+c.ID+"/report", nil)

		// Once the log's start is pruned, a report nobody read before cannot
		// be exact: 410. One this instance had read keeps its exact answer.
		before := f.report(f.viewer, f.cycle("2026-12-01", "2026-12-05").ID)
		oc2 := other.cycle("2026-12-01", "2026-12-05")
		clk.Advance(4 * day)
		if _, err := f.ts.Store().PruneEvents(context.Background(), 3*day, 1<<40); err != nil {
			t.Fatal(err)
		}
		p := other.refused(t, other.viewer, 410, "", "GET", "/cycles/"+oc2.ID+"/report", nil)
		if p.Type != "urn:corkboard:problem:history-pruned" {
			t.Fatalf("pruned: %+v", p)
		}
		if after := f.report(f.viewer, before.Cycle.ID); after.Totals != before.Totals {
			t.Fatalf("read before the pruning: %+v, then %+v", before.Totals, after.Totals)
		}
	})
}

// TestReportConverterCycleDeleted: cycle.deleted names the issues it took
// out of the cycle; the converter makes that a change of each (cycle_id
// null), so a replay no longer counts them in the deleted cycle.
func TestReportConverterCycleDeleted(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	ev := func(seq int64, typ, data string) models.Event {
		return models.Event{Seq: seq, Type: typ, At: at.Add(time.Duration(seq) * time.Hour), Data: []byte(data)}
	}
	var conv cyclereport.Converter
	for _, e := range []models.Event{
		ev(1, "column.created", `{"column":{"key":"done"},"columns":[{"key":"open","name":"Open","wip_limit":null,"category":"todo"},{"key":"done","name":"Done","wip_limit":null,"category":"done"}]}`),
		ev(2, "issue.created", `{"id":"i1","key":"K-1","status":"open","assignee_id":null,"effort":3,"cycle_id":"c1","carryover":0}`),
		ev(3, "issue.created", `{"id":"i2","key":"K-2","status":"done","assignee_id":null,"effort":2,"cycle_id":"c1","carryover":0}`),
		ev(4, "cycle.deleted", `{"cycle":{"id":"c1"},"issue_ids":["i1","i2"]}`),
	} {
		if err := conv.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	in := planning.Input{CycleID: "c1", StartsOn: planning.Date{Year: 2026, Month: 11, Day: 23}, EndsOn: planning.Date{Year: 2026, Month: 11, Day: 24},
		Now: at.Add(12 * time.Hour), Changes: conv.Changes}
	in.Changes = conv.Changes[:4] // the two columns and two issues, before the deletion
	if r := planning.BuildReport(in); r.Totals.Scope != 5 || r.Totals.Completed != 2 {
		t.Fatalf("before the deletion: %+v", r.Totals)
	}
	in.Changes = conv.Changes
	if r := planning.BuildReport(in); r.Totals.Scope != 0 || r.Totals.Completed != 0 || r.Totals.Removed != 5 {
		t.Fatalf("after the deletion: %+v (%d changes)", r.Totals, len(conv.Changes))
	}
}

// TestCycleReportStale: a started issue of the cycle untouched for 3 days
// is stale; a comment on it is work on it, and it is not.
func TestCycleReportStale(t *testing.T) {
	planningFixture(t, func(t *testing.T, f *fixture, clk *testClock) {
		c := f.cycle("2026-11-23", "2026-12-06")
		var a, b models.Issue
		f.editor.must(201, "POST", f.path("/issues"), map[string]any{"title": "A", "cycle_id": c.ID, "status": "in_progress"}, &a)
		f.editor.must(201, "POST", f.path("/issues"), map[string]any{"title": "B", "cycle_id": c.ID, "status": "in_progress"}, &b)
		clk.Advance(2 * 24 * time.Hour)
		f.editor.must(201, "POST", f.path("/issues/"+b.ID+"/comments"), map[string]any{"body": "on it"}, nil)
		clk.Advance(24*time.Hour + time.Minute)
		r := f.report(f.viewer, c.ID)
		var stale []planning.Reason
		for _, reason := range r.Health.Reasons {
			if reason.Code == planning.ReasonStale {
				stale = append(stale, reason)
			}
		}
		if len(stale) != 1 || !strings.Contains(stale[0].Message, a.Key) || strings.Contains(stale[0].Message, b.Key) {
			t.Fatalf("stale reasons %+v, want %s only", stale, a.Key)
		}
	})
}
