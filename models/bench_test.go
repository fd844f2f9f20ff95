package models

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func benchStore(b *testing.B, issues int) (*Store, User, Project, []Issue) {
	b.Helper()
	return benchStoreAt(b, "sqlite://"+filepath.Join(b.TempDir(), "bench.db"), issues)
}

// benchStoreAt is benchStore on the database at url.
func benchStoreAt(b *testing.B, url string, issues int) (*Store, User, Project, []Issue) {
	b.Helper()
	ctx := context.Background()
	s, err := Open(ctx, url, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	u, err := s.CreateUser(ctx, "bench@example.com", "bench", "Bench", "x")
	if err != nil {
		b.Fatal(err)
	}
	p, err := s.CreateProject(ctx, u, ProjectInput{Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	out := make([]Issue, 0, issues)
	for i := 0; i < issues; i++ {
		is, _, err := s.CreateIssue(ctx, u, p.ID, IssueInput{Title: fmt.Sprintf("Issue %d", i),
			Status: p.Columns[i%3].Key, Description: "Some **markdown**.", Labels: []string{"bench"}})
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, is)
	}
	return s, u, p, out
}

// BenchmarkMoveIssue: one move (the whole transaction, event included) on
// SQLite, to the bottom of another column.
func BenchmarkMoveIssue(b *testing.B) {
	s, u, p, issues := benchStore(b, 300)
	ctx := context.Background()
	b.ResetTimer()
	start := cpuTime()
	defer func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }()
	for i := 0; i < b.N; i++ {
		is := issues[i%len(issues)]
		if _, _, err := s.MoveIssue(ctx, u, p.ID, is.ID, MoveInput{Status: p.Columns[(i+1)%3].Key}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBoard1000 loads a 1,000-issue board (project, columns, issues).
func BenchmarkBoard1000(b *testing.B) {
	s, u, p, _ := benchStore(b, 1000)
	ctx := context.Background()
	b.ResetTimer()
	start := cpuTime()
	defer func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }()
	for i := 0; i < b.N; i++ {
		if _, is, err := s.Board(ctx, u.ID, p.ID); err != nil || len(is) != 1000 {
			b.Fatal(err, len(is))
		}
	}
}

// BenchmarkBoard10000 loads a 10,000-issue board (issue #16) from the
// store: project, columns, issues.
func BenchmarkBoard10000(b *testing.B) {
	s, u, p, _ := benchStore(b, 10000)
	ctx := context.Background()
	b.ReportAllocs()
	start := cpuTime()
	defer func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }()
	for b.Loop() {
		if _, is, err := s.Board(ctx, u.ID, p.ID); err != nil || len(is) != 10000 {
			b.Fatal(err, len(is))
		}
	}
}

func BenchmarkRankBetween(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := RankBetween("a0V", "a0k"); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the process's CPU time (every goroutine: the caller, the
// writer, the driver): per op it moves less than ns/op on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
