package models_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
)

// TestPruneKeepsLiveIssueEvents: past retention, the prune removes the
// events of deleted issues and the non-issue events, keeps every event of
// the issues that still exist (their activity), and readers of the log see
// the holes it leaves as pruned, never as a gap.
func TestPruneKeepsLiveIssueEvents(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		models.SetClock(s, func() time.Time { return now })
		f := newFixture(t, s) // seq 1, 2: member.added
		ctx := t.Context()
		a := f.issue("Alpha", "") // 3
		b := f.issue("Bravo", "") // 4
		title := "Alpha two"
		if _, _, err := s.UpdateIssue(ctx, f.editor, f.p.ID, a.ID, models.IssuePatch{Title: &title, Version: a.Version}); err != nil {
			t.Fatal(err) // 5
		}
		if _, _, err := s.CreateComment(ctx, f.editor, f.p.ID, a.ID, "Looks good"); err != nil {
			t.Fatal(err) // 6
		}
		if _, err := s.DeleteIssue(ctx, f.editor, f.p.ID, b.ID); err != nil {
			t.Fatal(err) // 7
		}
		now = now.Add(48 * time.Hour)
		c := f.issue("Charlie", "") // 8
		n, err := s.PruneEvents(ctx, 24*time.Hour, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if n != 4 {
			t.Fatalf("pruned %d events, want 4 (two member.added, Bravo's two)", n)
		}
		if n, err := s.PruneEvents(ctx, 24*time.Hour, 1); err != nil || n != 0 {
			t.Fatalf("prune by count: %d, %v; want nothing more (every event left is a live issue's)", n, err)
		}
		h, err := s.IssueEvents(ctx, f.viewer.ID, f.p.ID, a.ID, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := seqs(h.Items); !equalSeqs(got, []int64{3, 5, 6}) {
			t.Fatalf("Alpha's history after the prune: %v", got)
		}
		for _, since := range []int64{0, 2, 3} {
			if _, err := s.EventsSince(ctx, f.owner.ID, f.p.ID, since, 100); !errors.Is(err, models.ErrPruned) {
				t.Fatalf("events since %d over a hole: %v, want ErrPruned", since, err)
			}
		}
		page, err := s.EventsSince(ctx, f.owner.ID, f.p.ID, 7, 100)
		if err != nil || !equalSeqs(seqs(page.Items), []int64{8}) {
			t.Fatalf("events since 7: %v, %v", seqs(page.Items), err)
		}
		if h, _ := s.IssueEvents(ctx, f.owner.ID, f.p.ID, c.ID, "", 0); !equalSeqs(seqs(h.Items), []int64{8}) {
			t.Fatalf("Charlie's history: %v", seqs(h.Items))
		}
	})
}

// TestIssueEventsPaging: oldest first, a cursor after the last seq, and
// Before is the issue as the last issue event before the page left it.
func TestIssueEventsPaging(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		a := f.issue("Alpha", "") // 3
		f.issue("Other", "")      // 4
		title := "Alpha two"
		a2, _, err := s.UpdateIssue(ctx, f.editor, f.p.ID, a.ID, models.IssuePatch{Title: &title, Version: a.Version})
		if err != nil {
			t.Fatal(err) // 5
		}
		if _, _, err := s.CreateComment(ctx, f.editor, f.p.ID, a.ID, "One"); err != nil {
			t.Fatal(err) // 6
		}
		p1, err := s.IssueEvents(ctx, f.viewer.ID, f.p.ID, a.ID, "", 2)
		if err != nil || !equalSeqs(seqs(p1.Items), []int64{3, 5}) || p1.NextCursor == "" || p1.Before != nil {
			t.Fatalf("page 1: %v %q %s %v", seqs(p1.Items), p1.NextCursor, p1.Before, err)
		}
		p2, err := s.IssueEvents(ctx, f.viewer.ID, f.p.ID, a.ID, p1.NextCursor, 2)
		if err != nil || !equalSeqs(seqs(p2.Items), []int64{6}) || p2.NextCursor != "" {
			t.Fatalf("page 2: %v %q %v", seqs(p2.Items), p2.NextCursor, err)
		}
		var before models.Issue
		if err := json.Unmarshal(p2.Before, &before); err != nil || before.Title != a2.Title || before.Version != a2.Version {
			t.Fatalf("page 2 before: %s %v", p2.Before, err)
		}
		if _, err := s.IssueEvents(ctx, f.outsider.ID, f.p.ID, a.ID, "", 0); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("outsider: %v", err)
		}
		var ve *models.ValidationError
		if _, err := s.IssueEvents(ctx, f.viewer.ID, f.p.ID, a.ID, "bogus", 0); !errors.As(err, &ve) {
			t.Fatalf("bad cursor: %v", err)
		}
	})
}

func seqs(evs []models.Event) []int64 {
	out := []int64{}
	for _, e := range evs {
		out = append(out, e.Seq)
	}
	return out
}

func equalSeqs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
