package models_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// Store tests of planning, on both databases: cycles never overlap,
// schedules are all or nothing, deleting a cycle un-assigns its issues in
// the same change, completed cycles take no issues, efforts follow the
// scale, and the block policy refuses what raises a load above capacity —
// also when two editors (on two store instances) assign at once.

// planningNow is the time the planning rules see: 2026-01-10 12:00 UTC.
var planningNow = time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)

// forEachPlanningStore is forEachStore with the planning rules on a fixed
// clock; open opens a second store (another instance) on the same database.
func forEachPlanningStore(t *testing.T, fn func(t *testing.T, s *models.Store, open func() *models.Store)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, url string) {
		open := func() *models.Store {
			s, err := models.Open(t.Context(), url, models.Options{
				Planning: planning.Rules{Now: func() time.Time { return planningNow }}})
			if err != nil {
				t.Fatalf("open %s: %v", url, err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			return s
		}
		fn(t, open(), open)
	})
}

func cycleIn(starts, ends string) models.CycleInput {
	return models.CycleInput{StartsOn: starts, EndsOn: ends}
}

func mustCycles(t *testing.T, f *fixture, ins ...models.CycleInput) []models.Cycle {
	t.Helper()
	cs, _, err := f.s.CreateCycles(t.Context(), f.owner, f.p.ID, ins)
	if err != nil {
		t.Fatalf("create cycles: %v", err)
	}
	return cs
}

func TestCyclesNeverOverlap(t *testing.T) {
	forEachPlanningStore(t, func(t *testing.T, s *models.Store, _ func() *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		cs := mustCycles(t, f, cycleIn("2026-01-07", "2026-01-20"))
		c1 := cs[0]
		if c1.Number != 1 || c1.Name != "Cycle 1" || c1.State != "active" {
			t.Fatalf("first cycle %+v", c1)
		}
		seq := f.seq()
		for _, in := range []models.CycleInput{cycleIn("2026-01-20", "2026-01-25"), cycleIn("2026-01-01", "2026-01-07"),
			cycleIn("2026-01-10", "2026-01-11"), cycleIn("2025-12-01", "2026-02-01")} {
			_, _, err := s.CreateCycles(ctx, f.owner, f.p.ID, []models.CycleInput{in})
			wantInvalid(t, err, "starts_on")
		}
		// A schedule whose last cycle overlaps makes none of them.
		_, _, err := s.CreateCycles(ctx, f.owner, f.p.ID, []models.CycleInput{
			cycleIn("2025-12-01", "2025-12-14"), cycleIn("2025-12-15", "2025-12-28"), cycleIn("2025-12-29", "2026-01-07")})
		wantInvalid(t, err, "starts_on")
		// An editor may not make cycles.
		_, _, err = s.CreateCycles(ctx, f.editor, f.p.ID, []models.CycleInput{cycleIn("2026-03-01", "2026-03-02")})
		wantErr(t, err, models.ErrForbidden)
		if f.seq() != seq {
			t.Fatalf("refused cycles changed the log: seq %d -> %d", seq, f.seq())
		}
		page, err := s.ListCycles(ctx, f.viewer.ID, f.p.ID, "", 0)
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("after refusals: %+v, %v", page, err)
		}

		// The day after the end is free; a schedule lands whole, numbered on.
		next := mustCycles(t, f, cycleIn("2026-01-21", "2026-02-03"), cycleIn("2026-02-04", "2026-02-17"))
		if next[0].Number != 2 || next[1].Number != 3 || next[1].State != "upcoming" {
			t.Fatalf("scheduled %+v", next)
		}
		evs := f.events(seq)
		if len(evs) != 1 || evs[0].Type != models.EventCycleScheduled {
			t.Fatalf("a schedule is one cycle.scheduled event, got %+v", evs)
		}
		// Moving a cycle onto its neighbour is refused; onto itself is fine.
		_, _, err = s.UpdateCycle(ctx, f.owner, f.p.ID, next[0].ID, cycleIn("2026-01-21", "2026-02-04"))
		wantInvalid(t, err, "starts_on")
		up, _, err := s.UpdateCycle(ctx, f.owner, f.p.ID, next[0].ID,
			models.CycleInput{StartsOn: "2026-01-22", EndsOn: "2026-02-03", Name: "Polish", Goal: "Ship it"})
		if err != nil || up.Name != "Polish" || up.Goal != "Ship it" || up.StartsOn != "2026-01-22" || up.Number != 2 {
			t.Fatalf("update: %+v, %v", up, err)
		}
		// Paging by start date.
		p1, err := s.ListCycles(ctx, f.viewer.ID, f.p.ID, "", 2)
		if err != nil || len(p1.Items) != 2 || p1.NextCursor == "" || p1.Items[0].Number != 1 {
			t.Fatalf("page 1: %+v, %v", p1, err)
		}
		p2, err := s.ListCycles(ctx, f.viewer.ID, f.p.ID, p1.NextCursor, 2)
		if err != nil || len(p2.Items) != 1 || p2.NextCursor != "" || p2.Items[0].Number != 3 {
			t.Fatalf("page 2: %+v, %v", p2, err)
		}
		if _, err := s.ListCycles(ctx, f.outsider.ID, f.p.ID, "", 0); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("outsider lists cycles: %v", err)
		}
	})
}

func TestDeleteCycleUnassignsItsIssues(t *testing.T) {
	forEachPlanningStore(t, func(t *testing.T, s *models.Store, _ func() *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		c := mustCycles(t, f, cycleIn("2026-01-07", "2026-01-20"))[0]
		in := newIssue(t, s, f.editor, f.p.ID, models.IssueInput{Title: "In", CycleID: &c.ID})
		out := f.issue("Out", "")
		if _, _, err := s.SetCycleCapacity(ctx, f.owner, f.p.ID, c.ID, f.editor.ID, ptr(5)); err != nil {
			t.Fatal(err)
		}
		ev, err := s.DeleteCycle(ctx, f.owner, f.p.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var data models.CycleDeleted
		mustUnmarshal(t, ev.Data, &data)
		if ev.Type != models.EventCycleDeleted || data.Cycle.ID != c.ID || len(data.IssueIDs) != 1 || data.IssueIDs[0] != in.ID {
			t.Fatalf("event %s %s", ev.Type, ev.Data)
		}
		got := f.getIssue(in.ID)
		if got.CycleID != nil || got.Version != in.Version+1 {
			t.Fatalf("issue after its cycle went: %+v", got)
		}
		if f.getIssue(out.ID).Version != out.Version {
			t.Fatal("an issue of no cycle changed")
		}
		if _, err := s.GetCycle(ctx, f.owner.ID, f.p.ID, c.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("deleted cycle still there: %v", err)
		}
		_, caps, err := s.PlanningBoard(ctx, f.owner.ID, f.p.ID)
		if err != nil || len(caps) != 0 {
			t.Fatalf("overrides of a deleted cycle: %+v, %v", caps, err)
		}
	})
}

func TestIssuesCyclesAndScales(t *testing.T) {
	forEachPlanningStore(t, func(t *testing.T, s *models.Store, _ func() *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		cs := mustCycles(t, f, cycleIn("2025-12-01", "2025-12-14"), cycleIn("2026-01-07", "2026-01-20"))
		done, active := cs[0], cs[1]
		if done.State != "completed" || active.State != "active" {
			t.Fatalf("states %s %s", done.State, active.State)
		}
		_, _, err := s.CreateIssue(ctx, f.editor, f.p.ID, models.IssueInput{Title: "x", CycleID: &done.ID})
		wantInvalid(t, err, "cycle_id")
		_, _, err = s.CreateIssue(ctx, f.editor, f.p.ID, models.IssueInput{Title: "x", CycleID: ptr("2b9c6e1f-0000-4000-8000-000000000000")})
		wantInvalid(t, err, "cycle_id")
		is := newIssue(t, s, f.editor, f.p.ID, models.IssueInput{Title: "x", CycleID: &active.ID, Effort: ptr(7)})
		_, _, err = s.UpdateIssue(ctx, f.editor, f.p.ID, is.ID, models.IssuePatch{Version: is.Version, CycleID: models.Some(done.ID)})
		wantInvalid(t, err, "cycle_id")

		// Fibonacci: 7 stays (changing the scale keeps values) and may be
		// re-sent unchanged; a new 7 or 4 is refused, 8 is fine.
		if _, _, err := s.UpdateProject(ctx, f.owner, f.p.ID, models.ProjectPatch{EstimateScale: ptr("fibonacci")}); err != nil {
			t.Fatal(err)
		}
		if got := f.getIssue(is.ID); got.Effort == nil || *got.Effort != 7 {
			t.Fatalf("scale change touched an effort: %+v", got.Effort)
		}
		is, _, err = s.UpdateIssue(ctx, f.editor, f.p.ID, is.ID, models.IssuePatch{Version: is.Version, Effort: models.Some(7), Title: ptr("y")})
		if err != nil {
			t.Fatalf("re-sending the kept effort: %v", err)
		}
		_, _, err = s.CreateIssue(ctx, f.editor, f.p.ID, models.IssueInput{Title: "z", Effort: ptr(4)})
		wantInvalid(t, err, "effort")
		_, _, err = s.UpdateIssue(ctx, f.editor, f.p.ID, is.ID, models.IssuePatch{Version: is.Version, Effort: models.Some(4)})
		wantInvalid(t, err, "effort")
		is, _, err = s.UpdateIssue(ctx, f.editor, f.p.ID, is.ID, models.IssuePatch{Version: is.Version, Effort: models.Some(8), CycleID: models.Null[string]()})
		if err != nil || *is.Effort != 8 || is.CycleID != nil {
			t.Fatalf("on-scale effort, out of the cycle: %+v, %v", is, err)
		}
	})
}

// blockFixture is a project with the block policy, unestimated issues
// counting 2, an active cycle, and the editor's capacity 5.
func blockFixture(t *testing.T, s *models.Store) (*fixture, models.Cycle) {
	t.Helper()
	f := newFixture(t, s)
	ctx := t.Context()
	if _, _, err := s.UpdateProject(ctx, f.owner, f.p.ID, models.ProjectPatch{CapacityPolicy: ptr("block"), UnestimatedEffort: ptr(2)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PatchMember(ctx, f.owner, f.p.ID, f.editor.ID, models.MemberPatch{Capacity: models.Some(5)}); err != nil {
		t.Fatal(err)
	}
	return f, mustCycles(t, f, cycleIn("2026-01-07", "2026-01-20"))[0]
}

func TestBlockPolicyRefusesWhatRaisesALoadAboveCapacity(t *testing.T) {
	forEachPlanningStore(t, func(t *testing.T, s *models.Store, _ func() *models.Store) {
		f, c := blockFixture(t, s)
		ctx := t.Context()
		me := &f.editor.ID
		a := newIssue(t, s, f.editor, f.p.ID, models.IssueInput{Title: "a", CycleID: &c.ID, AssigneeID: me, Effort: ptr(3)})
		b := newIssue(t, s, f.editor, f.p.ID, models.IssueInput{Title: "b", CycleID: &c.ID, AssigneeID: me}) // counts 2: load 5
		seq := f.seq()
		_, _, err := s.CreateIssue(ctx, f.editor, f.p.ID, models.IssueInput{Title: "c", CycleID: &c.ID, AssigneeID: me, Effort: ptr(1)})
		var over *models.OverCapacityError
		if !errors.As(err, &over) || over.UserID != f.editor.ID || over.CycleID != c.ID || over.Load != 6 || over.Capacity != 5 {
			t.Fatalf("create over capacity: %v", err)
		}
		// Raising an effort, assigning, and moving into the cycle are refused.
		_, _, err = s.UpdateIssue(ctx, f.editor, f.p.ID, a.ID, models.IssuePatch{Version: a.Version, Effort: models.Some(4)})
		if !errors.As(err, &over) || over.Load != 6 {
			t.Fatalf("raise effort: %v", err)
		}
		free := newIssue(t, s, f.editor, f.p.ID, models.IssueInput{Title: "free", Effort: ptr(1), AssigneeID: me})
		_, _, err = s.UpdateIssue(ctx, f.editor, f.p.ID, free.ID, models.IssuePatch{Version: free.Version, CycleID: models.Some(c.ID)})
		if !errors.As(err, &over) {
			t.Fatalf("into the cycle: %v", err)
		}
		if f.seq() != seq+1 { // only "free" was created
			t.Fatalf("refused changes wrote events: seq %d -> %d", seq, f.seq())
		}
		// Changes that do not raise the load pass, even at capacity: a
		// lower effort, a title, a move, an unassignment.
		a, _, err = s.UpdateIssue(ctx, f.editor, f.p.ID, a.ID, models.IssuePatch{Version: a.Version, Effort: models.Some(2), Title: ptr("a2")})
		if err != nil {
			t.Fatalf("lower effort: %v", err)
		}
		if _, _, err := s.MoveIssue(ctx, f.editor, f.p.ID, b.ID, models.MoveInput{Status: "done"}); err != nil {
			t.Fatalf("move: %v", err)
		}
		// A cycle override raises the capacity there; null removes it.
		if _, _, err := s.SetCycleCapacity(ctx, f.owner, f.p.ID, c.ID, f.editor.ID, ptr(8)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.UpdateIssue(ctx, f.editor, f.p.ID, free.ID, models.IssuePatch{Version: free.Version, CycleID: models.Some(c.ID)}); err != nil {
			t.Fatalf("within the override: %v", err)
		}
		if _, _, err := s.SetCycleCapacity(ctx, f.owner, f.p.ID, c.ID, f.editor.ID, nil); err != nil {
			t.Fatal(err)
		}
		_, _, err = s.CreateIssue(ctx, f.editor, f.p.ID, models.IssueInput{Title: "d", CycleID: &c.ID, AssigneeID: me, Effort: ptr(0)})
		if err != nil {
			t.Fatalf("an effort of 0 raises nothing: %v", err)
		}
		// With no capacity set there is no limit; with warn nothing is refused.
		if _, _, err := s.CreateIssue(ctx, f.editor, f.p.ID, models.IssueInput{Title: "e", CycleID: &c.ID, AssigneeID: &f.owner.ID, Effort: ptr(100)}); err != nil {
			t.Fatalf("no capacity: %v", err)
		}
		if _, _, err := s.UpdateProject(ctx, f.owner, f.p.ID, models.ProjectPatch{CapacityPolicy: ptr("warn")}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreateIssue(ctx, f.editor, f.p.ID, models.IssueInput{Title: "f", CycleID: &c.ID, AssigneeID: me, Effort: ptr(50)}); err != nil {
			t.Fatalf("warn: %v", err)
		}
	})
}

// Two editors, on two store instances, each assign a 3-point issue to a
// member with capacity 5 at once, many times over: never more than one of
// each pair gets through, and the load never ends above capacity.
func TestBlockPolicyUnderConcurrentAssignment(t *testing.T) {
	forEachPlanningStore(t, func(t *testing.T, s *models.Store, open func() *models.Store) {
		f, _ := blockFixture(t, s)
		ctx := t.Context()
		other := open()
		const rounds = 10
		for round := range rounds {
			start := fmt.Sprintf("2026-%02d-01", round+2)
			c := mustCycles(t, f, cycleIn(start, start[:8]+"14"))[0]
			issues := []models.Issue{
				newIssue(t, s, f.owner, f.p.ID, models.IssueInput{Title: "x", CycleID: &c.ID, Effort: ptr(3)}),
				newIssue(t, s, f.owner, f.p.ID, models.IssueInput{Title: "y", CycleID: &c.ID, Effort: ptr(3)}),
			}
			stores := []*models.Store{s, other}
			errs := make([]error, 2)
			var wg sync.WaitGroup
			ready := make(chan struct{})
			for i := range 2 {
				wg.Go(func() {
					<-ready
					_, _, errs[i] = stores[i].UpdateIssue(ctx, f.editor, f.p.ID, issues[i].ID,
						models.IssuePatch{Version: issues[i].Version, AssigneeID: models.Some(f.editor.ID)})
				})
			}
			close(ready)
			wg.Wait()
			var over *models.OverCapacityError
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.As(err, &over):
					if over.Load != 6 || over.Capacity != 5 {
						t.Fatalf("round %d: refusal %+v", round, over)
					}
				default:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if ok != 1 {
				t.Fatalf("round %d: %d of 2 concurrent assignments got through (capacity 5, 3 points each)", round, ok)
			}
			load := 0
			for _, is := range f.board() {
				if is.CycleID != nil && *is.CycleID == c.ID && is.AssigneeID != nil && *is.AssigneeID == f.editor.ID {
					load += *is.Effort
				}
			}
			if load != 3 {
				t.Fatalf("round %d: load %d", round, load)
			}
		}
	})
}

func TestCapacitiesAndSettingsAreEvents(t *testing.T) {
	forEachPlanningStore(t, func(t *testing.T, s *models.Store, _ func() *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		c := mustCycles(t, f, cycleIn("2026-01-07", "2026-01-20"))[0]
		seq := f.seq()
		m, _, err := s.PatchMember(ctx, f.owner, f.p.ID, f.viewer.ID, models.MemberPatch{Capacity: models.Some(13)})
		if err != nil || m.Capacity == nil || *m.Capacity != 13 || m.Role != models.RoleViewer {
			t.Fatalf("capacity: %+v, %v", m, err)
		}
		_, _, err = s.PatchMember(ctx, f.owner, f.p.ID, f.viewer.ID, models.MemberPatch{Capacity: models.Some(-1)})
		wantInvalid(t, err, "capacity")
		_, _, err = s.SetCycleCapacity(ctx, f.owner, f.p.ID, c.ID, f.viewer.ID, ptr(-1))
		wantInvalid(t, err, "points")
		_, _, err = s.SetCycleCapacity(ctx, f.owner, f.p.ID, c.ID, f.outsider.ID, ptr(1))
		wantErr(t, err, models.ErrNotFound)
		_, _, err = s.SetCycleCapacity(ctx, f.editor, f.p.ID, c.ID, f.viewer.ID, ptr(1))
		wantErr(t, err, models.ErrForbidden)
		cc, _, err := s.SetCycleCapacity(ctx, f.owner, f.p.ID, c.ID, f.viewer.ID, ptr(3))
		if err != nil || *cc.Points != 3 {
			t.Fatalf("override: %+v, %v", cc, err)
		}
		p, _, err := s.UpdateProject(ctx, f.owner, f.p.ID, models.ProjectPatch{Timezone: ptr("Asia/Tokyo"), EstimateScale: ptr("tshirt")})
		if err != nil || p.Timezone != "Asia/Tokyo" || p.EstimateScale != "tshirt" || p.CapacityPolicy != "warn" || p.UnestimatedEffort != 1 {
			t.Fatalf("settings: %+v, %v", p, err)
		}
		var types []string
		for _, ev := range f.events(seq) {
			types = append(types, ev.Type)
		}
		if fmt.Sprint(types) != "[member.updated cycle.capacity_updated project.updated]" {
			t.Fatalf("events %v", types)
		}
		ms, _ := s.ListMembers(ctx, f.owner.ID, f.p.ID)
		for _, m := range ms {
			if (m.UserID == f.viewer.ID) != (m.Capacity != nil) {
				t.Fatalf("members %+v", ms)
			}
		}
		cycles, caps, err := s.PlanningBoard(ctx, f.viewer.ID, f.p.ID)
		if err != nil || len(cycles) != 1 || len(caps) != 1 || caps[0].UserID != f.viewer.ID {
			t.Fatalf("planning board: %+v %+v %v", cycles, caps, err)
		}
	})
}

func mustUnmarshal(t *testing.T, b []byte, out any) {
	t.Helper()
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}
