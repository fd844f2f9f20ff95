package app

import (
	"fmt"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/corkboard/corkboard/models"
)

// TestBrowserUndoMoveRace: someone changes the card in the instant between
// the Undo click and the move back (the page's own fetch is wrapped to make
// that change first, the way a concurrent edit lands). The move back names
// the version it expects, so the server refuses it: the card stays where it
// is and the toast says it changed. (A check by GET before the move would
// have seen the old version and moved it anyway.)
func TestBrowserUndoMoveRace(t *testing.T) {
	chrome := chromiumPath(t)
	ts, base := browserLiveServer(t, nil)
	alice := ts.register("alice@example.com", "Alice Liddell")
	var p models.Project
	alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Race"}, &p)
	path := func(s string) string { return "/api/v1/projects/" + p.ID + s }
	var a, b models.Issue
	alice.must(201, "POST", path("/issues"), map[string]string{"title": "Alpha"}, &a)
	alice.must(201, "POST", path("/issues"), map[string]string{"title": "Bravo"}, &b)
	board := base + "/projects/" + p.ID
	ctx := browserUser(t, chrome)
	openLiveBoard(t, ctx, base, "alice@example.com", board)

	if err := chromedp.Run(ctx, drag(`[data-issue-id="`+a.ID+`"] a`, `section[data-status="done"] [data-cards]`)); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "Alpha in Done", func() bool { cols, _ := boardOrder(alice, p.ID); return slices.Equal(cols["done"], []string{a.ID}) },
		func() string { cols, _ := boardOrder(alice, p.ID); return fmt.Sprint(cols) })
	// From now on, the first move request waits for a rename of the card
	// (read, then PATCH with its version) before it goes out.
	js := fmt.Sprintf(`(() => {
		const real = window.fetch, url = "/api/v1/projects/%s/issues/%s";
		let raced = false;
		window.fetch = function (input, opts) {
			if (!raced && String(input).endsWith("/move") && opts && opts.method === "POST") {
				raced = true;
				const args = arguments;
				return real(url, {credentials: "same-origin"}).then(r => r.json()).then(is =>
					real(url, {method: "PATCH", credentials: "same-origin", headers: {"Content-Type": "application/json"},
						body: JSON.stringify({title: "Alpha renamed", version: is.version})})
				).then(() => real.apply(window, args));
			}
			return real.apply(window, arguments);
		};
		return true;
	})()`, p.ID, a.ID)
	sel := `.kundo-box > :last-child [data-undo]`
	if err := chromedp.Run(ctx, chromedp.Evaluate(js, nil), chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Click(sel, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the toast saying it changed", `Array.from(document.querySelectorAll('[data-toasts] .alert')).some(e => e.textContent.includes("was changed since"))`)
	now := currentIssue(alice, path("/issues/"+a.ID))
	if now.Title != "Alpha renamed" || now.Status != "done" {
		t.Fatalf("the undo moved a card changed since: %+v", now)
	}
	waitSameBoard(t, ctx, "Alice", alice, p.ID)
}
