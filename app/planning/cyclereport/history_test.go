package cyclereport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// clock is the store's and the reports' clock, moved by the test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// world is one project with a cycle on a real store, and its issues.
type world struct {
	t       *testing.T
	ctx     context.Context
	st      *models.Store
	clk     *clock
	owner   models.User
	project string
	cycle   string
	other   string // another cycle of the project
	issues  []models.Issue
	rng     *rand.Rand
	ended   bool // the cycle is over: no issue can be planned into it
}

func newWorld(t *testing.T, url string) *world {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	st, err := models.Open(ctx, url, models.Options{Planning: planning.Rules{Now: clk.Now}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, "h@example.com", "hh", "H", "x")
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.CreateProject(ctx, u, models.ProjectInput{Name: "P"})
	if err != nil {
		t.Fatal(err)
	}
	cs, _, err := st.CreateCycles(ctx, u, p.ID, []models.CycleInput{{StartsOn: "2026-11-23", EndsOn: "2026-12-06"},
		{StartsOn: "2026-12-07", EndsOn: "2026-12-20"}})
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, ctx: ctx, st: st, clk: clk, owner: u, project: p.ID, cycle: cs[0].ID, other: cs[1].ID,
		rng: rand.New(rand.NewPCG(7, 7))}
}

// change makes n random changes of the issues (creations first), the
// clock moving 7 minutes before each.
func (w *world) change(n int) {
	w.t.Helper()
	keys := []string{"open", "in_progress", "done"}
	cycles := []*string{&w.cycle, &w.cycle, &w.other, nil}
	if w.ended {
		cycles = []*string{nil}
	}
	for range n {
		w.clk.Advance(7 * time.Minute)
		if len(w.issues) < 12 || w.rng.IntN(8) == 0 || w.ended {
			e := w.rng.IntN(6)
			is, _, err := w.st.CreateIssue(w.ctx, w.owner, w.project, models.IssueInput{
				Title: fmt.Sprintf("Secret title %d", len(w.issues)), Effort: &e, CycleID: cycles[w.rng.IntN(len(cycles))]})
			if err != nil {
				w.t.Fatal(err)
			}
			w.issues = append(w.issues, is)
			continue
		}
		k := w.rng.IntN(len(w.issues))
		is, err := w.st.GetIssue(w.ctx, w.owner.ID, w.project, w.issues[k].ID)
		if errors.Is(err, models.ErrNotFound) {
			continue // deleted
		}
		if err != nil {
			w.t.Fatal(err)
		}
		p := models.IssuePatch{Version: is.Version}
		switch r := w.rng.IntN(20); {
		case r == 0:
			if _, err := w.st.DeleteIssue(w.ctx, w.owner, w.project, is.ID); err != nil {
				w.t.Fatal(err)
			}
			continue
		case r == 1:
			if _, _, err := w.st.CreateComment(w.ctx, w.owner, w.project, is.ID, "on it"); err != nil {
				w.t.Fatal(err)
			}
			continue
		case r < 12:
			p.Status = &keys[w.rng.IntN(len(keys))]
		case r < 16:
			e := w.rng.IntN(9)
			p.Effort = models.Optional[int]{Set: true, Value: &e}
		default:
			p.CycleID = models.Optional[string]{Set: true, Value: cycles[w.rng.IntN(len(cycles))]}
		}
		if _, _, err := w.st.UpdateIssue(w.ctx, w.owner, w.project, is.ID, p); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *world) report(s Service) Report {
	w.t.Helper()
	r, err := s.Report(w.ctx, w.owner.ID, w.project, w.cycle)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// same fails unless every report equals want.
func (w *world) same(what string, want Report, got ...Report) {
	w.t.Helper()
	wj, _ := json.Marshal(want)
	for i, r := range got {
		if rj, _ := json.Marshal(r); string(rj) != string(wj) {
			w.t.Fatalf("%s: report %d differs from the replay from scratch:\n got %s\nwant %s", what, i, rj, wj)
		}
	}
}

func (w *world) snapshot() models.ReportSnapshot {
	w.t.Helper()
	snap, err := w.st.ReportSnapshot(w.ctx, w.project, w.cycle)
	if err != nil {
		w.t.Fatal(err)
	}
	return snap
}

// TestSnapshotReports: the report resumed from the stored snapshot (cold:
// an instance that kept nothing) and from the state an instance kept
// (warm) equals the replay of the whole log, before the cycle, during it
// and after it, after further events, after a change of the cycle's dates,
// the time zone or the unestimated effort, after a cycle.deleted, and after
// an event-pruning run that left holes a replay from scratch cannot read;
// the stored state holds no issue titles (on both databases).
func TestSnapshotReports(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		w := newWorld(t, url)
		scratch := Service{Store: w.st, Now: w.clk.Now, Scratch: true}
		cold := Service{Store: w.st, Now: w.clk.Now}
		warm := Service{Store: w.st, Now: w.clk.Now, History: NewHistory(0)}
		other := Service{Store: w.st, Now: w.clk.Now, History: NewHistory(0)} // a second instance
		check := func(what string) Report {
			t.Helper()
			want := w.report(scratch)
			w.same(what, want, w.report(warm), w.report(cold), w.report(other))
			return want
		}

		w.change(30) // before the cycle
		check("before the start")
		if snap := w.snapshot(); strings.Contains(snap.State, "Secret") {
			t.Fatalf("the snapshot holds titles: %s", snap.State)
		}
		w.change(400) // into the cycle's third day, past SaveEvery
		first := w.snapshot().Seq
		check("during the cycle")
		if w.snapshot().Seq <= first {
			t.Fatalf("the snapshot stayed at seq %d", first)
		}
		w.change(5)
		check("a few events later")

		// What the state depends on besides the log.
		if _, _, err := w.st.UpdateCycle(w.ctx, w.owner, w.project, w.cycle, models.CycleInput{StartsOn: "2026-11-21", EndsOn: "2026-12-04"}); err != nil {
			t.Fatal(err)
		}
		check("new dates")
		tz, un := "America/New_York", 3
		if _, _, err := w.st.UpdateProject(w.ctx, w.owner, w.project, models.ProjectPatch{Timezone: &tz}); err != nil {
			t.Fatal(err)
		}
		check("new time zone")
		if _, _, err := w.st.UpdateProject(w.ctx, w.owner, w.project, models.ProjectPatch{UnestimatedEffort: &un}); err != nil {
			t.Fatal(err)
		}
		check("new unestimated effort")
		if _, err := w.st.DeleteCycle(w.ctx, w.owner, w.project, w.other); err != nil {
			t.Fatal(err)
		}
		w.other = w.cycle
		w.change(20)
		check("the other cycle deleted")

		// Pruning: the snapshot and the kept states carry on after the holes
		// the prune leaves up to the snapshot's seq (a snapshot older than
		// the holes is 410, as a replay from scratch); the reference is the
		// log as read before, followed by what comes after.
		w.change(300)
		before := check("before the prune")
		kept := NewConverter(nil)
		last, err := readLog(w.ctx, w.st, w.project, 0, kept)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := w.st.PruneEvents(w.ctx, 1000*time.Hour, last-w.snapshot().Seq); err != nil || n == 0 {
			t.Fatalf("pruned %d: %v", n, err)
		}
		if _, err := scratch.Report(w.ctx, w.owner.ID, w.project, w.cycle); !errors.Is(err, ErrHistoryPruned) {
			t.Fatalf("from scratch after the prune: %v", err)
		}
		w.same("just after the prune", before, w.report(warm), w.report(cold), w.report(other))
		for _, step := range []int{3, 300, 2} {
			w.change(step)
			if last, err = readLog(w.ctx, w.st, w.project, last, kept); err != nil {
				t.Fatal(err)
			}
			cy, in, _, err := cold.Input(w.ctx, w.owner.ID, w.project, w.cycle)
			if err != nil {
				t.Fatal(err)
			}
			in.Changes = kept.Changes
			want := Report{Cycle: cy, Report: planning.BuildReport(in)}
			if want.Health.Reasons == nil {
				want.Health.Reasons = []planning.Reason{}
			}
			w.same(fmt.Sprintf("%d events after the prune", step), want, w.report(warm), w.report(cold), w.report(other))
		}

		// After the cycle: the state becomes final and stays exact.
		w.clk.Advance(20 * 24 * time.Hour)
		w.ended = true
		w.change(3)
		after := w.report(warm)
		w.change(3)
		w.same("after the end", after, w.report(warm), w.report(cold), w.report(other))
		if snap := w.snapshot(); !strings.Contains(snap.State, `"final":true`) {
			t.Fatalf("not final after the end: seq %d", snap.Seq)
		}
	})
}

// TestSnapshotConcurrentWrites: reports on two instances while changes
// are written end equal to the replay of the whole log (both databases).
func TestSnapshotConcurrentWrites(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		w := newWorld(t, url)
		w.clk.Advance(4 * 24 * time.Hour) // during the cycle
		a := Service{Store: w.st, Now: w.clk.Now, History: NewHistory(0)}
		b := Service{Store: w.st, Now: w.clk.Now, History: NewHistory(0)}
		w.change(20)
		done := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for _, s := range []Service{a, b, a, b} {
			wg.Go(func() {
				for {
					select {
					case <-done:
						return
					default:
					}
					if _, err := s.Report(w.ctx, w.owner.ID, w.project, w.cycle); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		w.change(600)
		close(done)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		want := w.report(Service{Store: w.st, Now: w.clk.Now, Scratch: true})
		w.same("after concurrent writes", want, w.report(a), w.report(b), w.report(Service{Store: w.st, Now: w.clk.Now}))
	})
}

// TestSnapshotClockBehind: an instance whose clock is behind the changes a
// stored state applied replays from scratch (exact for its now) and leaves
// the state further on in place.
func TestSnapshotClockBehind(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		w := newWorld(t, url)
		w.clk.Advance(3 * 24 * time.Hour)
		w.change(50)
		ahead := Service{Store: w.st, Now: w.clk.Now}
		w.report(ahead)
		saved := w.snapshot().Seq
		behindNow := func() time.Time { return w.clk.Now().Add(-2 * time.Hour) }
		got := w.report(Service{Store: w.st, Now: behindNow, History: NewHistory(0)})
		want := w.report(Service{Store: w.st, Now: behindNow, Scratch: true})
		w.same("clock behind", want, got)
		if w.snapshot().Seq != saved {
			t.Fatalf("the snapshot went from seq %d to %d", saved, w.snapshot().Seq)
		}
	})
}

// TestHistoryBudget: the cycles reported longest ago leave once the
// budget of issues is exceeded, and are read again from their snapshot.
func TestHistoryBudget(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		w := newWorld(t, url)
		w.change(40)
		h := NewHistory(len(w.issues) + 1) // one cycle's issues fit, not two
		s := Service{Store: w.st, Now: w.clk.Now, History: h}
		r1 := w.report(s)
		if _, err := s.Report(w.ctx, w.owner.ID, w.project, w.other); err != nil {
			t.Fatal(err)
		}
		if _, ok := h.cycles[w.cycle]; ok || len(h.cycles) != 1 || h.kept != len(w.issues) {
			t.Fatalf("after eviction: %d cycles, %d kept", len(h.cycles), h.kept)
		}
		w.same("read again", r1, w.report(s))
	})
}

// TestSnapshotRefreshBeforePrune: a stored snapshot that fell behind its
// log (no report since) is brought up to it by Refresh, as the server does
// before each prune, so that after a prune that left holes past its old
// seq, reports on an instance that kept nothing stay exact (both
// databases). Without the refresh the report is 410.
func TestSnapshotRefreshBeforePrune(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		w := newWorld(t, url)
		w.clk.Advance(3 * 24 * time.Hour)
		w.change(30)
		cold := Service{Store: w.st, Now: w.clk.Now}
		w.report(cold) // stores the snapshot
		w.change(40)
		for _, is := range w.issues { // an event without an issue after the snapshot: the prune takes it
			if _, err := w.st.DeleteIssue(w.ctx, w.owner, w.project, is.ID); err == nil {
				break
			}
		}
		w.change(10)
		want := w.report(Service{Store: w.st, Now: w.clk.Now, Scratch: true})
		if n, err := cold.Refresh(w.ctx); err != nil || n != 1 {
			t.Fatalf("refreshed %d: %v", n, err)
		}
		if n, err := w.st.PruneEvents(w.ctx, 1000*time.Hour, 0); err != nil || n == 0 {
			t.Fatalf("pruned %d: %v", n, err)
		}
		w.same("refreshed, then pruned", want, w.report(cold), w.report(Service{Store: w.st, Now: w.clk.Now, History: NewHistory(0)}))
		if n, err := cold.Refresh(w.ctx); err != nil || n != 0 {
			t.Fatalf("a second refresh saved %d: %v", n, err)
		}
	})
}

// TestSnapshotAfterPurge: purging issues from the trash redacts their
// titles in the log; the reports (cold, warm, from scratch) stay equal and
// the stored snapshot never held a title (both databases).
func TestSnapshotAfterPurge(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		w := newWorld(t, url)
		w.clk.Advance(3 * 24 * time.Hour)
		w.change(60)
		warm := Service{Store: w.st, Now: w.clk.Now, History: NewHistory(0)}
		w.report(warm)
		purged := 0
		for _, is := range w.issues[:6] {
			if _, err := w.st.DeleteIssue(w.ctx, w.owner, w.project, is.ID); err != nil {
				continue // deleted before
			}
			if _, err := w.st.PurgeTrash(w.ctx, w.owner, w.project, is.ID); err != nil {
				t.Fatal(err)
			}
			purged++
		}
		w.change(5)
		want := w.report(Service{Store: w.st, Now: w.clk.Now, Scratch: true})
		w.same("after a purge", want, w.report(warm), w.report(Service{Store: w.st, Now: w.clk.Now}))
		if snap := w.snapshot(); purged == 0 || strings.Contains(snap.State, "Secret") {
			t.Fatalf("%d purged; the snapshot: %s", purged, snap.State)
		}
	})
}
