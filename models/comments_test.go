package models_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
)

// comment posts a comment as actor and fails the test on an error.
func (f *fixture) comment(actor models.User, issueID, body string) models.Comment {
	f.t.Helper()
	c, _, err := f.s.CreateComment(f.t.Context(), actor, f.p.ID, issueID, body)
	if err != nil {
		f.t.Fatalf("comment %q: %v", body, err)
	}
	return c
}

// comments lists every comment of an issue, a page of limit at a time.
func (f *fixture) comments(issueID string, limit int) []models.Comment {
	f.t.Helper()
	var out []models.Comment
	cursor := ""
	for range 100 {
		page, err := f.s.ListComments(f.t.Context(), f.viewer.ID, f.p.ID, issueID, cursor, limit)
		if err != nil {
			f.t.Fatalf("list comments: %v", err)
		}
		if len(page.Items) > limit {
			f.t.Fatalf("a page of %d for limit %d", len(page.Items), limit)
		}
		out = append(out, page.Items...)
		if cursor = page.NextCursor; cursor == "" {
			return out
		}
	}
	f.t.Fatal("comment pages never end")
	return nil
}

// commentCounts is an issue's comment_count as GET, the board and the list
// show it.
func (f *fixture) commentCounts(issueID string) [3]int64 {
	f.t.Helper()
	var out [3]int64
	out[0] = f.getIssue(issueID).CommentCount
	for _, is := range f.board() {
		if is.ID == issueID {
			out[1] = is.CommentCount
		}
	}
	page, err := f.s.ListIssues(f.t.Context(), f.owner.ID, f.p.ID, models.IssueFilter{Limit: 200})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, is := range page.Items {
		if is.ID == issueID {
			out[2] = is.CommentCount
		}
	}
	return out
}

// TestCommentLifecycle: an editor comments, the author edits with the
// version (a stale one fails with the comment as it is now), the author or
// an owner deletes; each change is one event with the comment DTO, and the
// issue's comment_count follows in every read.
func TestCommentLifecycle(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		is := f.issue("talk", "")
		start := f.seq()

		c, ev, err := s.CreateComment(ctx, f.editor, f.p.ID, is.ID, "**first**\n\nline")
		if err != nil {
			t.Fatal(err)
		}
		if c.ID == "" || c.IssueID != is.ID || c.Author.ID != f.editor.ID || c.Author.Name != "Editor" || c.Author.Handle != "editor" ||
			c.Body != "**first**\n\nline" || c.Version != 1 || c.CreatedAt.IsZero() || !c.UpdatedAt.Equal(c.CreatedAt) {
			t.Fatalf("created %+v", c)
		}
		if ev.Type != models.EventCommentCreated || ev.Seq != start+1 || ev.Actor.ID != f.editor.ID || !sameJSON(t, ev.Data, c) {
			t.Fatalf("event %+v %s, want comment.created with %+v", ev, ev.Data, c)
		}
		if got := f.commentCounts(is.ID); got != [3]int64{1, 1, 1} {
			t.Fatalf("comment_count in get/board/list %v, want 1", got)
		}
		if got := f.comments(is.ID, 50); len(got) != 1 || !sameJSON(t, got[0], c) {
			t.Fatalf("listed %+v, want %+v", got, c)
		}

		// Edits: the author only, with the current version.
		_, _, err = s.UpdateComment(ctx, f.owner, f.p.ID, is.ID, c.ID, models.CommentPatch{Body: "owner's", Version: 1})
		wantErr(t, err, models.ErrForbidden)
		_, _, err = s.UpdateComment(ctx, f.viewer, f.p.ID, is.ID, c.ID, models.CommentPatch{Body: "viewer's", Version: 1})
		wantErr(t, err, models.ErrForbidden)
		_, _, err = s.UpdateComment(ctx, f.outsider, f.p.ID, is.ID, c.ID, models.CommentPatch{Body: "x", Version: 1})
		wantErr(t, err, models.ErrNotFound)
		up, ev, err := s.UpdateComment(ctx, f.editor, f.p.ID, is.ID, c.ID, models.CommentPatch{Body: "edited", Version: 1})
		if err != nil {
			t.Fatal(err)
		}
		if up.Version != 2 || up.Body != "edited" || !up.CreatedAt.Equal(c.CreatedAt) || ev.Type != models.EventCommentUpdated ||
			!sameJSON(t, ev.Data, up) {
			t.Fatalf("updated %+v, event %s %s", up, ev.Type, ev.Data)
		}
		_, _, err = s.UpdateComment(ctx, f.editor, f.p.ID, is.ID, c.ID, models.CommentPatch{Body: "late", Version: 1})
		var stale *models.CommentStaleError
		if !errors.As(err, &stale) || stale.Current.Version != 2 || stale.Current.Body != "edited" {
			t.Fatalf("stale edit: %v", err)
		}

		// Deletes: not by another editor; by an owner, or by the author.
		other := f.comment(f.owner, is.ID, "owner speaks")
		_, err = s.DeleteComment(ctx, f.editor, f.p.ID, is.ID, other.ID)
		wantErr(t, err, models.ErrForbidden)
		_, err = s.DeleteComment(ctx, f.viewer, f.p.ID, is.ID, c.ID)
		wantErr(t, err, models.ErrForbidden)
		if got := f.commentCounts(is.ID); got != [3]int64{2, 2, 2} {
			t.Fatalf("comment_count %v, want 2", got)
		}
		ev, err = s.DeleteComment(ctx, f.owner, f.p.ID, is.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type != models.EventCommentDeleted || !sameJSON(t, ev.Data, map[string]string{"id": c.ID, "issue_id": is.ID}) {
			t.Fatalf("delete event %s %s", ev.Type, ev.Data)
		}
		if _, err := s.DeleteComment(ctx, f.owner, f.p.ID, is.ID, other.ID); err != nil {
			t.Fatalf("owner deletes own comment: %v", err)
		}
		_, err = s.DeleteComment(ctx, f.owner, f.p.ID, is.ID, c.ID)
		wantErr(t, err, models.ErrNotFound)
		if got := f.commentCounts(is.ID); got != [3]int64{0, 0, 0} {
			t.Fatalf("comment_count after deletes %v, want 0", got)
		}
		// Every change was one event, gap-free; refusals wrote nothing.
		types := []string{}
		for _, e := range f.events(start) {
			types = append(types, e.Type)
		}
		want := "comment.created comment.updated comment.created comment.deleted comment.deleted"
		if strings.Join(types, " ") != want {
			t.Fatalf("events %v, want %s", types, want)
		}
	})
}

// TestCommentCountInIssueEvents: an issue event written after comments
// carries the right comment_count, and a move keeps it.
func TestCommentCountInIssueEvents(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		is := f.issue("counted", "")
		f.comment(f.editor, is.ID, "one")
		f.comment(f.owner, is.ID, "two")
		moved, ev, err := s.MoveIssue(t.Context(), f.editor, f.p.ID, is.ID, models.MoveInput{Status: "done"})
		if err != nil {
			t.Fatal(err)
		}
		var data models.Issue
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			t.Fatal(err)
		}
		if moved.CommentCount != 2 || data.CommentCount != 2 {
			t.Fatalf("moved issue comment_count %d, event %d, want 2", moved.CommentCount, data.CommentCount)
		}
		up, ev, err := s.UpdateIssue(t.Context(), f.editor, f.p.ID, is.ID, models.IssuePatch{Title: ptr("renamed"), Version: moved.Version})
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(ev.Data, &data); err != nil {
			t.Fatal(err)
		}
		if up.CommentCount != 2 || data.CommentCount != 2 {
			t.Fatalf("updated issue comment_count %d, event %d, want 2", up.CommentCount, data.CommentCount)
		}
		if fresh := f.issue("fresh", ""); fresh.CommentCount != 0 {
			t.Fatalf("a new issue has comment_count %d", fresh.CommentCount)
		}
	})
}

// TestCommentAccessAndValidation: viewers cannot comment, outsiders and
// unknown or foreign issues are not found, and bad bodies are refused on
// "body" without writing anything.
func TestCommentAccessAndValidation(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		is := f.issue("guarded", "")
		other := newProject(t, s, f.owner, "Elsewhere")
		foreign := newIssue(t, s, f.owner, other.ID, models.IssueInput{Title: "theirs"})
		start := f.seq()

		_, _, err := s.CreateComment(ctx, f.viewer, f.p.ID, is.ID, "hi")
		wantErr(t, err, models.ErrForbidden)
		_, _, err = s.CreateComment(ctx, f.outsider, f.p.ID, is.ID, "hi")
		wantErr(t, err, models.ErrNotFound)
		for _, id := range []string{foreign.ID, "00000000-0000-0000-0000-000000000000", "not-a-uuid"} {
			_, _, err = s.CreateComment(ctx, f.editor, f.p.ID, id, "hi")
			wantErr(t, err, models.ErrNotFound)
			_, err = s.ListComments(ctx, f.editor.ID, f.p.ID, id, "", 10)
			wantErr(t, err, models.ErrNotFound)
		}
		_, err = s.ListComments(ctx, f.outsider.ID, f.p.ID, is.ID, "", 10)
		wantErr(t, err, models.ErrNotFound)

		for name, body := range map[string]string{
			"empty": "", "blank": " \n\t ", "too long": strings.Repeat("é", 20001), "NUL": "a\x00b",
			"control": "a\x01b", "escape": "a\x1b[31mb", "DEL": "a\x7fb", "not UTF-8": "a\xffb",
		} {
			_, _, err := s.CreateComment(ctx, f.editor, f.p.ID, is.ID, body)
			if fields := invalidFields(err); len(fields) != 1 || fields[0] != "body" {
				t.Errorf("%s body: %v, want invalid body", name, err)
			}
		}
		if seq := f.seq(); seq != start {
			t.Fatalf("refused comments changed the project: seq %d -> %d", start, seq)
		}
		// The longest body, and tabs, newlines and carriage returns, are fine.
		f.comment(f.editor, is.ID, strings.Repeat("é", 20000))
		c := f.comment(f.editor, is.ID, "a\tb\r\nc")
		_, _, err = s.UpdateComment(ctx, f.editor, f.p.ID, is.ID, c.ID, models.CommentPatch{Body: "", Version: 1})
		wantInvalid(t, err, "body")
		_, _, err = s.UpdateComment(ctx, f.editor, f.p.ID, is.ID, c.ID, models.CommentPatch{Body: "x"})
		wantInvalid(t, err, "version")
		// A comment is addressed through its own issue only.
		second := f.issue("second", "")
		_, _, err = s.UpdateComment(ctx, f.editor, f.p.ID, second.ID, c.ID, models.CommentPatch{Body: "moved?", Version: 1})
		wantErr(t, err, models.ErrNotFound)
		_, err = s.DeleteComment(ctx, f.editor, f.p.ID, second.ID, c.ID)
		wantErr(t, err, models.ErrNotFound)
		_, err = s.DeleteComment(ctx, f.editor, other.ID, is.ID, c.ID)
		wantErr(t, err, models.ErrNotFound)
	})
}

// TestCommentPages: oldest first, every comment exactly once across pages,
// also when comments share a timestamp; a cursor not given out is refused.
func TestCommentPages(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		is := f.issue("long thread", "")
		var want []string
		for i := range 7 {
			if i == 3 {
				// The same instant for the rest (later than the first
				// ones): the id orders them.
				at := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
				models.SetClock(s, func() time.Time { return at })
			}
			want = append(want, f.comment(f.editor, is.ID, "c"+string(rune('0'+i))).ID)
		}
		for _, limit := range []int{1, 2, 3, 7, 50} {
			got := []string{}
			for _, c := range f.comments(is.ID, limit) {
				got = append(got, c.ID)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("limit %d: %v, want %v", limit, got, want)
			}
		}
		for _, bad := range []string{"!!", "bm90IGEgY3Vyc29y", "Yzpub3QtYS11dWlk"} {
			_, err := s.ListComments(t.Context(), f.owner.ID, f.p.ID, is.ID, bad, 10)
			wantInvalid(t, err, "cursor")
		}
	})
}

// TestDeletingAnIssueDeletesItsComments: its comments wait in the trash
// with it and go when it is purged; other issues keep theirs.
func TestDeletingAnIssueDeletesItsComments(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		gone, kept := f.issue("gone", ""), f.issue("kept", "")
		f.comment(f.editor, gone.ID, "a")
		f.comment(f.owner, gone.ID, "b")
		k := f.comment(f.editor, kept.ID, "stays")
		if _, err := s.DeleteIssue(t.Context(), f.editor, f.p.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		if n, _ := models.CountProjectRows(t.Context(), s, "comments", f.p.ID); n != 3 {
			t.Fatalf("%d comments in the project with one issue in the trash, want 3", n)
		}
		if _, err := s.PurgeTrash(t.Context(), f.owner, f.p.ID, gone.ID); err != nil {
			t.Fatal(err)
		}
		n, err := models.CountProjectRows(t.Context(), s, "comments", f.p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%d comments left in the project, want 1 (the kept issue's)", n)
		}
		if got := f.comments(kept.ID, 10); len(got) != 1 || got[0].ID != k.ID {
			t.Fatalf("kept issue's comments %+v", got)
		}
	})
}

// TestGetComment: one comment for any member, as the list has it; 404 for
// an outsider, another issue, or an id that is not one.
func TestGetComment(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		is, other := f.issue("talk", ""), f.issue("elsewhere", "")
		c := f.comment(f.editor, is.ID, "hello")
		got, err := s.GetComment(ctx, f.viewer.ID, f.p.ID, is.ID, c.ID)
		if err != nil || !sameJSON(t, got, c) {
			t.Fatalf("get %+v %v, want %+v", got, err, c)
		}
		_, err = s.GetComment(ctx, f.outsider.ID, f.p.ID, is.ID, c.ID)
		wantErr(t, err, models.ErrNotFound)
		_, err = s.GetComment(ctx, f.viewer.ID, f.p.ID, other.ID, c.ID)
		wantErr(t, err, models.ErrNotFound)
		_, err = s.GetComment(ctx, f.viewer.ID, f.p.ID, is.ID, "nope")
		wantErr(t, err, models.ErrNotFound)
	})
}
