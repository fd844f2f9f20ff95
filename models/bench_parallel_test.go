package models

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
)

// BenchmarkMoveIssueParallel: moves from 16 goroutines at once on SQLite,
// as the REST bench drives them, so group commit shares transactions.
// cpu-µs/op is the process's CPU time per move: on a shared machine it
// moves far less than ns/op does.
func BenchmarkMoveIssueParallel(b *testing.B) {
	benchMoveParallel(b, "sqlite://"+filepath.Join(b.TempDir(), "bench.db"))
}

// BenchmarkMoveIssueParallelPG is the same on TEST_DATABASE_URL
// (corkboard_move, issue_move_pg.go): the server's side of
// `make bench-http-pg` without HTTP.
func BenchmarkMoveIssueParallelPG(b *testing.B) {
	benchMoveParallel(b, testdb.Postgres(b))
}

func benchMoveParallel(b *testing.B, url string) {
	s, u, p, issues := benchStoreAt(b, url, 300)
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(8) // x GOMAXPROCS goroutines
	cpu0 := processCPU()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(n.Add(1))
			is := issues[i%len(issues)]
			if _, _, err := s.MoveIssue(ctx, u, p.ID, is.ID, MoveInput{Status: p.Columns[(i+1)%3].Key}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
