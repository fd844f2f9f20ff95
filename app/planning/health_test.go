package planning_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/app/planning"
)

func codes(h planning.Health) []string {
	out := make([]string, len(h.Reasons))
	for i, r := range h.Reasons {
		out[i] = r.Code
		if r.UserID != "" {
			out[i] += ":" + r.UserID
		}
	}
	return out
}

// worst is every penalty but pace at its largest: the properties must hold
// even then.
func worst(f planning.Facts) planning.Facts {
	f.Overloads = []planning.Overload{{UserID: "u1", Load: 50, Capacity: 0}, {UserID: "u2", Load: 90, Capacity: 10},
		{UserID: "u3", Load: 40, Capacity: 1}}
	f.ScopeAtStart, f.Added = 0, max(f.Scope, 1)
	f.CarriedOver = f.Scope
	f.Stale = []string{"CORK-1", "CORK-2", "CORK-3", "CORK-4", "CORK-5", "CORK-6"}
	f.WIP = []planning.WIPExcess{{Column: "Doing", Issues: 40, Limit: 3}, {Column: "Review", Issues: 9, Limit: 1}}
	return f
}

// A cycle whose issues are all completed is on_track, whatever else is
// wrong, on any day of any length.
func TestHealthAllCompletedIsOnTrack(t *testing.T) {
	for total := 1; total <= 56; total++ {
		for elapsed := 0; elapsed <= total; elapsed++ {
			for _, scope := range []int{0, 1, 7, 300} {
				for _, f := range []planning.Facts{
					{DaysElapsed: elapsed, DaysTotal: total, Scope: scope, Completed: scope, Issues: 4, CompletedIssues: 4},
					worst(planning.Facts{DaysElapsed: elapsed, DaysTotal: total, Scope: scope, Completed: scope, Issues: 4, CompletedIssues: 4}),
				} {
					h := planning.Assess(f)
					if h.Status != planning.OnTrack || h.Score < planning.OnTrackScore {
						t.Fatalf("%+v: %d %s, want on_track", f, h.Score, h.Status)
					}
				}
			}
		}
	}
}

// An active cycle at 60% or more of its days with nothing completed out of
// a non-zero scope is off_track, behind_pace first, even with every other
// reason at its largest.
func TestHealthNothingCompletedLateIsOffTrack(t *testing.T) {
	for total := 1; total <= 56; total++ {
		for elapsed := (6*total + 9) / 10; elapsed <= total; elapsed++ {
			for _, scope := range []int{1, 7, 300} {
				for _, f := range []planning.Facts{
					{DaysElapsed: elapsed, DaysTotal: total, Scope: scope, Issues: 3},
					worst(planning.Facts{DaysElapsed: elapsed, DaysTotal: total, Scope: scope, Issues: 3}),
				} {
					h := planning.Assess(f)
					if h.Status != planning.OffTrack || h.Reasons[0].Code != planning.ReasonBehindPace {
						t.Fatalf("%d/%d days, scope %d: %d %s %v, want off_track, behind_pace first",
							elapsed, total, scope, h.Score, h.Status, codes(h))
					}
				}
			}
		}
	}
}

// The same two properties through the whole report.
func TestReportHealthProperties(t *testing.T) {
	t.Run("all completed", func(t *testing.T) {
		h := board(t)
		h.column("2026-02-01T08:00:00Z", "doing", planning.CategoryStarted, 0)
		h.issue("2026-03-01T10:00:00Z", issue{id: "A", status: "done", effort: 30, cycle: "c1", assignee: "ann"})
		h.issue("2026-03-01T10:00:00Z", issue{id: "O", status: "doing", effort: 3, assignee: "ann"})
		h.issue("2026-03-05T10:00:00Z", issue{id: "B", status: "done", effort: 8, cycle: "c1", carryover: 1})
		h.issue("2026-03-05T10:00:00Z", issue{id: "C", status: "done", effort: 50, cycle: "c1", assignee: "bob"})
		r := planning.BuildReport(cycleInput(t, h, "2026-03-05T12:00:00Z"))
		if r.Health.Status != planning.OnTrack {
			t.Fatalf("health %+v, want on_track", r.Health)
		}
		if len(r.Health.Reasons) < 4 {
			t.Fatalf("reasons %v: the risks should stay listed", codes(r.Health))
		}
	})
	t.Run("nothing completed at 60%", func(t *testing.T) {
		h := board(t)
		h.issue("2026-03-01T10:00:00Z", issue{id: "A", status: "doing", effort: 3, cycle: "c1"})
		h.issue("2026-03-01T10:00:00Z", issue{id: "B", status: "open", effort: 2, cycle: "c1"})
		// Day 3 of 5 (Wednesday), first thing in the morning.
		r := planning.BuildReport(cycleInput(t, h, "2026-03-04T00:01:00Z"))
		if r.Health.Status != planning.OffTrack || r.Health.Reasons[0].Code != planning.ReasonBehindPace {
			t.Fatalf("health %+v, want off_track with behind_pace first", r.Health)
		}
	})
}

// One case per reason, through the report: each situation gives its code
// (over_capacity once per member, with their id) and no other.
func TestReportReasons(t *testing.T) {
	cases := []struct {
		name  string
		build func(h *history)
		now   string
		want  []string
		msg   string // of the first reason, when set
	}{
		{"behind_pace", func(h *history) {
			h.issue("2026-03-01T10:00:00Z", issue{id: "A", status: "open", effort: 4, cycle: "c1"})
			h.issue("2026-03-01T10:00:00Z", issue{id: "B", status: "open", effort: 4, cycle: "c1"})
			h.issue("2026-03-02T10:00:00Z", issue{id: "A", status: "done", effort: 4, cycle: "c1"})
		}, "2026-03-05T12:00:00Z", []string{"behind_pace"}, ""},
		{"over_capacity", func(h *history) {
			h.issue("2026-03-01T10:00:00Z", issue{id: "A", status: "done", effort: 6, cycle: "c1", assignee: "ann"})
			h.issue("2026-03-01T10:00:00Z", issue{id: "B", status: "done", effort: 11, cycle: "c1", assignee: "bob"})
			h.issue("2026-03-01T10:00:00Z", issue{id: "C", status: "done", effort: 9, cycle: "c1", assignee: "cy"}) // no capacity
			h.issue("2026-03-01T10:00:00Z", issue{id: "D", status: "done", effort: 9, assignee: "ann"})             // not in the cycle
		}, "2026-03-02T12:00:00Z", []string{"over_capacity:ann", "over_capacity:bob"}, ""},
		{"scope_creep", func(h *history) {
			h.issue("2026-03-01T10:00:00Z", issue{id: "A", status: "done", effort: 5, cycle: "c1"})
			h.issue("2026-03-02T10:00:00Z", issue{id: "B", status: "done", effort: 5, cycle: "c1"})
		}, "2026-03-02T12:00:00Z", []string{"scope_creep"}, ""},
		{"carried_over", func(h *history) {
			h.issue("2026-03-01T10:00:00Z", issue{id: "A", status: "done", effort: 5, cycle: "c1"})
			h.issue("2026-03-02T00:00:30Z", issue{id: "B", status: "done", effort: 5, cycle: "c1", carryover: 1})
		}, "2026-03-02T12:00:00Z", []string{"carried_over"}, ""},
		{"stale", func(h *history) {
			h.issue("2026-02-26T11:59:00Z", issue{id: "A", status: "doing", effort: 5, cycle: "c1"})
			h.issue("2026-02-26T12:00:00Z", issue{id: "Z", status: "doing", effort: 5, cycle: "c1"}) // exactly 3 days
			h.issue("2026-02-26T12:01:00Z", issue{id: "B", status: "doing", effort: 5, cycle: "c1"}) // 2d 23h 59m
			h.issue("2026-02-26T10:00:00Z", issue{id: "C", status: "doing", effort: 5, cycle: "c1"})
			h.add("2026-03-01T10:00:00Z", planning.Change{Touched: "C"})                            // a comment
			h.issue("2026-02-20T10:00:00Z", issue{id: "D", status: "doing", effort: 5})             // not in the cycle
			h.issue("2026-02-20T10:00:00Z", issue{id: "E", status: "open", effort: 5, cycle: "c1"}) // not started
		}, "2026-03-01T12:00:00Z", []string{"stale"}, "2 started issues untouched for 3 days or more: CORK-A, CORK-Z."},
		{"wip_exceeded", func(h *history) {
			h.column("2026-02-01T09:00:00Z", "open", planning.CategoryTodo, 2)
			h.column("2026-02-01T09:00:00Z", "doing", planning.CategoryStarted, 5)
			h.issue("2026-03-01T10:00:00Z", issue{id: "A", status: "open", effort: 5, cycle: "c1"})
			h.issue("2026-03-01T10:00:00Z", issue{id: "B", status: "open", effort: 5}) // the project's, not the cycle's
			h.issue("2026-03-01T10:00:00Z", issue{id: "C", status: "open", effort: 5, cycle: "c0"})
		}, "2026-03-01T12:00:00Z", []string{"wip_exceeded"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := board(t)
			tc.build(h)
			r := planning.BuildReport(cycleInput(t, h, tc.now))
			if got := codes(r.Health); fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("reasons %v, want %v (%+v)", got, tc.want, r.Health.Reasons)
			}
			if tc.msg != "" && r.Health.Reasons[0].Message != tc.msg {
				t.Fatalf("message %q, want %q", r.Health.Reasons[0].Message, tc.msg)
			}
			for _, reason := range r.Health.Reasons {
				if reason.Message == "" || reason.Penalty < 1 {
					t.Fatalf("reason %+v: no message or no penalty", reason)
				}
			}
		})
	}
}

// Each penalty as the formula says, and the reasons biggest first; equal
// penalties in code order, then by member.
func TestHealthPenaltiesAndOrder(t *testing.T) {
	f := planning.Facts{
		DaysElapsed: 5, DaysTotal: 10, Scope: 40, Completed: 10, // ideal 20: round(110 × 10/40) = 28
		Issues: 8, CompletedIssues: 2,
		Overloads: []planning.Overload{
			{UserID: "zed", Name: "Zed", Load: 12, Capacity: 10}, // 5 + round(10 × 0.2) = 7
			{UserID: "amy", Name: "Amy", Load: 30, Capacity: 10}, // min(15, 5 + 20) = 15
			{UserID: "bo", Name: "Bo", Load: 12, Capacity: 10},   // 7, before zed
			{UserID: "cat", Name: "Cat", Load: 3, Capacity: 0},   // 15
		},
		ScopeAtStart: 30, Added: 10, // 25%: round(40 × 0.25) = 10
		CarriedOver: 4,                                                            // 10%: round(30 × 0.1) = 3
		Stale:       []string{"CORK-9", "CORK-2"},                                 // 6
		WIP:         []planning.WIPExcess{{Column: "Doing", Issues: 7, Limit: 5}}, // 7
	}
	h := planning.Assess(f)
	type pc struct {
		code    string
		penalty int
	}
	var got []pc
	for _, r := range h.Reasons {
		got = append(got, pc{r.Code + ":" + r.UserID, r.Penalty})
	}
	want := []pc{{"behind_pace:", 28}, {"over_capacity:amy", 15}, {"over_capacity:cat", 15}, {"scope_creep:", 10},
		{"over_capacity:bo", 7}, {"over_capacity:zed", 7}, {"wip_exceeded:", 7}, {"stale:", 6}, {"carried_over:", 3}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("reasons\n got %v\nwant %v", got, want)
	}
	// over_capacity is capped at 30 in all: 100 − 28 − 30 − 10 − 3 − 6 − 7.
	if h.Score != 16 || h.Status != planning.OffTrack {
		t.Fatalf("score %d %s, want 16 off_track", h.Score, h.Status)
	}
	for _, m := range []string{"Behind pace: 10 of 40 points completed, where the ideal line is at 20; finish 10 more or take work out of the cycle.",
		"Amy is over capacity: 30 points against 10; move 20 to someone else or raise their capacity in this cycle.", "10 points were added after the cycle started (25% of its work); move what can wait to a later cycle.",
		"4 points were carried over from earlier cycles (10% of the scope).",
		"2 started issues untouched for 3 days or more: CORK-2, CORK-9.", "Doing holds 7 issues, over its WIP limit of 5; finish or move 2."} {
		found := false
		for _, r := range h.Reasons {
			found = found || r.Message == m
		}
		if !found {
			t.Errorf("no reason says %q", m)
		}
	}
}

func TestHealthStatusThresholds(t *testing.T) {
	cases := []struct {
		scope, completed int
		score            int
		status           string
	}{
		{11, 11, 100, planning.OnTrack},
		{11, 8, 70, planning.OnTrack}, // 110 × 3/11 = 30
		{11, 5, 40, planning.AtRisk},  // 60
		{11, 4, 30, planning.OffTrack},
		{100, 72, 69, planning.AtRisk},   // 110 × 28/100 = 30.8 → 31
		{100, 45, 39, planning.OffTrack}, // 60.5: halves round up → 61
		{100, 0, 0, planning.OffTrack},   // 110, clamped at 0
	}
	for _, tc := range cases {
		h := planning.Assess(planning.Facts{DaysElapsed: 10, DaysTotal: 10, Scope: tc.scope, Completed: tc.completed, Issues: 2})
		if h.Score != tc.score || h.Status != tc.status {
			t.Errorf("%d of %d: %d %s, want %d %s", tc.completed, tc.scope, h.Score, h.Status, tc.score, tc.status)
		}
	}
	// An empty cycle and an upcoming one are on track; a tolerated bit of
	// scope creep (10%) is no reason.
	for _, f := range []planning.Facts{{}, {DaysTotal: 14, Scope: 20, Issues: 3}, {DaysElapsed: 1, DaysTotal: 10,
		Scope: 11, Completed: 11, ScopeAtStart: 10, Added: 1, Issues: 3, CompletedIssues: 2}} {
		if h := planning.Assess(f); h.Score != 100 || len(h.Reasons) != 0 || h.Reasons == nil {
			t.Errorf("%+v: %+v, want 100 and no reasons", f, h)
		}
	}
	if !strings.HasPrefix(planning.Assess(planning.Facts{Stale: []string{"A", "B", "C", "D", "E", "F", "G"}}).Reasons[0].Message,
		"7 started issues untouched for 3 days or more: A, B, C, D, E and 2 more") {
		t.Error("stale message does not cut the list at five")
	}
}

// The example of docs/HEALTH.md, so the document stays true.
func TestHealthDocumentedExample(t *testing.T) {
	h := planning.Assess(planning.Facts{DaysElapsed: 5, DaysTotal: 10, Scope: 40, Completed: 10, Issues: 9, CompletedIssues: 3,
		Overloads:    []planning.Overload{{UserID: "ann", Name: "Ann", Load: 30, Capacity: 10}},
		ScopeAtStart: 30, Added: 10,
		WIP: []planning.WIPExcess{{Column: "Doing", Issues: 7, Limit: 5}}})
	if h.Score != 40 || h.Status != planning.AtRisk ||
		fmt.Sprint(codes(h)) != "[behind_pace over_capacity:ann scope_creep wip_exceeded]" {
		t.Fatalf("%d %s %v, want 40 at_risk [behind_pace over_capacity:ann scope_creep wip_exceeded]", h.Score, h.Status, codes(h))
	}
}
