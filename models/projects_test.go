package models_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/models"
)

func TestCreateProject(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		owner := newUser(t, s, "Owner")
		p := newProject(t, s, owner, "Corkboard")
		want := []models.Column{{Key: "open", Name: "Open", Category: "todo"},
			{Key: "in_progress", Name: "In progress", Category: "started"}, {Key: "done", Name: "Done", Category: "done"}}
		if p.ID == "" || p.Key != "CORK" || p.Name != "Corkboard" || p.Role != models.RoleOwner || p.Seq != 0 ||
			!reflect.DeepEqual(p.Columns, want) {
			t.Fatalf("created %+v", p)
		}
		got, err := s.GetProject(ctx, owner.ID, p.ID)
		if err != nil || got.Key != p.Key || got.Role != models.RoleOwner || !reflect.DeepEqual(got.Columns, want) {
			t.Fatalf("GetProject = %+v, %v", got, err)
		}
		members, err := s.ListMembers(ctx, owner.ID, p.ID)
		if err != nil || len(members) != 1 || members[0].UserID != owner.ID || members[0].Role != models.RoleOwner {
			t.Fatalf("members of a new project: %+v, %v", members, err)
		}
		if page, err := s.EventsSince(ctx, owner.ID, p.ID, 0, 10); err != nil || len(page.Items) != 0 || page.Seq != 0 {
			t.Fatalf("a new project's log: %+v, %v", page, err)
		}

		keyed, err := s.CreateProject(ctx, owner, models.ProjectInput{Name: "Web", Key: " web1 "})
		if err != nil || keyed.Key != "WEB1" {
			t.Fatalf("explicit key: %+v, %v", keyed, err)
		}
		for _, c := range []struct {
			name  string
			in    models.ProjectInput
			field string
		}{
			{"empty name", models.ProjectInput{Name: "  "}, "name"},
			{"long name", models.ProjectInput{Name: strings.Repeat("n", 101)}, "name"},
			{"key starts with a digit", models.ProjectInput{Name: "x", Key: "1AB"}, "key"},
			{"key too long", models.ProjectInput{Name: "x", Key: "ABCDEFGHIJK"}, "key"},
		} {
			_, err := s.CreateProject(ctx, owner, c.in)
			wantInvalid(t, err, c.field)
		}
		if ps, _ := s.ListProjects(ctx, owner.ID); len(ps) != 2 {
			t.Fatalf("refused creations left projects: %d listed, want 2", len(ps))
		}
	})
}

func TestDeriveKey(t *testing.T) {
	for name, want := range map[string]string{
		"Corkboard":               "CORK",
		"Web App Redesign":        "WAR",
		"web-app":                 "WA",
		"api":                     "API",
		"x":                       "XP",
		"":                        "PP",
		"42 things":               "TP",
		"2024":                    "PP",
		"Über":                    "BER",
		"a b c d e f g h i j k l": "ABCDEFGHIJ",
	} {
		if got := models.DeriveKey(name); got != want {
			t.Errorf("DeriveKey(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestListProjects(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		alice, bob, carol := newUser(t, s, "Alice"), newUser(t, s, "Bob"), newUser(t, s, "Carol")
		zeta := newProject(t, s, alice, "Zeta")
		alpha := newProject(t, s, alice, "alpha")
		mid := newProject(t, s, bob, "Mid")
		newProject(t, s, bob, "Bob only")
		addMember(t, s, bob, mid.ID, alice, models.RoleViewer)

		list := func(u models.User) []string {
			t.Helper()
			ps, err := s.ListProjects(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, p := range ps {
				out = append(out, p.Name+":"+string(p.Role))
				if len(p.Columns) != 3 {
					t.Errorf("%s listed with %d columns", p.Name, len(p.Columns))
				}
			}
			return out
		}
		if got, want := list(alice), []string{"alpha:owner", "Mid:viewer", "Zeta:owner"}; !reflect.DeepEqual(got, want) {
			t.Errorf("alice lists %v, want %v", got, want)
		}
		if got, want := list(bob), []string{"Bob only:owner", "Mid:owner"}; !reflect.DeepEqual(got, want) {
			t.Errorf("bob lists %v, want %v", got, want)
		}
		if got := list(carol); len(got) != 0 {
			t.Errorf("carol (no memberships) lists %v", got)
		}
		_, _ = zeta, alpha
	})
}

// TestProjectAccess: a project answers ErrNotFound (never a driver error nor
// ErrForbidden) to a non-member and to a malformed or unknown id, on every
// entry point.
func TestProjectAccess(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		is := f.issue("a card", "")
		seq := f.seq()
		ops := map[string]func(u models.User, pid string) error{
			"GetProject":  func(u models.User, pid string) error { _, err := s.GetProject(ctx, u.ID, pid); return err },
			"Board":       func(u models.User, pid string) error { _, _, err := s.Board(ctx, u.ID, pid); return err },
			"ListMembers": func(u models.User, pid string) error { _, err := s.ListMembers(ctx, u.ID, pid); return err },
			"ListIssues": func(u models.User, pid string) error {
				_, err := s.ListIssues(ctx, u.ID, pid, models.IssueFilter{})
				return err
			},
			"GetIssue":    func(u models.User, pid string) error { _, err := s.GetIssue(ctx, u.ID, pid, is.ID); return err },
			"EventsSince": func(u models.User, pid string) error { _, err := s.EventsSince(ctx, u.ID, pid, 0, 10); return err },
			"CreateIssue": func(u models.User, pid string) error {
				_, _, err := s.CreateIssue(ctx, u, pid, models.IssueInput{Title: "x"})
				return err
			},
			"UpdateIssue": func(u models.User, pid string) error {
				_, _, err := s.UpdateIssue(ctx, u, pid, is.ID, models.IssuePatch{Title: ptr("x"), Version: 1})
				return err
			},
			"MoveIssue": func(u models.User, pid string) error {
				_, _, err := s.MoveIssue(ctx, u, pid, is.ID, models.MoveInput{Status: "done"})
				return err
			},
			"DeleteIssue": func(u models.User, pid string) error { _, err := s.DeleteIssue(ctx, u, pid, is.ID); return err },
			"UpdateProject": func(u models.User, pid string) error {
				_, _, err := s.UpdateProject(ctx, u, pid, models.ProjectPatch{Name: ptr("x")})
				return err
			},
			"DeleteProject": func(u models.User, pid string) error { _, err := s.DeleteProject(ctx, u, pid); return err },
			"AddMember": func(u models.User, pid string) error {
				_, _, err := s.AddMember(ctx, u, pid, f.outsider.Email, models.RoleViewer)
				return err
			},
			"AddColumn": func(u models.User, pid string) error {
				_, _, err := s.AddColumn(ctx, u, pid, models.ColumnInput{Name: "QA"})
				return err
			},
		}
		cases := []struct {
			name  string
			actor models.User
			pid   string
		}{
			{"non-member", f.outsider, f.p.ID},
			{"malformed id", f.owner, "not-a-uuid"},
			{"empty id", f.owner, ""},
			{"quote in id", f.owner, "x'; DROP TABLE projects; --"},
			{"NUL in id", f.owner, "a\x00b"},
			{"unknown id", f.owner, "00000000-0000-0000-0000-000000000000"},
		}
		for _, c := range cases {
			for name, op := range ops {
				if err := op(c.actor, c.pid); err != models.ErrNotFound {
					t.Errorf("%s: %s = %v, want exactly models.ErrNotFound", c.name, name, err)
				}
			}
		}
		if f.seq() != seq || len(f.board()) != 1 {
			t.Fatalf("refused calls changed the project: seq %d -> %d, %d issues", seq, f.seq(), len(f.board()))
		}
	})
}

func TestUpdateProject(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		before := f.seq()
		for _, u := range []models.User{f.editor, f.viewer} {
			_, _, err := s.UpdateProject(ctx, u, f.p.ID, models.ProjectPatch{Name: ptr("Mine now")})
			wantErr(t, err, models.ErrForbidden)
		}
		_, _, err := s.UpdateProject(ctx, f.owner, f.p.ID, models.ProjectPatch{Key: ptr("no spaces")})
		wantInvalid(t, err, "key")
		if f.seq() != before {
			t.Fatalf("refused updates moved seq %d -> %d", before, f.seq())
		}

		p, ev, err := s.UpdateProject(ctx, f.owner, f.p.ID,
			models.ProjectPatch{Name: ptr(" Renamed "), Description: ptr("about"), Key: ptr("ren")})
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Renamed" || p.Description != "about" || p.Key != "REN" || p.Role != models.RoleOwner ||
			p.Seq != before+1 || ev.Seq != before+1 || len(p.Columns) != 3 {
			t.Fatalf("updated %+v (event seq %d), want seq %d", p, ev.Seq, before+1)
		}
		got, err := s.GetProject(ctx, f.viewer.ID, f.p.ID)
		if err != nil || got.Name != "Renamed" || got.Description != "about" || got.Key != "REN" || got.Seq != before+1 ||
			got.Role != models.RoleViewer {
			t.Fatalf("GetProject after update = %+v, %v", got, err)
		}
		// Only the fields given change.
		p, _, err = s.UpdateProject(ctx, f.owner, f.p.ID, models.ProjectPatch{Description: ptr("")})
		if err != nil || p.Name != "Renamed" || p.Key != "REN" || p.Description != "" || p.Seq != before+2 {
			t.Fatalf("partial update = %+v, %v", p, err)
		}
		// Issue keys follow the project key.
		if is := f.issue("x", ""); is.Key != "REN-1" {
			t.Fatalf("issue key after re-key: %s", is.Key)
		}
	})
}

func TestDeleteProject(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		f.issue("a", "open")
		f.issue("b", "done")
		other := newProject(t, s, f.owner, "Other")
		newIssue(t, s, f.owner, other.ID, models.IssueInput{Title: "stays"})
		tables := []string{"issues", "events", "members", "board_columns"}
		count := func(table, pid string) int64 {
			t.Helper()
			n, err := models.CountProjectRows(ctx, s, table, pid)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, table := range tables {
			if count(table, f.p.ID) == 0 {
				t.Fatalf("setup: no %s rows to cascade", table)
			}
		}
		otherRows := map[string]int64{}
		for _, table := range tables {
			otherRows[table] = count(table, other.ID)
		}

		for _, u := range []models.User{f.editor, f.viewer} {
			_, err := s.DeleteProject(ctx, u, f.p.ID)
			wantErr(t, err, models.ErrForbidden)
		}
		ev, err := s.DeleteProject(ctx, f.owner, f.p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type != models.EventProjectDeleted || ev.ProjectID != f.p.ID || ev.Actor.ID != f.owner.ID {
			t.Fatalf("delete event %+v", ev)
		}
		for _, table := range tables {
			if n := count(table, f.p.ID); n != 0 {
				t.Errorf("%d %s rows survive the project", n, table)
			}
			if n := count(table, other.ID); n != otherRows[table] {
				t.Errorf("deleting one project changed another's %s: %d -> %d", table, otherRows[table], n)
			}
		}
		_, err = s.GetProject(ctx, f.owner.ID, f.p.ID)
		wantErr(t, err, models.ErrNotFound)
		if ps, _ := s.ListProjects(ctx, f.owner.ID); len(ps) != 1 || ps[0].ID != other.ID {
			t.Fatalf("after delete the owner lists %+v", ps)
		}
		_, err = s.DeleteProject(ctx, f.owner, f.p.ID)
		wantErr(t, err, models.ErrNotFound)
	})
}
