package models

import (
	"context"
	"testing"
)

// BenchmarkPurgeTrash100: emptying a trash of 100 issues (each with a
// comment) on SQLite, in a project whose log holds 10,000 other events:
// each purged issue's redaction reads its linked events by index and scans
// the project's log once for any other event naming it.
func BenchmarkPurgeTrash100(b *testing.B) {
	s, u, p, issues := benchStore(b, 1)
	ctx := context.Background()
	for i := 0; i < 10000; i++ {
		if _, _, err := s.MoveIssue(ctx, u, p.ID, issues[0].ID, MoveInput{Status: p.Columns[i%3].Key}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := 0; j < 100; j++ {
			is, _, err := s.CreateIssue(ctx, u, p.ID, IssueInput{Title: "Trash me", Description: "Some text."})
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := s.CreateComment(ctx, u, p.ID, is.ID, "A comment."); err != nil {
				b.Fatal(err)
			}
			if _, err := s.DeleteIssue(ctx, u, p.ID, is.ID); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if _, err := s.PurgeTrash(ctx, u, p.ID, ""); err != nil {
			b.Fatal(err)
		}
	}
}
