package app

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/corkboard/corkboard/models"
)

// TestBrowserBellClickMarksRead: Bob has two tabs, one on the issue's
// board and one on a board of another project. Clicking a notification in
// the first tab's bell takes him to the issue and marks it read: the issue
// page's bell counts one less, and so does the other tab's, live, without
// a reload. On /notifications, clicking the other one does the same.
func TestBrowserBellClickMarksRead(t *testing.T) {
	chrome := chromiumPath(t)
	ts, base := browserLiveServer(t, nil)
	alice := ts.register("alice.read@example.com", "Alice Read")
	bob := ts.register("bob.read@example.com", "Bob Read")
	var p, other models.Project
	alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Launch"}, &p)
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": bob.user.Email, "role": "editor"}, nil)
	bob.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Elsewhere"}, &other)
	var first, second models.Issue
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "First"}, &first)
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Second"}, &second)
	for _, is := range []models.Issue{first, second} {
		alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues/"+is.ID+"/comments",
			map[string]string{"body": "@" + bob.user.Handle + " please look"}, nil)
	}
	var list notificationList
	bob.must(200, "GET", "/api/v1/notifications", nil, &list)
	if list.UnreadCount != 2 || len(list.Items) != 2 {
		t.Fatalf("Bob's notifications %+v", list)
	}
	byIssue := map[string]string{}
	for _, n := range list.Items {
		byIssue[n.Issue.ID] = n.ID
	}
	readAt := func(id string) bool {
		var l notificationList
		bob.must(200, "GET", "/api/v1/notifications", nil, &l)
		for _, n := range l.Items {
			if n.ID == id {
				return n.ReadAt != nil
			}
		}
		t.Fatalf("notification %s gone", id)
		return false
	}
	bellSays := func(n int) string {
		return fmt.Sprintf(`(() => { const b = document.querySelector('[data-notification-bell]'); return !!b && b.dataset.unreadCount === "%d"; })()`, n)
	}

	ctx := browserUser(t, chrome)
	openLiveBoard(t, ctx, base, bob.user.Email, base+"/projects/"+p.ID)
	other2, cancel := chromedp.NewContext(ctx) // a second tab of the same browser (signed in)
	defer cancel()
	if err := chromedp.Run(other2, chromedp.Navigate(base+"/projects/"+other.ID), chromedp.WaitVisible(`[data-board]`),
		chromedp.Evaluate(`window.__corkboardSamePage = true`, nil)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, other2, "the second tab Live", `document.querySelector('[data-live-status]').dataset.liveStatus === "live"`)
	waitJS(t, other2, "the second tab's bell at 2", bellSays(2))

	// The bell's item for First: a click goes to the issue, marked read.
	item := fmt.Sprintf(`[data-notification-bell] [data-notification-id=%q] a`, byIssue[first.ID])
	if err := chromedp.Run(ctx, chromedp.Click(`[data-notification-bell] > summary`), chromedp.WaitVisible(item),
		chromedp.Click(item)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the issue page", fmt.Sprintf(`location.pathname === "/projects/%s/issues/%s" && document.readyState === "complete"`, p.ID, first.ID))
	waitJS(t, ctx, "the issue page's bell at 1", bellSays(1))
	if !readAt(byIssue[first.ID]) {
		t.Fatal("the clicked notification is still unread")
	}
	waitJS(t, other2, "the other tab's bell at 1, live", bellSays(1))
	waitJS(t, other2, "the other tab's item for First read", fmt.Sprintf(
		`!document.querySelector('[data-notification-id=%q]').classList.contains("notify-unread")`, byIssue[first.ID]))
	waitJS(t, other2, "no reload of the other tab", notReloadedJS)

	// On /notifications, clicking Second's entry does the same.
	entry := fmt.Sprintf(`[data-notification-page] [data-notification-id=%q] a`, byIssue[second.ID])
	if err := chromedp.Run(ctx, chromedp.Navigate(base+"/notifications"), chromedp.WaitVisible(entry), chromedp.Click(entry)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "Second's page", fmt.Sprintf(`location.pathname === "/projects/%s/issues/%s" && document.readyState === "complete"`, p.ID, second.ID))
	waitJS(t, ctx, "the bell at 0", bellSays(0)+` && document.querySelector('[data-unread-badge]').hidden`)
	if !readAt(byIssue[second.ID]) {
		t.Fatal("the notification clicked on the page is still unread")
	}
	waitJS(t, other2, "the other tab's bell at 0, live", bellSays(0))
}
