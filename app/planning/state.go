package planning

import (
	"math"
	"time"
)

// State is a cycle's replay stopped after some change of the log: the
// running tallies, the days closed so far, and each issue and column as it
// stands (numbers, ids and keys; no titles or descriptions). Replay picks
// it up (Input.Resume) and, given the changes after it, answers exactly
// what a replay from the log's first event would. What a State depends on
// besides the log (the cycle's id and dates, the time zone, the project's
// unestimated effort) is its caller's to key it by.
//
// A State is only a prefix of every later replay if every later report
// applies all of its changes: it cannot be resumed by a report whose now
// is before its latest change (CanResume), and a Final state has met a
// change at or after the cycle's end, so no later change ever counts.
type State struct {
	// Seq is not set by Replay: it is the last event of the log its
	// caller fed in, so that the next read starts after it.
	Seq          int64 `json:"seq"`
	MaxAt        int64 `json:"max_at"` // unix ns of the latest change applied
	Final        bool  `json:"final,omitempty"`
	Started      bool  `json:"started,omitempty"`
	ScopeAtStart int   `json:"scope_at_start"`
	Scope        int   `json:"scope"`
	InStarted    int   `json:"in_started"`
	Completed    int   `json:"completed"`
	Added        int   `json:"added"`
	Removed      int   `json:"removed"`
	// Days closed so far, from the first: scope, started, completed.
	Days    [][3]int      `json:"days"`
	Columns []StateColumn `json:"columns"`
	Issues  []StateIssue  `json:"issues"`
}

// StateColumn is a column as the replay holds it.
type StateColumn struct {
	Key         string `json:"k"`
	Name        string `json:"n"`
	Category    uint8  `json:"c"`
	Exists      bool   `json:"e,omitempty"`
	WIPLimit    int    `json:"w"` // < 0: none
	CyclePoints int    `json:"p"`
}

// StateIssue is an issue as the replay holds it: its id, key (CORK-12),
// assignee, column (an index into Columns) and numbers.
type StateIssue struct {
	ID        string `json:"i"`
	Key       string `json:"k,omitempty"`
	Assignee  string `json:"a,omitempty"`
	Column    int32  `json:"c"`
	Points    int    `json:"p"`
	Carryover int    `json:"o,omitempty"`
	Touched   int64  `json:"t"`
	Exists    bool   `json:"e,omitempty"`
	InCycle   bool   `json:"y,omitempty"`
	CarriedIn bool   `json:"r,omitempty"`
}

// reportWindow is where a report's replay stops and its days end, in unix
// nanoseconds.
type reportWindow struct {
	start, end int64 // the cycle's first instant, and the instant after its last day
	stop       int64 // no change at or after it counts
	ends       []int64
}

func window(in Input) reportWindow {
	loc := in.Location
	if loc == nil {
		loc = time.UTC
	}
	w := reportWindow{start: in.StartsOn.Start(loc).UnixNano(), end: in.EndsOn.AddDays(1).Start(loc).UnixNano()}
	// The days to report: starts_on .. min(today, ends_on).
	last := in.EndsOn
	if today := DateOf(in.Now, loc); today.Before(last) {
		last = today
	}
	nDays := in.StartsOn.DaysThrough(last)
	// Changes up to now count, and none from after the cycle's end.
	w.stop = in.Now.UnixNano() + 1
	if w.end < w.stop && nDays > 0 {
		w.stop = w.end
	}
	w.ends = make([]int64, nDays)
	for i := range w.ends {
		w.ends[i] = in.StartsOn.AddDays(i + 1).Start(loc).UnixNano()
	}
	return w
}

// canResume: every change st applied counts in this report too, and the
// days it closed are days of this report.
func (w reportWindow) canResume(st *State) bool {
	if st.MaxAt >= w.stop || len(st.Days) > len(w.ends) {
		return false
	}
	for _, it := range st.Issues {
		if it.Column < 0 || int(it.Column) >= len(st.Columns) {
			return false // damaged: never index out of range
		}
	}
	return true
}

// CanResume says whether in's report can pick up from st (in.Resume is not
// looked at): false when in's now is before a change st applied, as on an
// instance whose clock is behind the one that saved st.
func CanResume(in Input, st *State) bool { return window(in).canResume(st) }

func freshReplay(cycleID string, unestimated int) replay {
	return replay{cycleID: cycleID, unestimated: unestimated, maxAt: math.MinInt64,
		issueIdx: make(map[string]int32, 1024), issues: make([]issueTally, 0, 1024),
		colIdx: make(map[string]int32, 16), cols: make([]columnTally, 0, 16)}
}

// resume is the replay st stands for (its slices copied: st is not changed).
func resume(st *State, cycleID string, unestimated int) replay {
	r := replay{cycleID: cycleID, unestimated: unestimated, maxAt: st.MaxAt, final: st.Final,
		started: st.Started, scopeAtStart: st.ScopeAtStart,
		scope: st.Scope, inStarted: st.InStarted, completed: st.Completed, added: st.Added, removed: st.Removed,
		issueIdx: make(map[string]int32, len(st.Issues)+64), issues: make([]issueTally, len(st.Issues), len(st.Issues)+64),
		colIdx: make(map[string]int32, len(st.Columns)+4), cols: make([]columnTally, len(st.Columns), len(st.Columns)+4)}
	for i, c := range st.Columns {
		r.cols[i] = columnTally{key: c.Key, name: c.Name, cat: c.Category, exists: c.Exists,
			wipLimit: c.WIPLimit, cyclePoints: c.CyclePoints}
		r.colIdx[c.Key] = int32(i)
	}
	for i, s := range st.Issues {
		r.issues[i] = issueTally{id: s.ID, key: s.Key, assignee: s.Assignee, col: s.Column, points: s.Points,
			carryover: s.Carryover, touched: s.Touched, exists: s.Exists, inCycle: s.InCycle, carriedIn: s.CarriedIn}
		r.issueIdx[s.ID] = int32(i)
	}
	return r
}

// state is the replay as a State, with closed the days it closed.
func (r *replay) state(closed []Day) State {
	st := State{MaxAt: r.maxAt, Final: r.final, Started: r.started, ScopeAtStart: r.scopeAtStart,
		Scope: r.scope, InStarted: r.inStarted, Completed: r.completed, Added: r.added, Removed: r.removed,
		Days: make([][3]int, len(closed)), Columns: make([]StateColumn, len(r.cols)), Issues: make([]StateIssue, len(r.issues))}
	for i, d := range closed {
		st.Days[i] = [3]int{d.Scope, d.Started, d.Completed}
	}
	for i, c := range r.cols {
		st.Columns[i] = StateColumn{Key: c.key, Name: c.name, Category: c.cat, Exists: c.exists,
			WIPLimit: c.wipLimit, CyclePoints: c.cyclePoints}
	}
	for i, it := range r.issues {
		st.Issues[i] = StateIssue{ID: it.id, Key: it.key, Assignee: it.assignee, Column: it.col, Points: it.points,
			Carryover: it.carryover, Touched: it.touched, Exists: it.exists, InCycle: it.inCycle, CarriedIn: it.carriedIn}
	}
	return st
}
