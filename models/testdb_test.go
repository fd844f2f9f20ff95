package models_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// The store suite runs every test twice, as subtests "sqlite" and
// "postgres", each on a fresh migrated database: a new SQLite file in
// t.TempDir(), or a new schema on TEST_DATABASE_URL that is dropped after the
// test (internal/testdb). Without TEST_DATABASE_URL the PostgreSQL run is
// skipped with a message, except under CI=true, where it fails.

func forEachStore(t *testing.T, fn func(t *testing.T, s *models.Store)) {
	t.Helper()
	testdb.Each(t, func(t *testing.T, url string) {
		s, err := models.Open(t.Context(), url, models.Options{})
		if err != nil {
			t.Fatalf("open %s: %v", url, err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		fn(t, s)
	})
}

// Builders.

func newUser(t *testing.T, s *models.Store, name string) models.User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), name+"@example.com", strings.ToLower(name), name, "dummy-hash")
	if err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	return u
}

func newProject(t *testing.T, s *models.Store, owner models.User, name string) models.Project {
	t.Helper()
	p, err := s.CreateProject(t.Context(), owner, models.ProjectInput{Name: name})
	if err != nil {
		t.Fatalf("create project %s: %v", name, err)
	}
	return p
}

func addMember(t *testing.T, s *models.Store, owner models.User, projectID string, u models.User, role models.Role) {
	t.Helper()
	if _, _, err := s.AddMember(t.Context(), owner, projectID, u.Email, role); err != nil {
		t.Fatalf("add %s as %s: %v", u.Email, role, err)
	}
}

func newIssue(t *testing.T, s *models.Store, actor models.User, projectID string, in models.IssueInput) models.Issue {
	t.Helper()
	is, _, err := s.CreateIssue(t.Context(), actor, projectID, in)
	if err != nil {
		t.Fatalf("create issue %q: %v", in.Title, err)
	}
	return is
}

// fixture is the project "Corkboard" (key CORK, columns open, in_progress,
// done) with an owner, an editor and a viewer, and an outsider who is no
// member. Setting it up writes two events (the two member.added).
type fixture struct {
	t                               *testing.T
	s                               *models.Store
	owner, editor, viewer, outsider models.User
	p                               models.Project
}

func newFixture(t *testing.T, s *models.Store) *fixture {
	t.Helper()
	f := &fixture{t: t, s: s,
		owner: newUser(t, s, "Owner"), editor: newUser(t, s, "Editor"),
		viewer: newUser(t, s, "Viewer"), outsider: newUser(t, s, "Outsider")}
	f.p = newProject(t, s, f.owner, "Corkboard")
	addMember(t, s, f.owner, f.p.ID, f.editor, models.RoleEditor)
	addMember(t, s, f.owner, f.p.ID, f.viewer, models.RoleViewer)
	return f
}

// issue creates an issue as the editor; an empty status is the first column.
func (f *fixture) issue(title, status string) models.Issue {
	f.t.Helper()
	return newIssue(f.t, f.s, f.editor, f.p.ID, models.IssueInput{Title: title, Status: status})
}

// seq is the project's current seq.
func (f *fixture) seq() int64 {
	f.t.Helper()
	p, err := f.s.GetProject(f.t.Context(), f.owner.ID, f.p.ID)
	if err != nil {
		f.t.Fatalf("get project: %v", err)
	}
	return p.Seq
}

// events returns the whole log after since (paging through it).
func (f *fixture) events(since int64) []models.Event {
	f.t.Helper()
	var out []models.Event
	for {
		page, err := f.s.EventsSince(f.t.Context(), f.owner.ID, f.p.ID, since, 1000)
		if err != nil {
			f.t.Fatalf("events since %d: %v", since, err)
		}
		out = append(out, page.Items...)
		if !page.HasMore {
			return out
		}
		since = page.Items[len(page.Items)-1].Seq
	}
}

// board returns every issue of the project in board order.
func (f *fixture) board() []models.Issue {
	f.t.Helper()
	_, issues, err := f.s.Board(f.t.Context(), f.owner.ID, f.p.ID)
	if err != nil {
		f.t.Fatalf("board: %v", err)
	}
	return issues
}

// order returns the ids of a column's issues in board order.
func (f *fixture) order(status string) []string {
	f.t.Helper()
	out := []string{}
	for _, is := range f.board() {
		if is.Status == status {
			out = append(out, is.ID)
		}
	}
	return out
}

// getIssue loads an issue as the owner.
func (f *fixture) getIssue(id string) models.Issue {
	f.t.Helper()
	is, err := f.s.GetIssue(f.t.Context(), f.owner.ID, f.p.ID, id)
	if err != nil {
		f.t.Fatalf("get issue: %v", err)
	}
	return is
}

// Assertions.

// invalidFields lists the fields of a *models.ValidationError (nil for any
// other error).
func invalidFields(err error) []string {
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	out := []string{}
	for _, f := range ve.Fields {
		out = append(out, f.Field)
	}
	return out
}

// wantInvalid fails unless err is a *models.ValidationError naming field.
func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	fields := invalidFields(err)
	for _, f := range fields {
		if f == field {
			return
		}
	}
	t.Errorf("got error %v (fields %v), want a *models.ValidationError on %q", err, fields, field)
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("got error %v, want %v", err, target)
	}
}

// sameJSON reports whether a and b encode the same JSON value (key order and
// spacing aside).
func sameJSON(t *testing.T, a, b any) bool {
	t.Helper()
	decode := func(v any) any {
		raw, ok := v.(json.RawMessage)
		if !ok {
			var err error
			if raw, err = json.Marshal(v); err != nil {
				t.Fatalf("marshal %T: %v", v, err)
			}
		}
		var out any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("unmarshal %s: %v", raw, err)
		}
		return out
	}
	return reflect.DeepEqual(decode(a), decode(b))
}

func ptr[T any](v T) *T { return &v }
