package app

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/corkboard/corkboard/models"
)

// A large board renders only a window of each column (issue #16): the
// first cards by rank, more as the column is scrolled. Moves by drag and
// drop and by the keyboard menu land where the user sees them (or, for
// "bottom", at the real bottom of the column), and live moves of cards
// outside the window change the counts without rendering them.

// windowBoard reads what the browser renders: column -> card ids in DOM
// order, and each column's count badge.
type windowBoard struct {
	Cols   map[string][]string `json:"cols"`
	Counts map[string]string   `json:"counts"`
}

func readWindowBoard(t *testing.T, ctx context.Context) windowBoard {
	t.Helper()
	var raw string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`JSON.stringify((() => {
	  const cols = {}, counts = {};
	  document.querySelectorAll('[data-board] section[data-status]').forEach(s => {
	    cols[s.dataset.status] = Array.from(s.querySelectorAll('[data-cards] > [data-issue-id]')).map(c => c.dataset.issueId);
	    counts[s.dataset.status] = s.querySelector('[data-count]').textContent.trim();
	  });
	  return {cols, counts};
	})())`, &raw)); err != nil {
		t.Fatal(err)
	}
	var w windowBoard
	mustJSON(t, []byte(raw), &w)
	return w
}

// waitWindowOfServer waits until every column the browser renders is the
// start of the server's column, in the server's order, and its count is
// the server's; it returns the server's board.
func waitWindowOfServer(t *testing.T, ctx context.Context, c *client, pid string) (map[string][]string, windowBoard) {
	t.Helper()
	var want map[string][]string
	var got windowBoard
	pollUntil(t, "the browser's columns to be the start of the server's", func() bool {
		want, _ = boardOrder(c, pid)
		got = readWindowBoard(t, ctx)
		for col, ids := range want {
			shown := got.Cols[col]
			if len(shown) > len(ids) || !slices.Equal(shown, ids[:len(shown)]) || got.Counts[col] != fmt.Sprint(len(ids)) {
				return false
			}
		}
		return true
	}, func() string { return fmt.Sprintf("browser %v, server %v", got, want) })
	return want, got
}

// TestBrowserBoardWindow: with a window of 5 cards, columns of 40 render
// only their first cards; scrolling renders more; a drop, the keyboard's
// Move to top / to bottom / to another column, and another user's live
// moves all leave the browser showing the start of the server's columns
// with the server's counts.
func TestBrowserBoardWindow(t *testing.T) {
	chrome := chromiumPath(t)
	ts, base := browserLiveServer(t, func(cfg *Config) { cfg.BoardWindow = 5 })
	alice := ts.register("alice@example.com", "Alice")
	carolC := ts.register("carol@example.com", "Carol")
	carol := &apiScript{t: t, base: base, cookie: carolC.cookie}
	var p models.Project
	alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Big"}, &p)
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": carolC.user.Email, "role": "editor"}, nil)
	const per = 40
	for i := range 2 * per {
		status := []string{"open", "done"}[i%2]
		alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": fmt.Sprintf("Card %d", i), "status": status}, nil)
	}
	move := func(id string, body map[string]any) {
		carol.must(200, "POST", "/api/v1/projects/"+p.ID+"/issues/"+id+"/move", body, nil)
	}
	card := func(id string) string { return `[data-issue-id="` + id + `"]` }
	ctx := browserUser(t, chrome)
	openLiveBoard(t, ctx, base, "alice@example.com", base+"/projects/"+p.ID)

	// Only a window: the first cards of each column, the count of all.
	server, shown := waitWindowOfServer(t, ctx, alice, p.ID)
	for _, col := range []string{"open", "done"} {
		if n := len(shown.Cols[col]); n < 5 || n >= per {
			t.Fatalf("column %s renders %d of its %d cards, want a window (5 at least, not all)", col, n, per)
		}
	}

	// Scrolling the column renders more, still the start of the column.
	before := len(shown.Cols["open"])
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => { const l = document.querySelector('section[data-status="open"] [data-cards]'); l.scrollTop = l.scrollHeight; })()`, nil)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "more cards after scrolling", fmt.Sprintf(`document.querySelectorAll('section[data-status="open"] [data-cards] > [data-issue-id]').length > %d`, before))
	server, shown = waitWindowOfServer(t, ctx, alice, p.ID)
	if len(shown.Cols["open"]) >= per {
		t.Fatalf("scrolling rendered the whole column (%d cards)", len(shown.Cols["open"]))
	}

	// Drag the top card of done into the middle of what open shows: the
	// server puts it directly below the card the browser shows above it.
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelector('section[data-status="open"] [data-cards]').scrollTop = 0`, nil)); err != nil {
		t.Fatal(err)
	}
	var target string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(() => {
	  const l = document.querySelector('section[data-status="open"] [data-cards]'), box = l.getBoundingClientRect();
	  const mid = box.top + box.height / 2;
	  return Array.from(l.children).find(c => c.getBoundingClientRect().bottom >= mid).dataset.issueId;
	})()`, &target)); err != nil {
		t.Fatal(err)
	}
	dragged := server["done"][0]
	if err := chromedp.Run(ctx, drag(card(dragged)+" a", card(target))); err != nil {
		t.Fatal(err)
	}
	var above string
	waitJS(t, ctx, "the dropped card in open", fmt.Sprintf(`!!document.querySelector('section[data-status="open"] %s')`, card(dragged)))
	if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`(document.querySelector('%s').previousElementSibling || {dataset: {}}).dataset.issueId || ""`, card(dragged)), &above)); err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "the dropped card to be saved below "+above, func() bool {
		server, _ = boardOrder(alice, p.ID)
		i := slices.Index(server["open"], dragged)
		return i >= 0 && (above == "" && i == 0 || i > 0 && server["open"][i-1] == above)
	}, func() string { return fmt.Sprint(server["open"]) })
	waitWindowOfServer(t, ctx, alice, p.ID)

	// The keyboard menu: Move to bottom of a partly rendered column puts
	// the card at the real bottom (and out of the window); Move to top
	// at the top; "→ Done" at the bottom of done.
	menu := func(id, item string) {
		t.Helper()
		if err := chromedp.Run(ctx, chromedp.Focus(card(id)+` [data-move-button]`), chromedp.KeyEvent(kb.Enter),
			chromedp.WaitVisible(`[role=menu]`)); err != nil {
			t.Fatal(err)
		}
		var ok bool
		if err := chromedp.Run(ctx, chromedp.Evaluate(fmt.Sprintf(`(() => {
		  const b = Array.from(document.querySelectorAll('[role=menu] button')).find(b => b.textContent === %q);
		  if (b) { b.focus(); } return !!b; })()`, item), &ok)); err != nil || !ok {
			t.Fatalf("no menu item %q (%v)", item, err)
		}
		if err := chromedp.Run(ctx, chromedp.KeyEvent(kb.Enter)); err != nil {
			t.Fatal(err)
		}
	}
	server, _ = boardOrder(alice, p.ID)
	toBottom, toTop, toDone := server["open"][1], server["open"][3], server["open"][2]
	menu(toBottom, "⤓ Move to bottom")
	pollUntil(t, "Move to bottom to reach the server", func() bool {
		server, _ = boardOrder(alice, p.ID)
		return server["open"][len(server["open"])-1] == toBottom
	}, func() string { return fmt.Sprint(server["open"]) })
	menu(toTop, "⤒ Move to top")
	pollUntil(t, "Move to top to reach the server", func() bool {
		server, _ = boardOrder(alice, p.ID)
		return server["open"][0] == toTop
	}, func() string { return fmt.Sprint(server["open"]) })
	menu(toDone, "→ Done")
	pollUntil(t, "→ Done to reach the server", func() bool {
		server, _ = boardOrder(alice, p.ID)
		return server["done"][len(server["done"])-1] == toDone
	}, func() string { return fmt.Sprint(server["done"]) })
	_, shown = waitWindowOfServer(t, ctx, alice, p.ID)
	if slices.Contains(shown.Cols["open"], toBottom) || slices.Contains(shown.Cols["done"], toDone) {
		t.Fatalf("cards moved to the bottom of partly rendered columns are rendered: %v", shown.Cols)
	}

	// Carol moves an unrendered card (the last of open) to the bottom of
	// done: the counts change, nothing renders it. Then a rendered one (the
	// second of open) to the top of done, and an unrendered one of done to
	// the top of open: both show up in place.
	server, _ = boardOrder(alice, p.ID)
	last := server["open"][len(server["open"])-1]
	move(last, map[string]any{"status": "done"})
	_, shown = waitWindowOfServer(t, ctx, alice, p.ID)
	if slices.Contains(shown.Cols["open"], last) || slices.Contains(shown.Cols["done"], last) {
		t.Fatalf("an unrendered card moved live got rendered: %v", shown.Cols)
	}
	server, _ = boardOrder(alice, p.ID)
	second, hidden := server["open"][1], server["done"][len(server["done"])-2]
	if !slices.Contains(shown.Cols["open"], second) || slices.Contains(shown.Cols["done"], hidden) {
		t.Fatalf("setup: %s should be rendered and %s not: %v", second, hidden, shown.Cols)
	}
	move(second, map[string]any{"status": "done", "before_id": server["done"][0]})
	move(hidden, map[string]any{"status": "open", "before_id": server["open"][0]})
	waitJS(t, ctx, "the rendered card at the top of done, the unrendered one at the top of open", fmt.Sprintf(
		`document.querySelector('section[data-status="done"] [data-cards] > :first-child').dataset.issueId === %q &&
		 document.querySelector('section[data-status="open"] [data-cards] > :first-child').dataset.issueId === %q`, second, hidden))
	waitWindowOfServer(t, ctx, alice, p.ID)
	var same bool
	if err := chromedp.Run(ctx, chromedp.Evaluate(notReloadedJS, &same)); err != nil || !same {
		t.Fatalf("the page was reloaded (%v)", err)
	}
}
