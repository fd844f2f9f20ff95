package transfer

import (
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
)

// BenchmarkExport100k exports a 100,000-issue project (imported from a
// generated Trello board, 20,000 comments) as JSON and as CSV, streaming
// to a byte counter, and reports the output size and the largest heap
// seen while exporting above the heap before: the export holds one page
// of issues, not the project.
//
//	go test -run '^$' -bench Export100k -benchtime 1x ./app/transfer/
func BenchmarkExport100k(b *testing.B) {
	s := openStore(b, testdb.SQLite(b))
	u, err := s.CreateUser(b.Context(), "bench@example.com", "bench", "Bench", "x")
	if err != nil {
		b.Fatal(err)
	}
	job, _ := s.CreateImport(b.Context(), u.ID, SourceTrello)
	im := &Importer{Store: s, Log: slog.New(slog.DiscardHandler), BatchSize: 1000}
	if err := im.Run(b.Context(), job.ID, u, SourceTrello, "", SampleTrelloBoard(100000)); err != nil {
		b.Fatal(err)
	}
	got, _ := s.GetImport(b.Context(), u.ID, job.ID)
	for _, format := range []string{"json", "csv"} {
		b.Run(format, func(b *testing.B) {
			var written, peak atomic.Int64
			for b.Loop() {
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				base := int64(ms.HeapAlloc)
				stop := make(chan struct{})
				var wg sync.WaitGroup
				wg.Add(1)
				go func() { // sample the heap while the export runs
					defer wg.Done()
					for {
						var m runtime.MemStats
						runtime.ReadMemStats(&m)
						if d := int64(m.HeapAlloc) - base; d > peak.Load() {
							peak.Store(d)
						}
						select {
						case <-stop:
							return
						case <-time.After(5 * time.Millisecond):
						}
					}
				}()
				ex, err := OpenExport(b.Context(), s, u.ID, *got.ProjectID)
				if err != nil {
					b.Fatal(err)
				}
				w := &counter{}
				if format == "json" {
					err = ex.WriteJSON(b.Context(), w, time.Now())
				} else {
					err = ex.WriteCSV(b.Context(), w)
				}
				close(stop)
				wg.Wait()
				if err != nil {
					b.Fatal(err)
				}
				written.Store(w.n)
			}
			b.ReportMetric(float64(written.Load())/1e6, "MB-out")
			b.ReportMetric(float64(peak.Load())/1e6, "MB-peak-heap")
		})
	}
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var _ io.Writer = (*counter)(nil)
