package app

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/app/planning/cyclereport"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// BenchmarkCycleReport times the report of a 14-day cycle of a project
// with 2,000 issues and 50,000 events (the bar: 50 ms), on SQLite and, with
// TEST_DATABASE_URL, on PostgreSQL (`make bench-report`):
//
//   - first: the whole log replayed from its first event, as the first
//     report of a cycle does (and, before report snapshots, the first
//     report of every instance: it was the cold figure then).
//   - cold: an instance that kept nothing: the stored snapshot, then the
//     events after it, SaveEvery-1 of them (the most a snapshot lags).
//   - warm: the state the instance kept, no new event.
//   - route: GET /cycles/{cid}/report through Fiber, warm.
//
// The log is written through the store on a clock moved between changes,
// from two weeks before the cycle to its 11th day (on PostgreSQL with
// synchronous_commit off, so that writing it takes minutes, not tens).
func BenchmarkCycleReport(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchCycleReport(b, testdb.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) {
		if os.Getenv("TEST_DATABASE_URL") == "" {
			b.Skip("TEST_DATABASE_URL not set")
		}
		benchCycleReport(b, testdb.Postgres(b)+"&synchronous_commit=off")
	})
}

func benchCycleReport(b *testing.B, url string) {
	t := &testing.T{}
	clk := newManualClock()
	ts := newTestServerWith(t, url, "http://localhost:3000", func(cfg *Config) { cfg.Now = clk.Now })
	c := ts.register("bench@example.com", "Bench")
	ctx := b.Context()
	var p models.Project
	c.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Bench"}, &p)
	owner, _ := ts.store.UserByID(ctx, c.user.ID)
	users := []string{owner.ID}
	for i := range 11 {
		u := ts.register(fmt.Sprintf("member%d@example.com", i), fmt.Sprintf("Member %d", i))
		c.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": u.user.Email, "role": "editor"}, nil)
		users = append(users, u.user.ID)
	}
	const issues, events = 2000, 50000
	day := 24 * time.Hour
	// The cycle starts 14 days after the clock's now; the log runs to its
	// 11th day, one change every step.
	startsOn := planning.DateOf(clk.Now(), time.UTC).AddDays(14)
	var cy models.Cycle
	c.must(201, "POST", "/api/v1/projects/"+p.ID+"/cycles", map[string]string{
		"starts_on": startsOn.String(), "ends_on": startsOn.AddDays(13).String()}, &cy)
	step := (24*day + 10*time.Hour) / events

	rng := rand.New(rand.NewPCG(1, 2))
	cycles := []models.Optional[string]{{Set: true, Value: &cy.ID}, {Set: true, Value: &cy.ID}, {Set: true, Value: &cy.ID},
		{Set: true, Value: &cy.ID}, {Set: true}}
	efforts := []*int{nil, ptrInt(1), ptrInt(2), ptrInt(3), ptrInt(5), ptrInt(8)}
	keys := []string{"open", "in_progress", "done"}
	made := make([]models.Issue, 0, issues)
	write := func(n int) {
		clk.Advance(step)
		if len(made) < issues && n%12 == 0 {
			in := models.IssueInput{Title: fmt.Sprintf("Issue %d with a title of ordinary length", n), Status: "open",
				Effort: efforts[rng.IntN(len(efforts))], CycleID: cycles[rng.IntN(len(cycles))].Value}
			if rng.IntN(5) > 0 {
				in.AssigneeID = &users[rng.IntN(len(users))]
			}
			is, _, err := ts.store.CreateIssue(ctx, owner, p.ID, in)
			if err != nil {
				b.Fatal(err)
			}
			made = append(made, is)
			return
		}
		k := rng.IntN(len(made))
		patch := models.IssuePatch{Version: made[k].Version}
		switch r := rng.IntN(100); {
		case r < 55:
			patch.Status = &keys[rng.IntN(len(keys))]
		case r < 70:
			patch.Effort = models.Optional[int]{Set: true, Value: efforts[rng.IntN(len(efforts))]}
		case r < 85:
			patch.AssigneeID = models.Optional[string]{Set: true, Value: &users[rng.IntN(len(users))]}
		default:
			patch.CycleID = cycles[rng.IntN(len(cycles))]
		}
		is, _, err := ts.store.UpdateIssue(ctx, owner, p.ID, made[k].ID, patch)
		if err != nil {
			b.Fatal(err)
		}
		made[k] = is
	}
	for n := range events {
		write(n)
	}
	if c.must(200, "GET", "/api/v1/projects/"+p.ID, nil, &p); p.Seq < events {
		b.Fatalf("the log holds %d events", p.Seq)
	}
	// A snapshot at the log's end, then the most events it can lag.
	if _, err := (cyclereport.Service{Store: ts.store, Now: clk.Now}).Report(ctx, owner.ID, p.ID, cy.ID); err != nil {
		b.Fatal(err)
	}
	for n := range cyclereport.SaveEvery - 1 {
		write(events + n)
	}
	report := func(b *testing.B, s cyclereport.Service) {
		if _, err := s.Report(ctx, owner.ID, p.ID, cy.ID); err != nil {
			b.Fatal(err)
		}
	}

	get := func(b *testing.B) {
		req := httptest.NewRequest("GET", "/api/v1/projects/"+p.ID+"/cycles/"+cy.ID+"/report", nil)
		req.AddCookie(&http.Cookie{Name: ts.sessionCookieName(), Value: c.cookie})
		res, err := ts.app.Test(req, -1)
		if err != nil || res.StatusCode != 200 {
			b.Fatal(err, res.StatusCode)
		}
		res.Body.Close()
	}
	b.Run("first", func(b *testing.B) {
		for b.Loop() {
			report(b, cyclereport.Service{Store: ts.store, Now: clk.Now, Scratch: true})
		}
	})
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			report(b, cyclereport.Service{Store: ts.store, Now: clk.Now}) // saves nothing: under SaveEvery
		}
	})
	b.Run("warm", func(b *testing.B) {
		warm := cyclereport.Service{Store: ts.store, Now: clk.Now, History: cyclereport.NewHistory(0)}
		report(b, warm)
		for b.Loop() {
			report(b, warm)
		}
	})
	b.Run("route", func(b *testing.B) {
		get(b) // the instance's first report (cold, above)
		for b.Loop() {
			get(b)
		}
	})
}

func ptrInt(n int) *int { return &n }
