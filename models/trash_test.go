package models_test

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
)

// The trash (README "Trash and undo"): a deleted issue is hidden from every
// read of live issues, restored in place, and purged with its text taken
// out of the whole event log, in one transaction, once.

func countRows(t *testing.T, s *models.Store, sql string, args ...any) int64 {
	t.Helper()
	n, err := models.CountRows(t.Context(), s, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// eventsWith counts the events whose raw payload holds text.
func eventsWith(t *testing.T, s *models.Store, text string) int64 {
	t.Helper()
	return countRows(t, s, `SELECT COUNT(*) FROM events WHERE payload LIKE ?`, "%"+text+"%")
}

func TestTrashHidesTheIssueEverywhere(t *testing.T) {
	forEachPlanningStore(t, func(t *testing.T, s *models.Store, _ func() *models.Store) {
		f, cy := blockFixture(t, s) // the editor's capacity is 5 in cy
		ctx := t.Context()
		me := &f.editor.ID
		a := newIssue(t, s, f.editor, f.p.ID, models.IssueInput{Title: "Findable Alpha", Description: "needle",
			CycleID: &cy.ID, AssigneeID: me, Effort: ptr(5)})
		other := f.issue("Other", "")
		cm, _, err := s.CreateComment(ctx, f.editor, f.p.ID, a.ID, "A comment")
		if err != nil {
			t.Fatal(err)
		}
		ev, err := s.DeleteIssue(ctx, f.editor, f.p.ID, a.ID)
		if err != nil || ev.Type != models.EventIssueDeleted {
			t.Fatalf("delete: %+v, %v", ev, err)
		}
		wantErr(t, func() error { _, err := s.GetIssue(ctx, f.owner.ID, f.p.ID, a.ID); return err }(), models.ErrNotFound)
		if ids := f.order("open"); !slices.Equal(ids, []string{other.ID}) {
			t.Fatalf("board after the delete: %v", ids)
		}
		for _, flt := range []models.IssueFilter{{}, {Query: "needle"}, {Query: "Findable"}, {AssigneeID: f.editor.ID}, {Status: "open"}} {
			page, err := s.ListIssues(ctx, f.owner.ID, f.p.ID, flt)
			if err != nil || slices.ContainsFunc(page.Items, func(is models.Issue) bool { return is.ID == a.ID }) {
				t.Fatalf("list %+v shows the trashed issue: %v", flt, err)
			}
		}
		_, err = s.ListComments(ctx, f.owner.ID, f.p.ID, a.ID, "", 0)
		wantErr(t, err, models.ErrNotFound)
		_, err = s.IssueEvents(ctx, f.owner.ID, f.p.ID, a.ID, "", 0)
		wantErr(t, err, models.ErrNotFound)
		_, _, err = s.UpdateIssue(ctx, f.editor, f.p.ID, a.ID, models.IssuePatch{Title: ptr("x"), Version: a.Version})
		wantErr(t, err, models.ErrNotFound)
		_, _, err = s.MoveIssue(ctx, f.editor, f.p.ID, a.ID, models.MoveInput{Status: "done"})
		wantErr(t, err, models.ErrNotFound)
		_, _, err = s.CreateComment(ctx, f.editor, f.p.ID, a.ID, "more")
		wantErr(t, err, models.ErrNotFound)
		_, err = s.GetComment(ctx, f.editor.ID, f.p.ID, a.ID, cm.ID)
		wantErr(t, err, models.ErrNotFound)
		_, _, err = s.UpdateComment(ctx, f.editor, f.p.ID, a.ID, cm.ID, models.CommentPatch{Body: "edited", Version: cm.Version})
		wantErr(t, err, models.ErrNotFound)
		_, err = s.DeleteComment(ctx, f.owner, f.p.ID, a.ID, cm.ID)
		wantErr(t, err, models.ErrNotFound)
		_, err = s.DeleteIssue(ctx, f.editor, f.p.ID, a.ID)
		wantErr(t, err, models.ErrNotFound)
		_, _, err = s.MoveIssue(ctx, f.editor, f.p.ID, other.ID, models.MoveInput{Status: "open", AfterID: &a.ID})
		wantInvalid(t, err, "after_id")
		if ids, err := s.RollOverPending(ctx, f.p.ID, cy.ID); err != nil || slices.Contains(ids, a.ID) {
			t.Fatalf("roll-over would move the trashed issue: %v, %v", ids, err)
		}
		// Its 5 points no longer count toward the editor's load of 5.
		b := newIssue(t, s, f.editor, f.p.ID, models.IssueInput{Title: "Fits now", CycleID: &cy.ID, AssigneeID: me, Effort: ptr(5)})
		if b.Number != a.Number+2 {
			t.Fatalf("numbers: trashed %d, then %d", a.Number, b.Number)
		}
		// The trash lists it, with who and when.
		page, err := s.ListTrash(ctx, f.viewer.ID, f.p.ID, "", 0)
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != a.ID || page.Items[0].Title != "Findable Alpha" ||
			page.Items[0].DeletedBy != (models.Actor{ID: f.editor.ID, Name: "Editor"}) || page.Items[0].DeletedAt.IsZero() {
			t.Fatalf("trash: %+v, %v", page.Items, err)
		}
		_, err = s.ListTrash(ctx, f.outsider.ID, f.p.ID, "", 0)
		wantErr(t, err, models.ErrNotFound)
		// A purged issue's number is not reused either.
		if _, err := s.PurgeTrash(ctx, f.owner, f.p.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		if c := f.issue("After the purge", ""); c.Number != b.Number+1 {
			t.Fatalf("number after the purge: %d, want %d", c.Number, b.Number+1)
		}
	})
}

func TestTrashPaging(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		var want []string
		for range 5 {
			is := f.issue("Card", "")
			if _, err := s.DeleteIssue(ctx, f.editor, f.p.ID, is.ID); err != nil {
				t.Fatal(err)
			}
			want = append([]string{is.ID}, want...) // most recent first
		}
		var got []string
		cursor := ""
		for {
			page, err := s.ListTrash(ctx, f.owner.ID, f.p.ID, cursor, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range page.Items {
				got = append(got, it.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("trash pages: %v, want %v", got, want)
		}
		_, err := s.ListTrash(ctx, f.owner.ID, f.p.ID, "bogus", 2)
		wantInvalid(t, err, "cursor")
	})
}

func TestRestore(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		x, a, y := f.issue("x", "open"), f.issue("a", "open"), f.issue("y", "open")
		if _, err := s.DeleteIssue(ctx, f.editor, f.p.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		// Meanwhile a card goes where it was.
		z := f.issue("z", "done")
		if _, _, err := s.MoveIssue(ctx, f.editor, f.p.ID, z.ID, models.MoveInput{Status: "open", AfterID: &x.ID}); err != nil {
			t.Fatal(err)
		}
		_, _, err := s.RestoreIssue(ctx, f.viewer, f.p.ID, a.ID)
		wantErr(t, err, models.ErrForbidden)
		_, _, err = s.RestoreIssue(ctx, f.outsider, f.p.ID, a.ID)
		wantErr(t, err, models.ErrNotFound)
		_, _, err = s.RestoreIssue(ctx, f.editor, f.p.ID, x.ID) // not in the trash
		wantErr(t, err, models.ErrNotFound)
		got, ev, err := s.RestoreIssue(ctx, f.editor, f.p.ID, a.ID)
		if err != nil || ev.Type != models.EventIssueRestored || got.Version != a.Version+1 || got.Status != "open" {
			t.Fatalf("restore: %+v %+v %v", got, ev, err)
		}
		var data models.Issue
		if err := json.Unmarshal(ev.Data, &data); err != nil || data.ID != a.ID || data.Title != "a" || data.Rank != a.Rank {
			t.Fatalf("issue.restored carries %s (%v)", ev.Data, err)
		}
		if order := f.order("open"); !slices.Equal(order, []string{x.ID, z.ID, a.ID, y.ID}) {
			t.Fatalf("open after the restore: %v, want x z a y", order)
		}
		if f.getIssue(a.ID).Version != got.Version {
			t.Fatal("restored issue not readable")
		}
		_, _, err = s.RestoreIssue(ctx, f.editor, f.p.ID, a.ID) // twice
		wantErr(t, err, models.ErrNotFound)

		// Its column deleted meanwhile: the first column, at the bottom.
		b := f.issue("b", "in_progress")
		if _, err := s.DeleteIssue(ctx, f.editor, f.p.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.DeleteColumn(ctx, f.owner, f.p.ID, "in_progress"); err != nil {
			t.Fatalf("a column holding only trashed issues is empty: %v", err)
		}
		got, _, err = s.RestoreIssue(ctx, f.editor, f.p.ID, b.ID)
		if err != nil || got.Status != "open" {
			t.Fatalf("restore after its column went: %+v, %v", got, err)
		}
		if order := f.order("open"); !slices.Equal(order, []string{x.ID, z.ID, a.ID, y.ID, b.ID}) {
			t.Fatalf("open after the second restore: %v", order)
		}
	})
}

// TestPurgeRedactsTheLog: every event that carried the purged issue's
// title, description or a comment's body keeps its place in the log with
// the text gone and redacted: true; nothing else changes.
func TestPurgeRedactsTheLog(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		secrets := []string{"Zanzibar-title", "Zanzibar-renamed", "Quokka-description", "Narwhal-body", "Narwhal-edited", "Ocelot-gone",
			"Ibis-embedded"}
		keep := newIssue(t, s, f.editor, f.p.ID, models.IssueInput{Title: "Keep-title", Description: "Keep-description"})
		if _, _, err := s.CreateComment(ctx, f.editor, f.p.ID, keep.ID, "Keep-body"); err != nil {
			t.Fatal(err)
		}
		first := f.seq()
		a := newIssue(t, s, f.editor, f.p.ID, models.IssueInput{Title: secrets[0], Description: secrets[2]})
		a, _, err := s.UpdateIssue(ctx, f.editor, f.p.ID, a.ID, models.IssuePatch{Title: &secrets[1], Version: a.Version})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.MoveIssue(ctx, f.editor, f.p.ID, a.ID, models.MoveInput{Status: "done"}); err != nil {
			t.Fatal(err)
		}
		cm, _, err := s.CreateComment(ctx, f.editor, f.p.ID, a.ID, secrets[3])
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.UpdateComment(ctx, f.editor, f.p.ID, a.ID, cm.ID, models.CommentPatch{Body: secrets[4], Version: 1}); err != nil {
			t.Fatal(err)
		}
		gone, _, err := s.CreateComment(ctx, f.editor, f.p.ID, a.ID, secrets[5])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteComment(ctx, f.editor, f.p.ID, a.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		// An event of another kind that embeds the issue, not linked to it
		// (as a later feature might write one).
		next := f.seq() + 1
		for _, st := range []struct {
			sql  string
			args []any
		}{
			{`UPDATE projects SET seq = ? WHERE id = ?`, []any{next, f.p.ID}},
			{`INSERT INTO events (project_id, seq, type, actor_id, actor_name, payload, created_at)
				VALUES (?, ?, 'other.embeds', ?, 'Editor', ?, ?)`, []any{f.p.ID, next, f.editor.ID,
				`{"issue":{"id":"` + a.ID + `","title":"` + secrets[6] + `"},"count":12345678901234567}`, time.Now().UTC()}},
		} {
			if err := models.Exec(ctx, s, st.sql, st.args...); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.DeleteIssue(ctx, f.editor, f.p.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		for _, sec := range secrets {
			if eventsWith(t, s, sec) == 0 {
				t.Fatalf("%s is not in the log before the purge: the check below would prove nothing", sec)
			}
		}
		last := f.seq()
		for _, u := range []models.User{f.editor, f.viewer} {
			_, err := s.PurgeTrash(ctx, u, f.p.ID, a.ID)
			wantErr(t, err, models.ErrForbidden)
		}
		_, err = s.PurgeTrash(ctx, f.outsider, f.p.ID, a.ID)
		wantErr(t, err, models.ErrNotFound)
		_, err = s.PurgeTrash(ctx, f.owner, f.p.ID, keep.ID) // not in the trash
		wantErr(t, err, models.ErrNotFound)
		ev, err := s.PurgeTrash(ctx, f.owner, f.p.ID, a.ID)
		if err != nil || ev.Type != models.EventTrashPurged || ev.Seq != last+1 {
			t.Fatalf("purge: %+v, %v", ev, err)
		}
		var purged models.TrashPurged
		if err := json.Unmarshal(ev.Data, &purged); err != nil ||
			!slices.Equal(purged.Issues, []models.PurgedIssue{{ID: a.ID, Key: a.Key}}) {
			t.Fatalf("trash.purged carries %s", ev.Data)
		}
		for _, sec := range secrets {
			if n := eventsWith(t, s, sec); n != 0 {
				t.Errorf("%q is still in %d events after the purge", sec, n)
			}
		}
		for _, k := range []string{"Keep-title", "Keep-description", "Keep-body"} {
			if eventsWith(t, s, k) == 0 {
				t.Errorf("the purge took %q, another issue's text, out of the log", k)
			}
		}
		// Every event stays, in order; a's carry redacted: true.
		evs := f.events(first)
		if len(evs) != int(last-first)+1 {
			t.Fatalf("%d events after the purge, want %d", len(evs), last-first+1)
		}
		for _, e := range evs[:len(evs)-1] {
			var d struct {
				Redacted bool   `json:"redacted"`
				ID       string `json:"id"`
				IssueID  string `json:"issue_id"`
				Title    string `json:"title"`
				Issue    struct {
					ID    string `json:"id"`
					Title string `json:"title"`
				} `json:"issue"`
			}
			if err := json.Unmarshal(e.Data, &d); err != nil || !d.Redacted || d.Title != "" {
				t.Errorf("event %d %s after the purge: %s", e.Seq, e.Type, e.Data)
			}
			if about := d.ID == a.ID || d.IssueID == a.ID || d.Issue.ID == a.ID; !about || d.Issue.Title != "" {
				t.Errorf("event %d %s lost its ids or kept a title: %s", e.Seq, e.Type, e.Data)
			}
			if e.Type == "other.embeds" && !strings.Contains(string(e.Data), "12345678901234567") {
				t.Errorf("the redaction changed a number: %s", e.Data)
			}
		}
		if n := countRows(t, s, `SELECT COUNT(*) FROM comments WHERE issue_id = ?`, a.ID); n != 0 {
			t.Fatalf("%d comments of the purged issue left", n)
		}
		if n := countRows(t, s, `SELECT COUNT(*) FROM issues WHERE id = ?`, a.ID); n != 0 {
			t.Fatal("the purged issue's row is still there")
		}
		_, _, err = s.RestoreIssue(ctx, f.editor, f.p.ID, a.ID)
		wantErr(t, err, models.ErrNotFound)

		// Emptying the trash: both in one event; an empty trash, none.
		b, c := f.issue("B-secret", ""), f.issue("C-secret", "")
		for _, is := range []models.Issue{b, c} {
			if _, err := s.DeleteIssue(ctx, f.editor, f.p.ID, is.ID); err != nil {
				t.Fatal(err)
			}
		}
		ev, err = s.PurgeTrash(ctx, f.owner, f.p.ID, "")
		if err != nil || json.Unmarshal(ev.Data, &purged) != nil || len(purged.Issues) != 2 {
			t.Fatalf("empty the trash: %s, %v", ev.Data, err)
		}
		if eventsWith(t, s, "B-secret")+eventsWith(t, s, "C-secret") != 0 {
			t.Fatal("emptying the trash left text in the log")
		}
		seq := f.seq()
		if ev, err := s.PurgeTrash(ctx, f.owner, f.p.ID, ""); err != nil || ev.Seq != 0 || f.seq() != seq {
			t.Fatalf("emptying an empty trash: %+v, %v, seq %d -> %d", ev, err, seq, f.seq())
		}
	})
}

// TestPurgeIsOneTransaction: when the purge's last step (the issue's
// DELETE) fails, the redaction and the comments' deletion before it are
// rolled back with it.
func TestPurgeIsOneTransaction(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		a := f.issue("Kestrel-title", "")
		if _, _, err := s.CreateComment(ctx, f.editor, f.p.ID, a.ID, "Kestrel-body"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteIssue(ctx, f.editor, f.p.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		refuse := []string{`CREATE TRIGGER refuse_issue_delete BEFORE DELETE ON issues
			BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`}
		if models.Dialect(s) == "postgres" {
			refuse = []string{`CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS
				$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$`,
				`CREATE TRIGGER refuse_issue_delete BEFORE DELETE ON issues FOR EACH ROW EXECUTE FUNCTION refuse_delete()`}
		}
		for _, st := range refuse {
			if err := models.Exec(ctx, s, st); err != nil {
				t.Fatal(err)
			}
		}
		seq := f.seq()
		if _, err := s.PurgeTrash(ctx, f.owner, f.p.ID, a.ID); err == nil {
			t.Fatal("the purge succeeded past the trigger")
		}
		if eventsWith(t, s, "Kestrel-title") == 0 || eventsWith(t, s, "Kestrel-body") == 0 ||
			eventsWith(t, s, `"redacted"`) != 0 {
			t.Fatal("a failed purge left the log redacted")
		}
		if countRows(t, s, `SELECT COUNT(*) FROM comments WHERE issue_id = ?`, a.ID) != 1 || f.seq() != seq {
			t.Fatal("a failed purge deleted the comments or took a seq")
		}
		if err := models.Exec(ctx, s, `DROP TRIGGER refuse_issue_delete`+map[bool]string{true: " ON issues"}[models.Dialect(s) == "postgres"]); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PurgeTrash(ctx, f.owner, f.p.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		if eventsWith(t, s, "Kestrel") != 0 {
			t.Fatal("text left after the purge")
		}
	})
}

// TestAutoPurgeExactlyOnce: 30 days after its deletion, to the second, an
// issue is purged by the system actor, once, by two instances racing.
func TestAutoPurgeExactlyOnce(t *testing.T) {
	forEachPlanningStore(t, func(t *testing.T, s *models.Store, open func() *models.Store) {
		var now atomic.Int64
		now.Store(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).UnixNano())
		clock := func() time.Time { return time.Unix(0, now.Load()).UTC() }
		advance := func(d time.Duration) { now.Add(int64(d)) }
		s2 := open()
		models.SetClock(s, clock)
		models.SetClock(s2, clock)
		f := newFixture(t, s)
		ctx := t.Context()
		a := f.issue("Expiring-title", "")
		if _, err := s.DeleteIssue(ctx, f.editor, f.p.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		advance(24 * time.Hour)
		b := f.issue("Younger", "")
		if _, err := s.DeleteIssue(ctx, f.editor, f.p.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		advance(models.TrashRetention - 24*time.Hour - time.Second)
		if evs, err := s.PurgeExpired(ctx); err != nil || len(evs) != 0 {
			t.Fatalf("a second before 30 days: %v, %v", evs, err)
		}
		advance(time.Second)
		seq := f.seq()
		var wg sync.WaitGroup
		var mu sync.Mutex
		var all []models.Event
		for _, st := range []*models.Store{s, s2, s, s2} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				evs, err := st.PurgeExpired(ctx)
				if err != nil {
					t.Errorf("purge expired: %v", err)
				}
				mu.Lock()
				all = append(all, evs...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		if len(all) != 1 || f.seq() != seq+1 {
			t.Fatalf("%d purge events (seq %d -> %d), want exactly 1", len(all), seq, f.seq())
		}
		var purged models.TrashPurged
		if err := json.Unmarshal(all[0].Data, &purged); err != nil ||
			!slices.Equal(purged.Issues, []models.PurgedIssue{{ID: a.ID, Key: a.Key}}) ||
			all[0].Actor != (models.Actor{ID: models.SystemActorID, Name: models.SystemActorName}) {
			t.Fatalf("purge event %+v %s", all[0], all[0].Data)
		}
		if eventsWith(t, s, "Expiring-title") != 0 || eventsWith(t, s, "Younger") == 0 {
			t.Fatal("the expired issue's text is in the log, or the younger one's is not")
		}
		page, err := s.ListTrash(ctx, f.owner.ID, f.p.ID, "", 0)
		if err != nil || len(page.Items) != 1 || page.Items[0].ID != b.ID {
			t.Fatalf("trash after the purge: %+v, %v", page.Items, err)
		}
		if evs, err := s2.PurgeExpired(ctx); err != nil || len(evs) != 0 {
			t.Fatalf("again: %v, %v", evs, err)
		}
	})
}
