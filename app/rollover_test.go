package app

import (
	"context"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// Roll-over tests (README "Planning"): the server clock is newManualClock's
// (2026-11-23 10:00:15 UTC) and the tests move it a week at a time; the
// loops run every few milliseconds, and the tests wait on what they
// change, with deadlines.

const week = 7 * 24 * time.Hour

// rollOverServer is a live instance on url with clock clk whose roll-over
// loop runs every interval; redisURL and prefix, when set, are shared
// with the other instances of a test.
func rollOverServer(t *testing.T, url string, clk *testClock, interval time.Duration, redisURL, prefix string) *liveServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ts := newTestServerWith(t, url, base, func(cfg *Config) {
		cfg.Now, cfg.RollOverInterval = clk.Now, interval
		cfg.RedisURL, cfg.RedisPrefix = redisURL, prefix
		cfg.RateLimitPerMinute = 100000
	})
	go ts.Serve(ln)
	return &liveServer{testServer: ts, base: base}
}

// planned is an owner's project with cycles (starts_on, ends_on pairs, in
// the order given) and n issues in the first of them.
type planned struct {
	owner  *client
	p      models.Project
	cycles []models.Cycle
	issues []models.Issue
}

func plan(ls *liveServer, email string, n int, periods ...[2]string) planned {
	ls.t.Helper()
	owner, p, issues := ls.board(email, 0)
	pl := planned{owner: owner, p: p}
	for _, d := range periods {
		var c models.Cycle
		owner.must(201, "POST", pl.path("/cycles"), map[string]any{"starts_on": d[0], "ends_on": d[1]}, &c)
		pl.cycles = append(pl.cycles, c)
	}
	for i := 0; i < n; i++ {
		var is models.Issue
		owner.must(201, "POST", pl.path("/issues"), map[string]any{"title": "Card " + strconv.Itoa(i), "cycle_id": pl.cycles[0].ID}, &is)
		issues = append(issues, is)
	}
	pl.issues = issues
	return pl
}

func (pl planned) path(s string) string { return "/api/v1/projects/" + pl.p.ID + s }

func (pl planned) seq() int64 {
	var p models.Project
	pl.owner.must(200, "GET", pl.path(""), nil, &p)
	return p.Seq
}

func (pl planned) issue(id string) models.Issue {
	var is models.Issue
	pl.owner.must(200, "GET", pl.path("/issues/"+id), nil, &is)
	return is
}

// events are the project's events after since, through the contract-
// checked client (the system actor must fit the Event schema).
func (pl planned) events(since int64) []models.Event {
	var out eventsResponse
	pl.owner.must(200, "GET", pl.path("/events?since="+strconv.FormatInt(since, 10)+"&limit=1000"), nil, &out)
	return out.Items
}

// waitInCycle waits until every issue of ids is in cycle (nil: none).
func (pl planned) waitInCycle(t *testing.T, ids []string, cycle *string) {
	t.Helper()
	waitUntil(t, "the issues rolled over", func() bool {
		for _, id := range ids {
			if is := pl.issue(id); deref(is.CycleID) != deref(cycle) {
				return false
			}
		}
		return true
	})
}

func deref(s *string) string {
	if s == nil {
		return "<none>"
	}
	return *s
}

// checkRolled checks that the events after since are exactly one
// issue.updated by the system actor per issue of ids, each into cycle
// with carryover, and returns them by issue.
func checkRolled(t *testing.T, evs []models.Event, ids []string, cycle *string, carryover int) {
	t.Helper()
	seen := map[string]int{}
	for _, ev := range evs {
		var is models.Issue
		mustJSON(t, ev.Data, &is)
		if ev.Type != models.EventIssueUpdated || ev.Actor != (models.Actor{ID: models.SystemActorID, Name: "Corkboard"}) {
			t.Fatalf("event seq %d: %s by %+v, want issue.updated by Corkboard", ev.Seq, ev.Type, ev.Actor)
		}
		if deref(is.CycleID) != deref(cycle) || is.Carryover != carryover {
			t.Fatalf("event seq %d: issue %s in cycle %s carryover %d, want %s and %d", ev.Seq, is.Key,
				deref(is.CycleID), is.Carryover, deref(cycle), carryover)
		}
		seen[is.ID]++
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Fatalf("issue %s rolled over %d times, want once (events %d for %d issues)", id, seen[id], len(evs), len(ids))
		}
	}
	if len(evs) != len(ids) {
		t.Fatalf("%d events for %d issues", len(evs), len(ids))
	}
}

// TestRollOverMovesUnfinishedIssues: when a cycle completes, its issues
// not in a done column move to the next cycle (the first to start after
// it, whatever order the cycles were made in) with carryover 1, one
// issue.updated by Corkboard each, which a viewer's socket receives; done
// ones stay; after the last cycle they leave cycles (null), and a
// completed cycle still takes no issues (422).
func TestRollOverMovesUnfinishedIssues(t *testing.T) {
	forEachDatabaseURL(t, func(t *testing.T, url string) {
		clk := newManualClock()
		ls := rollOverServer(t, url, clk, 5*time.Millisecond, "", "")
		pl := plan(ls, "roller@example.com", 3,
			[2]string{"2026-11-16", "2026-11-29"}, [2]string{"2026-12-07", "2026-12-13"}, [2]string{"2026-11-30", "2026-12-06"})
		c1, c3, c2 := pl.cycles[0], pl.cycles[1], pl.cycles[2]
		var loose models.Issue
		pl.owner.must(201, "POST", pl.path("/issues"), map[string]any{"title": "Unplanned"}, &loose)
		done := pl.issues[2]
		pl.owner.must(200, "POST", pl.path("/issues/"+done.ID+"/move"), map[string]string{"status": "done"}, nil)
		started := pl.issues[1]
		pl.owner.must(200, "POST", pl.path("/issues/"+started.ID+"/move"), map[string]string{"status": "in_progress"}, nil)
		viewer := ls.register("looker@example.com", "Looker")
		pl.owner.must(201, "POST", pl.path("/members"), map[string]string{"email": viewer.user.Email, "role": "viewer"}, nil)
		seq := pl.seq()
		conn := ls.mustDial(viewer, pl.p.ID, seq)
		if f := next(t, conn); f.Type != "hello" {
			t.Fatalf("first frame %+v", f)
		}
		open := []string{pl.issues[0].ID, started.ID}

		for round, to := range []*string{&c2.ID, &c3.ID, nil} {
			clk.Advance(week) // 2026-11-30: c1 completed; then c2; then c3
			pl.waitInCycle(t, open, to)
			// Another run (this instance's) finds nothing left to do.
			if n, err := ls.rollOver(context.Background()); err != nil || n != 0 {
				t.Fatalf("round %d: a second run moved %d (%v)", round+1, n, err)
			}
			evs := pl.events(seq)
			checkRolled(t, evs, open, to, round+1)
			for _, ev := range evs {
				f := next(t, conn)
				if f.Type != ev.Type || f.Seq != ev.Seq || f.Actor.ID != models.SystemActorID || f.Actor.Name != "Corkboard" {
					t.Fatalf("round %d: socket frame %+v, want seq %d by Corkboard", round+1, f, ev.Seq)
				}
			}
			seq = evs[len(evs)-1].Seq
			if is := pl.issue(done.ID); deref(is.CycleID) != c1.ID || is.Carryover != 0 || is.Version != done.Version+1 {
				t.Fatalf("round %d: the done issue moved: %+v", round+1, is)
			}
			if is := pl.issue(loose.ID); is.CycleID != nil || is.Carryover != 0 || is.Version != loose.Version {
				t.Fatalf("round %d: the issue without a cycle changed: %+v", round+1, is)
			}
		}
		a := pl.issue(open[0])
		res, _ := pl.owner.do("PATCH", pl.path("/issues/"+a.ID), map[string]any{"cycle_id": c1.ID, "version": a.Version})
		if res.StatusCode != 422 {
			t.Fatalf("PATCH into a completed cycle: %d, want 422", res.StatusCode)
		}
	})
}

// TestRollOverFinishesInterruptedRun: a run that moved half the issues
// and died (the store's per-issue move called for half, the cycle not
// marked) is finished by the next run, and no issue's carryover counts
// twice; a move repeated for an issue that has moved changes nothing.
func TestRollOverFinishesInterruptedRun(t *testing.T) {
	forEachDatabaseURL(t, func(t *testing.T, url string) {
		clk := newManualClock()
		ls := rollOverServer(t, url, clk, time.Hour, "", "") // runs at start only: the test runs the rest
		pl := plan(ls, "crash@example.com", 4, [2]string{"2026-11-16", "2026-11-29"}, [2]string{"2026-11-30", "2026-12-13"})
		c1, c2 := pl.cycles[0], pl.cycles[1]
		ids := []string{pl.issues[0].ID, pl.issues[1].ID, pl.issues[2].ID, pl.issues[3].ID}
		seq := pl.seq()
		ctx := context.Background()
		store := ls.Store()
		if _, _, ok, err := store.RollOverIssue(ctx, pl.p.ID, c1.ID, ids[0]); ok || err != nil {
			t.Fatalf("moved out of an active cycle: %v %v", ok, err)
		}
		clk.Advance(week)
		for _, id := range ids[:2] {
			if _, _, ok, err := store.RollOverIssue(ctx, pl.p.ID, c1.ID, id); !ok || err != nil {
				t.Fatalf("first half: %v %v", ok, err)
			}
		}
		if marked, err := store.MarkRolledOver(ctx, pl.p.ID, c1.ID); marked || err != nil {
			t.Fatalf("marked with issues left: %v %v", marked, err)
		}
		if n, err := ls.rollOver(ctx); n != 2 || err != nil {
			t.Fatalf("the next run moved %d (%v), want the other 2", n, err)
		}
		if _, _, ok, err := store.RollOverIssue(ctx, pl.p.ID, c1.ID, ids[0]); ok || err != nil {
			t.Fatalf("moved twice: %v %v", ok, err)
		}
		if n, err := ls.rollOver(ctx); n != 0 || err != nil {
			t.Fatalf("a run after the cycle was done moved %d (%v)", n, err)
		}
		checkRolled(t, pl.events(seq), ids, &c2.ID, 1)
		if got := pl.seq(); got != seq+4 {
			t.Fatalf("seq %d, want %d: a refused move took a seq", got, seq+4)
		}
	})
}

// TestRollOverExactlyOnceAcrossInstances: two instances sharing PostgreSQL
// and Redis, both checking every 2 ms, while both stores also move every
// pending issue directly (no lease at all): round after round, each
// unfinished issue moves exactly once (one issue.updated each, carryover
// up by exactly one), and the done one stays.
func TestRollOverExactlyOnceAcrossInstances(t *testing.T) {
	url, redisURL, prefix := testdb.Postgres(t), testRedisURL(t), "cbtest:"+randomHex(6)+":"
	clk := newManualClock()
	n1 := rollOverServer(t, url, clk, 2*time.Millisecond, redisURL, prefix)
	n2 := rollOverServer(t, url, clk, 2*time.Millisecond, redisURL, prefix)
	pl := plan(n1, "cluster@example.com", 9, [2]string{"2026-11-16", "2026-11-29"}, [2]string{"2026-11-30", "2026-12-06"},
		[2]string{"2026-12-07", "2026-12-13"}, [2]string{"2026-12-14", "2026-12-20"}, [2]string{"2026-12-21", "2026-12-27"})
	done := pl.issues[8]
	pl.owner.must(200, "POST", pl.path("/issues/"+done.ID+"/move"), map[string]string{"status": "done"}, nil)
	var ids []string
	for _, is := range pl.issues[:8] {
		ids = append(ids, is.ID)
	}
	seq := pl.seq()
	for round := 1; round <= 4; round++ {
		from, to := pl.cycles[round-1], pl.cycles[round]
		clk.Advance(week)
		var wg sync.WaitGroup
		for _, ls := range []*liveServer{n1, n2} {
			for _, id := range ids {
				wg.Add(1)
				go func(ls *liveServer, id string) {
					defer wg.Done()
					if _, _, _, err := ls.Store().RollOverIssue(context.Background(), pl.p.ID, from.ID, id); err != nil {
						t.Errorf("round %d: %v", round, err)
					}
				}(ls, id)
			}
		}
		wg.Wait()
		pl.waitInCycle(t, ids, &to.ID)
		// Both instances run again now, at once: nothing moves twice.
		var moved [2]int
		for i, ls := range []*liveServer{n1, n2} {
			wg.Add(1)
			go func(i int, ls *liveServer) {
				defer wg.Done()
				n, err := ls.rollOver(context.Background())
				if err != nil {
					t.Errorf("round %d: %v", round, err)
				}
				moved[i] = n
			}(i, ls)
		}
		wg.Wait()
		if moved != [2]int{} {
			t.Fatalf("round %d: runs after the moves moved %v", round, moved)
		}
		evs := pl.events(seq)
		checkRolled(t, evs, ids, &to.ID, round)
		seq = evs[len(evs)-1].Seq
		if is := pl.issue(done.ID); deref(is.CycleID) != pl.cycles[0].ID || is.Carryover != 0 {
			t.Fatalf("round %d: the done issue moved: %+v", round, is)
		}
	}
}
