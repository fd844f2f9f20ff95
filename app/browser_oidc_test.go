package app

import (
	"net"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/internal/testoidc"
)

// TestBrowserOIDCSignIn: in Chromium, across sites (the app on
// localhost, the provider on 127.0.0.1, so the pending sign-in cookie
// must survive a cross-site redirect back as SameSite=Lax allows), the
// button leads to the provider's form and back, signed in, to next: the
// account page showing the linked identity.
func TestBrowserOIDCSignIn(t *testing.T) {
	chrome := chromiumPath(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	r := &oidcRig{base: "http://localhost:" + port}
	r.op = testoidc.Start(t, r.base+oidcCallbackPath)
	r.startApp(t, ln, testdb.SQLite(t), r.op.Issuer, nil)
	r.person("lea", true)

	ctx := browserUser(t, chrome)
	var identity, url string
	var png []byte
	if err := chromedp.Run(ctx,
		chromedp.Navigate(r.base+"/login?next=/settings"),
		chromedp.WaitVisible(`[data-oidc-button]`),
		chromedp.Click(`[data-oidc-button]`),
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, "lea"),
		chromedp.SendKeys(`input[name=password]`, "pw-lea"),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`#sso [data-identity]`),
		chromedp.Text(`#sso [data-identity]`, &identity),
		chromedp.Location(&url),
		chromedp.FullScreenshot(&png, 100),
	); err != nil {
		t.Fatal(err)
	}
	artifact(t, "oidc-account.png", png)
	if url != r.base+"/settings" || !strings.Contains(identity, r.op.Issuer) || !strings.Contains(identity, "lea@example.com") {
		t.Fatalf("at %s the account page says %q", url, identity)
	}
}
