package models_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/models"
)

func TestCreateIssue(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		a, b, c := f.issue("first", ""), f.issue("second", ""), f.issue("third", "done")
		for i, is := range []models.Issue{a, b, c} {
			if want := int64(i + 1); is.Number != want || is.Key != fmt.Sprintf("CORK-%d", want) {
				t.Errorf("issue %d numbered %d, key %s", i, is.Number, is.Key)
			}
		}
		if a.ID == "" || a.ProjectID != f.p.ID || a.Status != "open" || a.Priority != "medium" || a.Version != 1 ||
			a.Rank == "" || a.AssigneeID != nil || a.AuthorID == nil || *a.AuthorID != f.editor.ID ||
			a.Labels == nil || len(a.Labels) != 0 || a.Effort != nil || a.DueDate != nil {
			t.Fatalf("defaults: %+v", a)
		}
		if got, want := f.order("open"), []string{a.ID, b.ID}; !reflect.DeepEqual(got, want) {
			t.Fatalf("open column %v, want %v (new issues go to the bottom)", got, want)
		}

		full := newIssue(t, s, f.owner, f.p.ID, models.IssueInput{
			Title: "  Full  ", Description: "**md**", Status: "in_progress", Priority: "urgent",
			AssigneeID: &f.viewer.ID, Labels: []string{" bug ", "Bug", "ui"}, Effort: ptr(5), DueDate: ptr("2026-12-31")})
		got := f.getIssue(full.ID)
		for _, is := range []models.Issue{full, got} {
			if is.Number != 4 || is.Title != "Full" || is.Description != "**md**" || is.Status != "in_progress" ||
				is.Priority != "urgent" || *is.AssigneeID != f.viewer.ID || !reflect.DeepEqual(is.Labels, []string{"bug", "ui"}) ||
				*is.Effort != 5 || *is.DueDate != "2026-12-31" || is.Rank != full.Rank || is.Version != 1 {
				t.Fatalf("full issue %+v", is)
			}
		}

		// Numbers are per project and never reused.
		other := newProject(t, s, f.owner, "Other")
		if is := newIssue(t, s, f.owner, other.ID, models.IssueInput{Title: "x"}); is.Number != 1 || is.Key != "OTHE-1" {
			t.Fatalf("first issue of another project: %d %s", is.Number, is.Key)
		}
		if _, err := s.DeleteIssue(ctx, f.editor, f.p.ID, full.ID); err != nil {
			t.Fatal(err)
		}
		if is := f.issue(strings.Repeat("é", 200), ""); is.Number != 5 {
			t.Fatalf("after deleting #4 the next issue is #%d, want #5", is.Number)
		}
	})
}

// TestIssueValidation: every invalid create or update answers a
// *ValidationError on the right field and changes nothing.
func TestIssueValidation(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		is := f.issue("keep me", "open")
		create := func(in models.IssueInput) func() error {
			return func() error { _, _, err := s.CreateIssue(ctx, f.editor, f.p.ID, in); return err }
		}
		update := func(p models.IssuePatch) func() error {
			return func() error { _, _, err := s.UpdateIssue(ctx, f.editor, f.p.ID, is.ID, p); return err }
		}
		cases := []struct {
			name  string
			field string
			do    func() error
		}{
			{"create: empty title", "title", create(models.IssueInput{})},
			{"create: blank title", "title", create(models.IssueInput{Title: "   "})},
			{"create: 201-char title", "title", create(models.IssueInput{Title: strings.Repeat("é", 201)})},
			{"create: control character in title", "title", create(models.IssueInput{Title: "a\nb"})},
			{"create: bad priority", "priority", create(models.IssueInput{Title: "a", Priority: "meh"})},
			{"create: unknown status", "status", create(models.IssueInput{Title: "a", Status: "nope"})},
			{"create: assignee not a member", "assignee_id", create(models.IssueInput{Title: "a", AssigneeID: &f.outsider.ID})},
			{"create: malformed assignee", "assignee_id", create(models.IssueInput{Title: "a", AssigneeID: ptr("bob")})},
			{"create: impossible due date", "due_date", create(models.IssueInput{Title: "a", DueDate: ptr("2026-02-30")})},
			{"create: due date format", "due_date", create(models.IssueInput{Title: "a", DueDate: ptr("31/12/2026")})},
			{"create: too many labels", "labels", create(models.IssueInput{Title: "a", Labels: manyLabels(21)})},
			{"create: empty label", "labels", create(models.IssueInput{Title: "a", Labels: []string{"ok", " "}})},
			{"create: long label", "labels", create(models.IssueInput{Title: "a", Labels: []string{strings.Repeat("l", 41)}})},
			{"create: negative effort", "effort", create(models.IssueInput{Title: "a", Effort: ptr(-1)})},
			{"create: long description", "description", create(models.IssueInput{Title: "a", Description: strings.Repeat("d", 20001)})},
			{"update: no version", "version", update(models.IssuePatch{Title: ptr("x")})},
			{"update: empty title", "title", update(models.IssuePatch{Title: ptr(""), Version: 1})},
			{"update: 201-char title", "title", update(models.IssuePatch{Title: ptr(strings.Repeat("t", 201)), Version: 1})},
			{"update: bad priority", "priority", update(models.IssuePatch{Priority: ptr("p0"), Version: 1})},
			{"update: unknown status", "status", update(models.IssuePatch{Status: ptr("nope"), Version: 1})},
			{"update: assignee not a member", "assignee_id", update(models.IssuePatch{AssigneeID: models.Some(f.outsider.ID), Version: 1})},
			{"update: bad due date", "due_date", update(models.IssuePatch{DueDate: models.Some("tomorrow"), Version: 1})},
			{"update: too many labels", "labels", update(models.IssuePatch{Labels: ptr(manyLabels(21)), Version: 1})},
			{"update: effort too big", "effort", update(models.IssuePatch{Effort: models.Some(1001), Version: 1})},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				seq, count, before := f.seq(), len(f.board()), f.getIssue(is.ID)
				wantInvalid(t, c.do(), c.field)
				if got := f.seq(); got != seq {
					t.Errorf("seq %d -> %d", seq, got)
				}
				if got := len(f.board()); got != count {
					t.Errorf("issue count %d -> %d", count, got)
				}
				if after := f.getIssue(is.ID); !sameJSON(t, before, after) {
					t.Errorf("issue changed:\n%+v\n%+v", before, after)
				}
			})
		}
	})
}

func TestUpdateIssue(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		is := f.issue("draft", "open")
		d := f.issue("already done", "done")

		up, _, err := s.UpdateIssue(ctx, f.editor, f.p.ID, is.ID, models.IssuePatch{Version: 1,
			Title: ptr(" final "), Priority: ptr("high"), AssigneeID: models.Some(f.viewer.ID),
			Labels: &[]string{"a"}, Effort: models.Some(3), DueDate: models.Some("2026-01-02")})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range []models.Issue{up, f.getIssue(is.ID)} {
			if x.Version != 2 || x.Title != "final" || x.Priority != "high" || *x.AssigneeID != f.viewer.ID ||
				!reflect.DeepEqual(x.Labels, []string{"a"}) || *x.Effort != 3 || *x.DueDate != "2026-01-02" ||
				x.Status != "open" || x.Rank != is.Rank || x.Number != is.Number {
				t.Fatalf("after update: %+v", x)
			}
		}

		// Null clears; absent fields stay.
		up, _, err = s.UpdateIssue(ctx, f.owner, f.p.ID, is.ID, models.IssuePatch{Version: 2,
			AssigneeID: models.Null[string](), Effort: models.Null[int](), DueDate: models.Null[string]()})
		if err != nil || up.Version != 3 || up.AssigneeID != nil || up.Effort != nil || up.DueDate != nil ||
			up.Title != "final" || up.Priority != "high" {
			t.Fatalf("clearing: %+v, %v", up, err)
		}

		// A new status puts the issue at the bottom of that column.
		up, _, err = s.UpdateIssue(ctx, f.editor, f.p.ID, is.ID, models.IssuePatch{Version: 3, Status: ptr("done")})
		if err != nil || up.Version != 4 || up.Status != "done" {
			t.Fatalf("status change: %+v, %v", up, err)
		}
		if got, want := f.order("done"), []string{d.ID, is.ID}; !reflect.DeepEqual(got, want) {
			t.Fatalf("done column %v, want %v", got, want)
		}

		// A stale version answers the issue as it is now, and changes nothing.
		seq := f.seq()
		_, _, err = s.UpdateIssue(ctx, f.editor, f.p.ID, is.ID, models.IssuePatch{Version: 3, Title: ptr("lost update")})
		var stale *models.StaleError
		if !errors.As(err, &stale) {
			t.Fatalf("stale update: %v, want *models.StaleError", err)
		}
		current := f.getIssue(is.ID)
		if !sameJSON(t, stale.Current, current) || current.Version != 4 || current.Title != "final" {
			t.Fatalf("StaleError.Current = %+v\nwant %+v", stale.Current, current)
		}
		if f.seq() != seq {
			t.Fatalf("a stale update moved seq %d -> %d", seq, f.seq())
		}
	})
}

func TestIssuePermissions(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		is := f.issue("guarded", "open")
		other := newProject(t, s, f.owner, "Other")
		foreign := newIssue(t, s, f.owner, other.ID, models.IssueInput{Title: "elsewhere"})

		type op func(u models.User, issueID string) error
		ops := map[string]op{
			"create": func(u models.User, _ string) error {
				_, _, err := s.CreateIssue(ctx, u, f.p.ID, models.IssueInput{Title: "x"})
				return err
			},
			"update": func(u models.User, id string) error {
				_, _, err := s.UpdateIssue(ctx, u, f.p.ID, id, models.IssuePatch{Title: ptr("x"), Version: 1})
				return err
			},
			"move": func(u models.User, id string) error {
				_, _, err := s.MoveIssue(ctx, u, f.p.ID, id, models.MoveInput{Status: "done"})
				return err
			},
			"delete": func(u models.User, id string) error { _, err := s.DeleteIssue(ctx, u, f.p.ID, id); return err },
		}
		seq, before := f.seq(), f.getIssue(is.ID)
		for name, do := range ops {
			wantErr(t, do(f.viewer, is.ID), models.ErrForbidden)
			wantErr(t, do(f.outsider, is.ID), models.ErrNotFound)
			if name == "create" {
				continue
			}
			for _, id := range []string{foreign.ID, "not-a-uuid", "00000000-0000-0000-0000-000000000000"} {
				if err := do(f.editor, id); err != models.ErrNotFound {
					t.Errorf("%s %q: %v, want models.ErrNotFound", name, id, err)
				}
			}
		}
		for _, id := range []string{foreign.ID, "not-a-uuid"} {
			_, err := s.GetIssue(ctx, f.owner.ID, f.p.ID, id)
			wantErr(t, err, models.ErrNotFound)
		}
		if _, err := s.GetIssue(ctx, f.viewer.ID, f.p.ID, is.ID); err != nil {
			t.Fatalf("viewer cannot read: %v", err)
		}
		if f.seq() != seq || len(f.board()) != 1 || !sameJSON(t, before, f.getIssue(is.ID)) {
			t.Fatalf("refused changes changed the project (seq %d -> %d)", seq, f.seq())
		}
		if got, _ := s.GetIssue(ctx, f.owner.ID, other.ID, foreign.ID); got.Version != 1 || got.Status != "open" {
			t.Fatalf("the other project's issue changed: %+v", got)
		}
	})
}

func TestListIssues(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		titles := []string{"task 0", "task 1", "task 2", "task 3", "50% off_sale", "50 percent offXsale",
			"task 6", "task 7", "task 8", "task 9"}
		for i, title := range titles {
			in := models.IssueInput{Title: title}
			if i%3 == 0 {
				in.AssigneeID, in.Status = &f.viewer.ID, "done"
			}
			if i == 7 {
				in.Description = "a NEEDLE in the text"
			}
			newIssue(t, s, f.editor, f.p.ID, in)
		}

		// walk pages through a filter and returns the numbers seen.
		walk := func(filter models.IssueFilter) []int64 {
			t.Helper()
			var out []int64
			for pages := 0; ; pages++ {
				if pages > len(titles) {
					t.Fatal("cursor does not end")
				}
				page, err := s.ListIssues(ctx, f.viewer.ID, f.p.ID, filter)
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Items) > filter.Limit {
					t.Fatalf("page of %d items, limit %d", len(page.Items), filter.Limit)
				}
				for _, is := range page.Items {
					out = append(out, is.Number)
				}
				if page.NextCursor == "" {
					return out
				}
				filter.Cursor = page.NextCursor
			}
		}
		// Every issue exactly once, newest first, for a limit that divides
		// the count and one that does not.
		for _, limit := range []int{1, 3, 5, 10, 50} {
			got := walk(models.IssueFilter{Limit: limit})
			want := []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("limit %d walked %v, want %v", limit, got, want)
			}
		}
		if got := walk(models.IssueFilter{Status: "done", Limit: 2}); !reflect.DeepEqual(got, []int64{10, 7, 4, 1}) {
			t.Errorf("done, 2 a page: %v", got)
		}

		for _, c := range []struct {
			name string
			f    models.IssueFilter
			want []int64
		}{
			{"status", models.IssueFilter{Status: "done"}, []int64{10, 7, 4, 1}},
			{"status open", models.IssueFilter{Status: "open"}, []int64{9, 8, 6, 5, 3, 2}},
			{"assignee", models.IssueFilter{AssigneeID: f.viewer.ID}, []int64{10, 7, 4, 1}},
			{"unassigned", models.IssueFilter{AssigneeID: "none"}, []int64{9, 8, 6, 5, 3, 2}},
			{"another user", models.IssueFilter{AssigneeID: f.editor.ID}, nil},
			{"text, any case", models.IssueFilter{Query: "TASK"}, []int64{10, 9, 8, 7, 4, 3, 2, 1}},
			{"description", models.IssueFilter{Query: "needle"}, []int64{8}},
			{"percent is literal", models.IssueFilter{Query: "50%"}, []int64{5}},
			{"percent alone", models.IssueFilter{Query: "%"}, []int64{5}},
			{"underscore is literal", models.IssueFilter{Query: "f_s"}, []int64{5}},
			{"backslash", models.IssueFilter{Query: `\`}, nil},
			{"filters combine", models.IssueFilter{Query: "task", Status: "done"}, []int64{10, 7, 4, 1}},
		} {
			page, err := s.ListIssues(ctx, f.viewer.ID, f.p.ID, c.f)
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			var got []int64
			for _, is := range page.Items {
				got = append(got, is.Number)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}
		_, err := s.ListIssues(ctx, f.viewer.ID, f.p.ID, models.IssueFilter{Cursor: "garbage"})
		wantInvalid(t, err, "cursor")
		_, err = s.ListIssues(ctx, f.outsider.ID, f.p.ID, models.IssueFilter{})
		wantErr(t, err, models.ErrNotFound)
	})
}

func manyLabels(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("label-%d", i)
	}
	return out
}
