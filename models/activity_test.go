package models_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
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
			t.Fatal(err) // 7: in the trash, its events still kept
		}
		if _, err := s.PurgeTrash(ctx, f.owner, f.p.ID, b.ID); err != nil {
			t.Fatal(err) // 8: gone, and its events with it
		}
		now = now.Add(48 * time.Hour)
		c := f.issue("Charlie", "") // 9
		n, err := s.PruneEvents(ctx, 24*time.Hour, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if n != 5 {
			t.Fatalf("pruned %d events, want 5 (two member.added, Bravo's two, the purge)", n)
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
		page, err := s.EventsSince(ctx, f.owner.ID, f.p.ID, 8, 100)
		if err != nil || !equalSeqs(seqs(page.Items), []int64{9}) {
			t.Fatalf("events since 8: %v, %v", seqs(page.Items), err)
		}
		if h, _ := s.IssueEvents(ctx, f.owner.ID, f.p.ID, c.ID, "", 0); !equalSeqs(seqs(h.Items), []int64{9}) {
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

// TestEventIssueBackfill: 0010_activity links the events written before it
// to their issues (issue.* by the payload's id, comment.* by its issue_id)
// when the issue still exists, so existing issues keep their whole history
// and the events of issues already deleted stay prunable.
func TestEventIssueBackfill(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := t.Context()
		s, err := models.Open(ctx, url, models.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := models.MigrateUpTo(ctx, s, "0010_activity"); err != nil {
			t.Fatalf("migrate to before 0010: %v", err)
		}
		at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		uid, pid := "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"
		live, gone := "00000000-0000-4000-8000-000000000003", "00000000-0000-4000-8000-000000000004"
		for _, st := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO users (id, email, display_name, password_hash, handle, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				[]any{uid, "ann@example.com", "Ann", "hash", "ann", at, at}},
			{`INSERT INTO projects (id, key, name, seq, issue_counter, created_at, updated_at) VALUES (?, 'OLD', 'Old', 5, 2, ?, ?)`,
				[]any{pid, at, at}},
			{`INSERT INTO members (project_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)`, []any{pid, uid, at}},
			{`INSERT INTO board_columns (id, project_id, key, name, position) VALUES (?, ?, 'open', 'Open', 0)`,
				[]any{"00000000-0000-4000-8000-000000000005", pid}},
			{`INSERT INTO issues (id, project_id, number, title, status, priority, rank, created_at, updated_at)
				VALUES (?, ?, 1, 'Live', 'open', 'medium', 'a0', ?, ?)`, []any{live, pid, at, at}},
		} {
			if err := models.Exec(ctx, s, st.sql, st.args...); err != nil {
				t.Fatalf("%s: %v", st.sql, err)
			}
		}
		for seq, ev := range []struct{ typ, payload string }{
			{"member.added", `{"user_id":"` + uid + `"}`},
			{"issue.created", `{"id":"` + live + `","key":"OLD-1","title":"Live","status":"open","labels":[]}`},
			{"issue.created", `{"id":"` + gone + `","key":"OLD-2","title":"Gone","status":"open","labels":[]}`},
			{"comment.created", `{"id":"c","issue_id":"` + live + `","body":"hi"}`},
			{"issue.deleted", `{"id":"` + gone + `","key":"OLD-2","title":"Gone","status":"open","labels":[]}`},
		} {
			if err := models.Exec(ctx, s, `INSERT INTO events (project_id, seq, type, actor_id, actor_name, payload, created_at)
				VALUES (?, ?, ?, ?, 'Ann', ?, ?)`, pid, seq+1, ev.typ, uid, ev.payload, at); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		h, err := s.IssueEvents(ctx, uid, pid, live, "", 0)
		if err != nil || !equalSeqs(seqs(h.Items), []int64{2, 4}) {
			t.Fatalf("the live issue's history after the backfill: %v, %v", seqs(h.Items), err)
		}
		if n, err := s.PruneEvents(ctx, time.Hour, 0); err != nil || n != 3 {
			t.Fatalf("pruned %d, %v; want 3 (member.added and the deleted issue's two)", n, err)
		}
	})
}
