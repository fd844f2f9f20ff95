package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/corkboard/corkboard/models"
)

// The live board in real browsers: two people on one board see each
// other's changes, and a browser that loses its socket ends with exactly
// the server's board.

// browserLiveServer is browserServer with a configuration hook (hub tuning).
func browserLiveServer(t *testing.T, adjust func(*Config)) (*testServer, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ts := newTestServerWith(t, "sqlite://"+filepath.Join(t.TempDir(), "live.db"), base, adjust)
	go ts.Serve(ln)
	return ts, base
}

// apiScript is a third person who only uses the REST API, over the
// network like any script would.
type apiScript struct {
	t      *testing.T
	base   string
	cookie string
}

func (c *apiScript) must(want int, method, path string, body, out any) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		c.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, res.StatusCode, want, b)
	}
	if out != nil {
		mustJSON(c.t, b, out)
	}
}

// boardOrder is the board as the server has it: column key -> issue ids
// ordered by rank, then id (bytewise, as the board orders them).
func boardOrder(c *client, pid string) (map[string][]string, boardResponse) {
	c.ts.t.Helper()
	var b boardResponse
	c.must(200, "GET", "/api/v1/projects/"+pid+"/board", nil, &b)
	issues := slices.Clone(b.Issues)
	slices.SortFunc(issues, func(x, y models.Issue) int {
		if x.Rank != y.Rank {
			return strings.Compare(x.Rank, y.Rank)
		}
		return strings.Compare(x.ID, y.ID)
	})
	out := map[string][]string{}
	for _, col := range b.Project.Columns {
		out[col.Key] = []string{}
	}
	for _, is := range issues {
		out[is.Status] = append(out[is.Status], is.ID)
	}
	return out, b
}

// shownBoardJS reads the board a browser shows: column key -> card ids in
// DOM order, plus whether any card element appears twice.
const shownBoardJS = `(() => {
  const cols = {}, all = [];
  document.querySelectorAll('[data-board] section[data-status]').forEach(s => {
    cols[s.dataset.status] = Array.from(s.querySelectorAll('[data-cards] > [data-issue-id]')).map(c => c.dataset.issueId);
  });
  document.querySelectorAll('[data-board] [data-issue-id]').forEach(c => all.push(c.dataset.issueId));
  return JSON.stringify({cols: cols, dup: new Set(all).size !== all.length});
})()`

type shownBoard struct {
	Cols map[string][]string `json:"cols"`
	Dup  bool                `json:"dup"`
}

func readShownBoard(t *testing.T, ctx context.Context) shownBoard {
	t.Helper()
	var raw string
	if err := chromedp.Run(ctx, chromedp.Evaluate(shownBoardJS, &raw)); err != nil {
		t.Fatal(err)
	}
	var d shownBoard
	mustJSON(t, []byte(raw), &d)
	return d
}

// pollUntil polls cond until it holds or the deadline passes; on timeout
// it reports what describe says about the last state.
func pollUntil(t *testing.T, what string, cond func() bool, describe func() string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last state: %s", what, describe())
		}
		time.Sleep(40 * time.Millisecond)
	}
}

// waitJS waits until a JS expression is true in the page.
func waitJS(t *testing.T, ctx context.Context, what, expr string) {
	t.Helper()
	var last any
	pollUntil(t, what, func() bool {
		var ok bool
		if err := chromedp.Run(ctx, chromedp.Evaluate(expr, &ok)); err != nil {
			last = err
			return false
		}
		return ok
	}, func() string { return fmt.Sprint(last) })
}

// waitSameBoard waits until the browser shows exactly the server's board.
func waitSameBoard(t *testing.T, ctx context.Context, who string, c *client, pid string) {
	t.Helper()
	var want map[string][]string
	var got shownBoard
	pollUntil(t, who+"'s board to equal the server's", func() bool {
		want, _ = boardOrder(c, pid)
		got = readShownBoard(t, ctx)
		return !got.Dup && fmt.Sprint(got.Cols) == fmt.Sprint(want)
	}, func() string { return fmt.Sprintf("browser %v (duplicates %v), server %v", got.Cols, got.Dup, want) })
}

func badgeState(t *testing.T, ctx context.Context) (state, text string) {
	t.Helper()
	if err := chromedp.Run(ctx, chromedp.AttributeValue(`[data-live-status]`, "data-live-status", &state, nil),
		chromedp.Text(`[data-live-status]`, &text)); err != nil {
		t.Fatal(err)
	}
	return state, strings.TrimSpace(text)
}

// mouseAt sends one left-button mouse event at (x, y).
func mouseAt(kind input.MouseType, x, y float64) chromedp.ActionFunc {
	return func(ctx context.Context) error {
		return input.DispatchMouseEvent(kind, x, y).WithButton(input.Left).WithClickCount(1).Do(ctx)
	}
}

const notReloadedJS = `window.__corkboardSamePage === true`

// openLiveBoard signs in, opens the board, waits for Live and marks the
// page so the test can tell it was never reloaded.
func openLiveBoard(t *testing.T, ctx context.Context, base, email, board string) {
	t.Helper()
	if err := chromedp.Run(ctx, login(base, email), chromedp.Navigate(board), chromedp.WaitVisible(`[data-board]`),
		chromedp.Evaluate(`window.__corkboardSamePage = true`, nil)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, email+"'s badge to read Live", `document.querySelector('[data-live-status]').dataset.liveStatus === "live"`)
}

// TestBrowserLiveBoard: Alice and Bob, each in their own Chromium, share a
// board. They see each other in the header; Alice drags a card and Bob sees
// it land in the same place without a reload; cards created and edited over
// REST by Carol appear in both; Bob opening a card's move menu marks the
// card "editing" on Alice's screen.
func TestBrowserLiveBoard(t *testing.T) {
	chrome := chromiumPath(t)
	ts, base := browserLiveServer(t, nil)
	alice := ts.register("alice@example.com", "Alice Liddell")
	bob := ts.register("bob@example.com", "Bob Stone")
	carolC := ts.register("carol@example.com", "Carol")
	carol := &apiScript{t: t, base: base, cookie: carolC.cookie}
	var p models.Project
	alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Launch"}, &p)
	for _, c := range []*client{bob, carolC} {
		alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": c.user.Email, "role": "editor"}, nil)
	}
	var issues []models.Issue
	for _, title := range []string{"Write the docs", "Fix the header", "Ship it", "Already done"} {
		var is models.Issue
		alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": title}, &is)
		issues = append(issues, is)
	}
	alice.must(200, "POST", "/api/v1/projects/"+p.ID+"/issues/"+issues[3].ID+"/move", map[string]string{"status": "done"}, nil)
	board := base + "/projects/" + p.ID
	card := func(id string) string { return `[data-issue-id="` + id + `"]` }

	actx, bctx := browserUser(t, chrome), browserUser(t, chrome)
	openLiveBoard(t, actx, base, "alice@example.com", board)
	openLiveBoard(t, bctx, base, "bob@example.com", board)

	// Each sees the other in the header, not themselves.
	waitJS(t, bctx, "Alice's avatar in Bob's header", fmt.Sprintf(
		`(() => { const a = document.querySelector('[data-presence] [data-presence-user=%q]'); return !!a && a.title === "Alice Liddell" && a.textContent === "AL"; })()`, alice.user.ID))
	waitJS(t, actx, "Bob's avatar in Alice's header", fmt.Sprintf(`!!document.querySelector('[data-presence] [data-presence-user=%q]')`, bob.user.ID))
	var selfShown bool
	if err := chromedp.Run(bctx, chromedp.Evaluate(fmt.Sprintf(`!!document.querySelector('[data-presence] [data-presence-user=%q]')`, bob.user.ID), &selfShown)); err != nil {
		t.Fatal(err)
	}
	if selfShown {
		t.Error("Bob sees himself among the people on the board")
	}

	// Alice drags "Write the docs" below "Already done"; Bob sees it there,
	// marked with Alice's initials.
	if err := chromedp.Run(actx, drag(card(issues[0].ID)+" a", `section[data-status="done"] [data-cards]`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "the card to move on Bob's board, marked with Alice's initials", fmt.Sprintf(
		`(() => { const c = document.querySelector('section[data-status="done"] %s'); const b = c && c.querySelector('.kactor'); return !!b && b.title === "Alice Liddell"; })()`, card(issues[0].ID)))
	want, _ := boardOrder(alice, p.ID)
	if !slices.Equal(want["done"], []string{issues[3].ID, issues[0].ID}) {
		t.Fatalf("server's done column %v: the drag did not land below Already done", want["done"])
	}
	waitSameBoard(t, bctx, "Bob", alice, p.ID)
	waitSameBoard(t, actx, "Alice", alice, p.ID)
	var aliceMarked bool
	if err := chromedp.Run(actx, chromedp.Evaluate(`!!document.querySelector('`+card(issues[0].ID)+` .kactor')`, &aliceMarked)); err != nil {
		t.Fatal(err)
	}
	if aliceMarked {
		t.Error("Alice's own move is marked as someone else's change on her board")
	}
	var png []byte
	if err := chromedp.Run(bctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	artifact(t, "live-bob-sees-alices-drag.png", png)

	// Carol creates a card over REST: both boards get it, in its place.
	var created models.Issue
	carol.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]any{"title": "Made by Carol <b>not bold</b>",
		"labels": []string{"rest", "<i>x</i>"}, "assignee_id": bob.user.ID, "due_date": "2026-12-24", "priority": "high"}, &created)
	for who, ctx := range map[string]context.Context{"Alice": actx, "Bob": bctx} {
		waitJS(t, ctx, "Carol's card on "+who+"'s board", fmt.Sprintf(
			`(() => { const c = document.querySelector('section[data-status="open"] %s .ktitle'); return !!c && c.textContent === %q && !c.querySelector('b'); })()`,
			card(created.ID), created.Key+" "+created.Title))
		waitSameBoard(t, ctx, who, alice, p.ID)
	}

	// Carol renames a card: the title changes on both boards.
	var cur models.Issue
	alice.must(200, "GET", "/api/v1/projects/"+p.ID+"/issues/"+issues[1].ID, nil, &cur)
	carol.must(200, "PATCH", "/api/v1/projects/"+p.ID+"/issues/"+issues[1].ID,
		map[string]any{"title": "Fix the header, properly", "priority": "urgent", "version": cur.Version}, nil)
	for who, ctx := range map[string]context.Context{"Alice": actx, "Bob": bctx} {
		waitJS(t, ctx, "the new title on "+who+"'s board", fmt.Sprintf(
			`(() => { const c = document.querySelector('%s'); return !!c && c.querySelector('.ktitle').textContent === %q && !!c.querySelector('.priority-urgent'); })()`,
			card(issues[1].ID), issues[1].Key+" Fix the header, properly"))
	}

	// Bob opens the move menu of "Ship it": Alice sees him editing it;
	// when he closes it the mark goes.
	if err := chromedp.Run(bctx, chromedp.Focus(card(issues[2].ID)+` [data-move-button]`), chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`[role=menu]`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, actx, "Bob's editing mark on Alice's board", fmt.Sprintf(
		`(() => { const m = document.querySelector('%s .kediting'); return !!m && m.title === "Bob Stone is editing" && m.textContent.includes("BS"); })()`, card(issues[2].ID)))
	if err := chromedp.Run(actx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	artifact(t, "live-alice-sees-bob-editing.png", png)
	if err := chromedp.Run(bctx, chromedp.KeyEvent(kb.Escape)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, actx, "Bob's editing mark to go", `!document.querySelector('.kediting')`)

	// Alice holds "Ship it" mid-drag when Carol renames it: Bob sees Alice
	// moving it; Alice's card stays as it is until she lets go, then shows
	// the new title in the column she dropped it in.
	pos := func(sel string, dy float64) (x, y float64) {
		var xy []float64
		if err := chromedp.Run(actx, chromedp.Evaluate(fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return [r.x + r.width/2, r.y + %f]; })()`, sel, dy), &xy)); err != nil {
			t.Fatal(err)
		}
		return xy[0], xy[1]
	}
	x0, y0 := pos(card(issues[2].ID)+" a", 12)
	x1, y1 := pos(`section[data-status="in_progress"] [data-cards]`, 30)
	if err := chromedp.Run(actx, mouseAt(input.MousePressed, x0, y0)); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 10; i++ {
		if err := chromedp.Run(actx, mouseAt(input.MouseMoved, x0+(x1-x0)*float64(i)/10, y0+(y1-y0)*float64(i)/10)); err != nil {
			t.Fatal(err)
		}
	}
	waitJS(t, bctx, "Alice's moving mark on Bob's board", fmt.Sprintf(
		`(() => { const m = document.querySelector('%s .kediting'); return !!m && m.title === "Alice Liddell is moving this card"; })()`, card(issues[2].ID)))
	alice.must(200, "GET", "/api/v1/projects/"+p.ID+"/issues/"+issues[2].ID, nil, &cur)
	carol.must(200, "PATCH", "/api/v1/projects/"+p.ID+"/issues/"+issues[2].ID, map[string]any{"title": "Ship it now", "version": cur.Version}, nil)
	_, now := boardOrder(alice, p.ID)
	waitJS(t, actx, "Alice to receive the rename", fmt.Sprintf(`window.corkboardLive.lastSeq() >= %d`, now.Project.Seq))
	var held string
	if err := chromedp.Run(actx, chromedp.Text(card(issues[2].ID)+" .ktitle", &held)); err != nil {
		t.Fatal(err)
	}
	if held != issues[2].Key+" Ship it" {
		t.Errorf("the card Alice holds changed under her: %q", held)
	}
	if err := chromedp.Run(actx, mouseAt(input.MouseReleased, x1, y1)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, actx, "the held card to take the rename where Alice dropped it", fmt.Sprintf(
		`(() => { const c = document.querySelector('section[data-status="in_progress"] %s .ktitle'); return !!c && c.textContent === %q; })()`,
		card(issues[2].ID), issues[2].Key+" Ship it now"))
	waitSameBoard(t, actx, "Alice", alice, p.ID)
	waitSameBoard(t, bctx, "Bob", alice, p.ID)
	if want, _ := boardOrder(alice, p.ID); !slices.Equal(want["in_progress"], []string{issues[2].ID}) {
		t.Fatalf("server's in_progress column %v, want Ship it", want["in_progress"])
	}

	// Bob's badge says Live; neither page was reloaded.
	if state, text := badgeState(t, bctx); state != "live" || text != "Live" {
		t.Errorf("Bob's badge: %q %q, want live Live", state, text)
	}
	var same bool
	for who, ctx := range map[string]context.Context{"Alice": actx, "Bob": bctx} {
		if err := chromedp.Run(ctx, chromedp.Evaluate(notReloadedJS, &same)); err != nil {
			t.Fatal(err)
		}
		if !same {
			t.Errorf("%s's page was reloaded", who)
		}
	}
	if err := chromedp.Run(bctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	artifact(t, "live-bob-final.png", png)

	// The cards the live layer built are the ones the server renders:
	// compare Carol's card (built in Alice's browser from the event) with
	// the same card after a reload.
	cardHTML := fmt.Sprintf(`(() => {
	  const c = document.querySelector('%s').cloneNode(true);
	  c.querySelectorAll('.kactor, .kediting').forEach(e => e.remove());
	  c.classList.remove('klive-flash');
	  c.removeAttribute('data-editing');
	  [c, ...c.querySelectorAll('*')].forEach(e => { if (e.getAttribute('style') === '') { e.removeAttribute('style'); } }); // SortableJS's animation leftovers
	  const walk = n => Array.from(n.childNodes).forEach(k => { if (k.nodeType === 3 && !k.textContent.trim()) { k.remove(); } else { walk(k); } });
	  walk(c);
	  return c.outerHTML;
	})()`, card(created.ID))
	var built, rendered string
	if err := chromedp.Run(actx, chromedp.Evaluate(cardHTML, &built), chromedp.Evaluate(notReloadedJS, &same)); err != nil {
		t.Fatal(err)
	}
	if !same {
		t.Fatal("Alice's page was reloaded: her card was not built by the live layer")
	}
	if err := chromedp.Run(actx, chromedp.Navigate(board), chromedp.WaitVisible(card(created.ID)), chromedp.Evaluate(cardHTML, &rendered)); err != nil {
		t.Fatal(err)
	}
	if built != rendered || !strings.Contains(rendered, `title="Assigned to Bob Stone"`) {
		t.Errorf("card built live differs from the server's:\nlive:   %s\nserver: %s", built, rendered)
	}

	// Bob opens "Ship it" on its own page, where he can edit it: Alice's
	// board shows him editing it.
	if err := chromedp.Run(bctx, chromedp.Navigate(board+"/issues/"+issues[2].ID), chromedp.WaitVisible(`input[name=title]`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, actx, "Bob editing from the issue page", fmt.Sprintf(
		`(() => { const m = document.querySelector('%s .kediting'); return !!m && m.title === "Bob Stone is editing"; })()`, card(issues[2].ID)))
}

// TestBrowserLiveListAndFilter: the list view and a filtered board follow
// changes too: new rows in sort order, renamed and deleted rows; a filtered
// board shows only matching cards while its counts include the others.
func TestBrowserLiveListAndFilter(t *testing.T) {
	chrome := chromiumPath(t)
	ts, base := browserLiveServer(t, nil)
	alice := ts.register("alice@example.com", "Alice")
	bob := ts.register("bob@example.com", "Bob")
	var p models.Project
	alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Launch"}, &p)
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": bob.user.Email, "role": "viewer"}, nil)
	var docs models.Issue
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Write the docs"}, &docs)
	bctx := browserUser(t, chrome)
	if err := chromedp.Run(bctx, login(base, "bob@example.com"), chromedp.Navigate(base+"/projects/"+p.ID+"?view=list"),
		chromedp.WaitVisible(`[data-issue-list]`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "the list to be live", `document.querySelector('[data-live-status]').dataset.liveStatus === "live"`)
	rowsJS := `Array.from(document.querySelectorAll('[data-issue-list] tbody tr')).map(r => r.children[0].textContent + " " + r.children[1].querySelector("a").textContent + " " + r.children[2].textContent).join(" | ")`
	var second, third models.Issue
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Second", "status": "in_progress"}, &second)
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Third"}, &third)
	// Newest first (the list's default sort: key, descending).
	want := third.Key + " Third Open | " + second.Key + " Second In progress | " + docs.Key + " Write the docs Open"
	waitJS(t, bctx, "new rows in key order", rowsJS+` === `+fmt.Sprintf("%q", want))
	alice.must(200, "PATCH", "/api/v1/projects/"+p.ID+"/issues/"+second.ID, map[string]any{"title": "Second, renamed", "version": second.Version}, nil)
	alice.must(204, "DELETE", "/api/v1/projects/"+p.ID+"/issues/"+third.ID, nil, nil)
	want = second.Key + " Second, renamed In progress | " + docs.Key + " Write the docs Open"
	waitJS(t, bctx, "the renamed row and the deleted one gone", rowsJS+` === `+fmt.Sprintf("%q", want))
	var png []byte
	if err := chromedp.Run(bctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	artifact(t, "live-list.png", png)

	// A board filtered on "docs": only matching cards, counts of all.
	if err := chromedp.Run(bctx, chromedp.Navigate(base+"/projects/"+p.ID+"?q=docs"), chromedp.WaitVisible(`[data-board]`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "the filtered board to be live", `window.corkboardLive.status() === "live"`)
	var more, other models.Issue
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "More docs"}, &more)
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Unrelated"}, &other)
	open := `Array.from(document.querySelectorAll('section[data-status="open"] [data-issue-id]')).map(c => c.dataset.issueId).join(",") + " " + document.querySelector('section[data-status="open"] [data-count]').textContent`
	waitJS(t, bctx, "only matching cards, all counted", open+` === `+fmt.Sprintf("%q", docs.ID+","+more.ID+" 3"))
	var all struct{ Items []models.Issue }
	alice.must(200, "GET", "/api/v1/projects/"+p.ID+"/issues?limit=200", nil, &all)
	waitJS(t, bctx, "the filter bar's count to follow new issues", fmt.Sprintf(`document.querySelector('[data-filter-count]').textContent === %q`,
		fmt.Sprintf("2 of %d issues", len(all.Items))))
	alice.must(200, "POST", "/api/v1/projects/"+p.ID+"/issues/"+other.ID+"/move", map[string]string{"status": "done"}, nil)
	waitJS(t, bctx, "a hidden card's move to change the counts", open+` === `+fmt.Sprintf("%q", docs.ID+","+more.ID+" 2")+
		` && document.querySelector('section[data-status="done"] [data-count]').textContent === "1"`+
		` && document.querySelector('section[data-status="in_progress"] [data-count]').textContent === "1"`)

	// Columns, the project and members change: the board follows.
	pp := "/api/v1/projects/" + p.ID
	alice.must(201, "POST", pp+"/columns", map[string]any{"name": "Code review", "wip_limit": 1}, nil)
	alice.must(200, "PUT", pp+"/columns/order", map[string]any{"keys": []string{"code_review", "open", "in_progress", "done"}}, nil)
	alice.must(200, "PATCH", pp+"/columns/done", map[string]any{"name": "Shipped"}, nil)
	alice.must(200, "PATCH", pp, map[string]any{"name": "Launch <2>", "key": "LCH"}, nil)
	carol := ts.register("carol@example.com", "Carol")
	alice.must(201, "POST", pp+"/members", map[string]string{"email": carol.user.Email, "role": "editor"}, nil)
	boardJS := `[Array.from(document.querySelectorAll('[data-board] section[data-status]')).map(s => s.dataset.status + ":" + s.querySelector("h2").textContent + ":" + s.querySelector("[data-count]").textContent).join(","),
	  document.querySelector("main h1").textContent, document.querySelector('[data-issue-id="` + docs.ID + `"] .kkey').textContent,
	  Array.from(document.querySelectorAll("#f-assignee option")).map(o => o.textContent).join(","),
	  Array.from(document.querySelectorAll("#f-status option")).map(o => o.textContent).join(",")].join(" | ")`
	want = "code_review:Code review:0 / 1,open:Open:2,in_progress:In progress:1,done:Shipped:1 | Launch <2> | LCH-1 | Anyone,Unassigned,Alice,Bob,Carol | All columns,Code review,Open,In progress,Shipped"
	var got string
	pollUntil(t, "the columns, project and members on Bob's board", func() bool {
		if err := chromedp.Run(bctx, chromedp.Evaluate(boardJS, &got)); err != nil {
			t.Fatal(err)
		}
		return got == want
	}, func() string { return got })
	alice.must(204, "DELETE", pp+"/columns/code_review", nil, nil)
	waitJS(t, bctx, "the deleted column gone", `!document.querySelector('section[data-status="code_review"]') && document.querySelectorAll('[data-board] section').length === 3`)
	if err := chromedp.Run(bctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	artifact(t, "live-columns.png", png)

	// Removed from the project: "No access", no reconnecting.
	alice.must(204, "DELETE", "/api/v1/projects/"+p.ID+"/members/"+bob.user.ID, nil, nil)
	waitJS(t, bctx, "No access", `(() => { const b = document.querySelector('[data-live-status]');
	  return b.dataset.liveStatus === "noaccess" && b.textContent === "No access" && !!document.querySelector('[data-toasts] .alert-error a[href="/projects"]'); })()`)
	if err := chromedp.Run(bctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	artifact(t, "live-no-access.png", png)

	// Signed out elsewhere (here: the same session, logged out by a
	// script): "Signed out" and a link to sign in again.
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": bob.user.Email, "role": "viewer"}, nil)
	if err := chromedp.Run(bctx, chromedp.Navigate(base+"/projects/"+p.ID), chromedp.WaitVisible(`[data-board]`)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "the board to be live again", `window.corkboardLive.status() === "live"`)
	if err := chromedp.Run(bctx, chromedp.Evaluate(`fetch("/api/v1/auth/logout", {method: "POST", credentials: "same-origin"}).then(r => r.status)`, nil,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "Signed out", `(() => { const b = document.querySelector('[data-live-status]');
	  return b.dataset.liveStatus === "signedout" && b.textContent === "Signed out" && !!document.querySelector('[data-toasts] a[href^="/login"]'); })()`)
}

// TestBrowserLiveReconnect: Bob's socket drops; changes made while he is
// away reach him on reconnect, first by replay from his last seq, then
// (too many to replay) by a resync that reloads the board over REST. Both
// times he ends with exactly the server's board, no card twice, no reload.
func TestBrowserLiveReconnect(t *testing.T) {
	chrome := chromiumPath(t)
	ts, base := browserLiveServer(t, func(cfg *Config) { cfg.Hub.MaxReplay = 3 })
	alice := ts.register("alice@example.com", "Alice")
	bob := ts.register("bob@example.com", "Bob")
	var p models.Project
	alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Launch"}, &p)
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": bob.user.Email, "role": "editor"}, nil)
	var issues []models.Issue
	for _, title := range []string{"One", "Two", "Three", "Four"} {
		var is models.Issue
		alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": title}, &is)
		issues = append(issues, is)
	}
	issuesPath := "/api/v1/projects/" + p.ID + "/issues/"
	bctx := browserUser(t, chrome)
	openLiveBoard(t, bctx, base, "bob@example.com", base+"/projects/"+p.ID)
	waitSameBoard(t, bctx, "Bob", alice, p.ID)

	// drop cuts Bob's socket; it comes back after delayMs.
	drop := func() {
		t.Helper()
		var ok bool
		if err := chromedp.Run(bctx, chromedp.Evaluate(`window.corkboardLive.dropForTest(2500)`, &ok)); err != nil || !ok {
			t.Fatalf("drop: %v %v", ok, err)
		}
	}
	stillAway := func() {
		t.Helper()
		if state, _ := badgeState(t, bctx); state == "live" {
			t.Fatal("Bob reconnected before the changes were made: the test proves nothing")
		}
	}
	caughtUp := func(what string) map[string]int {
		t.Helper()
		waitJS(t, bctx, "Bob live again "+what, `window.corkboardLive.status() === "live"`)
		waitSameBoard(t, bctx, "Bob "+what, alice, p.ID)
		_, b := boardOrder(alice, p.ID)
		var seq int64
		var stats map[string]int
		var same bool
		if err := chromedp.Run(bctx, chromedp.Evaluate(`window.corkboardLive.lastSeq()`, &seq),
			chromedp.Evaluate(`window.corkboardLive.stats()`, &stats), chromedp.Evaluate(notReloadedJS, &same)); err != nil {
			t.Fatal(err)
		}
		if seq != b.Project.Seq {
			t.Errorf("%s: Bob's lastSeq %d, server seq %d", what, seq, b.Project.Seq)
		}
		if !same {
			t.Errorf("%s: the page was reloaded", what)
		}
		return stats
	}

	// Two changes while away: replayed from the log.
	drop()
	alice.must(200, "POST", issuesPath+issues[0].ID+"/move", map[string]string{"status": "done"}, nil)
	var added models.Issue
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Added while away"}, &added)
	stillAway()
	if st, _ := badgeState(t, bctx); st != "reconnecting" && st != "offline" {
		t.Errorf("badge while away: %q", st)
	}
	if stats := caughtUp("after a replay"); stats["resyncs"] != 0 || stats["hellos"] != 2 {
		t.Errorf("after a replay: %v, want one reconnect and no resync", stats)
	}

	// Five changes while away (more than the hub replays): resync.
	drop()
	var cur models.Issue
	alice.must(200, "GET", issuesPath+issues[1].ID, nil, &cur)
	alice.must(200, "PATCH", issuesPath+issues[1].ID, map[string]any{"title": "Two, renamed", "version": cur.Version}, nil)
	alice.must(204, "DELETE", issuesPath+issues[2].ID, nil, nil)
	alice.must(200, "POST", issuesPath+issues[3].ID+"/move", map[string]string{"status": "open", "before_id": issues[1].ID}, nil)
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Five"}, nil)
	alice.must(200, "POST", issuesPath+added.ID+"/move", map[string]string{"status": "in_progress"}, nil)
	stillAway()
	if stats := caughtUp("after a resync"); stats["resyncs"] < 1 {
		t.Errorf("after a resync: %v, want a resync", stats)
	}
	waitJS(t, bctx, "the renamed card", fmt.Sprintf(`document.querySelector('[data-issue-id=%q] .ktitle').textContent === %q`, issues[1].ID, issues[1].Key+" Two, renamed"))
	var count string
	if err := chromedp.Run(bctx, chromedp.Text(`section[data-status="open"] [data-count]`, &count)); err != nil {
		t.Fatal(err)
	}
	if want, _ := boardOrder(alice, p.ID); strings.TrimSpace(count) != fmt.Sprint(len(want["open"])) {
		t.Errorf("open column count %q, want %d", count, len(want["open"]))
	}
	var png []byte
	if err := chromedp.Run(bctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	artifact(t, "live-bob-after-resync.png", png)
}
