package app

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/app/planning/cyclereport"
	"github.com/corkboard/corkboard/models"
)

// The cycles pages, server-rendered: the list and the cycle page for every
// role, 404 for outsiders, the owner's forms (refused input changes
// nothing), and the burn-up SVG escaping what users typed.

// attrOf is the value of attr in the first tag of body that has marker.
func attrOf(t *testing.T, body, marker, attr string) string {
	t.Helper()
	i := strings.Index(body, marker)
	if i < 0 {
		t.Fatalf("no %s in the page", marker)
	}
	tag := body[strings.LastIndex(body[:i], "<"):]
	tag = tag[:strings.Index(tag, ">")]
	m := regexp.MustCompile(`\s` + regexp.QuoteMeta(attr) + `="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		t.Fatalf("%s has no %s: %s", marker, attr, tag)
	}
	return m[1]
}

// refusedForm is a form post that must be refused (422) with a page
// that says why (want: each a substring, case aside).
type refusedForm struct {
	path string
	form map[string]string
	want []string
}

func refusedForms(t *testing.T, c *client, cases []refusedForm) {
	t.Helper()
	for _, tc := range cases {
		res, b := c.form(tc.path, tc.form)
		if res.StatusCode != 422 {
			t.Errorf("%s %v: %d, want 422", tc.path, tc.form, res.StatusCode)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(strings.ToLower(string(b)), strings.ToLower(w)) {
				t.Errorf("%s %v: the page lacks %q", tc.path, tc.form, w)
			}
		}
	}
}

func TestCyclePagesByRole(t *testing.T) {
	f, active, upcoming, _ := planningBoard(t)
	list, page := "/projects/"+f.project.ID+"/cycles", "/projects/"+f.project.ID+"/cycles/"+active.ID

	for _, c := range []*client{f.owner, f.viewer} {
		status, body := c.page(list)
		if status != 200 || !strings.Contains(body, `href="`+page+`"`) || !strings.Contains(body, upcoming.ID) {
			t.Fatalf("cycles list for %s: %d, links to the cycles: %v", c.user.Email, status, strings.Contains(body, page))
		}
		if owner := c == f.owner; strings.Contains(body, "data-cycle-create") != owner || strings.Contains(body, "data-cycle-schedule") != owner {
			t.Errorf("cycles list for %s: create/schedule forms shown = %v, want %v", c.user.Email, !owner, owner)
		}
	}

	// The cycle page: the chart's hooks, the load and the health.
	status, body := f.viewer.page(page)
	if status != 200 {
		t.Fatalf("cycle page: %d", status)
	}
	if got := attrOf(t, body, `data-chart="burnup"`, "data-days-total"); got != "8" {
		t.Errorf("days total %s, want 8", got)
	}
	// The cycle started yesterday: two days so far; its issues came today
	// (6 points: L + unestimated), nothing completed; the ideal line from 0
	// to 6.
	for series, want := range map[string]string{"scope": "0,6", "completed": "0,0", "ideal": "0,6"} {
		if got := attrOf(t, body, `data-series="`+series+`"`, "data-values"); got != want {
			t.Errorf("series %s: %q, want %q", series, got, want)
		}
	}
	if !strings.Contains(body, `<dd data-total="scope">6</dd>`) {
		t.Errorf("scope total not 6")
	}
	bar := capacityBarTag(t, body, f.editor.user.ID)
	for _, want := range []string{`kcap-over`, `data-load="6"`, `data-capacity="3"`} {
		if !strings.Contains(bar, want) {
			t.Errorf("editor's load bar %s lacks %s", bar, want)
		}
	}
	if attrOf(t, body, "data-health-status", "data-health-status") == "" ||
		!strings.Contains(body, `data-reason-code="over_capacity" data-user-id="`+f.editor.user.ID+`"`) {
		t.Errorf("health without the editor's over_capacity reason")
	}
	if !strings.Contains(body, "How is this computed?") || !strings.Contains(body, "docs/HEALTH.md") {
		t.Errorf("no explanation of the health formula")
	}
	if strings.Contains(body, "data-cycle-edit") || strings.Contains(body, "data-capacity-form") {
		t.Errorf("a viewer sees the owner's forms")
	}
	if _, body := f.owner.page(page); !strings.Contains(body, "data-cycle-edit") || !strings.Contains(body, `data-capacity-form="`+f.editor.user.ID+`"`) {
		t.Errorf("the owner does not see the edit and capacity forms")
	}
	// The board links to the cycle page and to the cycles.
	if _, board := f.viewer.page("/projects/" + f.project.ID); !strings.Contains(board, `href="`+page+`" data-cycle-link`) ||
		!strings.Contains(board, `href="`+list+`" data-cycles-link`) {
		t.Errorf("the board does not link to the cycle page")
	}

	// Outsiders, other projects' cycles, unknown ids: 404.
	other := newFixture(f.ts)
	otherCycle := other.cycle("2030-01-01", "2030-01-07")
	for _, tc := range []struct {
		c    *client
		path string
	}{
		{f.outsider, list}, {f.outsider, page}, {f.viewer, "/projects/" + f.project.ID + "/cycles/" + otherCycle.ID},
		{f.viewer, "/projects/" + f.project.ID + "/cycles/nope"}, {f.viewer, "/projects/" + other.project.ID + "/cycles/" + otherCycle.ID},
	} {
		if status, _ := tc.c.page(tc.path); status != 404 {
			t.Errorf("%s GET %s: %d, want 404", tc.c.user.Email, tc.path, status)
		}
	}
	before := other.seq()
	if res, _ := f.owner.form("/projects/"+other.project.ID+"/cycles", map[string]string{"starts_on": "2031-01-01", "ends_on": "2031-01-02"}); res.StatusCode != 404 {
		t.Errorf("creating a cycle in someone else's project: %d", res.StatusCode)
	}
	if other.seq() != before {
		t.Errorf("an outsider's form changed the project")
	}
}

func TestCycleFormsRefuseBadInput(t *testing.T) {
	f := newFixture(newTestServer(t))
	base := "/projects/" + f.project.ID + "/cycles"
	existing := f.cycle("2030-03-01", "2030-03-14")
	before := f.seq()
	refusedForms(t, f.owner, []refusedForm{
		{base, map[string]string{"starts_on": "2030-02-10", "ends_on": "2030-02-01", "name": "Backwards", "goal": "kept goal"},
			[]string{"on or after", `value="Backwards"`, ">kept goal</textarea>", `value="2030-02-10"`}},
		{base, map[string]string{"starts_on": "soon", "ends_on": "", "name": "", "goal": ""}, []string{"Start must be a date"}},
		{base, map[string]string{"starts_on": "2030-03-10", "ends_on": "2030-03-20", "name": "Overlap", "goal": ""},
			[]string{"overlap", `value="Overlap"`}},
		{base, map[string]string{"starts_on": "2030-01-01", "ends_on": "2030-04-01", "name": "", "goal": ""}, []string{"56"}},
		{base + "/schedule", map[string]string{"starts_on": "2030-05-01", "length_days": "two weeks", "cooldown_days": "0", "count": "99"},
			[]string{"Length must be a whole number", "Count must be between 1 and 12", `value="two weeks"`}},
		{base + "/schedule", map[string]string{"starts_on": "2030-02-20", "length_days": "7", "cooldown_days": "0", "count": "3"},
			[]string{"overlap"}},
		{base + "/" + existing.ID, map[string]string{"starts_on": "2030-03-01", "ends_on": "2030-02-01", "name": "Still", "goal": ""},
			[]string{"on or after", `value="Still"`}},
		{base + "/" + existing.ID + "/capacity/" + f.editor.user.ID, map[string]string{"points": "lots"},
			[]string{"Capacity must be a whole number", `value="lots"`}},
		{base + "/" + existing.ID + "/capacity/" + f.editor.user.ID, map[string]string{"points": "-2"}, []string{"Capacity must be"}},
	})
	// Editors and viewers may not plan cycles: a flash, nothing changed.
	for _, c := range []*client{f.editor, f.viewer} {
		for _, path := range []string{base, base + "/" + existing.ID, base + "/" + existing.ID + "/delete"} {
			res, _ := c.form(path, map[string]string{"starts_on": "2030-06-01", "ends_on": "2030-06-07", "name": "Mine", "goal": ""})
			if res.StatusCode != 303 || !strings.Contains(flashOf(res), "role") {
				t.Errorf("%s %s: %d %q", c.user.Email, path, res.StatusCode, flashOf(res))
			}
		}
	}
	// A form posted from another site is refused before it reaches a handler.
	req := httptest.NewRequest("POST", base, strings.NewReader("starts_on=2030-06-01&ends_on=2030-06-07"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: f.owner.cookie})
	if res, _ := f.owner.send(req); res.StatusCode != 403 {
		t.Errorf("a cross-site cycle form: %d, want 403", res.StatusCode)
	}
	if f.seq() != before {
		t.Fatalf("refused cycle forms changed the project (seq %d -> %d)", before, f.seq())
	}

	// The same forms, right: create, schedule, edit, capacity, delete.
	res, _ := f.owner.form(base, map[string]string{"starts_on": "2030-04-01", "ends_on": "2030-04-14", "name": "April", "goal": "Ship it"})
	if res.StatusCode != 303 || !strings.HasPrefix(res.Header.Get("Location"), base+"/") {
		t.Fatalf("create: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, _ = f.owner.form(base+"/schedule", map[string]string{"starts_on": "2030-05-01", "length_days": "14", "cooldown_days": "2", "count": "3"})
	if res.StatusCode != 303 || flashOf(res) != "+3 cycles scheduled." {
		t.Fatalf("schedule: %d %q", res.StatusCode, flashOf(res))
	}
	var cycles list[models.Cycle]
	f.owner.must(200, "GET", f.path("/cycles"), nil, &cycles)
	if len(cycles.Items) != 5 || cycles.Items[1].Name != "April" || cycles.Items[1].Goal != "Ship it" || cycles.Items[3].StartsOn != "2030-05-17" {
		t.Fatalf("cycles after the forms: %+v", cycles.Items)
	}
	f.owner.form(base+"/"+existing.ID, map[string]string{"starts_on": "2030-03-02", "ends_on": "2030-03-15", "name": "March", "goal": "a\r\nb"})
	f.owner.form(base+"/"+existing.ID+"/capacity/"+f.editor.user.ID, map[string]string{"points": "7"})
	var cy models.Cycle
	f.owner.must(200, "GET", f.path("/cycles/"+existing.ID), nil, &cy)
	if cy.Name != "March" || cy.StartsOn != "2030-03-02" || cy.Goal != "a\nb" {
		t.Errorf("edited cycle: %+v", cy)
	}
	if _, body := f.owner.page(base + "/" + existing.ID); !strings.Contains(body, `id="cap-`+f.editor.user.ID+`" class="input input-bordered input-sm w-24 " name="points" inputmode="numeric" value="7"`) {
		t.Errorf("the capacity override 7 is not shown in its form")
	}
	f.owner.form(base+"/"+existing.ID+"/capacity/"+f.editor.user.ID, map[string]string{"points": ""})
	if got, err := f.ts.store.CycleCapacities(t.Context(), f.owner.user.ID, f.project.ID, existing.ID); err != nil || len(got) != 0 {
		t.Errorf("an empty capacity did not remove the override: %v %v", got, err)
	}
	res, _ = f.owner.form(base+"/"+existing.ID+"/delete", nil)
	if res.StatusCode != 303 || res.Header.Get("Location") != base {
		t.Errorf("delete: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	f.owner.must(404, "GET", f.path("/cycles/"+existing.ID), nil, nil)
}

// TestCyclePageEscapesUserText: a hostile cycle name and goal are text in
// the page and in the SVG's title, never markup; no inline script or style.
func TestCyclePageEscapesUserText(t *testing.T) {
	f := newFixture(newTestServer(t))
	hostile := `</title><script>alert(1)</script><svg onload=alert(2)>` + xss2
	var cy models.Cycle
	f.owner.must(201, "POST", f.path("/cycles"), map[string]any{"starts_on": "2030-01-01", "ends_on": "2030-01-07",
		"name": "C " + hostile, "goal": "G " + xss1}, &cy)
	for _, p := range []string{"/projects/" + f.project.ID + "/cycles", "/projects/" + f.project.ID + "/cycles/" + cy.ID,
		"/projects/" + f.project.ID + "/issues/" + f.issues[0].ID} {
		req := httptest.NewRequest("GET", p, nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: f.owner.cookie})
		res, b := f.owner.send(req)
		body := string(b)
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", p, res.StatusCode)
		}
		for _, raw := range []string{"<script>alert", "<svg onload", `<img src=x`, "</title><script"} {
			if strings.Contains(body, raw) {
				t.Errorf("%s contains %q unescaped", p, raw)
			}
		}
		if strings.Contains(body, " style=") || strings.Contains(body, "<style") || regexp.MustCompile(`<script>`).MatchString(body) {
			t.Errorf("%s has inline style or script", p)
		}
	}
	_, body := f.owner.page("/projects/" + f.project.ID + "/cycles/" + cy.ID)
	title := body[strings.Index(body, `<title id="burnup-title">`):]
	title = title[:strings.Index(title, "</title>")]
	if !strings.Contains(title, "C &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;svg onload=alert(2)&gt;") {
		t.Errorf("the SVG title is not the escaped name: %s", title)
	}
}

// TestPlanningSettingsForms: the settings page's planning form, member
// capacities and column categories; refused input shows why and changes
// nothing.
func TestPlanningSettingsForms(t *testing.T) {
	f := newFixture(newTestServer(t))
	base := "/projects/" + f.project.ID
	before := f.seq()
	refusedForms(t, f.owner, []refusedForm{
		{base + "/settings/planning", map[string]string{"estimate_scale": "huge", "unestimated_effort": "lots", "timezone": "Mars/Olympus_Mons", "capacity_policy": "maybe"},
			[]string{"Estimate scale must be free", "Unestimated effort must be a whole number", "Time zone must be an IANA time zone",
				"Capacity policy must be warn or block", `value="Mars/Olympus_Mons"`, `value="lots"`}},
		{base + "/settings/planning", map[string]string{"estimate_scale": "fibonacci", "unestimated_effort": "50", "timezone": "UTC", "capacity_policy": "warn"},
			[]string{"Unestimated effort must be between 0 and 21", `<option value="fibonacci" selected>`}},
		{base + "/members/" + f.editor.user.ID, map[string]string{"role": "editor", "capacity": "many"},
			[]string{"Capacity must be a whole number", `value="many"`}},
		{base + "/members/" + f.editor.user.ID, map[string]string{"role": "editor", "capacity": "-1"}, []string{"Capacity must be between 0 and"}},
		{base + "/columns/done", map[string]string{"name": "Done", "wip_limit": "", "category": "finished"},
			[]string{"Category must be todo, started or done", `value="Done"`}},
	})
	if res, _ := f.editor.form(base+"/settings/planning", map[string]string{"estimate_scale": "linear", "unestimated_effort": "2",
		"timezone": "UTC", "capacity_policy": "block"}); res.StatusCode != 303 || !strings.Contains(flashOf(res), "role") {
		t.Errorf("an editor's planning settings: %d %q", res.StatusCode, flashOf(res))
	}
	if f.seq() != before {
		t.Fatalf("refused settings changed the project")
	}

	for _, form := range []struct {
		path   string
		values map[string]string
	}{
		{base + "/settings/planning", map[string]string{"estimate_scale": "tshirt", "unestimated_effort": "2", "timezone": "Europe/Paris", "capacity_policy": "block"}},
		{base + "/members/" + f.editor.user.ID, map[string]string{"role": "editor", "capacity": "8"}},
		{base + "/columns/in_progress", map[string]string{"name": "Review", "wip_limit": "3", "category": "done"}},
		{base + "/columns", map[string]string{"name": "Shipping", "wip_limit": "", "category": "started"}},
	} {
		if res, _ := f.owner.form(form.path, form.values); res.StatusCode != 303 || !strings.HasPrefix(flashOf(res), "+") {
			t.Fatalf("%s: %d %q", form.path, res.StatusCode, flashOf(res))
		}
	}
	var p models.Project
	f.owner.must(200, "GET", f.path(""), nil, &p)
	if p.EstimateScale != "tshirt" || p.UnestimatedEffort != 2 || p.Timezone != "Europe/Paris" || p.CapacityPolicy != "block" {
		t.Errorf("planning settings: %+v", p.ProjectSettings)
	}
	cats := map[string]string{}
	for _, c := range p.Columns {
		cats[c.Key] = c.Category
	}
	if cats["in_progress"] != "done" || cats["shipping"] != "started" {
		t.Errorf("column categories: %v", cats)
	}
	var members list[models.Member]
	f.owner.must(200, "GET", f.path("/members"), nil, &members)
	for _, m := range members.Items {
		if m.UserID == f.editor.user.ID && (m.Capacity == nil || *m.Capacity != 8) {
			t.Errorf("editor's capacity: %v", m.Capacity)
		}
	}
	// A role form without the capacity field keeps the capacity.
	f.owner.form(base+"/members/"+f.editor.user.ID, map[string]string{"role": "viewer"})
	f.owner.must(200, "GET", f.path("/members"), nil, &members)
	for _, m := range members.Items {
		if m.UserID == f.editor.user.ID && (m.Role != "viewer" || m.Capacity == nil || *m.Capacity != 8) {
			t.Errorf("after a role-only form: %+v", m)
		}
	}
	_, body := f.viewer.page(base + "/settings")
	if strings.Contains(body, `action="`+base+`/settings/planning"`) || !strings.Contains(body, "Estimates on the tshirt scale") {
		t.Errorf("the viewer's settings page: planning form shown or settings not described")
	}
}

// TestIssuePagePlanning: the issue page offers the scale's efforts and the
// cycles, shows them, and refuses an effort off the scale.
func TestIssuePagePlanning(t *testing.T) {
	f := newFixture(newTestServer(t))
	f.owner.must(200, "PATCH", f.path(""), map[string]any{"estimate_scale": "tshirt"}, nil)
	next := time.Now().UTC().AddDate(0, 0, 10).Format(time.DateOnly)
	cy := f.cycle(next, next)
	is := f.issues[0]
	page := "/projects/" + f.project.ID + "/issues/" + is.ID
	_, body := f.editor.page(page)
	for _, want := range []string{`>M (3)</option>`, `<option value="">No cycle</option>`, `<option value="` + cy.ID + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("issue form lacks %s", want)
		}
	}
	form := map[string]string{"title": is.Title, "description": "", "status": is.Status, "priority": is.Priority,
		"assignee_id": "", "labels": "", "effort": "4", "due_date": "", "version": "1", "cycle_id": cy.ID}
	before := f.seq()
	res, b := f.editor.form(page, form)
	if res.StatusCode != 422 || !strings.Contains(string(b), "Effort must be one of 1 (XS), 2 (S), 3 (M), 5 (L), 8 (XL)") || f.seq() != before {
		t.Fatalf("effort off the scale: %d", res.StatusCode)
	}
	form["effort"] = "5"
	if res, _ := f.editor.form(page, form); res.StatusCode != 303 {
		t.Fatalf("save: %d", res.StatusCode)
	}
	got := currentIssue(f.owner, f.path("/issues/"+is.ID))
	if got.Effort == nil || *got.Effort != 5 || got.CycleID == nil || *got.CycleID != cy.ID {
		t.Fatalf("saved issue: effort %v cycle %v", got.Effort, got.CycleID)
	}
	_, body = f.viewer.page(page)
	if !strings.Contains(body, `<dd data-effort="5">L</dd>`) || !strings.Contains(body, `href="/projects/`+f.project.ID+`/cycles/`+cy.ID+`"`) {
		t.Errorf("the issue page does not show L and the cycle link")
	}
	// Under the block policy an overload is refused with a message, and
	// nothing changes.
	f.owner.must(200, "PATCH", f.path(""), map[string]any{"capacity_policy": "block"}, nil)
	f.owner.must(200, "PATCH", f.path("/members/"+f.editor.user.ID), map[string]any{"capacity": 4}, nil)
	before = f.seq()
	form["assignee_id"], form["version"] = f.editor.user.ID, "2"
	if res, _ := f.editor.form(page, form); res.StatusCode != 303 || !strings.Contains(flashOf(res), "load in the cycle to 5 points, above their capacity of 4") || f.seq() != before {
		t.Fatalf("an overload under the block policy: %d %q", res.StatusCode, flashOf(res))
	}
	form["assignee_id"] = ""
	// A form without cycle_id (an older page) leaves the cycle alone.
	delete(form, "cycle_id")
	form["version"] = "2"
	form["effort"] = ""
	if res, _ := f.editor.form(page, form); res.StatusCode != 303 {
		t.Fatalf("save without cycle_id: %d", res.StatusCode)
	}
	if got := currentIssue(f.owner, f.path("/issues/"+is.ID)); got.CycleID == nil || got.Effort != nil {
		t.Errorf("after a form without cycle_id: cycle %v effort %v", got.CycleID, got.Effort)
	}
}

func TestBurnupGeometry(t *testing.T) {
	for v, want := range map[int]int{0: 1, 1: 1, 2: 2, 3: 5, 5: 5, 6: 10, 11: 20, 21: 50, 99: 100, 101: 200} {
		if got := niceMax(v); got != want {
			t.Errorf("niceMax(%d) = %d, want %d", v, got, want)
		}
	}
	var r cyclereport.Report
	r.Cycle = models.Cycle{StartsOn: "2030-01-01", EndsOn: "2030-01-04"}
	r.Totals.Scope = 8
	r.Days = []planning.Day{{Scope: 4}, {Scope: 8, Completed: 2}}
	b := burnupChart(r)
	if b.DaysTotal != 4 || b.YMax != 10 || b.YMidLabel != "5" {
		t.Fatalf("chart %+v", b)
	}
	// x: 44 + 580 × day ÷ 4; y: 230 − 216 × value ÷ 10.
	want := map[string][2]string{
		"ideal":     {"0,8", "44.0,230.0 624.0,57.2"},
		"scope":     {"4,8", "189.0,143.6 334.0,57.2"},
		"completed": {"0,2", "189.0,230.0 334.0,186.8"},
	}
	for _, s := range b.Series {
		if w := want[s.Name]; s.Values != w[0] || s.Points != w[1] {
			t.Errorf("%s: values %q points %q, want %q %q", s.Name, s.Values, s.Points, w[0], w[1])
		}
	}
}
