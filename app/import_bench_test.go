package app

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/transfer"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// BenchmarkImportTrello5000 uploads a generated 5,000-card Trello board
// (5 lists, labels, a member on every 4th card, a checklist on every 10th,
// a comment on every 5th) through POST /api/v1/imports and waits for the
// job to be done: the figure is seconds per import, upload to done (the
// bar: under 10 s), on SQLite and, with TEST_DATABASE_URL, PostgreSQL.
//
//	go test -run '^$' -bench ImportTrello -benchtime 3x ./app/
func BenchmarkImportTrello5000(b *testing.B) {
	data := transfer.SampleTrelloBoard(5000)
	urls := map[string]func(testing.TB) string{"sqlite": testdb.SQLite}
	if os.Getenv("TEST_DATABASE_URL") != "" {
		urls["postgres"] = testdb.Postgres
	}
	for _, name := range []string{"sqlite", "postgres"} {
		open, ok := urls[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			t := &testing.T{}
			ts := newTestServerOn(t, open(b))
			c := ts.register("bench@example.com", "Bench")
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				job := c.waitImport(c.startImport("trello", "", data))
				if job.Status != models.ImportDone || job.Progress.Done != 5000 {
					b.Fatalf("import: %+v", job)
				}
			}
			per := time.Since(start).Seconds() / float64(b.N)
			b.ReportMetric(per, "s/import")
			b.ReportMetric(5000/per, "cards/s")
			fmt.Printf("%s: a 5,000-card Trello board (%.1f MB) imports in %.2f s\n", name, float64(len(data))/1e6, per)
		})
	}
}
