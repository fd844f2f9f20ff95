package app

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/corkboard/corkboard/models"
)

// The card panel in real browsers: Bob opens a card beside the board, Alice
// (over the API) comments and edits while he works in it.
func TestBrowserCardPanel(t *testing.T) {
	chrome := chromiumPath(t)
	ts, base := browserLiveServer(t, nil)
	alice := ts.register("alice@example.com", "Alice Liddell")
	bob := ts.register("bob@example.com", "Bob Stone")
	var p models.Project
	alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Panel"}, &p)
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": bob.user.Email, "role": "editor"}, nil)
	var issues []models.Issue
	for _, title := range []string{"Write the docs", "Fix the header", "Ship it"} {
		var is models.Issue
		alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]any{"title": title, "description": "Some *words*"}, &is)
		issues = append(issues, is)
	}
	first := issues[0]
	api := func(s string) string { return "/api/v1/projects/" + p.ID + s }
	board := base + "/projects/" + p.ID
	bctx := browserUser(t, chrome)
	openLiveBoard(t, bctx, base, "bob@example.com", board)
	run := func(what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(bctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	panelOpen := func(id string) string {
		return fmt.Sprintf(`(() => { const p = document.querySelector('[data-issue-panel=%q]'); return !!p && !p.hidden && !!p.querySelector('[data-panel-content=%q] [data-field="title"]') && location.pathname === "/projects/%s/issues/%s"; })()`,
			id, id, p.ID, id)
	}
	const panelClosed = `(() => { const p = document.querySelector('.kpanel'); return !!p && p.hidden && !document.querySelector('[data-issue-panel]'); })()`
	boardPath := fmt.Sprintf(`location.pathname === "/projects/%s"`, p.ID)

	// A click on the card opens it beside the board; the address is the issue's.
	run("click the card", chromedp.Click(`[data-issue-id="`+first.ID+`"] a.ktitle`, chromedp.ByQuery))
	waitJS(t, bctx, "the panel open on the first card", panelOpen(first.ID))
	waitJS(t, bctx, "the board still there (no navigation)", notReloadedJS+` && !!document.querySelector("[data-board]")`)

	// Alice comments over the API: it appears in Bob's panel, rendered and
	// sanitised, and the card's count rises.
	var cm models.Comment
	alice.must(201, "POST", api("/issues/"+first.ID+"/comments"), map[string]string{"body": "Looks **good** <script>window.__pwned = 1</script>"}, &cm)
	waitJS(t, bctx, "Alice's comment in Bob's panel", fmt.Sprintf(
		`(() => { const c = document.querySelector('[data-issue-panel] [data-comment-id=%q] [data-comment-body]'); return !!c && c.querySelector("strong").textContent === "good" && !c.querySelector("script"); })()`, cm.ID))
	waitJS(t, bctx, "the card's comment count at 1", fmt.Sprintf(
		`document.querySelector('[data-cards] [data-issue-id=%q]').dataset.commentCount === "1" && document.querySelector('[data-issue-panel] [data-comment-count]').textContent === "1"`, first.ID))

	// Bob comments from the panel, edits his comment and deletes it.
	run("Bob comments", chromedp.Evaluate(`document.querySelector('[data-issue-panel] [data-comment-new] textarea').value = "Mine, *first* draft"`, nil),
		chromedp.Click(`[data-issue-panel] [data-comment-new] button`, chromedp.ByQuery))
	waitJS(t, bctx, "Bob's comment in the panel and on the card", fmt.Sprintf(
		`document.querySelectorAll('[data-issue-panel] [data-comment-id]').length === 2 && document.querySelector('[data-cards] [data-issue-id=%q]').dataset.commentCount === "2"`, first.ID))
	var mine models.Comment
	var page struct{ Items []models.Comment }
	bob.must(200, "GET", api("/issues/"+first.ID+"/comments"), nil, &page)
	mine = page.Items[1]
	sel := fmt.Sprintf(`[data-issue-panel] [data-comment-id=%q]`, mine.ID)
	run("Bob edits his comment", chromedp.Click(sel+` summary`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('`+sel+` [data-comment-edit] textarea').value = "Mine, **second** draft"`, nil),
		chromedp.Click(sel+` [data-comment-edit] button`, chromedp.ByQuery))
	waitJS(t, bctx, "the edited comment", `(() => { const b = document.querySelector('`+sel+` [data-comment-body] strong'); return !!b && b.textContent === "second"; })()`)
	run("Bob deletes his comment", chromedp.Evaluate(`window.confirm = () => true`, nil), chromedp.Click(sel+` [data-comment-delete] button`, chromedp.ByQuery))
	waitJS(t, bctx, "the comment gone and the count back to 1", fmt.Sprintf(
		`!document.querySelector('%s') && document.querySelector('[data-cards] [data-issue-id=%q]').dataset.commentCount === "1" && document.querySelector('[data-issue-panel] [data-comment-count]').textContent === "1"`, sel, first.ID))
	waitJS(t, bctx, "the activity telling of the comments", `document.querySelector('[data-issue-panel] [data-activity]').textContent.includes("comment")`)

	// Fields edit in place: a priority change reaches the server and the card.
	run("Bob sets the priority", chromedp.SetValue(`#kp-priority`, "urgent", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#kp-priority').dispatchEvent(new Event("change", {bubbles: true}))`, nil))
	pollUntil(t, "the priority saved", func() bool { return currentIssue(alice, api("/issues/"+first.ID)).Priority == "urgent" }, func() string { return "" })
	waitJS(t, bctx, "the card's priority", fmt.Sprintf(`document.querySelector('[data-cards] [data-issue-id=%q] .priority-urgent') !== null`, first.ID))

	// The description: edited as Markdown, shown as the server renders it.
	run("Bob edits the description", chromedp.Click(`[data-issue-panel] [data-description-edit]`, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('#kp-description').value = "Now **bold** <img src=x onerror=window.__pwned=1>"`, nil),
		chromedp.Click(`[data-issue-panel] [data-description-save]`, chromedp.ByQuery))
	waitJS(t, bctx, "the rendered description", `(() => { const d = document.querySelector('[data-issue-panel] [data-description]'); return !d.hidden && !!d.querySelector("strong") && d.querySelector("strong").textContent === "bold" && !d.querySelector("[onerror]"); })()`)
	if is := currentIssue(alice, api("/issues/"+first.ID)); !strings.HasPrefix(is.Description, "Now **bold**") {
		t.Fatalf("description %q", is.Description)
	}
	// The column: the card moves on the board; back again.
	for _, col := range []string{"done", "open"} {
		run("Bob sets the column", chromedp.SetValue(`#kp-status`, col, chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector('#kp-status').dispatchEvent(new Event("change", {bubbles: true}))`, nil))
		waitJS(t, bctx, "the card in "+col, fmt.Sprintf(`document.querySelector('section[data-status=%q] [data-issue-id=%q]') !== null`, col, first.ID))
	}
	var pwned bool
	run("no script ran", chromedp.Evaluate(`window.__pwned === 1`, &pwned))
	if pwned {
		t.Fatal("user text ran as script")
	}

	// The 409 flow, live: Alice changes the title while Bob has typed his.
	// Both are shown; "Keep mine" saves Bob's at Alice's version.
	run("Bob types a title", chromedp.Evaluate(`(() => { const i = document.querySelector('#kp-title'); i.focus(); i.value = "Write the docs (Bob)"; })()`, nil))
	cur := currentIssue(alice, api("/issues/"+first.ID))
	alice.must(200, "PATCH", api("/issues/"+first.ID), map[string]any{"title": "Write the docs (Alice)", "version": cur.Version}, nil)
	waitJS(t, bctx, "theirs and yours shown", `(() => { const c = document.querySelector('[data-conflict-field="title"]'); return !!c && c.querySelector("[data-theirs]").textContent === "Write the docs (Alice)" && c.querySelector("[data-yours]").textContent === "Write the docs (Bob)" && c.textContent.includes("Alice Liddell"); })()`)
	if v := currentIssue(alice, api("/issues/"+first.ID)).Title; v != "Write the docs (Alice)" {
		t.Fatalf("the title was overwritten before Bob chose: %q", v)
	}
	run("keep mine", chromedp.Click(`[data-conflict-field="title"] [data-keep-mine]`, chromedp.ByQuery))
	pollUntil(t, "Bob's title saved", func() bool { return currentIssue(alice, api("/issues/"+first.ID)).Title == "Write the docs (Bob)" }, func() string { return "" })
	waitJS(t, bctx, "the conflict gone", `!document.querySelector('[data-conflict-field]')`)

	// Again, and "Take theirs" drops Bob's text.
	run("Bob types again", chromedp.Evaluate(`(() => { const i = document.querySelector('#kp-title'); i.focus(); i.value = "Bob again"; })()`, nil))
	cur = currentIssue(alice, api("/issues/"+first.ID))
	alice.must(200, "PATCH", api("/issues/"+first.ID), map[string]any{"title": "Alice again", "version": cur.Version}, nil)
	waitJS(t, bctx, "the second conflict", `!!document.querySelector('[data-conflict-field="title"] [data-take-theirs]')`)
	run("take theirs", chromedp.Click(`[data-conflict-field="title"] [data-take-theirs]`, chromedp.ByQuery))
	waitJS(t, bctx, "the title field showing theirs", `document.querySelector('#kp-title').value === "Alice again" && !document.querySelector('[data-conflict-field]')`)
	if v := currentIssue(alice, api("/issues/"+first.ID)).Title; v != "Alice again" {
		t.Fatalf("take theirs changed the title: %q", v)
	}

	// Screenshots of the open panel, light and dark.
	run("blur", chromedp.Evaluate(`document.activeElement.blur()`, nil))
	for _, theme := range []string{"light", "dark"} {
		var png []byte
		run("screenshot", chromedp.Evaluate(`document.documentElement.setAttribute("data-theme", "`+theme+`")`, nil), chromedp.CaptureScreenshot(&png))
		artifact(t, "card-panel-"+theme+".png", png)
	}

	// j / k move to the next and previous card; Esc closes.
	var order []string
	run("card order", chromedp.Evaluate(`Array.from(document.querySelectorAll('[data-cards] > [data-issue-id]')).map(c => c.dataset.issueId)`, &order))
	if len(order) != 3 || order[2] != first.ID { // it went to Done and back: the bottom of Open
		t.Fatalf("board order %v", order)
	}
	run("k", chromedp.KeyEvent("k"))
	waitJS(t, bctx, "the previous card in the panel", panelOpen(order[1]))
	run("k", chromedp.KeyEvent("k"))
	waitJS(t, bctx, "the first card in the panel", panelOpen(order[0]))
	run("j", chromedp.KeyEvent("j"))
	waitJS(t, bctx, "forward to the second card", panelOpen(order[1]))
	run("Esc", chromedp.KeyEvent(kb.Escape))
	waitJS(t, bctx, "the panel closed by Esc, the address the board's", panelClosed+` && `+boardPath)

	// Back closes it too.
	run("open again", chromedp.Click(`[data-issue-id="`+first.ID+`"] a.ktitle`, chromedp.ByQuery))
	waitJS(t, bctx, "the panel open again", panelOpen(first.ID))
	run("Back", chromedp.Evaluate(`history.back()`, nil))
	waitJS(t, bctx, "the panel closed by Back", panelClosed+` && `+boardPath)
	waitJS(t, bctx, "never reloaded", notReloadedJS)

	// The panel's selects follow the project while it is open: a column, a
	// member and a cycle added over the API appear without a reload.
	run("open for the selects", chromedp.Click(`[data-issue-id="`+first.ID+`"] a.ktitle`, chromedp.ByQuery))
	waitJS(t, bctx, "the panel open for the selects", panelOpen(first.ID))
	hasOption := func(sel, value, text string) string {
		return fmt.Sprintf(`Array.from(document.querySelectorAll('[data-issue-panel] %s option')).some(o => o.value === %q && o.textContent.trim() === %q)`, sel, value, text)
	}
	var col models.Column
	alice.must(201, "POST", api("/columns"), map[string]any{"name": "Review <b>"}, &col)
	waitJS(t, bctx, "the new column in the panel's select", hasOption("#kp-status", col.Key, "Review <b>"))
	carol := ts.register("carol@example.com", "Carol <i>Vance</i>")
	alice.must(201, "POST", api("/members"), map[string]string{"email": carol.user.Email, "role": "editor"}, nil)
	waitJS(t, bctx, "the new member in the panel's select", hasOption("#kp-assignee", carol.user.ID, "Carol <i>Vance</i>"))
	var cy models.Cycle
	alice.must(201, "POST", api("/cycles"), map[string]any{"name": "Sprint <u>9</u>", "starts_on": "2031-01-06", "ends_on": "2031-01-19"}, &cy)
	waitJS(t, bctx, "the new cycle in the panel's select", fmt.Sprintf(`Array.from(document.querySelectorAll('[data-issue-panel] #kp-cycle option')).some(o => o.value === %q && o.textContent.includes("Sprint <u>9</u>"))`, cy.ID))
	waitJS(t, bctx, "the panel's column still the issue's", `document.querySelector('#kp-status').value === "open"`)

	// Alice moves the open issue to the trash: Bob's panel says so and
	// offers Undo (he is an editor), which restores it; the panel reloads.
	alice.must(204, "DELETE", api("/issues/"+first.ID), nil, nil)
	waitJS(t, bctx, "the panel saying it moved to the trash", `(() => { const n = document.querySelector('[data-issue-panel] [data-panel-note]'); return !!n && n.textContent.includes("moved to the trash") && !!document.querySelector('[data-issue-panel] [data-panel-undo]'); })()`)
	run("Undo in the panel", chromedp.Click(`[data-issue-panel] [data-panel-undo]`, chromedp.ByQuery))
	pollUntil(t, "the issue restored", func() bool {
		r, _ := alice.do("GET", api("/issues/"+first.ID), nil)
		return r.StatusCode == 200
	}, func() string { return "" })
	waitJS(t, bctx, "the panel back on the restored issue", panelOpen(first.ID)+` && !document.querySelector('[data-issue-panel] [data-panel-note]')`)
	waitJS(t, bctx, "the card back on the board", fmt.Sprintf(`!!document.querySelector('section[data-status="open"] [data-issue-id=%q]')`, first.ID))

	// The 409 from the server (no live event seen: the socket is down):
	// Bob's effort against Alice's; both shown, keep mine saves it.
	waitJS(t, bctx, "the panel open for effort", panelOpen(first.ID))
	var dropped bool
	run("drop the socket", chromedp.Evaluate(`window.corkboardLive.dropForTest(600000)`, &dropped))
	if !dropped {
		t.Fatal("no socket to drop")
	}
	run("Bob types an effort", chromedp.Evaluate(`(() => { const i = document.querySelector('#kp-effort'); i.focus(); i.value = "5"; })()`, nil))
	cur = currentIssue(alice, api("/issues/"+first.ID))
	alice.must(200, "PATCH", api("/issues/"+first.ID), map[string]any{"effort": 3, "version": cur.Version}, nil)
	run("Enter", chromedp.SendKeys(`#kp-effort`, kb.Enter, chromedp.ByQuery))
	waitJS(t, bctx, "the 409 shown as theirs and yours", `(() => { const c = document.querySelector('[data-conflict-field="effort"]'); return !!c && c.querySelector("[data-theirs]").textContent === "3" && c.querySelector("[data-yours]").textContent === "5"; })()`)
	if is := currentIssue(alice, api("/issues/"+first.ID)); is.Effort == nil || *is.Effort != 3 {
		t.Fatalf("effort overwritten before Bob chose: %v", is.Effort)
	}
	run("keep mine", chromedp.Click(`[data-conflict-field="effort"] [data-keep-mine]`, chromedp.ByQuery))
	pollUntil(t, "Bob's effort saved", func() bool {
		is := currentIssue(alice, api("/issues/"+first.ID))
		return is.Effort != nil && *is.Effort == 5
	}, func() string { return "" })
}

// The issue page follows comments and activity live; without JavaScript
// the board's card is a link to it and it shows everything.
func TestBrowserIssuePageLive(t *testing.T) {
	chrome := chromiumPath(t)
	ts, base := browserLiveServer(t, nil)
	alice := ts.register("alice@example.com", "Alice Liddell")
	bob := ts.register("bob@example.com", "Bob Stone")
	var p models.Project
	alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Page"}, &p)
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": bob.user.Email, "role": "editor"}, nil)
	var is models.Issue
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]any{"title": "Live page"}, &is)
	api := "/api/v1/projects/" + p.ID + "/issues/" + is.ID
	page := base + "/projects/" + p.ID + "/issues/" + is.ID

	bctx := browserUser(t, chrome)
	if err := chromedp.Run(bctx, login(base, "bob@example.com"), chromedp.Navigate(page), chromedp.WaitVisible(`[data-comments]`, chromedp.ByQuery),
		chromedp.Evaluate(`window.__corkboardSamePage = true`, nil)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, bctx, "the issue page live", `window.corkboardLive.status() === "live"`)
	var activity int
	if err := chromedp.Run(bctx, chromedp.Evaluate(`document.querySelectorAll('[data-activity-seq]').length`, &activity)); err != nil {
		t.Fatal(err)
	}
	var cm models.Comment
	alice.must(201, "POST", api+"/comments", map[string]string{"body": "First _thoughts_"}, &cm)
	c := fmt.Sprintf(`document.querySelector('[data-comments] [data-comment-id=%q]')`, cm.ID)
	waitJS(t, bctx, "the comment appearing", c+` !== null && `+c+`.querySelector("em").textContent === "thoughts" && document.querySelector("[data-comment-count]").textContent === "1" && !document.querySelector("[data-no-comments]")`)
	waitJS(t, bctx, "the activity growing", fmt.Sprintf(`document.querySelectorAll('[data-activity-seq]').length > %d`, activity))
	alice.must(200, "PATCH", api+"/comments/"+cm.ID, map[string]any{"body": "Second thoughts", "version": cm.Version}, nil)
	waitJS(t, bctx, "the comment updating", c+` !== null && `+c+`.querySelector("[data-comment-body]").textContent.trim() === "Second thoughts"`)
	alice.must(204, "DELETE", api+"/comments/"+cm.ID, nil, nil)
	waitJS(t, bctx, "the comment disappearing", c+` === null && document.querySelector("[data-comment-count]").textContent === "0" && !!document.querySelector("[data-no-comments]")`)
	waitJS(t, bctx, "no reload", notReloadedJS)

	// Without JavaScript: the card on the board is a plain link to the
	// page, which shows the issue and its comments.
	alice.must(201, "POST", api+"/comments", map[string]string{"body": "Seen **without** scripts"}, &cm)
	nctx := browserUser(t, chrome)
	if err := chromedp.Run(nctx, login(base, "bob@example.com"), emulation.SetScriptExecutionDisabled(true),
		chromedp.Navigate(base+"/projects/"+p.ID), chromedp.WaitVisible(`[data-issue-id="`+is.ID+`"] a.ktitle`, chromedp.ByQuery),
		chromedp.Click(`[data-issue-id="`+is.ID+`"] a.ktitle`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-comment-id="`+cm.ID+`"]`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	var body, url string
	if err := chromedp.Run(nctx, chromedp.Text(`[data-comment-id="`+cm.ID+`"] [data-comment-body]`, &body, chromedp.ByQuery), chromedp.Location(&url)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "Seen without scripts") || !strings.HasSuffix(url, "/projects/"+p.ID+"/issues/"+is.ID) {
		t.Fatalf("without JavaScript: at %s, comment %q", url, body)
	}
	if err := chromedp.Run(nctx, chromedp.WaitVisible(`form[action$="/issues/`+is.ID+`"] input[name="title"]`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
}
