package app

import (
	"fmt"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/corkboard/corkboard/models"
)

// TestBrowserUndo: on the board, a move and a delete each offer Undo. Undo
// of a move puts the card back between its old neighbours; undo of a move
// of a card someone changed since says so and leaves it; undo of a delete
// (from the card's menu, or from the issue page) restores it in place,
// live on a viewer's board too. Then the trash page, screenshotted to
// test-artifacts/trash.png.
func TestBrowserUndo(t *testing.T) {
	chrome := chromiumPath(t)
	ts, base := browserLiveServer(t, nil)
	alice := ts.register("alice@example.com", "Alice Liddell")
	bob := ts.register("bob@example.com", "Bob Stone")
	var p models.Project
	alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Undo"}, &p)
	path := func(s string) string { return "/api/v1/projects/" + p.ID + s }
	alice.must(201, "POST", path("/members"), map[string]string{"email": bob.user.Email, "role": "viewer"}, nil)
	var issues []models.Issue
	for _, title := range []string{"Alpha", "Bravo", "Charlie", "Delta"} {
		var is models.Issue
		alice.must(201, "POST", path("/issues"), map[string]string{"title": title}, &is)
		issues = append(issues, is)
	}
	a, b, c, d := issues[0], issues[1], issues[2], issues[3]
	board := base + "/projects/" + p.ID
	card := func(id string) string { return `[data-issue-id="` + id + `"]` }
	ctx, bctx := browserUser(t, chrome), browserUser(t, chrome)
	openLiveBoard(t, ctx, base, "alice@example.com", board)
	openLiveBoard(t, bctx, base, "bob@example.com", board)
	order := func(status string) []string {
		cols, _ := boardOrder(alice, p.ID)
		return cols[status]
	}
	waitOrder := func(what, status string, want ...string) {
		t.Helper()
		pollUntil(t, what, func() bool { return slices.Equal(order(status), want) },
			func() string { return fmt.Sprint(order(status)) })
		waitSameBoard(t, ctx, "Alice", alice, p.ID)
	}
	clickUndo := func() {
		t.Helper()
		sel := `.kundo-box > :last-child [data-undo]`
		if err := chromedp.Run(ctx, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Click(sel, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
	}

	// Bravo dragged to Done, then Undo: back between Alpha and Charlie.
	if err := chromedp.Run(ctx, drag(card(b.ID)+` a`, `section[data-status="done"] [data-cards]`)); err != nil {
		t.Fatal(err)
	}
	waitOrder("Bravo in Done", "done", b.ID)
	waitJS(t, ctx, "the undo toast", `!!document.querySelector('[data-undo-toast]') && document.querySelector('.kundo-box > :last-child').textContent.includes("Moved UNDO-2")`)
	clickUndo()
	waitOrder("Bravo back between Alpha and Charlie", "open", a.ID, b.ID, c.ID, d.ID)

	// Charlie dragged to Done, then changed by someone else: Undo says so.
	if err := chromedp.Run(ctx, drag(card(c.ID)+` a`, `section[data-status="done"] [data-cards]`)); err != nil {
		t.Fatal(err)
	}
	waitOrder("Charlie in Done", "done", c.ID)
	now := currentIssue(alice, path("/issues/"+c.ID))
	alice.must(200, "PATCH", path("/issues/"+c.ID), map[string]any{"title": "Charlie renamed", "version": now.Version}, nil)
	waitJS(t, ctx, "the rename shown", fmt.Sprintf(`document.querySelector('%s').textContent.includes("Charlie renamed")`, card(c.ID)))
	clickUndo()
	waitJS(t, ctx, "the toast saying it changed", `Array.from(document.querySelectorAll('[data-toasts] .alert')).some(e => e.textContent.includes("was changed since"))`)
	if got := order("done"); !slices.Equal(got, []string{c.ID}) {
		t.Fatalf("a refused undo moved the card: done %v", got)
	}

	// Delta deleted from its menu, then Undo: back at the bottom of Open.
	if err := chromedp.Run(ctx, chromedp.Click(card(d.ID)+` [data-move-button]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.kmenu`, chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('.kmenu button')).find(b => b.textContent.includes("trash")).click()`, nil)); err != nil {
		t.Fatal(err)
	}
	waitOrder("Delta in the trash", "open", a.ID, b.ID)
	alice.must(404, "GET", path("/issues/"+d.ID), nil, nil)
	waitSameBoard(t, bctx, "Bob", alice, p.ID)
	clickUndo()
	waitOrder("Delta restored in place", "open", a.ID, b.ID, d.ID)
	waitSameBoard(t, bctx, "Bob", alice, p.ID) // issue.restored, live
	waitJS(t, bctx, "Bob: no reload", notReloadedJS)

	// Bravo deleted from its page: the board offers Undo for it.
	if err := chromedp.Run(ctx, chromedp.Navigate(board+"/issues/"+b.ID), chromedp.WaitVisible(`form[action$="/delete"]`, chromedp.ByQuery),
		chromedp.Evaluate(`window.confirm = () => true`, nil),
		chromedp.Submit(`form[action$="/delete"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-board]`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	alice.must(404, "GET", path("/issues/"+b.ID), nil, nil)
	waitJS(t, ctx, "the undo toast for the page's delete", `document.querySelector('.kundo-box > :last-child').textContent.includes("UNDO-2")`)
	waitJS(t, ctx, "the live badge", `document.querySelector('[data-live-status]').dataset.liveStatus === "live"`)
	clickUndo()
	waitOrder("Bravo restored between Alpha and Delta", "open", a.ID, b.ID, d.ID)

	// Bob (a viewer) has Delta open in the card panel when Alice moves it
	// to the trash: the panel says so, with no Undo for him; her restore
	// brings the issue back into his panel.
	panelOn := fmt.Sprintf(`(() => { const p = document.querySelector('[data-issue-panel=%q]'); return !!p && !p.hidden && !!p.querySelector('[data-panel-content] [data-field="title"]'); })()`, d.ID)
	if err := chromedp.Run(bctx, chromedp.Click(card(d.ID)+` a.ktitle`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "Bob's panel on Delta", panelOn)
	alice.must(204, "DELETE", path("/issues/"+d.ID), nil, nil)
	waitJS(t, bctx, "Bob's panel saying Delta moved to the trash", `(() => { const n = document.querySelector('[data-issue-panel] [data-panel-note]'); return !!n && n.textContent.includes("moved to the trash by Alice Liddell"); })()`)
	waitJS(t, bctx, "no Undo for a viewer", `!document.querySelector('[data-issue-panel] [data-panel-undo]')`)
	alice.must(200, "POST", path("/issues/"+d.ID+"/restore"), nil, nil)
	waitJS(t, bctx, "Bob's panel back on Delta", panelOn+` && !document.querySelector('[data-issue-panel] [data-panel-note]')`)

	// The trash page.
	alice.must(204, "DELETE", path("/issues/"+a.ID), nil, nil)
	alice.must(204, "DELETE", path("/issues/"+c.ID), nil, nil)
	var png []byte
	if err := chromedp.Run(ctx, chromedp.Navigate(board+"/trash"), chromedp.WaitVisible(`[data-trash]`, chromedp.ByQuery),
		chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	artifact(t, "trash.png", png)
	if err := chromedp.Run(ctx, chromedp.Click(`[data-trashed-id="`+a.ID+`"] form[action$="/restore"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-flash]`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	alice.must(200, "GET", path("/issues/"+a.ID), nil, nil)
}
