package app

import (
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/corkboard/corkboard/models"
)

// TestBrowserWebhookSettings: an owner adds a webhook on the settings page
// in a real browser, copies the secret shown once, sees the delivery of
// the next change in the list, and the section fits a phone screen.
func TestBrowserWebhookSettings(t *testing.T) {
	chrome := chromiumPath(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ts := newTestServerWith(t, "sqlite://"+filepath.Join(t.TempDir(), "b.db"), base, fastWebhooks)
	go ts.Serve(ln)
	alice := ts.register("alice@example.com", "Alice Example")
	var p models.Project
	alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Hooks"}, &p)
	r := newReceiver(t)
	ctx := browserUser(t, chrome)
	settings := base + "/projects/" + p.ID + "/settings"
	var secret string
	if err := chromedp.Run(ctx, login(base, "alice@example.com"), chromedp.Navigate(settings),
		chromedp.WaitVisible(`#webhooks input[name=url]`),
		chromedp.SendKeys(`#webhooks form[action$="/webhooks"] input[name=url]`, r.srv.URL+"/hook"),
		chromedp.SendKeys(`#webhooks form[action$="/webhooks"] input[name=events]`, "issue.*"),
		chromedp.Submit(`#webhooks form[action$="/webhooks"] input[name=url]`),
		chromedp.WaitVisible(`[data-secret]`), chromedp.Text(`[data-secret]`, &secret)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	r.mu.Lock()
	r.secret = secret
	r.mu.Unlock()
	alice.newIssue(p.ID, "A card")
	if m := r.waitMessages(1); m[0].Verified != nil {
		t.Fatalf("the secret on the page does not verify: %v", m[0].Verified)
	}
	waitFor(t, "the delivery listed", func() bool {
		_, page := alice.page("/projects/" + p.ID + "/settings")
		return strings.Contains(page, "data-delivery")
	})
	var overflow, shown bool
	var png []byte
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(settings), chromedp.WaitVisible(`[data-delivery]`),
		chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow),
		chromedp.Evaluate(`!!document.querySelector("[data-secret]")`, &shown),
		chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	artifact(t, "phone-webhooks.png", png)
	if overflow || shown {
		t.Fatalf("overflows a phone: %v; the secret shown again: %v", overflow, shown)
	}
}
