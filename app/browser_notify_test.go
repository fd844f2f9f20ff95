package app

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/corkboard/corkboard/models"
)

// TestBrowserBellCountsLive: Bob has his board open; Alice mentions him in
// a comment (over the API) and his bell's count rises without a reload,
// and the dropdown lists the mention with its issue's title as text (a
// title with markup stays text). The screenshot of the open bell goes to
// test-artifacts/notifications-bell.png. Without JS the same dropdown is a
// <details> rendered by the server: the reload shows the same count.
func TestBrowserBellCountsLive(t *testing.T) {
	chrome := chromiumPath(t)
	ts, base := browserLiveServer(t, nil)
	alice := ts.register("alice.bell@example.com", "Alice Bell")
	bob := ts.register("bob.bell@example.com", "Bob Bell")
	var p models.Project
	alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Launch"}, &p)
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": bob.user.Email, "role": "editor"}, nil)
	var is models.Issue
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Fix <b>the</b> header"}, &is)

	ctx := browserUser(t, chrome)
	openLiveBoard(t, ctx, base, bob.user.Email, base+"/projects/"+p.ID)
	count := func() int {
		var v string
		if err := chromedp.Run(ctx, chromedp.AttributeValue(`[data-notification-bell]`, "data-unread-count", &v, nil)); err != nil {
			t.Fatal(err)
		}
		n, _ := strconv.Atoi(v)
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("bell starts at %d", n)
	}
	for i, body := range []string{"@" + bob.user.Handle + " can you look?", "and @" + bob.user.Handle + " again"} {
		alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues/"+is.ID+"/comments", map[string]string{"body": body}, nil)
		want := strconv.Itoa(i + 1)
		waitJS(t, ctx, "the bell to count "+want, `document.querySelector('[data-notification-bell]').dataset.unreadCount === "`+want+
			`" && document.querySelector('[data-unread-badge]').textContent === "`+want+`" && !document.querySelector('[data-unread-badge]').hidden`)
	}
	if err := chromedp.Run(ctx, chromedp.Evaluate(notReloadedJS, nil)); err != nil {
		t.Fatal(err)
	}
	var same bool
	var first, title string
	if err := chromedp.Run(ctx, chromedp.Evaluate(notReloadedJS, &same),
		chromedp.Click(`[data-notification-bell] > summary`), chromedp.WaitVisible(`[data-notification-panel]`),
		chromedp.Text(`[data-notification-items] li:first-child .notify-sentence`, &first),
		chromedp.Text(`[data-notification-items] li:first-child .notify-title`, &title)); err != nil {
		t.Fatal(err)
	}
	if !same {
		t.Fatal("the page was reloaded")
	}
	if first != "Alice Bell mentioned you on "+is.Key || title != "Fix <b>the</b> header" {
		t.Fatalf("dropdown's first item %q / %q", first, title)
	}
	var png []byte
	if err := chromedp.Run(ctx, chromedp.CaptureScreenshot(&png)); err != nil {
		t.Fatal(err)
	}
	artifact(t, "notifications-bell.png", png)

	// The server renders the same bell after a reload.
	if err := chromedp.Run(ctx, chromedp.Reload(), chromedp.WaitVisible(`[data-board]`)); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("after a reload the bell says %d, want 2", n)
	}
}
