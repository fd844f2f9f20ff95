package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/models"
)

// fixture is a project with one member of each role, an outsider, a spare
// member to act on, and two issues.
type fixture struct {
	ts                                     *testServer
	owner, editor, viewer, outsider, spare *client
	project                                models.Project
	issues                                 []models.Issue
}

var fixtureN int

func newFixture(ts *testServer) *fixture {
	ts.t.Helper()
	fixtureN++
	n := fixtureN
	f := &fixture{ts: ts}
	mk := func(role string) *client {
		return ts.register(fmt.Sprintf("%s%d@example.com", role, n), strings.ToUpper(role[:1])+role[1:])
	}
	f.owner, f.editor, f.viewer, f.outsider, f.spare = mk("owner"), mk("editor"), mk("viewer"), mk("outsider"), mk("spare")
	f.owner.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Project " + fmt.Sprint(n)}, &f.project)
	for c, role := range map[*client]string{f.editor: "editor", f.viewer: "viewer", f.spare: "editor"} {
		f.owner.must(201, "POST", f.path("/members"), map[string]string{"email": c.user.Email, "role": role}, nil)
	}
	for _, title := range []string{"First", "Second"} {
		var is models.Issue
		f.owner.must(201, "POST", f.path("/issues"), map[string]string{"title": title}, &is)
		f.issues = append(f.issues, is)
	}
	return f
}

func (f *fixture) path(suffix string) string { return "/api/v1/projects/" + f.project.ID + suffix }

func (f *fixture) seq() int64 {
	var p models.Project
	f.owner.must(200, "GET", f.path(""), nil, &p)
	return p.Seq
}

// TestAccessMatrix checks every project route for a non-member, a viewer, an
// editor and an owner: outsiders get 404 (ids cannot be probed), roles too
// weak get 403, the others succeed.
func TestAccessMatrix(t *testing.T) {
	ts := newTestServer(t)
	type route struct {
		method, path string
		body         func(f *fixture) any
		need         models.Role
		ok           int
	}
	issue := func(f *fixture) string { return "/issues/" + f.issues[0].ID }
	routes := []route{
		{"GET", "", nil, models.RoleViewer, 200},
		{"PATCH", "", func(*fixture) any { return map[string]string{"name": "Renamed"} }, models.RoleOwner, 200},
		{"DELETE", "", nil, models.RoleOwner, 204},
		{"GET", "/members", nil, models.RoleViewer, 200},
		{"POST", "/members", func(f *fixture) any { return map[string]string{"email": f.outsider.user.Email, "role": "viewer"} }, models.RoleOwner, 201},
		{"PATCH", "/members/{spare}", func(*fixture) any { return map[string]string{"role": "viewer"} }, models.RoleOwner, 200},
		{"DELETE", "/members/{spare}", nil, models.RoleOwner, 204},
		{"POST", "/columns", func(*fixture) any { return map[string]string{"name": "Review"} }, models.RoleOwner, 201},
		{"PATCH", "/columns/done", func(*fixture) any { return map[string]string{"name": "Shipped"} }, models.RoleOwner, 200},
		{"PUT", "/columns/order", func(*fixture) any { return map[string][]string{"keys": {"done", "in_progress", "open"}} }, models.RoleOwner, 200},
		{"DELETE", "/columns/done", nil, models.RoleOwner, 204},
		{"GET", "/issues", nil, models.RoleViewer, 200},
		{"POST", "/issues", func(*fixture) any { return map[string]string{"title": "New"} }, models.RoleEditor, 201},
		{"GET", "{issue}", nil, models.RoleViewer, 200},
		{"PATCH", "{issue}", func(f *fixture) any { return map[string]any{"title": "Edited", "version": f.issues[0].Version} }, models.RoleEditor, 200},
		{"DELETE", "{issue}", nil, models.RoleEditor, 204},
		{"POST", "{issue}/move", func(*fixture) any { return map[string]string{"status": "done"} }, models.RoleEditor, 200},
		{"GET", "{issue}/comments", nil, models.RoleViewer, 200},
		{"POST", "{issue}/comments", func(*fixture) any { return map[string]string{"body": "Hi"} }, models.RoleEditor, 201},
		{"PUT", "{issue}/watch", nil, models.RoleViewer, 204},
		{"DELETE", "{issue}/watch", nil, models.RoleViewer, 204},
		{"GET", "/events?since=0", nil, models.RoleViewer, 200},
	}
	for _, r := range routes {
		for _, who := range []string{"outsider", "viewer", "editor", "owner"} {
			t.Run(r.method+" "+r.path+" as "+who, func(t *testing.T) {
				f := newFixture(ts)
				c := map[string]*client{"outsider": f.outsider, "viewer": f.viewer, "editor": f.editor, "owner": f.owner}[who]
				p := strings.ReplaceAll(r.path, "{spare}", "/"+f.spare.user.ID)
				p = strings.ReplaceAll(strings.ReplaceAll(p, "/members//", "/members/"), "{issue}", issue(f))
				var body any
				if r.body != nil {
					body = r.body(f)
				}
				before := f.seq()
				want := r.ok
				switch {
				case who == "outsider":
					want = 404
				case !models.Role(who).AtLeast(r.need):
					want = 403
				}
				res, b := c.do(r.method, f.path(p), body)
				if res.StatusCode != want {
					t.Fatalf("%s %s as %s: %d, want %d (%s)", r.method, p, who, res.StatusCode, want, b)
				}
				if want >= 400 {
					if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
						t.Errorf("error content type %q", ct)
					}
					if after := f.seq(); after != before {
						t.Errorf("refused request changed the project: seq %d -> %d", before, after)
					}
				}
			})
		}
	}
}

// TestMemberCanLeave: any member may remove themselves; the last owner may not.
func TestMemberCanLeave(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	f.viewer.must(204, "DELETE", f.path("/members/"+f.viewer.user.ID), nil, nil)
	f.viewer.must(404, "GET", f.path(""), nil, nil)
	res, b := f.owner.do("DELETE", f.path("/members/"+f.owner.user.ID), nil)
	if res.StatusCode != 422 || !strings.Contains(string(b), `"field":"role"`) {
		t.Fatalf("last owner leaving: %d %s", res.StatusCode, b)
	}
}

// TestValidationChangesNothing sends bad input to each write route: each
// answers 4xx with problem+json (field errors for 422), and neither the
// issue nor the project's seq changes.
func TestValidationChangesNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		f := newFixture(ts)
		is := f.issues[0]
		long := strings.Repeat("x", 201)
		cases := []struct {
			name, method, path string
			body               any
			status             int
			field              string
		}{
			{"malformed json", "POST", "/issues", `{"title":`, 400, ""},
			{"not an object", "POST", "/issues", `[1,2]`, 400, ""},
			{"two values", "POST", "/issues", `{"title":"a"}{}`, 400, ""},
			{"empty body", "POST", "/issues", ``, 400, ""},
			{"NUL in title", "POST", "/issues", map[string]any{"title": "a\x00b"}, 422, "title"},
			{"NUL in description", "POST", "/issues", map[string]any{"title": "a", "description": "\x00"}, 422, "description"},
			{"NUL in label", "POST", "/issues", map[string]any{"title": "a", "labels": []string{"\x00"}}, 422, "labels"},
			{"NUL in query", "GET", "/issues?q=%00", nil, 422, "q"},
			{"NUL in member email", "POST", "/members", map[string]any{"email": "a\x00@b.c", "role": "viewer"}, 422, "email"},
			{"empty title", "POST", "/issues", map[string]any{"title": "  "}, 422, "title"},
			{"long title", "POST", "/issues", map[string]any{"title": long}, 422, "title"},
			{"title wrong type", "POST", "/issues", map[string]any{"title": 5}, 422, "title"},
			{"unknown field", "POST", "/issues", map[string]any{"title": "a", "owner": "me"}, 422, "owner"},
			{"unknown status", "POST", "/issues", map[string]any{"title": "a", "status": "nope"}, 422, "status"},
			{"NUL in status", "POST", "/issues", map[string]any{"title": "a", "status": "\x00"}, 422, "status"},
			{"NUL in assignee", "POST", "/issues", map[string]any{"title": "a", "assignee_id": "\x00"}, 422, "assignee_id"},
			{"assignee not uuid", "POST", "/issues", map[string]any{"title": "a", "assignee_id": "me"}, 422, "assignee_id"},
			{"patch NUL in status", "PATCH", "/issues/" + is.ID, map[string]any{"status": "do\x00ne", "version": is.Version}, 422, "status"},
			{"move NUL in status", "POST", "/issues/" + is.ID + "/move", map[string]any{"status": "\x00"}, 422, "status"},
			{"move NUL in after_id", "POST", "/issues/" + is.ID + "/move", map[string]any{"status": "open", "after_id": "a\x00"}, 422, "after_id"},
			{"move NUL in before_id", "POST", "/issues/" + is.ID + "/move", map[string]any{"status": "open", "before_id": "\x00"}, 422, "before_id"},
			{"move NUL in issue path", "POST", "/issues/a%00b/move", map[string]any{"status": "open"}, 404, ""},
			{"column raw bytes in path", "PATCH", "/columns/%FF%00", map[string]any{"name": "X"}, 404, ""},
			{"delete column raw bytes", "DELETE", "/columns/%FF", nil, 404, ""},
			{"member raw bytes in path", "PATCH", "/members/%FF%00", map[string]any{"role": "viewer"}, 404, ""},
			{"remove member not uuid", "DELETE", "/members/%FF", nil, 404, ""},
			{"unknown priority", "POST", "/issues", map[string]any{"title": "a", "priority": "meh"}, 422, "priority"},
			{"assignee outsider", "POST", "/issues", map[string]any{"title": "a", "assignee_id": f.outsider.user.ID}, 422, "assignee_id"},
			{"bad due date", "POST", "/issues", map[string]any{"title": "a", "due_date": "31/12/2026"}, 422, "due_date"},
			{"negative effort", "POST", "/issues", map[string]any{"title": "a", "effort": -1}, 422, "effort"},
			{"labels wrong type", "POST", "/issues", map[string]any{"title": "a", "labels": "x"}, 422, "labels"},
			{"patch without version", "PATCH", "/issues/" + is.ID, map[string]any{"title": "b"}, 422, "version"},
			{"patch empty title", "PATCH", "/issues/" + is.ID, map[string]any{"title": "", "version": is.Version}, 422, "title"},
			{"patch effort wrong type", "PATCH", "/issues/" + is.ID, map[string]any{"effort": "x", "version": is.Version}, 422, "effort"},
			{"patch unknown field", "PATCH", "/issues/" + is.ID, map[string]any{"rank": "a0", "version": is.Version}, 422, "rank"},
			{"move unknown status", "POST", "/issues/" + is.ID + "/move", map[string]any{"status": "nope"}, 422, "status"},
			{"move missing status", "POST", "/issues/" + is.ID + "/move", map[string]any{}, 422, "status"},
			{"move after self", "POST", "/issues/" + is.ID + "/move", map[string]any{"status": "open", "after_id": is.ID}, 422, "after_id"},
			{"move neighbour elsewhere", "POST", "/issues/" + is.ID + "/move", map[string]any{"status": "done", "after_id": f.issues[1].ID}, 422, "after_id"},
			{"move neighbour not uuid", "POST", "/issues/" + is.ID + "/move", map[string]any{"status": "open", "before_id": "zzz"}, 422, "before_id"},
			{"project empty name", "PATCH", "", map[string]any{"name": ""}, 422, "name"},
			{"project bad key", "PATCH", "", map[string]any{"key": "1x"}, 422, "key"},
			{"member bad role", "POST", "/members", map[string]any{"email": f.outsider.user.Email, "role": "admin"}, 422, "role"},
			{"member unknown email", "POST", "/members", map[string]any{"email": "nobody@example.com", "role": "viewer"}, 422, "email"},
			{"member twice", "POST", "/members", map[string]any{"email": f.viewer.user.Email, "role": "viewer"}, 409, ""},
			{"column bad key", "POST", "/columns", map[string]any{"name": "X", "key": "Bad Key"}, 422, "key"},
			{"column duplicate", "POST", "/columns", map[string]any{"name": "Open again", "key": "open"}, 422, "key"},
			{"column zero wip", "PATCH", "/columns/open", map[string]any{"wip_limit": 0}, 422, "wip_limit"},
			{"delete non-empty column", "DELETE", "/columns/open", nil, 422, "key"},
			{"reorder missing", "PUT", "/columns/order", map[string]any{"keys": []string{"open"}}, 422, "keys"},
			{"list bad limit", "GET", "/issues?limit=0", nil, 422, "limit"},
			{"list bad cursor", "GET", "/issues?cursor=!!", nil, 422, "cursor"},
			{"events bad since", "GET", "/events?since=-1", nil, 422, "since"},
			{"unknown issue", "GET", "/issues/00000000-0000-0000-0000-000000000000", nil, 404, ""},
			{"malformed issue id", "PATCH", "/issues/not-a-uuid", map[string]any{"title": "b", "version": 1}, 404, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := f.seq()
				res, b := f.owner.do(c.method, f.path(c.path), c.body)
				if res.StatusCode != c.status {
					t.Fatalf("status %d, want %d: %s", res.StatusCode, c.status, b)
				}
				var p problem
				mustJSON(t, b, &p)
				if res.Header.Get("Content-Type") != "application/problem+json" || p.Status != c.status || p.Title == "" {
					t.Fatalf("not a problem document: %s %s", res.Header.Get("Content-Type"), b)
				}
				if c.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != c.field) {
					t.Fatalf("field errors %+v, want field %q", p.Errors, c.field)
				}
				if after := f.seq(); after != before {
					t.Fatalf("rejected request changed the project: seq %d -> %d", before, after)
				}
				var now models.Issue
				f.owner.must(200, "GET", f.path("/issues/"+is.ID), nil, &now)
				if now.Version != is.Version || now.Title != is.Title || now.Rank != is.Rank {
					t.Fatalf("issue changed: %+v", now)
				}
			})
		}
	})
}

// TestIssueLifecycle walks the happy path of every issue route and checks the
// event log records each change with a gap-free seq.
func TestIssueLifecycle(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		f := newFixture(ts)
		start := f.seq()
		var is models.Issue
		f.editor.must(201, "POST", f.path("/issues"), map[string]any{
			"title": "Ship it", "description": "**now**", "status": "in_progress", "priority": "high",
			"assignee_id": f.viewer.user.ID, "labels": []string{"ops", "Ops", "web"}, "effort": 3, "due_date": "2026-12-31",
		}, &is)
		if is.Number != 3 || is.Key != f.project.Key+"-3" || is.Status != "in_progress" || is.Version != 1 ||
			len(is.Labels) != 2 || *is.Effort != 3 || *is.DueDate != "2026-12-31" || *is.AuthorID != f.editor.user.ID {
			t.Fatalf("created %+v", is)
		}
		var got models.Issue
		f.viewer.must(200, "GET", f.path("/issues/"+is.ID), nil, &got)
		if got.ID != is.ID || got.Title != "Ship it" {
			t.Fatalf("get %+v", got)
		}
		var upd models.Issue
		f.editor.must(200, "PATCH", f.path("/issues/"+is.ID), map[string]any{
			"title": "Ship it today", "assignee_id": nil, "effort": nil, "version": 1}, &upd)
		if upd.Version != 2 || upd.Title != "Ship it today" || upd.AssigneeID != nil || upd.Effort != nil || upd.Priority != "high" {
			t.Fatalf("updated %+v", upd)
		}
		// A stale version is 409 with the current issue.
		res, b := f.owner.do("PATCH", f.path("/issues/"+is.ID), map[string]any{"title": "Mine", "version": 1})
		var p struct {
			Current *models.Issue `json:"current"`
		}
		mustJSON(t, b, &p)
		if res.StatusCode != 409 || p.Current == nil || p.Current.Version != 2 || p.Current.Title != "Ship it today" {
			t.Fatalf("stale: %d %s", res.StatusCode, b)
		}
		var moved models.Issue
		f.editor.must(200, "POST", f.path("/issues/"+is.ID+"/move"), map[string]any{"status": "done"}, &moved)
		if moved.Status != "done" || moved.Version != 3 {
			t.Fatalf("moved %+v", moved)
		}
		f.editor.must(204, "DELETE", f.path("/issues/"+is.ID), nil, nil)
		f.editor.must(404, "GET", f.path("/issues/"+is.ID), nil, nil)

		var evs eventsResponse
		f.viewer.must(200, "GET", f.path(fmt.Sprintf("/events?since=%d", start)), nil, &evs)
		wantTypes := []string{"issue.created", "issue.updated", "issue.moved", "issue.deleted"}
		if len(evs.Items) != len(wantTypes) || evs.Seq != start+4 || evs.HasMore {
			t.Fatalf("events %+v", evs)
		}
		for i, ev := range evs.Items {
			if ev.Type != wantTypes[i] || ev.Seq != start+int64(i)+1 || ev.Actor.ID != f.editor.user.ID || ev.ProjectID != f.project.ID {
				t.Fatalf("event %d: %+v", i, ev)
			}
			var data models.Issue
			mustJSON(t, ev.Data, &data)
			if data.ID != is.ID {
				t.Fatalf("event %d data is not the issue: %s", i, ev.Data)
			}
		}
		// Paging the log.
		f.viewer.must(200, "GET", f.path(fmt.Sprintf("/events?since=%d&limit=3", start)), nil, &evs)
		if len(evs.Items) != 3 || !evs.HasMore {
			t.Fatalf("paged events %+v", evs)
		}
	})
}

// TestMoveOrdering drags cards around with after_id/before_id and checks the
// board order the API returns, and that a move rewrites only the moved card.
func TestMoveOrdering(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		f := newFixture(ts)
		ids := []string{f.issues[0].ID, f.issues[1].ID}
		for _, title := range []string{"C", "D", "E"} {
			var is models.Issue
			f.owner.must(201, "POST", f.path("/issues"), map[string]string{"title": title}, &is)
			ids = append(ids, is.ID)
		}
		a, b, c, d, e := ids[0], ids[1], ids[2], ids[3], ids[4]
		order := func(status string) []string {
			var page list[models.Issue]
			f.owner.must(200, "GET", f.path("/issues?limit=200"), nil, &page)
			items := page.Items
			// Sort by (rank, id) as the board does.
			for i := 1; i < len(items); i++ {
				for j := i; j > 0 && (items[j].Rank < items[j-1].Rank || items[j].Rank == items[j-1].Rank && items[j].ID < items[j-1].ID); j-- {
					items[j], items[j-1] = items[j-1], items[j]
				}
			}
			out := []string{}
			for _, is := range items {
				if is.Status == status {
					out = append(out, is.ID)
				}
			}
			return out
		}
		move := func(id, status string, after, before *string) models.Issue {
			var is models.Issue
			f.owner.must(200, "POST", f.path("/issues/"+id+"/move"), map[string]any{"status": status, "after_id": after, "before_id": before}, &is)
			return is
		}
		check := func(status string, want ...string) {
			t.Helper()
			if got := order(status); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("%s order %v, want %v", status, got, want)
			}
		}
		check("open", a, b, c, d, e)
		move(e, "open", nil, &a) // to the top
		check("open", e, a, b, c, d)
		move(a, "open", &c, nil) // below c
		check("open", e, b, c, a, d)
		move(d, "open", &e, &b) // between e and b
		check("open", e, d, b, c, a)
		move(b, "open", nil, nil) // bottom
		check("open", e, d, c, a, b)
		move(c, "done", nil, nil) // across columns, empty target
		check("open", e, d, a, b)
		check("done", c)
		move(a, "done", nil, &c) // above c in done
		check("done", a, c)
		move(e, "done", &a, &c)
		check("done", a, e, c)
		// Only the moved card was written: the others keep version and rank.
		var before list[models.Issue]
		f.owner.must(200, "GET", f.path("/issues?limit=200"), nil, &before)
		move(d, "done", &e, nil)
		var after list[models.Issue]
		f.owner.must(200, "GET", f.path("/issues?limit=200"), nil, &after)
		for i, is := range after.Items {
			changed := is.Version != before.Items[i].Version || is.Rank != before.Items[i].Rank
			if changed != (is.ID == d) {
				t.Fatalf("issue %s changed=%v by moving %s", is.Key, changed, d)
			}
		}
		check("done", a, e, d, c)
	})
}

// TestListFiltersAndCursor pages through issues with filters.
func TestListFiltersAndCursor(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	for i := 0; i < 7; i++ {
		body := map[string]any{"title": fmt.Sprintf("Task %d", i)}
		if i%2 == 0 {
			body["assignee_id"] = f.editor.user.ID
			body["status"] = "done"
		}
		if i == 3 {
			body["title"] = "100% done_ish"
		}
		f.owner.must(201, "POST", f.path("/issues"), body, nil)
	}
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		var page list[models.Issue]
		f.viewer.must(200, "GET", f.path("/issues?limit=4&cursor="+cursor), nil, &page)
		for _, is := range page.Items {
			if seen[is.ID] {
				t.Fatalf("issue %s twice", is.Key)
			}
			seen[is.ID] = true
		}
		pages++
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	if len(seen) != 9 || pages != 3 {
		t.Fatalf("saw %d issues in %d pages, want 9 in 3", len(seen), pages)
	}
	count := func(q string) int {
		var page list[models.Issue]
		f.viewer.must(200, "GET", f.path("/issues?"+q), nil, &page)
		return len(page.Items)
	}
	for q, want := range map[string]int{
		"status=done": 4, "assignee=" + f.editor.user.ID: 4, "assignee=none": 5,
		"q=task": 6, "q=100%25": 1, "q=_ish": 1, "q=%25": 1, "status=done&assignee=none": 0,
	} {
		if got := count(q); got != want {
			t.Errorf("%s: %d issues, want %d", q, got, want)
		}
	}
}

func TestAuthFlow(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		a := ts.register("Alice@Example.com", "Alice")
		if a.user.Email != "alice@example.com" {
			t.Fatalf("email not case-folded: %q", a.user.Email)
		}
		var me models.User
		a.must(200, "GET", "/api/v1/auth/me", nil, &me)
		if me.ID != a.user.ID {
			t.Fatalf("me %+v", me)
		}
		anon := ts.anon()
		anon.must(401, "GET", "/api/v1/auth/me", nil, nil)
		anon.must(401, "GET", "/api/v1/projects", nil, nil)
		// Duplicate email, whatever its case, is 409.
		anon.must(409, "POST", "/api/v1/auth/register", map[string]string{
			"email": "ALICE@example.com", "password": "another password", "display_name": "A2"}, nil)
		// Weak password and bad email are 422 on their fields.
		res, b := anon.do("POST", "/api/v1/auth/register", map[string]string{"email": "nope", "password": "short", "display_name": ""})
		var p problem
		mustJSON(t, b, &p)
		fields := map[string]bool{}
		for _, e := range p.Errors {
			fields[e.Field] = true
		}
		if res.StatusCode != 422 || !fields["email"] || !fields["password"] || !fields["display_name"] {
			t.Fatalf("register validation: %d %s", res.StatusCode, b)
		}
		// NUL bytes are refused, not a database error.
		anon.must(422, "POST", "/api/v1/auth/register", map[string]string{"email": "x\x00@example.com", "password": "long enough pw", "display_name": "X"}, nil)
		anon.must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "x\x00@example.com", "password": "long enough pw"}, nil)
		// A User-Agent of raw bytes, cut mid-rune at the stored length, is
		// stored as valid text (PostgreSQL refuses invalid UTF-8).
		req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"email":"alice@example.com","password":"correct horse battery"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "\xff\xfe"+strings.Repeat("é", 200))
		if res, b := anon.send(req); res.StatusCode != 200 {
			t.Fatalf("login with raw-byte user agent: %d %s", res.StatusCode, b)
		} else {
			odd := &client{ts: ts, cookie: sessionCookieFrom(t, res)}
			odd.must(200, "GET", "/settings", nil, nil)
			odd.must(204, "POST", "/api/v1/auth/logout", nil, nil)
		}
		// Wrong password and unknown email answer identically.
		r1, b1 := anon.do("POST", "/api/v1/auth/login", map[string]string{"email": "alice@example.com", "password": "wrong password"})
		r2, b2 := anon.do("POST", "/api/v1/auth/login", map[string]string{"email": "nobody@example.com", "password": "wrong password"})
		if r1.StatusCode != 401 || r2.StatusCode != 401 || string(b1) != string(b2) || len(r1.Cookies()) != 0 {
			t.Fatalf("login failures differ: %d %s / %d %s", r1.StatusCode, b1, r2.StatusCode, b2)
		}
		// A second login is a second session; logging out of one kills only it.
		res, b = anon.do("POST", "/api/v1/auth/login", map[string]string{"email": "ALICE@example.com", "password": "correct horse battery"})
		if res.StatusCode != 200 {
			t.Fatalf("login: %d %s", res.StatusCode, b)
		}
		second := &client{ts: ts, cookie: sessionCookieFrom(t, res)}
		second.must(200, "GET", "/api/v1/auth/me", nil, nil)
		second.must(204, "POST", "/api/v1/auth/logout", nil, nil)
		second.must(401, "GET", "/api/v1/auth/me", nil, nil)
		a.must(200, "GET", "/api/v1/auth/me", nil, nil)
		// The session token works as a bearer token too, and dies with logout.
		req = httptest.NewRequest("GET", "/api/v1/auth/me", nil)
		req.Header.Set("Authorization", "Bearer "+a.cookie)
		if res, _ := a.ts.anon().send(req); res.StatusCode != 200 {
			t.Fatalf("bearer: %d", res.StatusCode)
		}
		a.must(204, "POST", "/api/v1/auth/logout", nil, nil)
		if res, _ := a.ts.anon().send(req); res.StatusCode != 401 {
			t.Fatalf("bearer after logout: %d", res.StatusCode)
		}
	})
}

func TestTamperedTokensAreRefused(t *testing.T) {
	ts := newTestServer(t)
	a := ts.register("a@example.com", "A")
	parts := strings.Split(a.cookie, ".")
	// alg "none" with the same claims.
	none := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
	for name, tok := range map[string]string{"none": none, "bad signature": parts[0] + "." + parts[1] + ".AAAA", "garbage": "x.y.z"} {
		c := &client{ts: ts, cookie: tok}
		if res, _ := c.do("GET", "/api/v1/auth/me", nil); res.StatusCode != 401 {
			t.Errorf("%s token: %d, want 401", name, res.StatusCode)
		}
	}
}

func TestCrossSiteWritesRefused(t *testing.T) {
	ts := newTestServer(t)
	a := ts.register("a@example.com", "A")
	body := `{"name":"Evil"}`
	for name, headers := range map[string]map[string]string{
		"sec-fetch-site": {"Sec-Fetch-Site": "cross-site"},
		"foreign origin": {"Origin": "https://evil.example"},
	} {
		req := httptest.NewRequest("POST", "/api/v1/projects", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: a.cookie})
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		if res, b := a.send(req); res.StatusCode != 403 {
			t.Errorf("%s: %d %s", name, res.StatusCode, b)
		}
	}
	var ps list[models.Project]
	a.must(200, "GET", "/api/v1/projects", nil, &ps)
	if len(ps.Items) != 0 {
		t.Fatalf("a cross-site request created a project")
	}
	// Same-origin browsers pass.
	req := httptest.NewRequest("POST", "/api/v1/projects", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: a.cookie})
	if res, b := a.send(req); res.StatusCode != 201 {
		t.Fatalf("same-origin: %d %s", res.StatusCode, b)
	}
}

func TestProjectsColumnsMembersHappyPath(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		f := newFixture(ts)
		var ps list[models.Project]
		f.viewer.must(200, "GET", "/api/v1/projects", nil, &ps)
		if len(ps.Items) != 1 || ps.Items[0].Role != models.RoleViewer || len(ps.Items[0].Columns) != 3 {
			t.Fatalf("projects %+v", ps)
		}
		f.outsider.must(200, "GET", "/api/v1/projects", nil, &ps)
		if len(ps.Items) != 0 {
			t.Fatalf("outsider sees %+v", ps)
		}
		var p models.Project
		f.owner.must(200, "PATCH", f.path(""), map[string]any{"name": "Renamed", "key": "ren", "description": "d"}, &p)
		if p.Name != "Renamed" || p.Key != "REN" || p.Description != "d" {
			t.Fatalf("patched %+v", p)
		}
		var is models.Issue
		f.owner.must(200, "GET", f.path("/issues/"+f.issues[0].ID), nil, &is)
		if is.Key != "REN-1" {
			t.Fatalf("issue key after re-key: %s", is.Key)
		}
		var col models.Column
		f.owner.must(201, "POST", f.path("/columns"), map[string]any{"name": "Code review", "wip_limit": 3}, &col)
		if col.Key != "code_review" || *col.WIPLimit != 3 {
			t.Fatalf("column %+v", col)
		}
		f.owner.must(200, "PATCH", f.path("/columns/code_review"), map[string]any{"wip_limit": nil, "name": "Review"}, &col)
		if col.WIPLimit != nil || col.Name != "Review" {
			t.Fatalf("column %+v", col)
		}
		var cols list[models.Column]
		f.owner.must(200, "PUT", f.path("/columns/order"), map[string]any{"keys": []string{"code_review", "open", "in_progress", "done"}}, &cols)
		if cols.Items[0].Key != "code_review" || len(cols.Items) != 4 {
			t.Fatalf("order %+v", cols)
		}
		f.owner.must(204, "DELETE", f.path("/columns/code_review"), nil, nil)
		var ms list[models.Member]
		f.viewer.must(200, "GET", f.path("/members"), nil, &ms)
		if len(ms.Items) != 4 {
			t.Fatalf("members %+v", ms)
		}
		var m models.Member
		f.owner.must(200, "PATCH", f.path("/members/"+f.viewer.user.ID), map[string]any{"role": "editor"}, &m)
		if m.Role != models.RoleEditor || m.Email != f.viewer.user.Email {
			t.Fatalf("member %+v", m)
		}
		f.viewer.must(201, "POST", f.path("/issues"), map[string]any{"title": "now an editor"}, nil)
		f.owner.must(204, "DELETE", f.path("/members/"+f.viewer.user.ID), nil, nil)
		f.viewer.must(404, "GET", f.path(""), nil, nil)
		f.owner.must(204, "DELETE", f.path(""), nil, nil)
		f.owner.must(404, "GET", f.path(""), nil, nil)
	})
}

func TestHealthAndReady(t *testing.T) {
	ts := newTestServer(t)
	c := ts.anon()
	var body map[string]string
	c.must(200, "GET", "/health", nil, &body)
	if body["status"] != "ok" {
		t.Fatalf("health %v", body)
	}
	c.must(200, "GET", "/ready", nil, nil)
	res, b := c.unchecked().do("GET", "/api/v1/nope", nil)
	if res.StatusCode != 404 || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("unknown API route: %d %s", res.StatusCode, b)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Request-ID"} {
		if res.Header.Get(h) == "" {
			t.Errorf("missing header %s", h)
		}
	}
	_ = json.Valid
}

func TestRequestIDIsKeptOnlyWhenSafe(t *testing.T) {
	ts := newTestServer(t)
	for id, kept := range map[string]bool{"abc-123_x.y": true, "bad id\"<>": false, strings.Repeat("a", 65): false} {
		req := httptest.NewRequest("GET", "/health", nil)
		req.Header.Set("X-Request-ID", id)
		res, _ := ts.anon().send(req)
		if got := res.Header.Get("X-Request-ID"); (got == id) != kept || got == "" {
			t.Errorf("X-Request-ID %q answered %q", id, got)
		}
	}
}
