package planning_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/planning"
)

// The report with plain calls: each test writes a project's log by hand
// (history), with explicit instants, and reads the report at an explicit
// now. No database, no clock, no sleeps.

func date(t *testing.T, s string) planning.Date {
	t.Helper()
	d, err := planning.ReadDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func ptr[T any](v T) *T { return &v }

// history is a project's log under construction, in seq order.
type history struct {
	t       *testing.T
	changes []planning.Change
}

func (h *history) add(when string, c planning.Change) {
	c.Seq = int64(len(h.changes) + 1)
	c.At = at(h.t, when)
	h.changes = append(h.changes, c)
}

// column creates or changes a column (wip < 0: no limit).
func (h *history) column(when, key, category string, wip int) {
	c := &planning.ColumnState{Key: key, Name: "Column " + key, Category: category}
	if wip >= 0 {
		c.WIPLimit = ptr(wip)
	}
	h.add(when, planning.Change{Column: c})
}

// issue is the issue as it is after a change (effort < 0: not estimated,
// cycle or assignee "": none).
type issue struct {
	id, status      string
	effort          int
	cycle, assignee string
	carryover       int
}

func (h *history) issue(when string, i issue) {
	s := &planning.IssueState{ID: i.id, Key: "CORK-" + i.id, Status: i.status, Carryover: i.carryover}
	if i.effort >= 0 {
		s.Effort = ptr(i.effort)
	}
	if i.cycle != "" {
		s.CycleID = ptr(i.cycle)
	}
	if i.assignee != "" {
		s.AssigneeID = ptr(i.assignee)
	}
	h.add(when, planning.Change{Issue: s})
}

func (h *history) deleted(when, id string) { h.add(when, planning.Change{IssueDeleted: id}) }

// board starts a project the day before the cycle: open (todo), doing
// (started), review (todo for now) and done.
func board(t *testing.T) *history {
	h := &history{t: t}
	h.column("2026-02-01T08:00:00Z", "open", planning.CategoryTodo, -1)
	h.column("2026-02-01T08:00:00Z", "doing", planning.CategoryStarted, -1)
	h.column("2026-02-01T08:00:00Z", "review", planning.CategoryTodo, -1)
	h.column("2026-02-01T08:00:00Z", "done", planning.CategoryDone, -1)
	return h
}

// cycleInput is the input for cycle c1, Monday 2026-03-02 to Friday
// 2026-03-06, in UTC, unestimated issues counting 1.
func cycleInput(t *testing.T, h *history, now string) planning.Input {
	return planning.Input{
		CycleID:     "c1",
		StartsOn:    date(t, "2026-03-02"),
		EndsOn:      date(t, "2026-03-06"),
		Location:    time.UTC,
		Now:         at(t, now),
		Unestimated: 1,
		Capacities:  map[string]*int{"ann": ptr(5), "bob": ptr(10), "cy": nil},
		Names:       map[string]string{"ann": "Ann", "bob": "Bob", "cy": "Cy"},
		Changes:     h.changes,
	}
}

// week is the hand-built history the day tests read: every kind of change
// the report must follow, a day at a time.
func week(t *testing.T) *history {
	h := board(t)
	// Before the start: planned.
	h.issue("2026-03-01T10:00:00Z", issue{id: "A", status: "open", effort: 3, cycle: "c1", assignee: "ann"})
	h.issue("2026-03-01T10:01:00Z", issue{id: "B", status: "open", effort: 5, cycle: "c1", assignee: "bob"})
	h.issue("2026-03-01T10:02:00Z", issue{id: "C", status: "open", effort: -1, cycle: "c1"})
	h.issue("2026-03-01T10:03:00Z", issue{id: "X", status: "open", effort: 8})
	// Monday: A started; D created in the cycle (added).
	h.issue("2026-03-02T09:00:00Z", issue{id: "A", status: "doing", effort: 3, cycle: "c1", assignee: "ann"})
	h.issue("2026-03-02T15:00:00Z", issue{id: "D", status: "open", effort: 2, cycle: "c1"})
	// Tuesday: A done; B's effort 5 → 8; C assigned to Bob.
	h.issue("2026-03-03T10:00:00Z", issue{id: "A", status: "done", effort: 3, cycle: "c1", assignee: "ann"})
	h.issue("2026-03-03T11:00:00Z", issue{id: "B", status: "open", effort: 8, cycle: "c1", assignee: "bob"})
	h.issue("2026-03-03T12:00:00Z", issue{id: "C", status: "open", effort: -1, cycle: "c1", assignee: "bob"})
	// Wednesday: A back out of done; B to review; review becomes a started
	// column; D removed from the cycle.
	h.issue("2026-03-04T09:00:00Z", issue{id: "A", status: "doing", effort: 3, cycle: "c1", assignee: "ann"})
	h.issue("2026-03-04T10:00:00Z", issue{id: "B", status: "review", effort: 8, cycle: "c1", assignee: "bob"})
	h.column("2026-03-04T11:00:00Z", "review", planning.CategoryStarted, -1)
	h.issue("2026-03-04T16:00:00Z", issue{id: "D", status: "open", effort: 2})
	// Thursday: C deleted; X moved into the cycle; A done again.
	h.deleted("2026-03-05T09:00:00Z", "C")
	h.issue("2026-03-05T10:00:00Z", issue{id: "X", status: "open", effort: 8, cycle: "c1"})
	h.issue("2026-03-05T11:00:00Z", issue{id: "A", status: "done", effort: 3, cycle: "c1", assignee: "ann"})
	return h
}

func days(r planning.Report) [][4]any {
	out := make([][4]any, len(r.Days))
	for i, d := range r.Days {
		out[i] = [4]any{d.Date.String(), d.Scope, d.Started, d.Completed}
	}
	return out
}

func TestReportDays(t *testing.T) {
	h := week(t)
	// After now (Thursday noon): must not count yet.
	h.issue("2026-03-05T13:00:00Z", issue{id: "A", status: "open", effort: 3, cycle: "c1", assignee: "ann"})
	r := planning.BuildReport(cycleInput(t, h, "2026-03-05T12:00:00Z"))

	want := [][4]any{
		{"2026-03-02", 11, 3, 0},  // 3+5+1 planned, D's 2 added; A started
		{"2026-03-03", 14, 0, 3},  // B 5 → 8; A done; C reassigned changes nothing
		{"2026-03-04", 12, 11, 0}, // A out of done; review counts as started (A 3 + B 8); D out
		{"2026-03-05", 19, 8, 3},  // C deleted; X's 8 in; A done (now)
	}
	if got := days(r); !reflect.DeepEqual(got, want) {
		t.Fatalf("days\n got %v\nwant %v", got, want)
	}
	wantTotals := planning.Totals{Scope: 19, Started: 8, Completed: 3, Added: 2 + 8, Removed: 2 + 1, CarriedOver: 0}
	if r.Totals != wantTotals {
		t.Fatalf("totals %+v, want %+v", r.Totals, wantTotals)
	}
	wantMembers := []planning.Member{
		{UserID: "ann", DisplayName: "Ann", Capacity: ptr(5), Load: 3, Completed: 3},
		{UserID: "bob", DisplayName: "Bob", Capacity: ptr(10), Load: 8, Completed: 0}, // C deleted
		{UserID: "cy", DisplayName: "Cy", Capacity: nil},
	}
	if !reflect.DeepEqual(r.Members, wantMembers) {
		t.Fatalf("members\n got %+v\nwant %+v", r.Members, wantMembers)
	}
}

// A completed cycle reports every day up to ends_on and ignores what came
// after its end (the roll-over, later moves), however late it is read.
func TestReportCompletedCycle(t *testing.T) {
	h := week(t)
	h.issue("2026-03-06T17:00:00Z", issue{id: "X", status: "done", effort: 8, cycle: "c1"})
	// Saturday: the roll-over moves B to the next cycle; A reopened.
	h.issue("2026-03-07T00:00:30Z", issue{id: "B", status: "review", effort: 8, cycle: "c2", assignee: "bob", carryover: 1})
	h.issue("2026-03-07T09:00:00Z", issue{id: "A", status: "open", effort: 3, cycle: "c1", assignee: "ann"})
	r := planning.BuildReport(cycleInput(t, h, "2026-04-20T12:00:00Z"))
	got := days(r)
	if len(got) != 5 || got[4] != [4]any{"2026-03-06", 19, 8, 11} {
		t.Fatalf("days %v, want 5 ending with 2026-03-06 19/8/11", got)
	}
	if r.Totals.Scope != 19 || r.Totals.Completed != 11 || r.Totals.Removed != 3 {
		t.Fatalf("totals %+v: what came after the end counted", r.Totals)
	}
}

// An upcoming cycle has no days yet; its totals are what is planned now,
// nothing counts as added before the start, and its members' load shows.
func TestReportFutureCycle(t *testing.T) {
	h := board(t)
	h.issue("2026-02-20T10:00:00Z", issue{id: "A", status: "open", effort: 3, cycle: "c1", assignee: "ann"})
	h.issue("2026-02-21T10:00:00Z", issue{id: "B", status: "open", effort: 8, cycle: "c1", assignee: "ann"})
	h.issue("2026-02-22T10:00:00Z", issue{id: "B", status: "open", effort: 8})
	r := planning.BuildReport(cycleInput(t, h, "2026-02-25T12:00:00Z"))
	if r.Days == nil || len(r.Days) != 0 {
		t.Fatalf("days %v, want an empty list", r.Days)
	}
	if (r.Totals != planning.Totals{Scope: 3}) {
		t.Fatalf("totals %+v, want scope 3 and nothing added or removed", r.Totals)
	}
	if r.Members[0].UserID != "ann" || r.Members[0].Load != 3 {
		t.Fatalf("members %+v", r.Members)
	}
	b, _ := json.Marshal(r)
	var shape map[string]json.RawMessage
	_ = json.Unmarshal(b, &shape)
	if string(shape["days"]) != "[]" {
		t.Fatalf("days in JSON: %s, want []", shape["days"])
	}
}

// A day ends at midnight in the project's time zone: 23:30 UTC is already
// the next day in Berlin (CET, +1), and after the spring change (CEST,
// +2) 22:30 UTC is too.
func TestReportTimeZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name       string
		loc        *time.Location
		starts     string
		done       string // when the issue reaches done
		now        string
		completedD []int // completed points per day
	}{
		{"utc", time.UTC, "2026-03-02", "2026-03-02T23:30:00Z", "2026-03-03T12:00:00Z", []int{0 + 5, 5}},
		{"berlin", berlin, "2026-03-02", "2026-03-02T23:30:00Z", "2026-03-03T12:00:00Z", []int{0, 5}},
		{"berlin-summer", berlin, "2026-03-29", "2026-03-29T22:30:00Z", "2026-03-30T12:00:00Z", []int{0, 5}},
		{"berlin-summer-before", berlin, "2026-03-29", "2026-03-29T21:30:00Z", "2026-03-30T12:00:00Z", []int{5, 5}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := board(t)
			h.issue("2026-03-01T10:00:00Z", issue{id: "A", status: "open", effort: 5, cycle: "c1"})
			h.issue(tc.done, issue{id: "A", status: "done", effort: 5, cycle: "c1"})
			in := cycleInput(t, h, tc.now)
			in.Location = tc.loc
			s := date(t, tc.starts)
			in.StartsOn, in.EndsOn = s, s.AddDays(4)
			r := planning.BuildReport(in)
			var got []int
			for _, d := range r.Days {
				got = append(got, d.Completed)
			}
			if !slices.Equal(got, tc.completedD) {
				t.Fatalf("completed per day %v, want %v (days %v)", got, tc.completedD, days(r))
			}
		})
	}
}

// Carried over: the roll-over into the cycle (the carryover count goes up
// in the same change) counts as carried over, not as added, even when it
// lands after the start; an issue first seen already carried counts; one
// moved out and back in by hand does not.
func TestReportCarriedOver(t *testing.T) {
	h := board(t)
	h.issue("2026-02-20T10:00:00Z", issue{id: "E", status: "doing", effort: 5, cycle: "c0"})
	h.issue("2026-02-20T10:00:00Z", issue{id: "G", status: "open", effort: 2, cycle: "c0"})
	h.issue("2026-02-21T10:00:00Z", issue{id: "F", status: "open", effort: 3, cycle: "c1", carryover: 2})
	h.issue("2026-03-01T10:00:00Z", issue{id: "H", status: "open", effort: 4, cycle: "c1"})
	// The roll-over half a minute after c1 started.
	h.issue("2026-03-02T00:00:30Z", issue{id: "E", status: "doing", effort: 5, cycle: "c1", carryover: 1})
	h.issue("2026-03-02T00:00:31Z", issue{id: "G", status: "open", effort: 2, cycle: "c1", carryover: 1})
	h.issue("2026-03-02T09:00:00Z", issue{id: "G", status: "open", effort: 2, carryover: 1})
	h.issue("2026-03-02T10:00:00Z", issue{id: "G", status: "open", effort: 2, cycle: "c1", carryover: 1})
	r := planning.BuildReport(cycleInput(t, h, "2026-03-02T12:00:00Z"))
	want := planning.Totals{Scope: 5 + 3 + 4 + 2, Started: 5, Added: 2, Removed: 2, CarriedOver: 5 + 3}
	if r.Totals != want {
		t.Fatalf("totals %+v, want %+v", r.Totals, want)
	}
}

// Unknown columns count as todo; a deleted column's cards count as todo;
// a column's category change moves its cards between the tallies at once.
func TestReportColumns(t *testing.T) {
	h := board(t)
	h.issue("2026-03-01T10:00:00Z", issue{id: "A", status: "ghost", effort: 2, cycle: "c1"})
	h.issue("2026-03-01T10:00:00Z", issue{id: "B", status: "doing", effort: 3, cycle: "c1"})
	h.add("2026-03-02T10:00:00Z", planning.Change{ColumnDeleted: "doing"})
	h.column("2026-03-03T10:00:00Z", "ghost", planning.CategoryDone, -1)
	h.column("2026-03-04T10:00:00Z", "doing", planning.CategoryStarted, -1)
	r := planning.BuildReport(cycleInput(t, h, "2026-03-04T12:00:00Z"))
	want := [][4]any{{"2026-03-02", 5, 0, 0}, {"2026-03-03", 5, 0, 2}, {"2026-03-04", 5, 3, 2}}
	if got := days(r); !reflect.DeepEqual(got, want) {
		t.Fatalf("days %v, want %v", got, want)
	}
}

// Same input, same report: map iteration order (capacities, names, the
// issues) must never show.
func TestReportDeterministic(t *testing.T) {
	in := generate(300, 6000, 7)
	first, _ := json.Marshal(planning.BuildReport(in))
	for range 20 {
		again := in
		again.Capacities = map[string]*int{}
		again.Names = map[string]string{}
		for uid, c := range in.Capacities {
			again.Capacities[uid] = c
		}
		for uid, n := range in.Names {
			again.Names[uid] = n
		}
		got, _ := json.Marshal(planning.BuildReport(again))
		if string(got) != string(first) {
			t.Fatalf("report changed between runs:\n%s\n%s", first, got)
		}
	}
	var r planning.Report
	_ = json.Unmarshal(first, &r)
	if len(r.Days) == 0 || len(r.Members) == 0 || r.Totals.Scope == 0 {
		t.Fatalf("the generated cycle is too thin to prove anything: %+v", r.Totals)
	}
}
