package models_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// The store suite: every test runs on a fresh SQLite file and, when
// TEST_DATABASE_URL is set, on PostgreSQL in a fresh schema. Without it the
// PostgreSQL run is skipped with a message, except under CI=true.

func eachBackend(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, url string) {
		s, err := models.Open(ctx, url, models.Options{})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		fn(t, s)
	})
}

// world is a project with an owner, an editor, a viewer and an outsider.
type world struct {
	t                               *testing.T
	s                               *models.Store
	owner, editor, viewer, outsider models.User
	p                               models.Project
}

var ctx = context.Background()

func newWorld(t *testing.T, s *models.Store) *world {
	t.Helper()
	w := &world{t: t, s: s}
	mk := func(name string) models.User {
		u, err := s.CreateUser(ctx, name+"@example.com", strings.ToUpper(name[:1])+name[1:], "hash")
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	w.owner, w.editor, w.viewer, w.outsider = mk("owner"), mk("editor"), mk("viewer"), mk("outsider")
	var err error
	if w.p, err = s.CreateProject(ctx, w.owner, models.ProjectInput{Name: "Corkboard"}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		u models.User
		r models.Role
	}{{w.editor, models.RoleEditor}, {w.viewer, models.RoleViewer}} {
		if _, _, err := s.AddMember(ctx, w.owner, w.p.ID, m.u.Email, m.r); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func (w *world) issue(title, status string) models.Issue {
	w.t.Helper()
	is, _, err := w.s.CreateIssue(ctx, w.editor, w.p.ID, models.IssueInput{Title: title, Status: status})
	if err != nil {
		w.t.Fatal(err)
	}
	return is
}

func (w *world) seq() int64 {
	w.t.Helper()
	p, err := w.s.GetProject(ctx, w.owner.ID, w.p.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	return p.Seq
}

func (w *world) events(since int64) []models.Event {
	w.t.Helper()
	page, err := w.s.EventsSince(ctx, w.viewer.ID, w.p.ID, since, 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	return page.Items
}

// order returns the ids of a column's issues in board order.
func (w *world) order(status string) []string {
	w.t.Helper()
	_, issues, err := w.s.Board(ctx, w.viewer.ID, w.p.ID)
	if err != nil {
		w.t.Fatal(err)
	}
	out := []string{}
	for _, is := range issues {
		if is.Status == status {
			out = append(out, is.ID)
		}
	}
	return out
}

func isField(err error, field string) bool {
	var ve *models.ValidationError
	return errors.As(err, &ve) && len(ve.Fields) > 0 && ve.Fields[0].Field == field
}

func TestStoreUsersAndSessions(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *models.Store) {
		u, err := s.CreateUser(ctx, " Alice@Example.COM ", "Alice", "h1")
		if err != nil || u.Email != "alice@example.com" {
			t.Fatalf("create: %+v %v", u, err)
		}
		if _, err := s.CreateUser(ctx, "ALICE@example.com", "A2", "h"); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("duplicate email: %v", err)
		}
		got, hash, err := s.Credentials(ctx, "alice@EXAMPLE.com")
		if err != nil || got.ID != u.ID || hash != "h1" {
			t.Fatalf("credentials: %+v %q %v", got, hash, err)
		}
		if _, _, err := s.Credentials(ctx, "nobody@example.com"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown email: %v", err)
		}
		keep, _ := s.CreateSession(ctx, u.ID, "ua", "1.2.3.4", time.Hour)
		other, _ := s.CreateSession(ctx, u.ID, "ua2", "5.6.7.8", time.Hour)
		expired, _ := s.CreateSession(ctx, u.ID, "old", "", -time.Minute)
		if _, su, err := s.SessionUser(ctx, keep.ID); err != nil || su.ID != u.ID {
			t.Fatalf("session user: %v", err)
		}
		if _, _, err := s.SessionUser(ctx, expired.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("expired session still works: %v", err)
		}
		if list, _ := s.Sessions(ctx, u.ID); len(list) != 2 {
			t.Fatalf("sessions listed: %d", len(list))
		}
		bob, _ := s.CreateUser(ctx, "bob@example.com", "Bob", "h")
		if err := s.DeleteSession(ctx, bob.ID, other.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("another user deleted a session: %v", err)
		}
		if err := s.SetPassword(ctx, u.ID, "h2", keep.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUser(ctx, other.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("password change kept another session: %v", err)
		}
		if _, _, err := s.SessionUser(ctx, keep.ID); err != nil {
			t.Fatalf("password change ended the current session: %v", err)
		}
		if h, _ := s.PasswordHash(ctx, u.ID); h != "h2" {
			t.Fatalf("hash %q", h)
		}
	})
}

func TestStoreProjectsAndMembers(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *models.Store) {
		w := newWorld(t, s)
		if w.p.Role != models.RoleOwner || w.p.Key != "CORK" || len(w.p.Columns) != 3 ||
			w.p.Columns[0].Key != "open" || w.p.Columns[1].Key != "in_progress" || w.p.Columns[2].Key != "done" {
			t.Fatalf("new project %+v", w.p)
		}
		for _, id := range []string{w.p.ID, "not-a-uuid", "00000000-0000-0000-0000-000000000000"} {
			if _, err := s.GetProject(ctx, w.outsider.ID, id); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("outsider GetProject(%s): %v", id, err)
			}
		}
		if ps, _ := s.ListProjects(ctx, w.outsider.ID); len(ps) != 0 {
			t.Fatalf("outsider lists %d projects", len(ps))
		}
		if ps, _ := s.ListProjects(ctx, w.viewer.ID); len(ps) != 1 || ps[0].Role != models.RoleViewer {
			t.Fatalf("viewer lists %+v", ps)
		}
		name := "Renamed"
		if _, _, err := s.UpdateProject(ctx, w.editor, w.p.ID, models.ProjectPatch{Name: &name}); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("editor renamed: %v", err)
		}
		if _, _, err := s.AddMember(ctx, w.viewer, w.p.ID, w.outsider.Email, models.RoleViewer); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("viewer added a member: %v", err)
		}
		if _, _, err := s.AddMember(ctx, w.owner, w.p.ID, w.viewer.Email, models.RoleViewer); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("duplicate member: %v", err)
		}
		if _, _, err := s.AddMember(ctx, w.owner, w.p.ID, "ghost@example.com", models.RoleViewer); !isField(err, "email") {
			t.Fatalf("unknown email: %v", err)
		}
		if _, _, err := s.UpdateMember(ctx, w.owner, w.p.ID, w.owner.ID, models.RoleEditor); !isField(err, "role") {
			t.Fatalf("last owner demoted: %v", err)
		}
		if _, _, err := s.RemoveMember(ctx, w.owner, w.p.ID, w.owner.ID); !isField(err, "role") {
			t.Fatalf("last owner left: %v", err)
		}
		if _, _, err := s.RemoveMember(ctx, w.viewer, w.p.ID, w.viewer.ID); err != nil {
			t.Fatalf("viewer could not leave: %v", err)
		}
		if _, err := s.GetProject(ctx, w.viewer.ID, w.p.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("left member still sees the project: %v", err)
		}
		w.issue("one", "")
		if _, err := s.DeleteProject(ctx, w.editor, w.p.ID); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("editor deleted the project: %v", err)
		}
		if _, err := s.DeleteProject(ctx, w.owner, w.p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EventsSince(ctx, w.owner.ID, w.p.ID, 0, 10); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("events survive the project: %v", err)
		}
		for name, want := range map[string]string{"Corkboard": "CORK", "Web App Redesign": "WAR", "x": "XP", "42 things": "TP", "Über": "BER"} {
			if got := models.DeriveKey(name); got != want {
				t.Errorf("DeriveKey(%q) = %q, want %q", name, got, want)
			}
		}
	})
}

func TestStoreColumns(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *models.Store) {
		w := newWorld(t, s)
		three := 3
		if _, _, err := s.AddColumn(ctx, w.owner, w.p.ID, models.ColumnInput{Name: "Code review", WIPLimit: &three}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.AddColumn(ctx, w.owner, w.p.ID, models.ColumnInput{Name: "Again", Key: "code_review"}); !isField(err, "key") {
			t.Fatalf("duplicate key: %v", err)
		}
		out, _, err := s.UpdateColumn(ctx, w.owner, w.p.ID, "code_review", models.ColumnPatch{WIPLimit: models.Null[int]()})
		if err != nil || out.Column.WIPLimit != nil {
			t.Fatalf("clear WIP: %+v %v", out, err)
		}
		if _, _, err := s.ReorderColumns(ctx, w.owner, w.p.ID, []string{"done", "open"}); !isField(err, "keys") {
			t.Fatalf("partial reorder: %v", err)
		}
		out, _, err = s.ReorderColumns(ctx, w.owner, w.p.ID, []string{"code_review", "done", "in_progress", "open"})
		if err != nil || out.Columns[0].Key != "code_review" || out.Columns[3].Key != "open" {
			t.Fatalf("reorder: %+v %v", out.Columns, err)
		}
		w.issue("busy", "done")
		if _, _, err := s.DeleteColumn(ctx, w.owner, w.p.ID, "done"); !isField(err, "key") {
			t.Fatalf("deleted a non-empty column: %v", err)
		}
		for _, k := range []string{"code_review", "in_progress", "open"} {
			if _, _, err := s.DeleteColumn(ctx, w.owner, w.p.ID, k); err != nil {
				t.Fatalf("delete %s: %v", k, err)
			}
		}
		if _, _, err := s.UpdateColumn(ctx, w.owner, w.p.ID, "nope", models.ColumnPatch{}); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("update unknown column: %v", err)
		}
	})
}

// TestStoreRejectedChangesChangeNothing: each invalid write returns its
// field error and leaves the issues and the project's seq as they were.
func TestStoreRejectedChangesChangeNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *models.Store) {
		w := newWorld(t, s)
		is := w.issue("keep me", "open")
		other := w.issue("other", "done")
		bad := func(d string) *string { return &d }
		long := strings.Repeat("é", 201)
		cases := []struct {
			name  string
			field string
			do    func() error
		}{
			{"empty title", "title", func() error { _, _, e := s.CreateIssue(ctx, w.editor, w.p.ID, models.IssueInput{Title: " "}); return e }},
			{"long title", "title", func() error {
				_, _, e := s.CreateIssue(ctx, w.editor, w.p.ID, models.IssueInput{Title: long})
				return e
			}},
			{"priority", "priority", func() error {
				_, _, e := s.CreateIssue(ctx, w.editor, w.p.ID, models.IssueInput{Title: "a", Priority: "meh"})
				return e
			}},
			{"status", "status", func() error {
				_, _, e := s.CreateIssue(ctx, w.editor, w.p.ID, models.IssueInput{Title: "a", Status: "nope"})
				return e
			}},
			{"assignee", "assignee_id", func() error {
				_, _, e := s.CreateIssue(ctx, w.editor, w.p.ID, models.IssueInput{Title: "a", AssigneeID: &w.outsider.ID})
				return e
			}},
			{"due date", "due_date", func() error {
				_, _, e := s.CreateIssue(ctx, w.editor, w.p.ID, models.IssueInput{Title: "a", DueDate: bad("2026-13-01")})
				return e
			}},
			{"labels", "labels", func() error {
				_, _, e := s.CreateIssue(ctx, w.editor, w.p.ID, models.IssueInput{Title: "a", Labels: manyLabels(21)})
				return e
			}},
			{"move to other column's neighbour", "after_id", func() error {
				_, _, e := s.MoveIssue(ctx, w.editor, w.p.ID, is.ID, models.MoveInput{Status: "open", AfterID: &other.ID})
				return e
			}},
			{"move after itself", "after_id", func() error {
				_, _, e := s.MoveIssue(ctx, w.editor, w.p.ID, is.ID, models.MoveInput{Status: "open", AfterID: &is.ID})
				return e
			}},
			{"patch without version", "version", func() error {
				_, _, e := s.UpdateIssue(ctx, w.editor, w.p.ID, is.ID, models.IssuePatch{Title: bad("x")})
				return e
			}},
		}
		for _, c := range cases {
			before := w.seq()
			if err := c.do(); !isField(err, c.field) {
				t.Errorf("%s: %v, want a field error on %s", c.name, err, c.field)
			}
			if after := w.seq(); after != before {
				t.Errorf("%s: seq %d -> %d", c.name, before, after)
			}
		}
		before := w.seq()
		_, _, err := s.UpdateIssue(ctx, w.editor, w.p.ID, is.ID, models.IssuePatch{Title: bad("new"), Version: 7})
		var stale *models.StaleError
		if !errors.As(err, &stale) || stale.Current.ID != is.ID || stale.Current.Version != 1 {
			t.Fatalf("stale: %v", err)
		}
		for name, err := range map[string]error{
			"viewer create": func() error { _, _, e := s.CreateIssue(ctx, w.viewer, w.p.ID, models.IssueInput{Title: "a"}); return e }(),
			"viewer move": func() error {
				_, _, e := s.MoveIssue(ctx, w.viewer, w.p.ID, is.ID, models.MoveInput{Status: "done"})
				return e
			}(),
			"viewer delete": func() error { _, e := s.DeleteIssue(ctx, w.viewer, w.p.ID, is.ID); return e }(),
		} {
			if !errors.Is(err, models.ErrForbidden) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, _, err := s.MoveIssue(ctx, w.outsider, w.p.ID, is.ID, models.MoveInput{Status: "done"}); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("outsider move: %v", err)
		}
		if w.seq() != before {
			t.Fatalf("refused changes advanced seq")
		}
		now, _ := s.GetIssue(ctx, w.viewer.ID, w.p.ID, is.ID)
		if now.Version != 1 || now.Title != "keep me" || now.Status != "open" {
			t.Fatalf("issue changed: %+v", now)
		}
	})
}

// TestStoreMovesAndEvents: ordering with after/before, one row written per
// move, and one event per change with a gap-free seq and the right payload.
func TestStoreMovesAndEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *models.Store) {
		w := newWorld(t, s)
		start := w.seq() // the two member.added events
		if start != 2 {
			t.Fatalf("seq after setup %d, want 2", start)
		}
		ids := []string{}
		for i := 0; i < 4; i++ {
			ids = append(ids, w.issue(fmt.Sprintf("I%d", i), "open").ID)
		}
		a, b, c, d := ids[0], ids[1], ids[2], ids[3]
		move := func(id, status string, after, before *string) {
			t.Helper()
			if _, _, err := s.MoveIssue(ctx, w.editor, w.p.ID, id, models.MoveInput{Status: status, AfterID: after, BeforeID: before}); err != nil {
				t.Fatal(err)
			}
		}
		want := func(status string, ids ...string) {
			t.Helper()
			if got := w.order(status); strings.Join(got, ",") != strings.Join(ids, ",") {
				t.Fatalf("%s: %v, want %v", status, got, ids)
			}
		}
		want("open", a, b, c, d)
		move(d, "open", nil, &a)
		want("open", d, a, b, c)
		move(a, "open", &b, &c)
		want("open", d, b, a, c)
		move(b, "done", nil, nil)
		want("open", d, a, c)
		want("done", b)
		_, before, _ := s.Board(ctx, w.viewer.ID, w.p.ID)
		move(c, "open", &d, nil)
		_, after, _ := s.Board(ctx, w.viewer.ID, w.p.ID)
		changed := 0
		for _, x := range after {
			for _, y := range before {
				if x.ID == y.ID && (x.Version != y.Version || x.Rank != y.Rank) {
					changed++
					if x.ID != c {
						t.Errorf("moving %s rewrote %s", c, x.ID)
					}
				}
			}
		}
		if changed != 1 {
			t.Fatalf("%d rows changed by one move", changed)
		}
		title := "renamed"
		if _, _, err := s.UpdateIssue(ctx, w.editor, w.p.ID, a, models.IssuePatch{Title: &title, Version: 2}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DeleteIssue(ctx, w.editor, w.p.ID, d); err != nil {
			t.Fatal(err)
		}
		two := 2
		s.AddColumn(ctx, w.owner, w.p.ID, models.ColumnInput{Name: "QA", WIPLimit: &two})
		s.UpdateMember(ctx, w.owner, w.p.ID, w.viewer.ID, models.RoleEditor)
		desc := "d"
		s.UpdateProject(ctx, w.owner, w.p.ID, models.ProjectPatch{Description: &desc})

		evs := w.events(start)
		types := []string{"issue.created", "issue.created", "issue.created", "issue.created", "issue.moved", "issue.moved",
			"issue.moved", "issue.moved", "issue.updated", "issue.deleted", "column.created", "member.updated", "project.updated"}
		if len(evs) != len(types) {
			t.Fatalf("%d events, want %d", len(evs), len(types))
		}
		for i, ev := range evs {
			if ev.Seq != start+int64(i)+1 || ev.Type != types[i] || ev.ProjectID != w.p.ID || ev.Actor.ID == "" {
				t.Fatalf("event %d: %+v", i, ev)
			}
			if strings.HasPrefix(ev.Type, "issue.") {
				var is models.Issue
				if err := json.Unmarshal(ev.Data, &is); err != nil || is.ID == "" || is.ProjectID != w.p.ID {
					t.Fatalf("event %d payload %s", i, ev.Data)
				}
			}
		}
		if w.seq() != evs[len(evs)-1].Seq {
			t.Fatalf("project seq %d, last event %d", w.seq(), evs[len(evs)-1].Seq)
		}
		page, _ := s.EventsSince(ctx, w.viewer.ID, w.p.ID, start, 5)
		if len(page.Items) != 5 || !page.HasMore || page.Items[0].Seq != start+1 {
			t.Fatalf("paged %+v", page)
		}
	})
}

// TestStoreConcurrentMoves: 8 writers move cards at once. No "database is
// locked", no gap or duplicate in the log, and no two cards of a column
// share a rank.
func TestStoreConcurrentMoves(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *models.Store) {
		w := newWorld(t, s)
		var ids []string
		for i := 0; i < 12; i++ {
			ids = append(ids, w.issue(fmt.Sprintf("c%d", i), "open").ID)
		}
		start := w.seq()
		statuses := []string{"open", "in_progress", "done"}
		var wg sync.WaitGroup
		var moved atomic.Int64
		errs := make(chan error, 8*25)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(seed uint64) {
				defer wg.Done()
				r := rand.New(rand.NewPCG(seed, 9))
				for i := 0; i < 25; i++ {
					in := models.MoveInput{Status: statuses[r.IntN(3)]}
					if r.IntN(2) == 0 {
						n := ids[r.IntN(len(ids))]
						in.AfterID = &n
					}
					_, _, err := s.MoveIssue(ctx, w.editor, w.p.ID, ids[r.IntN(len(ids))], in)
					var ve *models.ValidationError
					switch {
					case err == nil:
						moved.Add(1)
					case errors.As(err, &ve): // the neighbour raced to another column, or is the card itself
					default:
						errs <- err
					}
				}
			}(uint64(g))
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent move failed: %v", err)
		}
		evs := w.events(start)
		if int64(len(evs)) != moved.Load() || w.seq() != start+moved.Load() {
			t.Fatalf("%d events for %d moves (seq %d)", len(evs), moved.Load(), w.seq())
		}
		for i, ev := range evs {
			if ev.Seq != start+int64(i)+1 {
				t.Fatalf("gap or duplicate at %d: seq %d", i, ev.Seq)
			}
		}
		_, board, _ := s.Board(ctx, w.viewer.ID, w.p.ID)
		last := map[string]string{}
		for _, is := range board {
			if prev, ok := last[is.Status]; ok && !(prev < is.Rank) {
				t.Fatalf("column %s: rank %q after %q", is.Status, is.Rank, prev)
			}
			last[is.Status] = is.Rank
		}
		if moved.Load() < 100 {
			t.Fatalf("only %d of 200 moves went through", moved.Load())
		}
	})
}

func TestStoreListFiltersAndCursor(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *models.Store) {
		w := newWorld(t, s)
		for i := 0; i < 9; i++ {
			in := models.IssueInput{Title: fmt.Sprintf("task %d", i)}
			if i%3 == 0 {
				in.AssigneeID, in.Status = &w.viewer.ID, "done"
			}
			if i == 4 {
				in.Title = "50% off_sale"
			}
			if _, _, err := s.CreateIssue(ctx, w.editor, w.p.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[int64]bool{}
		f := models.IssueFilter{Limit: 4}
		for {
			page, err := s.ListIssues(ctx, w.viewer.ID, w.p.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, is := range page.Items {
				if seen[is.Number] {
					t.Fatalf("%s twice", is.Key)
				}
				seen[is.Number] = true
			}
			if page.NextCursor == "" {
				break
			}
			f.Cursor = page.NextCursor
		}
		if len(seen) != 9 {
			t.Fatalf("walked %d issues", len(seen))
		}
		count := func(f models.IssueFilter) int {
			page, err := s.ListIssues(ctx, w.viewer.ID, w.p.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Items)
		}
		for name, c := range map[string]struct {
			f    models.IssueFilter
			want int
		}{
			"status": {models.IssueFilter{Status: "done"}, 3}, "assignee": {models.IssueFilter{AssigneeID: w.viewer.ID}, 3},
			"unassigned": {models.IssueFilter{AssigneeID: "none"}, 6}, "text": {models.IssueFilter{Query: "TASK"}, 8},
			"percent literal": {models.IssueFilter{Query: "50%"}, 1}, "underscore literal": {models.IssueFilter{Query: "f_s"}, 1},
			"percent alone": {models.IssueFilter{Query: "%"}, 1},
		} {
			if got := count(c.f); got != c.want {
				t.Errorf("%s: %d, want %d", name, got, c.want)
			}
		}
		if _, err := s.ListIssues(ctx, w.viewer.ID, w.p.ID, models.IssueFilter{Cursor: "garbage"}); !isField(err, "cursor") {
			t.Fatalf("bad cursor: %v", err)
		}
		if _, err := s.ListIssues(ctx, w.outsider.ID, w.p.ID, models.IssueFilter{}); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("outsider list: %v", err)
		}
	})
}

func TestStoreMigrateTwiceIsANoOp(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *models.Store) {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
	})
}

func manyLabels(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("label-%d", i)
	}
	return out
}
