package app

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/corkboard/corkboard/models"
)

// TestBrowserPlanningWalk is issue #12's story as a team lead lives it, in
// the pages: Alice sets up the planning settings, schedules two-week cycles
// starting on a Wednesday, gives herself and Bob capacities, plans the next
// cycle on the board while watching the bars (Bob, in his own browser,
// sees his bar turn red as she overloads him), reads the cycle page's
// burn-up and health, and once the cycle is over finds the unfinished work
// in the next cycle, carried over by itself. The server's clock is the
// test's (Monday 2026-11-23 10:00 UTC); only the clock moves, never a
// sleep. Screenshots go to test-artifacts/walk-*.png.
func TestBrowserPlanningWalk(t *testing.T) {
	chrome := chromiumPath(t)
	clk := newManualClock()
	ts, base := browserLiveServer(t, func(cfg *Config) {
		cfg.Now, cfg.RollOverInterval, cfg.RateLimitPerMinute = clk.Now, 25*time.Millisecond, 100000
	})
	alice := ts.register("alice@example.com", "Alice Liddell")
	bob := ts.register("bob@example.com", "Bob Stone")
	actx, bctx := browserUser(t, chrome), browserUser(t, chrome)
	run := func(ctx context.Context, what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	shot := func(ctx context.Context, name string) {
		t.Helper()
		var png []byte
		run(ctx, "screenshot "+name, chromedp.FullScreenshot(&png, 100))
		artifact(t, "walk-"+name+".png", png)
	}
	// submit runs actions that post a form and waits for the next page's
	// flash to say text.
	submit := func(ctx context.Context, what, text string, actions ...chromedp.Action) {
		t.Helper()
		run(ctx, what, append([]chromedp.Action{chromedp.Evaluate(`window.__walkBefore = true`, nil)}, actions...)...)
		waitJS(t, ctx, what, fmt.Sprintf(`(() => { const f = document.querySelector('[data-flash]'); return !window.__walkBefore && !!f && f.textContent.includes(%q); })()`, text))
	}
	click := func(ctx context.Context, what, sel string) {
		t.Helper()
		run(ctx, what, chromedp.Click(sel, chromedp.ByQuery))
	}

	// Alice creates the project and adds Bob, in the pages.
	run(actx, "Alice signs in and creates a project", login(base, "alice@example.com"), chromedp.Navigate(base+"/projects/new"),
		chromedp.WaitVisible(`input[name=name]`), chromedp.SetValue(`input[name=name]`, "Walk", chromedp.ByQuery),
		chromedp.Submit(`input[name=name]`, chromedp.ByQuery), chromedp.WaitVisible(`[data-board]`))
	var pid string
	run(actx, "the project's id", chromedp.Evaluate(`document.querySelector('[data-board]').dataset.projectId`, &pid))
	api := func(s string) string { return "/api/v1/projects/" + pid + s }
	click(actx, "open the settings", `a[href="/projects/`+pid+`/settings"]`)
	submit(actx, "add Bob", "Bob Stone added as editor", chromedp.WaitVisible(`input[name=email]`),
		chromedp.SetValue(`input[name=email]`, bob.user.Email, chromedp.ByQuery), chromedp.Click(`form[action$="/members"] button`, chromedp.ByQuery))

	// (1) The planning settings.
	submit(actx, "the planning settings", "Planning settings saved.", chromedp.SetValue(`[data-planning-settings] [name=estimate_scale]`, "fibonacci", chromedp.ByQuery),
		chromedp.SetValue(`[data-planning-settings] [name=timezone]`, "Europe/Paris", chromedp.ByQuery),
		chromedp.SetValue(`[data-planning-settings] [name=capacity_policy]`, "warn", chromedp.ByQuery),
		chromedp.Click(`[data-planning-settings] button`, chromedp.ByQuery))
	var p models.Project
	alice.must(200, "GET", api(""), nil, &p)
	if p.EstimateScale != "fibonacci" || p.Timezone != "Europe/Paris" || p.CapacityPolicy != "warn" {
		t.Fatalf("settings %s %s %s", p.EstimateScale, p.Timezone, p.CapacityPolicy)
	}
	shot(actx, "1-settings")

	// (2) Three two-week cycles from next Wednesday (Paris), scheduled on
	// the cycles page reached from the settings.
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	today := clk.Now().In(paris)
	wed := today.AddDate(0, 0, (int(time.Wednesday)-int(today.Weekday())+7)%7)
	if wed.Format(time.DateOnly) == today.Format(time.DateOnly) {
		wed = wed.AddDate(0, 0, 7)
	}
	day := func(d int) string { return wed.AddDate(0, 0, d).Format(time.DateOnly) }
	click(actx, "open the cycles", `[data-planning-settings] a[href="/projects/`+pid+`/cycles"]`)
	submit(actx, "schedule three cycles", "3 cycles scheduled.", chromedp.WaitVisible(`[data-cycle-schedule]`),
		chromedp.SetValue(`[data-cycle-schedule] [name=starts_on]`, day(0), chromedp.ByQuery),
		chromedp.SetValue(`[data-cycle-schedule] [name=length_days]`, "14", chromedp.ByQuery),
		chromedp.SetValue(`[data-cycle-schedule] [name=cooldown_days]`, "0", chromedp.ByQuery),
		chromedp.SetValue(`[data-cycle-schedule] [name=count]`, "3", chromedp.ByQuery),
		chromedp.Click(`[data-cycle-schedule] button`, chromedp.ByQuery))
	var cycles struct{ Items []models.Cycle }
	alice.must(200, "GET", api("/cycles"), nil, &cycles)
	if len(cycles.Items) != 3 || cycles.Items[0].StartsOn != day(0) || cycles.Items[0].EndsOn != day(13) || cycles.Items[1].StartsOn != day(14) {
		t.Fatalf("cycles %+v, want three of 14 days from %s", cycles.Items, day(0))
	}
	c1, c2 := cycles.Items[0], cycles.Items[1]
	waitJS(t, actx, "three upcoming cycles listed", `document.querySelectorAll('[data-cycle-list] tr[data-state="upcoming"]').length === 3`)
	shot(actx, "2-cycles")

	// (3) Capacities on the settings page: Alice 8, Bob 5.
	click(actx, "back to the planning settings", `a[href="/projects/`+pid+`/settings#planning"]`)
	for _, m := range []struct {
		c      *client
		points string
	}{{alice, "8"}, {bob, "5"}} {
		submit(actx, "capacity of "+m.c.user.DisplayName, "capacity "+m.points+" points per cycle", chromedp.WaitVisible(`#capacity-`+m.c.user.ID, chromedp.ByQuery),
			chromedp.SetValue(`#capacity-`+m.c.user.ID, m.points, chromedp.ByQuery),
			chromedp.Click(`[data-member-id="`+m.c.user.ID+`"] form button`, chromedp.ByQuery))
	}
	shot(actx, "3-capacities")

	// (4) The board: Alice and Bob each pick the next cycle in the filter.
	pickCycle := func(ctx context.Context, who string) {
		t.Helper()
		run(ctx, who+" picks "+c1.Name, chromedp.WaitVisible(`[data-cycle-filter]`, chromedp.ByQuery),
			chromedp.SetValue(`[data-cycle-filter]`, c1.ID, chromedp.ByQuery),
			chromedp.Click(`form[role=search] button`, chromedp.ByQuery))
		waitJS(t, ctx, who+"'s board of "+c1.Name, fmt.Sprintf(`document.querySelector('[data-capacity-bars]') && document.querySelector('[data-capacity-bars]').dataset.cycleId === %q`, c1.ID))
		run(ctx, who+": mark the page", chromedp.Evaluate(`window.__corkboardSamePage = true`, nil))
		waitJS(t, ctx, who+"'s badge to read Live", `document.querySelector('[data-live-status]').dataset.liveStatus === "live"`)
	}
	click(actx, "open the board", `a[href="/projects/`+pid+`"]`)
	pickCycle(actx, "Alice")
	run(bctx, "Bob signs in", login(base, "bob@example.com"), chromedp.Navigate(base+"/projects/"+pid))
	pickCycle(bctx, "Bob")
	bar := func(u *client) string {
		return fmt.Sprintf(`document.querySelector('[data-capacity-user=%q]')`, u.user.ID)
	}
	waitJS(t, bctx, "both bars empty", fmt.Sprintf(`%s.dataset.load === "0" && %s.dataset.capacity === "5" && %s.dataset.capacity === "8"`,
		bar(bob), bar(bob), bar(alice)))

	// Alice adds the cycle's issues from its board, then assigns and
	// estimates each in the card panel.
	card := func(title string) models.Issue {
		t.Helper()
		var out struct{ Items []models.Issue }
		alice.must(200, "GET", api("/issues?q="+title), nil, &out)
		for _, is := range out.Items {
			if is.Title == title {
				return is
			}
		}
		t.Fatalf("no issue %q", title)
		return models.Issue{}
	}
	plan := func(title string, who *client, effort string) models.Issue {
		t.Helper()
		submit(actx, "add "+title, "created", chromedp.SetValue(`#new-title`, title, chromedp.ByQuery), chromedp.Click(`[data-new-issue] button`, chromedp.ByQuery))
		is := card(title)
		if deref(is.CycleID) != c1.ID {
			t.Fatalf("%s added on the board of %s is in cycle %s", title, c1.Name, deref(is.CycleID))
		}
		waitJS(t, actx, title+" on the cycle's board", fmt.Sprintf(`!!document.querySelector('[data-cards] [data-issue-id=%q]') && !!document.querySelector('[data-capacity-bars][data-cycle-id=%q]')`, is.ID, c1.ID))
		run(actx, "Alice: mark the page", chromedp.Evaluate(`window.__corkboardSamePage = true`, nil))
		waitJS(t, actx, "Alice's badge to read Live", `document.querySelector('[data-live-status]').dataset.liveStatus === "live"`)
		click(actx, "open "+title, `[data-issue-id="`+is.ID+`"] a.ktitle`)
		waitJS(t, actx, title+"'s panel, its estimate a choice on the Fibonacci scale", fmt.Sprintf(`(() => { const e = document.querySelector('[data-issue-panel=%q] #kp-effort');
			return !!e && e.tagName === "SELECT" && Array.from(e.options).map(o => o.value).join() === ",0,1,2,3,5,8,13,21"; })()`, is.ID))
		for _, f := range []struct{ sel, v string }{{"#kp-assignee", who.user.ID}, {"#kp-effort", effort}} {
			run(actx, "set "+f.sel, chromedp.SetValue(f.sel, f.v, chromedp.ByQuery),
				chromedp.Evaluate(`document.querySelector('`+f.sel+`').dispatchEvent(new Event("change", {bubbles: true}))`, nil))
			waitJS(t, actx, f.sel+" saved on the card", fmt.Sprintf(`(() => { const c = document.querySelector('[data-cards] [data-issue-id=%q]'); return !!c && c.dataset.version !== %q; })()`,
				is.ID, fmt.Sprint(is.Version)))
			is = card(title)
		}
		run(actx, "close the panel", chromedp.Click(`[data-panel-close]`, chromedp.ByQuery))
		return is
	}
	design := plan("Design", bob, "3")
	waitJS(t, bctx, "Bob sees his bar at 3 of 5", fmt.Sprintf(`%s.dataset.load === "3" && !%s.classList.contains("kcap-over")`, bar(bob), bar(bob)))
	build := plan("Build", bob, "5")
	waitJS(t, actx, "Alice sees Bob's bar red at 8 of 5", fmt.Sprintf(`%s.dataset.load === "8" && %s.classList.contains("kcap-over")`, bar(bob), bar(bob)))
	waitJS(t, bctx, "Bob sees his bar red at 8 of 5, live", fmt.Sprintf(
		`%s.dataset.load === "8" && %s.classList.contains("kcap-over") && %s.querySelector(".kcap-text").textContent === "8 / 5"`, bar(bob), bar(bob), bar(bob)))
	test := plan("Test", alice, "2")
	waitJS(t, bctx, "Bob sees Alice's bar at 2 of 8", fmt.Sprintf(`%s.dataset.load === "2" && !%s.classList.contains("kcap-over")`, bar(alice), bar(alice)))
	waitJS(t, actx, "Alice: no reload", notReloadedJS)
	waitJS(t, bctx, "Bob: no reload", notReloadedJS)
	shot(actx, "4-board-alice")
	shot(bctx, "4-board-bob")

	// Before the cycle starts, its page already says what planning can fix.
	click(actx, "open the upcoming cycle's page", `[data-cycle-link]`)
	waitJS(t, actx, "the upcoming cycle's over_capacity reason", fmt.Sprintf(
		`document.querySelector('[data-cycle-state]').dataset.cycleState === "upcoming" && !!document.querySelector('[data-reasons] [data-reason-code="over_capacity"][data-user-id=%q]')`, bob.user.ID))
	shot(actx, "4-cycle-upcoming")
	click(actx, "back to the cycle's board", `a[href="/projects/`+pid+`?cycle=`+c1.ID+`"]`)
	waitJS(t, actx, "the cycle's board again", fmt.Sprintf(`!!document.querySelector('[data-capacity-bars][data-cycle-id=%q]')`, c1.ID))
	waitJS(t, actx, "Alice's badge to read Live", `document.querySelector('[data-live-status]').dataset.liveStatus === "live"`)

	// (5) Nine days into the cycle, Design done: the cycle page, from the
	// board's link, has the burn-up and a health whose reasons say what
	// to fix, naming Bob.
	clk.Advance(wed.AddDate(0, 0, 9).Sub(today))
	design = currentIssue(alice, api("/issues/"+design.ID))
	bob.must(200, "PATCH", api("/issues/"+design.ID), map[string]any{"status": "done", "version": design.Version}, nil)
	waitJS(t, actx, "Design in Done", fmt.Sprintf(`!!document.querySelector('section[data-status="done"] [data-issue-id=%q]')`, design.ID))
	click(actx, "open the cycle page", `[data-cycle-link]`)
	waitJS(t, actx, "the burn-up with ten days and the health", `(() => { const s = document.querySelector('[data-chart="burnup"] [data-series="scope"]');
		return !!s && s.dataset.values.split(",").length === 10 && s.dataset.values.endsWith(",10") && !!document.querySelector('[data-health]'); })()`)
	waitJS(t, actx, "Bob's over_capacity reason, by name", fmt.Sprintf(
		`(() => { const r = document.querySelector('[data-reasons] [data-reason-code="over_capacity"][data-user-id=%q]'); return !!r && r.textContent === "Bob Stone is over capacity: 8 points against 5; move 3 to someone else or raise their capacity in this cycle."; })()`, bob.user.ID))
	var reasons string
	run(actx, "read the reasons", chromedp.Evaluate(`Array.from(document.querySelectorAll('[data-reasons] li')).map(l => l.dataset.reasonCode + ": " + l.textContent).join("\n")`, &reasons))
	t.Logf("health reasons:\n%s", reasons)
	shot(actx, "5-cycle")

	// (6) The cycle ends: the morning after, its unfinished work is in
	// the next cycle by itself, carried over once.
	run(actx, "open the next cycle's board", chromedp.Navigate(base+"/projects/"+pid+"?cycle="+c2.ID), chromedp.WaitVisible(`[data-board]`),
		chromedp.Evaluate(`window.__corkboardSamePage = true`, nil))
	waitJS(t, actx, "Alice's badge to read Live", `document.querySelector('[data-live-status]').dataset.liveStatus === "live"`)
	clk.Advance(5 * 24 * time.Hour)
	for _, is := range []models.Issue{build, test} {
		pollUntil(t, is.Title+" rolled over", func() bool {
			got := currentIssue(alice, api("/issues/"+is.ID))
			return deref(got.CycleID) == c2.ID && got.Carryover == 1
		}, func() string { return fmt.Sprintf("%+v", currentIssue(alice, api("/issues/"+is.ID))) })
		waitJS(t, actx, is.Title+" on the next cycle's board, live, marked carried over once", fmt.Sprintf(
			`(() => { const c = document.querySelector('[data-cards] [data-issue-id=%q] [data-carryover]'); return !!c && c.dataset.carryover === "1" && c.textContent === "↻ 1"; })()`, is.ID))
	}
	if got := currentIssue(alice, api("/issues/"+design.ID)); deref(got.CycleID) != c1.ID || got.Carryover != 0 {
		t.Fatalf("done Design moved: %+v", got)
	}
	waitJS(t, actx, "Bob's bar in the next cycle at 5 of 5", fmt.Sprintf(`%s.dataset.load === "5" && !%s.classList.contains("kcap-over")`, bar(bob), bar(bob)))
	waitJS(t, actx, "no reload", notReloadedJS)
	shot(actx, "6-rolled-board")
	run(actx, "reload the next cycle's board", chromedp.Reload(), chromedp.WaitVisible(`[data-board]`))
	waitJS(t, actx, "the served cards marked carried over once", fmt.Sprintf(
		`document.querySelector('[data-issue-id=%q] [data-carryover="1"]').textContent === "↻ 1" && !!document.querySelector('[data-issue-id=%q] [data-carryover="1"]') && !document.querySelector('[data-issue-id=%q] [data-carryover]')`,
		build.ID, test.ID, design.ID))
	click(actx, "open the next cycle's page", `[data-cycle-link]`)
	waitJS(t, actx, "7 points carried over into it", `document.querySelector('[data-total="carried_over"]').textContent === "7"`)
	shot(actx, "6-rolled-cycle")
	if !strings.Contains(reasons, "over_capacity") {
		t.Fatalf("reasons %q", reasons)
	}
}
