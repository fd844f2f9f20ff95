package app

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/corkboard/corkboard/models"
)

// TestBrowserPlanningLive: Bob watches the board of the active cycle while
// Alice plans. Her drag moves column points on his board; her assigning
// and estimating an issue over REST turns his capacity bar red; a cycle
// override turns it back; deleting the cycle clears the bars and bumps the
// cards' versions on a board showing all cycles, so her next edit from
// that board is not a stale 409. Never a reload. Screenshots of the board
// with capacity bars (light, dark, phone) go to test-artifacts/.
func TestBrowserPlanningLive(t *testing.T) {
	chrome := chromiumPath(t)
	sc := newPlanScene(t)
	base, alice, bob, p, cy, path := sc.base, sc.alice, sc.bob, sc.project, sc.cycle, sc.path
	design, build, later := sc.design, sc.build, models.Issue{}
	alice.must(200, "PATCH", path(""), map[string]any{"estimate_scale": "tshirt"}, nil)
	alice.must(201, "POST", path("/issues"), map[string]any{"title": "Later"}, &later)

	board := base + "/projects/" + p.ID
	actx, bctx := browserUser(t, chrome), browserUser(t, chrome)
	openLiveBoard(t, actx, base, "alice@example.com", board+"?cycle=all")
	openLiveBoard(t, bctx, base, "bob@example.com", board)
	bar := fmt.Sprintf(`document.querySelector('[data-capacity-user=%q]')`, bob.user.ID)
	points := func(col string) string {
		return fmt.Sprintf(`document.querySelector('section[data-status=%q] [data-points]').textContent`, col)
	}
	waitJS(t, bctx, "Bob's bar at 3 of 5, open at 5 points", fmt.Sprintf(
		`%s.dataset.load === "3" && %s.dataset.capacity === "5" && !%s.classList.contains("kcap-over") && %s === "5 pts"`,
		bar, bar, bar, points("open")))
	waitJS(t, bctx, "the Later card (no cycle) left out", fmt.Sprintf(`!document.querySelector('[data-issue-id=%q]')`, later.ID))

	// Alice drags Build to Done: Bob's column points follow.
	if err := chromedp.Run(actx, drag(`[data-issue-id="`+build.ID+`"] a`, `section[data-status="done"] [data-cards]`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "Bob's column points after Alice's drag", points("open")+` === "3 pts" && `+points("done")+` === "2 pts"`)

	// Alice assigns Build to Bob and makes it an XL: 3 + 8 = 11 > 5, red.
	build = currentIssue(alice, path("/issues/"+build.ID))
	alice.must(200, "PATCH", path("/issues/"+build.ID), map[string]any{"assignee_id": bob.user.ID, "effort": 8, "version": build.Version}, nil)
	waitJS(t, bctx, "Bob's bar red at 11 of 5", fmt.Sprintf(
		`%s.dataset.load === "11" && Number(%s.dataset.load) > Number(%s.dataset.capacity) && %s.classList.contains("kcap-over") && %s.querySelector(".kcap-text").textContent === "11 / 5"`,
		bar, bar, bar, bar, bar))
	waitJS(t, bctx, "the XL estimate and the done column's points", fmt.Sprintf(
		`document.querySelector('[data-issue-id=%q] .kest').textContent === "XL" && %s === "8 pts"`, build.ID, points("done")))
	waitJS(t, bctx, "no reload", notReloadedJS)
	themeShots(t, bctx, "planning-board") // Bob over capacity

	// A cycle override of 12 lifts the limit; removing Bob's capacity
	// does not matter while the override holds.
	alice.must(200, "PUT", path("/cycles/"+cy.ID+"/capacity/"+bob.user.ID), map[string]any{"points": 12}, nil)
	waitJS(t, bctx, "Bob's bar back under capacity", fmt.Sprintf(
		`%s.dataset.capacity === "12" && !%s.classList.contains("kcap-over")`, bar, bar))
	alice.must(200, "PATCH", path("/members/"+bob.user.ID), map[string]any{"capacity": nil}, nil)
	alice.must(200, "PUT", path("/cycles/"+cy.ID+"/capacity/"+bob.user.ID), map[string]any{"points": nil}, nil)
	waitJS(t, bctx, "Bob's bar without a limit", fmt.Sprintf(
		`%s.dataset.capacity === "" && %s.classList.contains("kcap-nolimit") && !%s.classList.contains("kcap-over")`, bar, bar, bar))

	// Deleting the cycle: Bob's bars go; Alice's all-cycles board keeps
	// the cards at the server's versions, so her next edit is not stale.
	alice.must(204, "DELETE", path("/cycles/"+cy.ID), nil, nil)
	waitJS(t, bctx, "Bob's capacity bars gone", `!document.querySelector('[data-capacity-user]') && !!document.querySelector('[data-capacity-bars][data-deleted]')`)
	design = currentIssue(alice, path("/issues/"+design.ID))
	waitJS(t, actx, "Alice's card at the server's version", fmt.Sprintf(
		`document.querySelector('[data-issue-id=%q]').dataset.version === "%d" && document.querySelector('[data-issue-id=%q]').dataset.cycleId === ""`,
		design.ID, design.Version, design.ID))
	waitJS(t, actx, "Alice: no reload", notReloadedJS)
	waitJS(t, bctx, "Bob: no reload", notReloadedJS)
}

func currentIssue(c *client, path string) models.Issue {
	var is models.Issue
	c.must(200, "GET", path, nil, &is)
	return is
}
