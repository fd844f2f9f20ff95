package app

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/corkboard/corkboard/models"
)

// planScene is the browser planning tests' start: Alice owns a project in
// which Bob is an editor with a capacity of 5, an active cycle "Sprint 1",
// and in it Design (3 points, Bob's) and Build (2 points, nobody's).
type planScene struct {
	base          string
	alice, bob    *client
	project       models.Project
	cycle         models.Cycle
	design, build models.Issue
}

func newPlanScene(t *testing.T) *planScene {
	t.Helper()
	ts, base := browserLiveServer(t, nil)
	sc := &planScene{base: base, alice: ts.register("alice@example.com", "Alice Liddell"), bob: ts.register("bob@example.com", "Bob Stone")}
	sc.alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Planning"}, &sc.project)
	sc.alice.must(201, "POST", sc.path("/members"), map[string]string{"email": sc.bob.user.Email, "role": "editor"}, nil)
	sc.alice.must(200, "PATCH", sc.path("/members/"+sc.bob.user.ID), map[string]any{"capacity": 5}, nil)
	starts, ends := activeDates()
	sc.alice.must(201, "POST", sc.path("/cycles"), map[string]any{"starts_on": starts, "ends_on": ends, "name": "Sprint 1",
		"goal": "Ship the planning pages"}, &sc.cycle)
	sc.alice.must(201, "POST", sc.path("/issues"), map[string]any{"title": "Design", "effort": 3, "cycle_id": sc.cycle.ID,
		"assignee_id": sc.bob.user.ID}, &sc.design)
	sc.alice.must(201, "POST", sc.path("/issues"), map[string]any{"title": "Build", "effort": 2, "cycle_id": sc.cycle.ID}, &sc.build)
	return sc
}

func (sc *planScene) path(s string) string { return "/api/v1/projects/" + sc.project.ID + s }

// TestBrowserCyclePageLive: Bob watches the cycle page while Alice plans
// over the API. Her overloading him turns his load bar red and adds his
// over_capacity reason to the health; her finishing an issue moves the
// burn-up's completed line and the totals; her renaming the cycle renames
// the page; never a reload. Screenshots of the cycle page (light, dark,
// desktop, phone) go to test-artifacts/.
func TestBrowserCyclePageLive(t *testing.T) {
	chrome := chromiumPath(t)
	sc := newPlanScene(t)
	base, alice, bob, p, cy, path := sc.base, sc.alice, sc.bob, sc.project, sc.cycle, sc.path
	design, build := sc.design, sc.build

	bctx := browserUser(t, chrome)
	if err := chromedp.Run(bctx, login(base, "bob@example.com"), chromedp.Navigate(base+"/projects/"+p.ID+"/cycles/"+cy.ID),
		chromedp.WaitVisible(`[data-chart="burnup"]`), chromedp.Evaluate(`window.__corkboardSamePage = true`, nil)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "Bob's badge to read Live", `document.querySelector('[data-live-status]').dataset.liveStatus === "live"`)
	bar := fmt.Sprintf(`document.querySelector('[data-capacity-user=%q]')`, bob.user.ID)
	series := func(name string) string {
		return fmt.Sprintf(`document.querySelector('[data-chart="burnup"] [data-series=%q]').dataset.values`, name)
	}
	total := func(name string) string {
		return fmt.Sprintf(`document.querySelector('[data-total=%q]').textContent`, name)
	}
	waitJS(t, bctx, "Bob at 3 of 5, scope 5", fmt.Sprintf(`%s.dataset.load === "3" && !%s.classList.contains("kcap-over") && %s === "5" && %s.endsWith(",5")`,
		bar, bar, total("scope"), series("scope")))
	var before string
	if err := chromedp.Run(bctx, chromedp.Evaluate(`document.querySelector('[data-health]').dataset.healthScore`, &before)); err != nil {
		t.Fatal(err)
	}

	// Alice gives Build to Bob as an 8: 11 > 5, red, and a health reason.
	build = currentIssue(alice, path("/issues/"+build.ID))
	alice.must(200, "PATCH", path("/issues/"+build.ID), map[string]any{"assignee_id": bob.user.ID, "effort": 8, "version": build.Version}, nil)
	waitJS(t, bctx, "Bob's bar red at 11 of 5", fmt.Sprintf(
		`%s.dataset.load === "11" && %s.classList.contains("kcap-over") && %s.querySelector(".kcap-text").textContent === "11 / 5"`, bar, bar, bar))
	waitJS(t, bctx, "Bob's over_capacity reason, the score down, scope 11 on the chart", fmt.Sprintf(
		`!!document.querySelector('[data-reasons] [data-reason-code="over_capacity"][data-user-id=%q]') && `+
			`Number(document.querySelector('[data-health]').dataset.healthScore) < %s && %s === "11" && %s.endsWith(",11") && %s === "0,11"`,
		bob.user.ID, before, total("scope"), series("scope"), series("ideal")))

	// Alice finishes Design: the completed line and total follow.
	design = currentIssue(alice, path("/issues/"+design.ID))
	alice.must(200, "PATCH", path("/issues/"+design.ID), map[string]any{"status": "done", "version": design.Version}, nil)
	waitJS(t, bctx, "completed 3 on the chart and in the totals", fmt.Sprintf(`%s.endsWith(",3") && %s === "3"`, series("completed"), total("completed")))

	// A new name and goal show at once; the health status and badge agree.
	alice.must(200, "PATCH", path("/cycles/"+cy.ID), map[string]any{"name": "Sprint <1>", "goal": "Planning & <b>charts</b>"}, nil)
	waitJS(t, bctx, "the new name and goal as text", `document.querySelector('[data-cycle-name]').textContent === "Sprint <1>" && `+
		`document.querySelector('[data-cycle-goal]').textContent === "Planning & <b>charts</b>" && !document.querySelector('[data-cycle-goal] b') && `+
		`document.querySelector('[data-chart="burnup"] title').textContent.startsWith("Burn-up of Sprint <1>")`)
	waitJS(t, bctx, "the health badge matches its status", `(function () { var h = document.querySelector('[data-health]');
		var cls = {on_track: "badge-success", at_risk: "badge-warning", off_track: "badge-error"}[h.dataset.healthStatus];
		return h.querySelector('[data-health-badge]').classList.contains(cls); })()`)
	waitJS(t, bctx, "no reload", notReloadedJS)

	// The browser's redraw is the server's drawing: same points, same scale.
	_, served := bob.page("/projects/" + p.ID + "/cycles/" + cy.ID)
	for _, name := range []string{"ideal", "scope", "completed"} {
		want := attrOf(t, served, `data-series="`+name+`"`, "points")
		waitJS(t, bctx, name+" drawn as the server draws it", fmt.Sprintf(
			`document.querySelector('[data-series=%q]').getAttribute("points") === %q`, name, want))
	}
	waitJS(t, bctx, "the scale as the server's", fmt.Sprintf(`document.querySelector('[data-chart="burnup"]').dataset.yMax === %q`,
		attrOf(t, served, `data-chart="burnup"`, "data-y-max")))

	themeShots(t, bctx, "cycle")
}

// themeShots saves full-page screenshots of the page in ctx, light and
// dark, desktop and phone, as test-artifacts/<prefix>-<theme>-<size>.png,
// and puts the desktop viewport back.
func themeShots(t *testing.T, ctx context.Context, prefix string) {
	t.Helper()
	var png []byte
	for _, theme := range []string{"light", "dark"} {
		for _, size := range []struct {
			name string
			w, h int64
		}{{"desktop", 1400, 900}, {"phone", 390, 844}} {
			if err := chromedp.Run(ctx, chromedp.EmulateViewport(size.w, size.h),
				chromedp.Evaluate(`document.documentElement.setAttribute("data-theme", "`+theme+`")`, nil),
				chromedp.FullScreenshot(&png, 100)); err != nil {
				t.Fatal(err)
			}
			artifact(t, prefix+"-"+theme+"-"+size.name+".png", png)
		}
	}
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(1400, 900)); err != nil {
		t.Fatal(err)
	}
}
