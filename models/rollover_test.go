package models_test

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/corkboard/corkboard/models"
)

// TestRollOverStore: the store's roll-over on both databases, with two
// store instances (two servers) moving the same issues at once and no
// lease: each unfinished issue of a completed cycle moves exactly once to
// the next cycle (carryover 1, one issue.updated by Corkboard), a done one
// stays, the cycle is marked only when nothing is left, and moving its end
// into the future clears the mark.
func TestRollOverStore(t *testing.T) {
	forEachPlanningStore(t, func(t *testing.T, s *models.Store, open func() *models.Store) {
		s2 := open()
		f := newFixture(t, s)
		ctx := t.Context()
		// Today is 2026-01-10.
		cs := mustCycles(t, f, cycleIn("2025-12-01", "2025-12-10"), cycleIn("2026-01-15", "2026-01-20"),
			cycleIn("2026-01-01", "2026-01-14"))
		c1, next := cs[2], cs[1]
		var ids []string
		for i := range 6 {
			is := newIssue(t, s, f.editor, f.p.ID, models.IssueInput{Title: "Card", CycleID: &c1.ID})
			if i < 5 {
				ids = append(ids, is.ID)
			}
		}
		doneIssue := newIssue(t, s, f.editor, f.p.ID, models.IssueInput{Title: "Done", Status: "done", CycleID: &c1.ID})
		inProgress := f.issue("Elsewhere", "") // in no cycle
		if _, _, ok, err := s.RollOverIssue(ctx, f.p.ID, c1.ID, ids[0]); ok || err != nil {
			t.Fatalf("moved out of an active cycle: %v %v", ok, err)
		}
		if marked, err := s.MarkRolledOver(ctx, f.p.ID, c1.ID); marked || err != nil {
			t.Fatalf("marked an active cycle: %v %v", marked, err)
		}
		// Completed early: its end moves to yesterday.
		if _, _, err := s.UpdateCycle(ctx, f.owner, f.p.ID, c1.ID, cycleIn("2026-01-01", "2026-01-09")); err != nil {
			t.Fatal(err)
		}
		due, err := s.CyclesToRollOver(ctx, "2026-01-11")
		if err != nil || !slices.Contains(due, models.DueCycle{ProjectID: f.p.ID, CycleID: c1.ID}) ||
			slices.Contains(due, models.DueCycle{ProjectID: f.p.ID, CycleID: next.ID}) {
			t.Fatalf("due %+v, %v", due, err)
		}
		pending, err := s.RollOverPending(ctx, f.p.ID, c1.ID)
		if err != nil || len(pending) != 6 || slices.Contains(pending, doneIssue.ID) {
			t.Fatalf("pending %v, %v: want the 6 not done", pending, err)
		}
		seq := f.seq()
		var wg sync.WaitGroup
		var moved atomic.Int64
		for _, st := range []*models.Store{s, s2, s, s2} {
			for _, id := range pending {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, ev, ok, err := st.RollOverIssue(ctx, f.p.ID, c1.ID, id)
					if err != nil {
						t.Errorf("roll over: %v", err)
					}
					if ok {
						moved.Add(1)
						if ev.Actor != (models.Actor{ID: models.SystemActorID, Name: "Corkboard"}) {
							t.Errorf("actor %+v", ev.Actor)
						}
					}
				}()
			}
		}
		wg.Wait()
		if moved.Load() != 6 {
			t.Fatalf("%d moves for 6 issues", moved.Load())
		}
		evs := f.events(seq)
		if len(evs) != 6 {
			t.Fatalf("%d events for 6 issues", len(evs))
		}
		for _, id := range pending {
			is := f.getIssue(id)
			if is.CycleID == nil || *is.CycleID != next.ID || is.Carryover != 1 || is.Version != 2 {
				t.Fatalf("rolled issue %+v", is)
			}
		}
		if is := f.getIssue(doneIssue.ID); *is.CycleID != c1.ID || is.Carryover != 0 || is.Version != doneIssue.Version {
			t.Fatalf("done issue %+v", is)
		}
		if is := f.getIssue(inProgress.ID); is.CycleID != nil || is.Version != inProgress.Version {
			t.Fatalf("issue in no cycle %+v", is)
		}
		if marked, err := s2.MarkRolledOver(ctx, f.p.ID, c1.ID); !marked || err != nil {
			t.Fatalf("not marked with nothing left: %v %v", marked, err)
		}
		due, _ = s.CyclesToRollOver(ctx, "2026-01-11")
		if slices.Contains(due, models.DueCycle{ProjectID: f.p.ID, CycleID: c1.ID}) {
			t.Fatalf("a rolled-over cycle is still due: %+v", due)
		}
		// Its end moved into the future and back: due again (nothing to move).
		for _, end := range []string{"2026-01-12", "2026-01-09"} {
			if _, _, err := s.UpdateCycle(ctx, f.owner, f.p.ID, c1.ID, cycleIn("2026-01-01", end)); err != nil {
				t.Fatal(err)
			}
		}
		due, _ = s.CyclesToRollOver(ctx, "2026-01-11")
		if !slices.Contains(due, models.DueCycle{ProjectID: f.p.ID, CycleID: c1.ID}) {
			t.Fatalf("reopened and completed again, yet not due: %+v", due)
		}
	})
}
