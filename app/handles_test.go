package app

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/models"
)

// TestRegisterHandleAPI: register takes an optional handle (kept
// lower-cased) or derives one from the email; the answer, /auth/me and
// login carry it. An invalid handle is a 422 on `handle`, a taken one (in
// any case) a 409 `handle-taken`, and neither creates the account.
func TestRegisterHandleAPI(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		anon := ts.anon()
		reg := func(email, handle string) (int, []byte) {
			body := map[string]string{"email": email, "password": "correct horse battery", "display_name": "X"}
			if handle != "-" {
				body["handle"] = handle
			}
			res, b := anon.do("POST", "/api/v1/auth/register", body)
			return res.StatusCode, b
		}
		var u models.User
		status, b := reg("alice@example.com", "Alice")
		if mustJSON(t, b, &u); status != 201 || u.Handle != "alice" {
			t.Fatalf("chosen handle: %d %s", status, b)
		}
		status, b = reg("Bob.Jones+cb@example.com", "-")
		if mustJSON(t, b, &u); status != 201 || u.Handle != "bob.jones" {
			t.Fatalf("derived handle: %d %s", status, b)
		}
		status, b = reg("bob.jones@other.example", "")
		if mustJSON(t, b, &u); status != 201 || u.Handle != "bob.jones2" {
			t.Fatalf("an empty handle is derived, made unique: %d %s", status, b)
		}
		for _, bad := range []string{"a", "_alice", "al ice", "al+ice", "émile", strings.Repeat("x", 33)} {
			status, b := reg("carol@example.com", bad)
			var p problem
			if mustJSON(t, b, &p); status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "handle" {
				t.Errorf("handle %q: %d %s", bad, status, b)
			}
		}
		status, b = reg("carol@example.com", "ALICE")
		var p problem
		if mustJSON(t, b, &p); status != 409 || p.Type != "urn:corkboard:problem:handle-taken" || !strings.Contains(p.Detail, "handle") {
			t.Fatalf("a taken handle: %d %s", status, b)
		}
		anon.must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "carol@example.com", "password": "correct horse battery"}, nil)

		c := ts.register("dave@example.com", "Dave")
		var me models.User
		c.must(200, "GET", "/api/v1/auth/me", nil, &me)
		if me.Handle != "dave" || c.user.Handle != "dave" {
			t.Fatalf("me: %+v, registered %+v", me, c.user)
		}
		anon.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "dave@example.com", "password": "correct horse battery"}, &me)
		if me.Handle != "dave" {
			t.Fatalf("login answer: %+v", me)
		}
	})
}

// TestPatchMe: PATCH /auth/me changes the display name and the handle
// together; a taken handle is a 409 and an invalid one (or name) a 422,
// changing nothing; one's own handle in another case is fine; API tokens
// may not change the profile.
func TestPatchMe(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		a := ts.register("alice@example.com", "Alice")
		ts.register("bob@example.com", "Bob")
		before := a.user

		res, b := a.do("PATCH", "/api/v1/auth/me", map[string]string{"display_name": "Alice B.", "handle": "Bob"})
		var p problem
		if mustJSON(t, b, &p); res.StatusCode != 409 || p.Type != "urn:corkboard:problem:handle-taken" {
			t.Fatalf("a taken handle: %d %s", res.StatusCode, b)
		}
		for _, body := range []map[string]any{
			{"display_name": "Alice B.", "handle": "b"},
			{"display_name": "Alice B.", "handle": ""},
			{"display_name": "Alice B.", "handle": nil},
			{"display_name": "", "handle": "ally"},
			{"display_name": "Alice B.", "handle": 7},
			{"display_name": "Alice B.", "email_notifications": "weekly"}, // (off/instant/daily are valid)
		} {
			res, b := a.do("PATCH", "/api/v1/auth/me", body)
			if res.StatusCode != 422 {
				t.Errorf("%v: %d %s", body, res.StatusCode, b)
			}
		}
		var me models.User
		if a.must(200, "GET", "/api/v1/auth/me", nil, &me); me != before {
			t.Fatalf("refused changes changed %+v to %+v", before, me)
		}

		a.must(200, "PATCH", "/api/v1/auth/me", map[string]string{"handle": "ALICE"}, &me)
		if me != before {
			t.Fatalf("one's own handle in capitals: %+v", me)
		}
		a.must(200, "PATCH", "/api/v1/auth/me", map[string]string{"display_name": "Alice B.", "handle": "Ally"}, &me)
		if me.Handle != "ally" || me.DisplayName != "Alice B." || me.ID != before.ID {
			t.Fatalf("a change: %+v", me)
		}
		a.must(200, "PATCH", "/api/v1/auth/me", map[string]string{}, &me)
		if me.Handle != "ally" || me.DisplayName != "Alice B." {
			t.Fatalf("an empty change: %+v", me)
		}
		a.must(200, "GET", "/api/v1/auth/me", nil, &me)
		if me.Handle != "ally" {
			t.Fatalf("me after the change: %+v", me)
		}
		// The old handle is free again: a newcomer may take it.
		c := ts.anon()
		c.must(201, "POST", "/api/v1/auth/register", map[string]string{"email": "carol@example.com",
			"password": "correct horse battery", "display_name": "Carol", "handle": "alice"}, &me)

		// API tokens may not change the account, read or write (as with
		// everything under /auth but GET me).
		var read, write createdToken
		a.must(201, "POST", "/api/v1/auth/tokens", map[string]any{"name": "r", "scope": "read", "expires_in_days": 7}, &read)
		a.must(201, "POST", "/api/v1/auth/tokens", map[string]any{"name": "w", "scope": "write", "expires_in_days": 7}, &write)
		for _, tok := range []createdToken{read, write} {
			res, b := ts.bearer(tok.Token, "PATCH", "/api/v1/auth/me", map[string]string{"handle": "by-token"})
			if res.StatusCode != 403 || !strings.Contains(string(b), "token-not-allowed") {
				t.Fatalf("%s token: %d %s", tok.Scope, res.StatusCode, b)
			}
		}
		if a.must(200, "GET", "/api/v1/auth/me", nil, &me); me.Handle != "ally" {
			t.Fatalf("a token changed the handle: %+v", me)
		}
	})
}

// TestMembersCarryHandles: the members list, the board and the member.*
// events carry each member's handle, and a changed handle shows in the
// list at once.
func TestMembersCarryHandles(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	var list struct {
		Items []models.Member `json:"items"`
	}
	f.viewer.must(200, "GET", f.path("/members"), nil, &list)
	want := map[string]string{}
	for _, c := range []*client{f.owner, f.editor, f.viewer, f.spare} {
		want[c.user.ID] = c.user.Handle
		if c.user.Handle == "" {
			t.Fatalf("%s registered without a handle", c.user.Email)
		}
	}
	for _, m := range list.Items {
		if m.Handle != want[m.UserID] {
			t.Errorf("member %s: handle %q, want %q", m.Email, m.Handle, want[m.UserID])
		}
	}
	var board struct {
		Members []models.Member `json:"members"`
	}
	f.viewer.must(200, "GET", f.path("/board"), nil, &board)
	for _, m := range board.Members {
		if m.Handle != want[m.UserID] {
			t.Errorf("board member %s: handle %q, want %q", m.Email, m.Handle, want[m.UserID])
		}
	}
	var events struct {
		Items []struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		} `json:"items"`
	}
	f.owner.must(200, "GET", f.path("/events?since=0"), nil, &events)
	added := 0
	for _, ev := range events.Items {
		if ev.Type == "member.added" {
			var m models.Member
			mustJSON(t, ev.Data, &m)
			if added++; m.Handle == "" || m.Handle != want[m.UserID] {
				t.Errorf("member.added %s", ev.Data)
			}
		}
	}
	if added != 3 {
		t.Fatalf("%d member.added events", added)
	}

	f.editor.must(200, "PATCH", "/api/v1/auth/me", map[string]string{"handle": "renamed-editor"}, nil)
	f.viewer.must(200, "GET", f.path("/members"), nil, &list)
	found := false
	for _, m := range list.Items {
		found = found || (m.UserID == f.editor.user.ID && m.Handle == "renamed-editor")
	}
	if !found {
		t.Fatalf("the changed handle is not in the list: %+v", list.Items)
	}
}

// TestAccountPageHandle: the profile form shows and edits the handle; a
// taken or invalid one is shown beside the field with what was typed, and
// changes nothing (the display name sent with it neither). The register
// page takes an optional handle too.
func TestAccountPageHandle(t *testing.T) {
	ts := newTestServer(t)
	a := ts.register("alice@example.com", "Alice")
	ts.register("bob@example.com", "Bob")
	if status, body := a.page("/settings"); status != 200 || !strings.Contains(body, `name="handle" value="alice"`) {
		t.Fatalf("account page: %d, handle field missing", status)
	}
	for _, tc := range []struct {
		handle string
		status int
		want   string
	}{
		{"BOB", 409, "Handle is taken"},
		{"b", 422, "Handle must be 2 to 32 characters"},
		{"", 422, "Handle must be 2 to 32 characters"},
	} {
		res, b := a.form("/settings/profile", map[string]string{"display_name": "Alice B.", "handle": tc.handle})
		body := string(b)
		if res.StatusCode != tc.status || !strings.Contains(body, tc.want) || !strings.Contains(body, `id="handle-error"`) ||
			!strings.Contains(body, `name="handle" value="`+tc.handle+`"`) || !strings.Contains(body, `value="Alice B."`) {
			t.Errorf("handle %q: %d, page lacks %q or the typed values", tc.handle, res.StatusCode, tc.want)
		}
	}
	var me models.User
	if a.must(200, "GET", "/api/v1/auth/me", nil, &me); me != a.user {
		t.Fatalf("refused forms changed %+v to %+v", a.user, me)
	}
	if res, b := a.form("/settings/profile", map[string]string{"display_name": "Alice B.", "handle": "Ally"}); res.StatusCode != 303 {
		t.Fatalf("profile form: %d %s", res.StatusCode, b)
	}
	if a.must(200, "GET", "/api/v1/auth/me", nil, &me); me.Handle != "ally" || me.DisplayName != "Alice B." {
		t.Fatalf("after the form: %+v", me)
	}

	anon := ts.anon()
	if status, body := anon.page("/register"); status != 200 || !strings.Contains(body, `name="handle"`) {
		t.Fatalf("register page: %d, no handle field", status)
	}
	res, b := anon.form("/register", map[string]string{"email": "carol@example.com", "display_name": "Carol",
		"password": "long enough password", "handle": "Ally"})
	if body := string(b); res.StatusCode != 409 || !strings.Contains(body, "Handle is taken") || !strings.Contains(body, `value="Ally"`) {
		t.Fatalf("register with a taken handle: %d", res.StatusCode)
	}
	res, _ = anon.form("/register", map[string]string{"email": "carol@example.com", "display_name": "Carol",
		"password": "long enough password", "handle": "caro"})
	if res.StatusCode != 303 {
		t.Fatalf("register with a handle: %d", res.StatusCode)
	}
	carol := &client{ts: ts, cookie: sessionCookieFrom(t, res)}
	if carol.must(200, "GET", "/api/v1/auth/me", nil, &me); me.Handle != "caro" {
		t.Fatalf("registered from the page: %+v", me)
	}
}
