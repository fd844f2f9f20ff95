package planning

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// A column's category: where its cards stand in the work. "Completed"
// means in a done column, "started" in a started column, at that moment.
const (
	CategoryTodo    = "todo"
	CategoryStarted = "started"
	CategoryDone    = "done"
)

// IssueState is an issue as it is after one change of the log: the fields
// of the issue DTO that planning reads. The app fills it from the issue
// carried by an issue.* event.
type IssueState struct {
	ID         string
	Key        string // CORK-12, for messages
	Status     string // its column's key
	AssigneeID *string
	Effort     *int // nil: counts as Input.Unestimated
	CycleID    *string
	Carryover  int // how many roll-overs moved it, ever
}

// ColumnState is a column as it is after a column.* event.
type ColumnState struct {
	Key      string
	Name     string
	WIPLimit *int
	Category string // todo|started|done; anything else counts as todo
}

// Change is one event of the project's log, reduced to what the report
// reads; exactly one of its fields besides Seq and At is set. Events that
// change none of these (comments, members, settings) are left out, or
// given as Touched when they should keep an issue from going stale.
type Change struct {
	Seq           int64
	At            time.Time
	Issue         *IssueState // issue.created|updated|moved|restored
	IssueDeleted  string      // issue.deleted: its id
	Column        *ColumnState
	ColumnDeleted string // column.deleted: its key
	Touched       string // an issue worked on without a change of state (a comment)
	// Unplanned: an issue a cycle.deleted took out of its cycle (it is in
	// none now, otherwise as it was).
	Unplanned string
}

// Input is everything the report of one cycle is computed from. Changes
// are the project's log in seq order, from its first event (or from a
// snapshot given as changes that recreate each issue and column).
type Input struct {
	CycleID     string
	StartsOn    Date           // the cycle's first day
	EndsOn      Date           // and its last, included
	Location    *time.Location // the project's time zone; nil: UTC
	Now         time.Time
	Unestimated int // what an issue without effort counts as
	// Capacities holds each member of the project with their effective
	// capacity for this cycle (the cycle's override, else the member's;
	// nil: not set). Every key is listed in the report's members.
	Capacities map[string]*int
	Names      map[string]string // display names by user id
	Changes    []Change
	// Resume, when set, is a replay of this cycle's log stopped earlier
	// (see State): Changes then continue from the event after its Seq.
	// Replay refuses it unless CanResume.
	Resume *State
}

// Report is a cycle's burn-up, load and health. The app adds the cycle
// itself (its DTO) beside these fields.
type Report struct {
	Totals  Totals   `json:"totals"`
	Days    []Day    `json:"days"`
	Members []Member `json:"members"`
	Health  Health   `json:"health"`
}

// Totals are points at the report's moment (the end of the cycle's last
// day, or now while it runs or before it starts).
//
//   - Scope: the points of the cycle's issues (effort, or Unestimated).
//   - Started, Completed: the part of Scope in started, done columns.
//   - Added: points of issues that entered the cycle at or after the start
//     of its first day (created in it, moved into it, restored from the
//     trash), each counted with its points as it entered. A roll-over into
//     the cycle is not Added: it is CarriedOver.
//   - Removed: points of issues that left the cycle at or after its start
//     (moved out, deleted), with their points as they left.
//   - CarriedOver: the points (as now) of the cycle's issues that entered
//     it by a roll-over: the change that put them into this cycle also
//     raised their carryover count (an issue first seen already in the
//     cycle with a carryover above 0 counts too). Such an issue moved out
//     and back in by hand is no longer carried over.
type Totals struct {
	Scope       int `json:"scope"`
	Started     int `json:"started"`
	Completed   int `json:"completed"`
	Added       int `json:"added"`
	Removed     int `json:"removed"`
	CarriedOver int `json:"carried_over"`
}

// Day is the state at the end of one date of the cycle, in the project's
// time zone; today's is the state now.
type Day struct {
	Date      Date `json:"date"`
	Scope     int  `json:"scope"`
	Started   int  `json:"started"`
	Completed int  `json:"completed"`
}

// Member is one person's part of the cycle: Load is the points of the
// cycle's issues assigned to them, completed or not; Completed the part of
// it done.
type Member struct {
	UserID      string `json:"user_id"`
	DisplayName string `json:"display_name"`
	Capacity    *int   `json:"capacity"`
	Load        int    `json:"load"`
	Completed   int    `json:"completed"`
}

// The column categories as small numbers, for the tallies.
const (
	catTodo uint8 = iota
	catStarted
	catDone
)

func category(s string) uint8 {
	switch s {
	case CategoryStarted:
		return catStarted
	case CategoryDone:
		return catDone
	}
	return catTodo
}

type columnTally struct {
	key, name   string
	cat         uint8
	exists      bool
	wipLimit    int // < 0: none
	cyclePoints int // points of the cycle's issues in the column
}

type issueTally struct {
	id, key, assignee string
	col               int32
	points            int
	carryover         int
	touched           int64 // unix nanoseconds of its last change
	exists            bool  // false once deleted (or before it was seen)
	inCycle           bool
	carriedIn         bool
}

// replay is one pass over the log: issues and columns as they stand, and
// the running tallies of the cycle.
type replay struct {
	cycleID      string
	unestimated  int
	started      bool // the pass has reached the cycle's start
	scopeAtStart int
	maxAt        int64 // the latest stamp of the changes applied
	final        bool  // stopped at a change at or after the cycle's end

	issues   []issueTally
	issueIdx map[string]int32
	cols     []columnTally
	colIdx   map[string]int32

	scope, inStarted, completed int
	added, removed              int
}

// BuildReport computes the report of in's cycle from its log. It is a pure
// function: the same input gives the same report, on any instance.
//
// The log is applied in seq order. A day closes at the first change
// stamped at or after its end (so for the normal, time-ordered log, a
// day's values are the state after every change made before midnight in
// the project's time zone); the report stops at the first change stamped
// after now, or at or after the end of the cycle's last day.
func BuildReport(in Input) Report {
	r, _, _ := Replay(in)
	return r
}

// Replay is BuildReport that also hands back the replay as it stood after
// the changes it applied, for a later report to resume from (Input.Resume),
// and how many of in.Changes it applied: it stops at the first change it
// must not apply (stamped after now, or at or after the cycle's end; see
// State.Final). A Resume it cannot use (CanResume false) is ignored and the
// changes are replayed from a fresh start, which is only right when they
// start at the log's beginning: callers check CanResume first.
func Replay(in Input) (Report, State, int) {
	w := window(in)
	nDays := len(w.ends)
	days := make([]Day, nDays)
	for i := range days {
		days[i].Date = in.StartsOn.AddDays(i)
	}

	var r replay
	next := 0 // the first day not closed yet
	if in.Resume != nil && w.canResume(in.Resume) {
		r = resume(in.Resume, in.CycleID, in.Unestimated)
		for i, v := range in.Resume.Days {
			days[i].Scope, days[i].Started, days[i].Completed = v[0], v[1], v[2]
		}
		next = len(in.Resume.Days)
	} else {
		r = freshReplay(in.CycleID, in.Unestimated)
	}
	applied := 0
	for i := range in.Changes {
		if r.final {
			break // a change at or after the cycle's end was met: none after it counts
		}
		c := &in.Changes[i]
		at := c.At.UnixNano()
		if at >= w.stop {
			r.final = w.stop == w.end
			break
		}
		for next < nDays && at >= w.ends[next] {
			r.close(&days[next])
			next++
		}
		if !r.started && at >= w.start {
			r.started = true
			r.scopeAtStart = r.scope
		}
		r.apply(c, at)
		r.maxAt = max(r.maxAt, at)
		applied++
	}
	st := r.state(days[:next])
	for ; next < nDays; next++ {
		r.close(&days[next])
	}
	if !r.started && w.stop > w.start {
		r.started = true
		r.scopeAtStart = r.scope
	}
	return r.report(in, w.stop, days), st, applied
}

// report is the report at the replay's moment (stop-1), once every change
// up to it was applied and every day closed.
func (r *replay) report(in Input, stop int64, days []Day) Report {
	asOf := stop - 1
	totals := Totals{Scope: r.scope, Started: r.inStarted, Completed: r.completed,
		Added: r.added, Removed: r.removed}
	members := map[string]*Member{}
	for uid, capacity := range in.Capacities {
		members[uid] = &Member{UserID: uid, Capacity: capacity}
	}
	colCount := make([]int, len(r.cols))
	var cycleIssues, doneIssues int
	var stale []string
	staleBefore := asOf - int64(StaleAfter)
	for i := range r.issues {
		it := &r.issues[i]
		if !it.exists {
			continue
		}
		colCount[it.col]++
		if !it.inCycle {
			continue
		}
		cycleIssues++
		cat := r.cols[it.col].cat
		if cat == catDone {
			doneIssues++
		}
		if cat == catStarted && it.touched <= staleBefore {
			stale = append(stale, cmp.Or(it.key, it.id))
		}
		if it.carriedIn {
			totals.CarriedOver += it.points
		}
		if it.assignee == "" {
			continue
		}
		m := members[it.assignee]
		if m == nil {
			m = &Member{UserID: it.assignee, Capacity: in.Capacities[it.assignee]}
			members[it.assignee] = m
		}
		m.Load += it.points
		if cat == catDone {
			m.Completed += it.points
		}
	}

	list := make([]Member, 0, len(members))
	for _, m := range members {
		m.DisplayName = in.Names[m.UserID]
		list = append(list, *m)
	}
	slices.SortFunc(list, func(a, b Member) int {
		return cmp.Or(cmp.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName)),
			cmp.Compare(a.DisplayName, b.DisplayName), cmp.Compare(a.UserID, b.UserID))
	})

	f := Facts{
		DaysElapsed: len(days), DaysTotal: in.StartsOn.DaysThrough(in.EndsOn),
		Scope: totals.Scope, Completed: totals.Completed,
		ScopeAtStart: r.scopeAtStart, Added: totals.Added, CarriedOver: totals.CarriedOver,
		Issues: cycleIssues, CompletedIssues: doneIssues,
		Stale: stale,
	}
	for _, m := range list {
		if m.Capacity != nil && m.Load > *m.Capacity {
			f.Overloads = append(f.Overloads, Overload{UserID: m.UserID, Name: m.DisplayName,
				Load: m.Load, Capacity: *m.Capacity})
		}
	}
	for i, c := range r.cols {
		if c.exists && c.wipLimit >= 0 && colCount[i] > c.wipLimit {
			f.WIP = append(f.WIP, WIPExcess{Column: cmp.Or(c.name, c.key), Issues: colCount[i], Limit: c.wipLimit})
		}
	}
	return Report{Totals: totals, Days: days, Members: list, Health: Assess(f)}
}

func (r *replay) close(d *Day) {
	d.Scope, d.Started, d.Completed = r.scope, r.inStarted, r.completed
}

// tally adds (sign +1) or takes away (-1) an issue's points in column col.
func (r *replay) tally(col int32, points, sign int) {
	p := points * sign
	c := &r.cols[col]
	c.cyclePoints += p
	r.scope += p
	switch c.cat {
	case catStarted:
		r.inStarted += p
	case catDone:
		r.completed += p
	}
}

// column is the index of the column with key, made (as todo) when the log
// names it before creating it.
func (r *replay) column(key string) int32 {
	if i, ok := r.colIdx[key]; ok {
		return i
	}
	i := int32(len(r.cols))
	r.cols = append(r.cols, columnTally{key: key, wipLimit: -1})
	r.colIdx[key] = i
	return i
}

func (r *replay) apply(c *Change, at int64) {
	switch {
	case c.Issue != nil:
		r.applyIssue(c.Issue, at)
	case c.IssueDeleted != "":
		i, ok := r.issueIdx[c.IssueDeleted]
		if !ok {
			return
		}
		it := &r.issues[i]
		if it.exists && it.inCycle {
			r.tally(it.col, it.points, -1)
			if r.started {
				r.removed += it.points
			}
		}
		it.exists, it.inCycle, it.carriedIn = false, false, false
	case c.Column != nil:
		col := &r.cols[r.column(c.Column.Key)]
		if cat := category(c.Column.Category); cat != col.cat {
			r.recategorise(col, cat)
		}
		col.name, col.exists, col.wipLimit = c.Column.Name, true, -1
		if c.Column.WIPLimit != nil {
			col.wipLimit = *c.Column.WIPLimit
		}
	case c.ColumnDeleted != "":
		i, ok := r.colIdx[c.ColumnDeleted]
		if !ok {
			return
		}
		col := &r.cols[i]
		// Cards left in a deleted column count as not started.
		r.recategorise(col, catTodo)
		col.exists, col.wipLimit = false, -1
	case c.Unplanned != "":
		// What applyIssue does with the issue as it was, its cycle null.
		i, ok := r.issueIdx[c.Unplanned]
		if !ok || !r.issues[i].exists {
			return
		}
		it := &r.issues[i]
		if it.inCycle {
			r.tally(it.col, it.points, -1)
			if r.started {
				r.removed += it.points
			}
		}
		it.inCycle, it.carriedIn, it.touched = false, false, at
	case c.Touched != "":
		if i, ok := r.issueIdx[c.Touched]; ok && r.issues[i].exists {
			r.issues[i].touched = at
		}
	}
}

// recategorise moves a column's cycle points between the tallies.
func (r *replay) recategorise(col *columnTally, cat uint8) {
	p := col.cyclePoints
	switch col.cat {
	case catStarted:
		r.inStarted -= p
	case catDone:
		r.completed -= p
	}
	switch cat {
	case catStarted:
		r.inStarted += p
	case catDone:
		r.completed += p
	}
	col.cat = cat
}

func (r *replay) applyIssue(s *IssueState, at int64) {
	i, ok := r.issueIdx[s.ID]
	if !ok {
		i = int32(len(r.issues))
		r.issues = append(r.issues, issueTally{id: s.ID})
		r.issueIdx[s.ID] = i
	}
	it := &r.issues[i]
	wasIn := it.exists && it.inCycle
	if wasIn {
		r.tally(it.col, it.points, -1)
	}
	points := r.unestimated
	if s.Effort != nil {
		points = *s.Effort
	}
	in := s.CycleID != nil && *s.CycleID == r.cycleID
	switch {
	case in && !wasIn:
		it.carriedIn = s.Carryover > it.carryover
		if r.started && !it.carriedIn {
			r.added += points
		}
	case !in && wasIn:
		it.carriedIn = false
		if r.started {
			r.removed += it.points
		}
	}
	it.key, it.col, it.points, it.carryover = s.Key, r.column(s.Status), points, s.Carryover
	it.assignee = ""
	if s.AssigneeID != nil {
		it.assignee = *s.AssigneeID
	}
	it.touched, it.exists, it.inCycle = at, true, in
	if in {
		r.tally(it.col, points, +1)
	}
}
