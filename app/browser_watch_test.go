package app

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/corkboard/corkboard/models"
)

// TestBrowserPanelWatch: the card panel has Watch / Stop watching like the
// issue page. Bob (who did not write the card) opens it: Watch. When he
// comments (from elsewhere: over the API) he watches it, and the open
// panel follows without a reload. A click stops (the API agrees), another
// starts again.
func TestBrowserPanelWatch(t *testing.T) {
	chrome := chromiumPath(t)
	ts, base := browserLiveServer(t, nil)
	alice := ts.register("alice@example.com", "Alice Liddell")
	bob := ts.register("bob@example.com", "Bob Stone")
	var p models.Project
	alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Watch"}, &p)
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": bob.user.Email, "role": "editor"}, nil)
	var is models.Issue
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Watch me"}, &is)
	issueAPI := "/api/v1/projects/" + p.ID + "/issues/" + is.ID
	watching := func() bool {
		var got struct {
			Watching bool `json:"watching"`
		}
		bob.must(200, "GET", issueAPI, nil, &got)
		return got.Watching
	}

	ctx := browserUser(t, chrome)
	openLiveBoard(t, ctx, base, bob.user.Email, base+"/projects/"+p.ID)
	if err := chromedp.Run(ctx, chromedp.Click(`[data-issue-id="`+is.ID+`"] a.ktitle`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	button := `document.querySelector('[data-issue-panel] [data-panel-content] [data-panel-watch]')`
	says := func(text, pressed string) string {
		return `(() => { const b = ` + button + `; return !!b && !b.disabled && b.textContent === "` + text + `" && b.getAttribute("aria-pressed") === "` + pressed + `"; })()`
	}
	waitJS(t, ctx, "the panel's Watch button", says("Watch", "false"))
	click := func() {
		t.Helper()
		if err := chromedp.Run(ctx, chromedp.Evaluate(button+`.click()`, nil)); err != nil {
			t.Fatal(err)
		}
	}
	// Commenting makes Bob watch; the open panel says so live.
	bob.must(201, "POST", issueAPI+"/comments", map[string]string{"body": "On it."}, nil)
	waitJS(t, ctx, "Stop watching after Bob's comment", says("Stop watching", "true"))
	waitJS(t, ctx, "no reload", notReloadedJS)
	click()
	waitJS(t, ctx, "Watch after the click", says("Watch", "false"))
	if watching() {
		t.Fatal("the click did not stop Bob watching")
	}
	click()
	waitJS(t, ctx, "Stop watching after the second click", says("Stop watching", "true"))
	if !watching() {
		t.Fatal("the second click did not make Bob watch the issue")
	}
}
