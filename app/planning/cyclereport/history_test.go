package cyclereport

import (
	"context"
	"fmt"
	"testing"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// TestHistory: reports through a History read only the events after those
// kept, give the same report as a whole read, and the projects read longest
// ago leave once the budget is exceeded (on a real store, both databases).
func TestHistory(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := context.Background()
		st, err := models.Open(ctx, url, models.Options{Planning: planning.Rules{}})
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
		h := NewHistory(12) // 3 default columns + 3 issues per project: two projects fit, not three
		cached, whole := Service{Store: st, History: h}, Service{Store: st}
		var projects, cycles []string
		for i := range 3 {
			p, err := st.CreateProject(ctx, u, models.ProjectInput{Name: fmt.Sprintf("P%d", i)})
			if err != nil {
				t.Fatal(err)
			}
			cs, _, err := st.CreateCycles(ctx, u, p.ID, []models.CycleInput{{StartsOn: "2099-01-01", EndsOn: "2099-01-14"}})
			if err != nil {
				t.Fatal(err)
			}
			projects, cycles = append(projects, p.ID), append(cycles, cs[0].ID)
		}
		add := func(i int) {
			if _, _, err := st.CreateIssue(ctx, u, projects[i], models.IssueInput{Title: "x", CycleID: &cycles[i]}); err != nil {
				t.Fatal(err)
			}
		}
		same := func(i, scope int) {
			t.Helper()
			a, err := cached.Report(ctx, u.ID, projects[i], cycles[i])
			if err != nil {
				t.Fatal(err)
			}
			b, err := whole.Report(ctx, u.ID, projects[i], cycles[i])
			if err != nil {
				t.Fatal(err)
			}
			if a.Totals != b.Totals || a.Totals.Scope != scope {
				t.Fatalf("project %d: kept %+v, whole %+v, want scope %d", i, a.Totals, b.Totals, scope)
			}
		}
		add(0)
		same(0, 1)
		add(0)
		add(0)
		same(0, 3) // the two new events read on top of the kept ones
		if pl := h.projects[projects[0]]; pl == nil || pl.size != 6 || h.kept != 6 {
			t.Fatalf("kept %d", h.kept)
		}
		add(1)
		same(1, 1)
		add(2)
		add(2)
		same(2, 2) // 6 + 4 + 5 > 12: project 0, read longest ago, goes
		if _, ok := h.projects[projects[0]]; ok || len(h.projects) != 2 || h.kept != 9 {
			t.Fatalf("after eviction: %d projects, %d kept", len(h.projects), h.kept)
		}
		same(0, 3) // read whole again
	})
}
