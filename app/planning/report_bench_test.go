package planning_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/planning"
)

// generate builds, from seed alone, the log of a project whose 14-day
// cycle c1 (Berlin time) holds about 80% of n issues, with events changes
// in all: issues created in the two weeks before the start, then moves,
// estimates, reassignments, cycle changes, deletions and restores,
// comments and now and then a column's category or WIP limit, spread
// evenly up to now (day 11 of 14).
func generate(n, events int, seed uint64) planning.Input {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	startsOn, endsOn := planning.Date{Year: 2026, Month: 3, Day: 2}, planning.Date{Year: 2026, Month: 3, Day: 15}
	start := startsOn.Start(berlin)
	first := start.Add(-14 * 24 * time.Hour)
	now := start.Add(10*24*time.Hour + 15*time.Hour)

	columns := []planning.ColumnState{
		{Key: "backlog", Name: "Backlog", Category: planning.CategoryTodo},
		{Key: "next", Name: "Next", Category: planning.CategoryTodo, WIPLimit: ptr(400)},
		{Key: "doing", Name: "Doing", Category: planning.CategoryStarted, WIPLimit: ptr(300)},
		{Key: "review", Name: "Review", Category: planning.CategoryStarted},
		{Key: "done", Name: "Done", Category: planning.CategoryDone},
	}
	users := make([]string, 12)
	in := planning.Input{CycleID: "c1", StartsOn: startsOn, EndsOn: endsOn, Location: berlin, Now: now, Unestimated: 1,
		Capacities: map[string]*int{}, Names: map[string]string{}, Changes: make([]planning.Change, 0, events)}
	for i := range users {
		users[i] = fmt.Sprintf("user-%02d", i)
		in.Names[users[i]] = fmt.Sprintf("Member %d", i)
		if i%4 != 3 {
			in.Capacities[users[i]] = ptr(100 + 10*i)
		} else {
			in.Capacities[users[i]] = nil
		}
	}
	cycles := []*string{ptr("c1"), ptr("c1"), ptr("c1"), ptr("c1"), ptr("c0"), nil}
	efforts := []*int{nil, ptr(1), ptr(2), ptr(3), ptr(5), ptr(8), ptr(13)}

	issues := make([]planning.IssueState, 0, n)
	deleted := make([]bool, n)
	step := now.Sub(first) / time.Duration(events)
	when := first
	emit := func(c planning.Change) {
		c.Seq = int64(len(in.Changes) + 1)
		c.At = when
		in.Changes = append(in.Changes, c)
		when = when.Add(step)
	}
	for i := range columns {
		emit(planning.Change{Column: &columns[i]})
	}
	createEvery := max(1, (events/4)/n) // the first quarter of the log creates the issues
	for len(in.Changes) < events {
		if len(issues) < n && (len(issues) == 0 || len(in.Changes)%createEvery == 0) {
			s := planning.IssueState{ID: fmt.Sprintf("issue-%05d", len(issues)), Key: fmt.Sprintf("CORK-%d", len(issues)+1),
				Status: columns[rng.IntN(2)].Key, Effort: efforts[rng.IntN(len(efforts))], CycleID: cycles[rng.IntN(len(cycles))]}
			if rng.IntN(5) > 0 {
				s.AssigneeID = &users[rng.IntN(len(users))]
			}
			issues = append(issues, s)
			c := s
			emit(planning.Change{Issue: &c})
			continue
		}
		k := rng.IntN(len(issues))
		s := issues[k] // a copy: each change carries its own state
		switch p := rng.IntN(1000); {
		case deleted[k]:
			deleted[k] = false // restored as it was
		case p < 2:
			c := columns[3]
			c.Category = []string{planning.CategoryStarted, planning.CategoryTodo}[rng.IntN(2)]
			c.WIPLimit = []*int{nil, ptr(150)}[rng.IntN(2)]
			emit(planning.Change{Column: &c})
			continue
		case p < 12:
			deleted[k] = true
			emit(planning.Change{IssueDeleted: s.ID})
			continue
		case p < 100:
			emit(planning.Change{Touched: s.ID})
			continue
		case p < 550:
			s.Status = columns[rng.IntN(len(columns))].Key
		case p < 700:
			s.Effort = efforts[rng.IntN(len(efforts))]
		case p < 850:
			s.AssigneeID = &users[rng.IntN(len(users))]
		default:
			s.CycleID = cycles[rng.IntN(len(cycles))]
		}
		issues[k] = s
		c := s
		emit(planning.Change{Issue: &c})
	}
	return in
}

// BenchmarkReport: the bar is a cycle of 2,000 issues and 50,000 events
// reported in under 50 ms.
func BenchmarkReport(b *testing.B) {
	in := generate(2000, 50000, 1)
	b.ReportAllocs()
	var r planning.Report
	for b.Loop() {
		r = planning.BuildReport(in)
	}
	if len(r.Days) != 11 || r.Totals.Scope == 0 {
		b.Fatalf("unexpected report: %d days, totals %+v", len(r.Days), r.Totals)
	}
}
