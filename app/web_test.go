package app

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
)

const xss1, xss2 = `<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`

// page GETs a page as c and returns status and body.
func (c *client) page(path string) (int, string) {
	c.ts.t.Helper()
	res, b := c.do("GET", path, nil)
	return res.StatusCode, string(b)
}

// xssFixture fills a project with user text that would run script if it
// were not escaped.
func xssFixture(t *testing.T) (*fixture, models.Issue) {
	ts := newTestServer(t)
	f := newFixture(ts)
	f.owner.must(200, "PATCH", f.path(""), map[string]string{"name": "P " + xss1, "description": xss2}, nil)
	f.owner.must(201, "POST", f.path("/columns"), map[string]any{"name": "Col " + xss2, "key": "evil"}, nil)
	var is models.Issue
	f.owner.must(201, "POST", f.path("/issues"), map[string]any{
		"title": "T " + xss1, "description": "D " + xss2 + "\n\n" + xss1 + " [x](javascript:alert(1))",
		"labels": []string{xss2}, "assignee_id": f.editor.user.ID, "status": "evil"}, &is)
	f.owner.must(200, "PATCH", f.path("/members/"+f.editor.user.ID), map[string]string{"role": "editor"}, nil)
	return f, is
}

func TestPagesEscapeUserText(t *testing.T) {
	f, is := xssFixture(t)
	// A member whose name is hostile.
	hostile := f.ts.register("hostile@example.com", "H "+xss1)
	f.owner.must(201, "POST", f.path("/members"), map[string]string{"email": hostile.user.Email, "role": "viewer"}, nil)
	// A card assigned to them, so the board shows the name in the avatar's title.
	f.owner.must(201, "POST", f.path("/issues"), map[string]any{"title": "assigned", "assignee_id": hostile.user.ID, "labels": []string{xss1}}, nil)
	pages := []string{"/projects", "/projects/" + f.project.ID, "/projects/" + f.project.ID + "?view=list",
		"/projects/" + f.project.ID + "/issues/" + is.ID, "/projects/" + f.project.ID + "/settings", "/settings",
		"/projects/" + f.project.ID + "?q=" + "%3Cscript%3Ealert(1)%3C%2Fscript%3E"}
	for _, c := range []*client{f.owner, hostile} {
		for _, p := range pages {
			status, body := c.page(p)
			if status != 200 {
				t.Fatalf("%s: %d", p, status)
			}
			for _, raw := range []string{xss1, `<img src=x onerror`, `href="javascript:`} {
				if strings.Contains(body, raw) {
					t.Errorf("%s contains raw %q", p, raw)
				}
			}
		}
	}
	_, board := f.owner.page("/projects/" + f.project.ID)
	for _, want := range []string{"T &lt;script&gt;alert(1)&lt;/script&gt;", `title="Assigned to H &lt;script&gt;alert(1)&lt;/script&gt;"`,
		`badge-outline">&lt;script&gt;`, `badge-outline">&#34;&gt;&lt;img src=x onerror=alert(1)&gt;`} {
		if !strings.Contains(board, want) {
			t.Errorf("board does not show the escaped text %q", want)
		}
	}
	_, settings := f.owner.page("/projects/" + f.project.ID + "/settings")
	if !strings.Contains(settings, "H &lt;script&gt;") {
		t.Errorf("settings does not show the escaped member name")
	}
}

func TestMarkdownIsRenderedAndSanitised(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	var is models.Issue
	f.owner.must(201, "POST", f.path("/issues"), map[string]any{"title": "md",
		"description": "**bold** and *em*\n\n- one\n- two\n\n<script>alert(1)</script>\n\n[bad](javascript:alert(1)) [good](https://example.com)"}, &is)
	_, body := f.viewer.page("/projects/" + f.project.ID + "/issues/" + is.ID)
	for _, want := range []string{"<strong>bold</strong>", "<em>em</em>", "<li>one</li>", `href="https://example.com"`} {
		if !strings.Contains(body, want) {
			t.Errorf("rendered description lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "javascript:") {
		t.Errorf("script survived sanitising")
	}
}

func TestPagesNeedLoginAndHideOtherProjects(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	is := f.issues[0]
	protected := []string{"/projects", "/projects/new", "/settings", "/projects/" + f.project.ID,
		"/projects/" + f.project.ID + "?view=list", "/projects/" + f.project.ID + "/issues/" + is.ID,
		"/projects/" + f.project.ID + "/settings"}
	for _, p := range protected {
		res, _ := ts.anon().do("GET", p, nil)
		if want := "/login?next=" + url.QueryEscape(p); res.StatusCode != 302 || res.Header.Get("Location") != want {
			t.Errorf("anonymous %s: %d -> %q, want 302 -> %q", p, res.StatusCode, res.Header.Get("Location"), want)
		}
		if status, _ := f.owner.page(p); status != 200 {
			t.Errorf("owner %s: %d", p, status)
		}
	}
	// A form posted without a session (it ended while the form was open) is
	// sent to the login page (303: follow with GET), then back to the page
	// that held the form; a foreign Referer is not followed.
	for referer, want := range map[string]string{
		"http://localhost:3000/projects/new?x=1": "/login?next=" + url.QueryEscape("/projects/new?x=1"),
		"https://evil.example/projects/new":      "/login?next=%2Fprojects",
		"":                                       "/login?next=%2Fprojects",
	} {
		req := httptest.NewRequest("POST", "/projects", strings.NewReader("name=x"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if referer != "" {
			req.Header.Set("Referer", referer)
		}
		if res, _ := ts.anon().send(req); res.StatusCode != 303 || res.Header.Get("Location") != want {
			t.Errorf("anonymous post from %q: %d -> %q, want %q", referer, res.StatusCode, res.Header.Get("Location"), want)
		}
	}
	for _, p := range protected[3:] {
		if status, body := f.outsider.page(p); status != 404 || !strings.Contains(body, "Not found") {
			t.Errorf("outsider %s: %d", p, status)
		}
		if status, _ := f.viewer.page(p); status != 200 {
			t.Errorf("viewer %s: %d", p, status)
		}
	}
	// Every form of a project one cannot see is 404 too, and changes nothing.
	before := f.seq()
	base := "/projects/" + f.project.ID
	posts := map[string]map[string]string{
		base + "/issues":                                  {"title": "sneaky", "status": "open"},
		base + "/issues/" + is.ID:                         {"title": "sneaky", "version": "1", "status": "open", "priority": "low"},
		base + "/issues/" + is.ID + "/delete":             nil,
		base + "/settings":                                {"name": "sneaky", "key": "SNK"},
		base + "/delete":                                  {"confirm": f.project.Key},
		base + "/members":                                 {"email": f.outsider.user.Email, "role": "owner"},
		base + "/members/" + f.viewer.user.ID:             {"role": "owner"},
		base + "/members/" + f.viewer.user.ID + "/remove": nil,
		base + "/columns":                                 {"name": "Sneaky"},
		base + "/columns/open":                            {"name": "Sneaky"},
		base + "/columns/done/delete":                     nil,
		base + "/columns/open/move":                       {"dir": "down"},
	}
	for path, values := range posts {
		if res, _ := f.outsider.form(path, values); res.StatusCode != 404 {
			t.Errorf("outsider post %s: %d", path, res.StatusCode)
		}
	}
	if f.seq() != before {
		t.Errorf("outsider posts changed the project: seq %d -> %d", before, f.seq())
	}
}

func TestLoginAndRegisterForms(t *testing.T) {
	ts := newTestServer(t)
	ts.register("alice@example.com", "Alice")
	anon := ts.anon()
	res, body := anon.form("/login", map[string]string{"email": "alice@example.com", "password": "wrong one", "next": "/settings"})
	if res.StatusCode != 401 || !strings.Contains(string(body), "Wrong email or password") || len(res.Cookies()) != 0 {
		t.Fatalf("bad login: %d cookies %v", res.StatusCode, res.Cookies())
	}
	res, _ = anon.form("/login", map[string]string{"email": "alice@example.com", "password": "correct horse battery", "next": "/settings"})
	if res.StatusCode != 303 || res.Header.Get("Location") != "/settings" {
		t.Fatalf("login: %d -> %s", res.StatusCode, res.Header.Get("Location"))
	}
	// No open redirect.
	for _, next := range []string{"//evil.example", "https://evil.example", "/\\evil.example", "/\t/evil.example", "/\n/evil.example", " //evil.example"} {
		res, _ = anon.form("/login", map[string]string{"email": "alice@example.com", "password": "correct horse battery", "next": next})
		if loc := res.Header.Get("Location"); loc != "/projects" {
			t.Errorf("next=%s redirected to %s", next, loc)
		}
	}
	res, body = anon.form("/register", map[string]string{"email": "not-an-email", "display_name": "", "password": "short"})
	if res.StatusCode != 422 {
		t.Fatalf("register errors: %d", res.StatusCode)
	}
	for _, want := range []string{"Email must be an email address", "Display name must be 1 to 80", "Password must be at least 8"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("register page lacks %q", want)
		}
	}
	if !strings.Contains(string(body), `value="not-an-email"`) {
		t.Errorf("register form lost the typed email")
	}
	res, body = anon.form("/register", map[string]string{"email": "ALICE@example.com", "display_name": "A", "password": "long enough password"})
	if res.StatusCode != 409 || !strings.Contains(string(body), "already has an account") {
		t.Fatalf("duplicate register: %d", res.StatusCode)
	}
	res, _ = anon.form("/register", map[string]string{"email": "bob@example.com", "display_name": "Bob", "password": "long enough password"})
	if res.StatusCode != 303 || sessionCookieFrom(t, res) == "" {
		t.Fatalf("register: %d", res.StatusCode)
	}
	// Logging out from the page kills the session.
	bob := &client{ts: ts, cookie: sessionCookieFrom(t, res)}
	if status, _ := bob.page("/projects"); status != 200 {
		t.Fatalf("bob's projects: %d", status)
	}
	bob.form("/logout", nil)
	bob.must(401, "GET", "/api/v1/auth/me", nil, nil)
}

func TestIssueFormsAndConflicts(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	// Create from the board form.
	res, _ := f.editor.form("/projects/"+f.project.ID+"/issues", map[string]string{"title": "From the board", "status": "in_progress"})
	if res.StatusCode != 303 {
		t.Fatalf("create: %d", res.StatusCode)
	}
	var page list[models.Issue]
	f.owner.must(200, "GET", f.path("/issues?status=in_progress"), nil, &page)
	if len(page.Items) != 1 || page.Items[0].Title != "From the board" {
		t.Fatalf("created %+v", page.Items)
	}
	is := page.Items[0]
	edit := func(c *client, version string, title string) (*http.Response, string) {
		res, b := c.form("/projects/"+f.project.ID+"/issues/"+is.ID, map[string]string{
			"title": title, "description": "d", "status": "done", "priority": "urgent", "assignee_id": f.viewer.user.ID,
			"labels": "a, b", "effort": "5", "due_date": "2027-01-02", "version": version})
		return res, string(b)
	}
	res, _ = edit(f.editor, "1", "Edited")
	if res.StatusCode != 303 {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	var now models.Issue
	f.owner.must(200, "GET", f.path("/issues/"+is.ID), nil, &now)
	if now.Title != "Edited" || now.Status != "done" || now.Priority != "urgent" || *now.Effort != 5 || len(now.Labels) != 2 || now.Version != 2 {
		t.Fatalf("edited %+v", now)
	}
	// A stale form shows the conflict, keeps the typed text, changes nothing.
	res, body := edit(f.owner, "1", "My stale edit")
	if res.StatusCode != 409 || !strings.Contains(body, "Someone else saved this issue") || !strings.Contains(body, `value="My stale edit"`) {
		t.Fatalf("stale edit: %d %s", res.StatusCode, body)
	}
	if !strings.Contains(body, `name="version" value="2"`) {
		t.Errorf("conflict form does not carry the current version, so re-applying would fail")
	}
	// The message shows the saved values beside the user's, field by field.
	diff := body[strings.Index(body, "data-conflict-diff"):]
	diff = diff[:strings.Index(diff, "</table>")]
	if !strings.Contains(diff, "<th scope=\"row\">Title</th><td class=\"break-words whitespace-pre-line max-w-48\">Edited</td><td class=\"break-words whitespace-pre-line max-w-48\">My stale edit</td>") {
		t.Errorf("conflict diff does not show both titles: %s", diff)
	}
	if strings.Contains(diff, ">Priority<") {
		t.Errorf("conflict diff lists a field that is the same on both sides: %s", diff)
	}
	f.owner.must(200, "GET", f.path("/issues/"+is.ID), nil, &now)
	if now.Title != "Edited" || now.Version != 2 {
		t.Fatalf("stale edit changed the issue: %+v", now)
	}
	// Invalid input: 422, field message, nothing changed.
	res, body = edit(f.owner, "2", "")
	if res.StatusCode != 422 || !strings.Contains(body, "Title is required") {
		t.Fatalf("invalid edit: %d", res.StatusCode)
	}
	// A viewer's edit is refused with a message, nothing changes.
	res, _ = edit(f.viewer, "2", "Viewer edit")
	if res.StatusCode != 303 {
		t.Fatalf("viewer edit: %d", res.StatusCode)
	}
	if flash := flashOf(res); !strings.Contains(flash, "Your role in this project does not allow that") {
		t.Errorf("viewer sees no explanation: %q", flash)
	}
	f.owner.must(200, "GET", f.path("/issues/"+is.ID), nil, &now)
	if now.Version != 2 {
		t.Fatalf("viewer edit changed the issue")
	}
	// Delete.
	res, _ = f.editor.form("/projects/"+f.project.ID+"/issues/"+is.ID+"/delete", nil)
	if res.StatusCode != 303 || res.Header.Get("Location") != "/projects/"+f.project.ID+"#deleted="+is.ID+"&key="+is.Key {
		t.Fatalf("delete: %d to %s", res.StatusCode, res.Header.Get("Location"))
	}
	f.owner.must(404, "GET", f.path("/issues/"+is.ID), nil, nil)
}

func TestSettingsForms(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	base := "/projects/" + f.project.ID
	steps := []struct {
		c    *client
		path string
		form map[string]string
		ok   bool
	}{
		{f.owner, base + "/settings", map[string]string{"name": "Renamed", "key": "REN", "description": ""}, true},
		{f.owner, base + "/columns", map[string]string{"name": "Review", "wip_limit": "2"}, true},
		{f.owner, base + "/columns/review", map[string]string{"name": "QA", "wip_limit": ""}, true},
		{f.owner, base + "/columns/review/move", map[string]string{"dir": "up"}, true},
		{f.owner, base + "/columns/open/delete", nil, false}, // has issues
		{f.owner, base + "/columns/review/delete", nil, true},
		{f.owner, base + "/members", map[string]string{"email": f.outsider.user.Email, "role": "viewer"}, true},
		{f.owner, base + "/members/" + f.outsider.user.ID, map[string]string{"role": "editor"}, true},
		{f.owner, base + "/members/" + f.owner.user.ID + "/remove", nil, false}, // last owner
		{f.editor, base + "/settings", map[string]string{"name": "Editor rename", "key": "ED", "description": ""}, false},
		{f.viewer, base + "/members/" + f.viewer.user.ID + "/remove", nil, true}, // leave
		{f.owner, base + "/delete", map[string]string{"confirm": "WRONG"}, false},
	}
	for i, s := range steps {
		res, _ := s.c.form(s.path, s.form)
		if res.StatusCode != 303 {
			t.Fatalf("step %d %s: %d", i, s.path, res.StatusCode)
		}
		flash := ""
		for _, ck := range res.Cookies() {
			if ck.Name == flashCookie {
				flash = ck.Value
			}
		}
		if ok := strings.HasPrefix(flash, "%2B"); ok != s.ok {
			t.Errorf("step %d %s: flash %q, want ok=%v", i, s.path, flash, s.ok)
		}
	}
	var p models.Project
	f.owner.must(200, "GET", f.path(""), nil, &p)
	if p.Name != "Renamed" || p.Key != "REN" || len(p.Columns) != 3 {
		t.Fatalf("project after settings: %+v", p)
	}
	f.viewer.must(404, "GET", f.path(""), nil, nil)
	res, _ := f.owner.form(base+"/delete", map[string]string{"confirm": "ren"})
	if res.StatusCode != 303 || res.Header.Get("Location") != "/projects" {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	f.owner.must(404, "GET", f.path(""), nil, nil)
}

func TestBoardMarkupAndOrder(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	// Put the second issue above the first.
	f.owner.must(200, "POST", f.path("/issues/"+f.issues[1].ID+"/move"), map[string]any{"status": "open", "before_id": f.issues[0].ID}, nil)
	_, body := f.viewer.page("/projects/" + f.project.ID)
	for _, col := range []string{"open", "in_progress", "done"} {
		if !strings.Contains(body, `data-status="`+col+`"`) {
			t.Errorf("no column element for %s", col)
		}
	}
	ids := regexp.MustCompile(`<li class="kcard" data-issue-id="([^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(ids) != 2 || ids[0][1] != f.issues[1].ID || ids[1][1] != f.issues[0].ID {
		t.Fatalf("cards in page order %v", ids)
	}
	if strings.Contains(body, "data-move-button") {
		t.Errorf("a viewer gets move controls")
	}
	if _, body := f.editor.page("/projects/" + f.project.ID); !strings.Contains(body, "data-move-button") {
		t.Errorf("an editor gets no move controls")
	}
	// List view sorts by the column asked for.
	_, list := f.viewer.page("/projects/" + f.project.ID + "?view=list&sort=title&dir=asc")
	if strings.Index(list, "First") > strings.Index(list, "Second") || strings.Index(list, "First") < 0 {
		t.Errorf("list not sorted by title ascending: %s", list)
	}
	_, list = f.viewer.page("/projects/" + f.project.ID + "?view=list&sort=title&dir=desc")
	if strings.Index(list, "First") < strings.Index(list, "Second") {
		t.Errorf("list not sorted by title descending")
	}
}

// TestNoInlineScriptOrStyle: the CSP forbids inline script and style, so no
// page may rely on them.
func TestNoInlineScriptOrStyle(t *testing.T) {
	f, is := xssFixture(t)
	inlineScript := regexp.MustCompile(`<script(?:\s[^>]*)?>`)
	for _, p := range []string{"/login", "/register", "/projects", "/projects/new", "/projects/" + f.project.ID,
		"/projects/" + f.project.ID + "?view=list", "/projects/" + f.project.ID + "/issues/" + is.ID,
		"/projects/" + f.project.ID + "/settings", "/settings", "/nope"} {
		c := f.owner
		if p == "/login" || p == "/register" {
			c = f.ts.anon()
		}
		req := httptest.NewRequest("GET", p, nil)
		if c.cookie != "" {
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
		}
		res, b := c.send(req)
		body := string(b)
		if !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'self'") {
			t.Errorf("%s: CSP %q", p, res.Header.Get("Content-Security-Policy"))
		}
		for _, tag := range inlineScript.FindAllString(body, -1) {
			if !strings.Contains(tag, "src=") {
				t.Errorf("%s has an inline script tag %s", p, tag)
			}
		}
		if strings.Contains(body, " style=") || strings.Contains(body, "<style") || strings.Contains(body, " onclick=") {
			t.Errorf("%s has inline style or handlers", p)
		}
	}
}

func TestAccountPages(t *testing.T) {
	ts := newTestServer(t)
	a := ts.register("a@example.com", "A")
	res, _ := a.anon2().form("/login", map[string]string{"email": "a@example.com", "password": "correct horse battery"})
	other := &client{ts: ts, cookie: sessionCookieFrom(t, res)}
	_, body := a.page("/settings")
	if strings.Count(body, "<tr data-session-id=") != 2 || !strings.Contains(body, "this session") {
		t.Fatalf("sessions list wrong")
	}
	a.form("/settings/profile", map[string]string{"display_name": "Alice Renamed"})
	var me models.User
	a.must(200, "GET", "/api/v1/auth/me", nil, &me)
	if me.DisplayName != "Alice Renamed" {
		t.Fatalf("profile: %+v", me)
	}
	// Refused forms: 422, the message next to its field, the typed name kept.
	for _, tc := range []struct {
		path   string
		form   map[string]string
		want   []string
		absent string
	}{
		{"/settings/profile", map[string]string{"display_name": "   "}, []string{"Display name must be 1 to 80"}, ""},
		{"/settings/profile", map[string]string{"display_name": strings.Repeat("n", 81)}, []string{"Display name must be 1 to 80", `value="` + strings.Repeat("n", 81) + `"`}, ""},
		{"/settings/password", map[string]string{"current_password": "wrong", "new_password": "brand new password"},
			[]string{`id="current-password-error"`, "Current password is not right"}, "brand new password"},
		{"/settings/password", map[string]string{"current_password": "correct horse battery", "new_password": "short"},
			[]string{`id="new-password-error"`, "New password must be at least 8"}, "correct horse battery"},
	} {
		res, b := a.form(tc.path, tc.form)
		body := string(b)
		if res.StatusCode != 422 {
			t.Errorf("%s %v: %d", tc.path, tc.form, res.StatusCode)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s %v: page lacks %q", tc.path, tc.form, w)
			}
		}
		if tc.absent != "" && strings.Contains(body, tc.absent) {
			t.Errorf("%s: a password was sent back in the page", tc.path)
		}
	}
	a.must(200, "GET", "/api/v1/auth/me", nil, &me)
	if me.DisplayName != "Alice Renamed" {
		t.Fatalf("a refused profile form changed the name: %+v", me)
	}
	other.must(200, "GET", "/api/v1/auth/me", nil, nil)
	a.form("/settings/password", map[string]string{"current_password": "correct horse battery", "new_password": "brand new password"})
	other.must(401, "GET", "/api/v1/auth/me", nil, nil) // other sessions end
	a.must(200, "GET", "/api/v1/auth/me", nil, nil)     // this one stays
	ts.anon().must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "a@example.com", "password": "brand new password"}, nil)
}

func (c *client) anon2() *client { return &client{ts: c.ts} }

// flashOf is the flash message a response sets for the next page.
func flashOf(res *http.Response) string {
	for _, ck := range res.Cookies() {
		if ck.Name == flashCookie {
			v, _ := url.QueryUnescape(ck.Value)
			return v
		}
	}
	return ""
}

// TestBoardFormErrors: a refused new-issue form re-renders the board with
// 422, the message next to the title, and the chosen column kept.
func TestBoardFormErrors(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	before := f.seq()
	res, b := f.editor.form("/projects/"+f.project.ID+"/issues", map[string]string{"title": " ", "status": "done"})
	body := string(b)
	if res.StatusCode != 422 || !strings.Contains(body, `id="new-title-error"`) || !strings.Contains(body, "Title is required") {
		t.Fatalf("empty title: %d", res.StatusCode)
	}
	if !strings.Contains(body, `<option value="done" selected>`) || !strings.Contains(body, `data-status="open"`) {
		t.Errorf("the board or the chosen column is missing from the refused form")
	}
	long := strings.Repeat("x", 201)
	if res, b := f.editor.form("/projects/"+f.project.ID+"/issues", map[string]string{"title": long, "status": "open"}); res.StatusCode != 422 ||
		!strings.Contains(string(b), `value="`+long+`"`) {
		t.Errorf("long title: %d, typed title kept=%v", res.StatusCode, strings.Contains(string(b), long))
	}
	if f.seq() != before {
		t.Errorf("a refused form created an issue")
	}
	// A viewer posting the form gets a message, not an error page.
	res, _ = f.viewer.form("/projects/"+f.project.ID+"/issues", map[string]string{"title": "Viewer's", "status": "open"})
	if res.StatusCode != 303 || !strings.Contains(flashOf(res), "does not allow") || f.seq() != before {
		t.Errorf("viewer create: %d %q", res.StatusCode, flashOf(res))
	}
	// The flash shows on the next page, which clears it (HttpOnly, Lax).
	var flash *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == flashCookie {
			flash = ck
		}
	}
	if flash == nil || !flash.HttpOnly || flash.SameSite != http.SameSiteLaxMode {
		t.Fatalf("flash cookie %+v", flash)
	}
	req := httptest.NewRequest("GET", "/projects/"+f.project.ID, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: f.viewer.cookie})
	req.AddCookie(&http.Cookie{Name: flashCookie, Value: flash.Value})
	res, b = f.viewer.send(req)
	if !strings.Contains(string(b), `role="alert" class="alert alert-error mb-4" data-flash>Your role in this project does not allow that.`) {
		t.Errorf("the flash message is not on the next page")
	}
	cleared := false
	for _, ck := range res.Cookies() {
		cleared = cleared || ck.Name == flashCookie && ck.Value == "" && (ck.MaxAge < 0 || ck.Expires.Before(time.Now()))
	}
	if !cleared {
		t.Errorf("showing the flash does not clear it: %v", res.Cookies())
	}
}

// TestFilteredBoardCounts: a filtered board still counts every card of a
// column (the JS adds data-hidden to the cards it sees).
func TestFilteredBoardCounts(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	f.owner.must(200, "PATCH", f.path("/columns/open"), map[string]any{"wip_limit": 1}, nil)
	_, body := f.viewer.page("/projects/" + f.project.ID + "?q=First")
	open := body[strings.Index(body, `data-status="open"`):]
	open = open[:strings.Index(open, "</header>")]
	if !strings.Contains(open, `badge-error" data-count data-hidden="1" data-wip-limit="1"`) || !strings.Contains(open, ">2 / 1</span>") {
		t.Errorf("open column header on a filtered board: %s", open)
	}
	if n := strings.Count(body, `<li class="kcard"`); n != 1 {
		t.Errorf("filtered board shows %d cards, want 1", n)
	}
}

// TestSettingsFormErrors: refused settings forms re-render with 422, the
// message next to the field and the typed values kept; other forms show
// the project as stored.
func TestSettingsFormErrors(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	base := "/projects/" + f.project.ID
	before := f.seq()
	refusedForms(t, f.owner, []refusedForm{
		{base + "/settings", map[string]string{"name": "Kept name", "key": "bad key!", "description": "kept"},
			[]string{"Key must be 2 to 10 capital letters", `value="bad key!"`, `value="Kept name"`, ">kept</textarea>"}},
		{base + "/members", map[string]string{"email": "nobody@example.com", "role": "viewer"},
			[]string{"Email no account has this email", `value="nobody@example.com"`, `<option value="viewer" selected>`}},
		{base + "/members", map[string]string{"email": f.editor.user.Email, "role": "editor"},
			[]string{"Email is already a member"}},
		{base + "/columns", map[string]string{"name": "Review", "wip_limit": "lots"},
			[]string{"WIP limit must be a whole number", `value="Review"`, `value="lots"`}},
		{base + "/columns", map[string]string{"name": "Open", "wip_limit": ""},
			[]string{"Key: a column with this key exists."}},
		{base + "/columns/done", map[string]string{"name": "Shipped", "wip_limit": "0"},
			[]string{"WIP limit must be between 1 and 1000", `value="Shipped"`, `value="In progress"`}},
	})
	if f.seq() != before {
		t.Errorf("refused settings forms changed the project")
	}
	// Textareas arrive with the CRLF line ends browsers send; they are stored as LF.
	f.owner.form(base+"/settings", map[string]string{"name": f.project.Name, "key": f.project.Key, "description": "one\r\ntwo"})
	var p models.Project
	f.owner.must(200, "GET", f.path(""), nil, &p)
	if p.Description != "one\ntwo" {
		t.Errorf("description stored as %q", p.Description)
	}
}

// TestAccountInvisibleSetting: the account page's toggle sets and clears
// "appear invisible", which the API's me reports.
func TestAccountInvisibleSetting(t *testing.T) {
	ts := newTestServer(t)
	a := ts.register("a@example.com", "A")
	for _, on := range []bool{true, false} {
		v := map[string]string{}
		if on {
			v["invisible"] = "1"
		}
		if res, b := a.form("/settings/presence", v); res.StatusCode != 303 {
			t.Fatalf("presence form: %d %s", res.StatusCode, b)
		}
		var me models.User
		a.must(200, "GET", "/api/v1/auth/me", nil, &me)
		if me.Invisible != on {
			t.Fatalf("invisible = %v, want %v", me.Invisible, on)
		}
		page := string(a.must(200, "GET", "/settings", nil, nil))
		if strings.Contains(page, `value="1" checked`) != on {
			t.Fatalf("toggle checked = %v, want %v", !on, on)
		}
	}
}
