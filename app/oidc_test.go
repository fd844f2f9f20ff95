package app

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/app/config"
	"github.com/corkboard/corkboard/app/oidc"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/internal/testoidc"
	"github.com/corkboard/corkboard/models"
)

// OpenID Connect sign-in against a real provider (zitadel's op package,
// internal/testoidc) on a real socket, driven by an http.Client with a
// cookie jar as a browser would: Corkboard's button, the provider's login
// form, the callback, the page after.

// oidcRig is one app instance on a loopback port and its provider.
type oidcRig struct {
	ts     *testServer
	base   string // the app's URL (PUBLIC_URL)
	op     *testoidc.Provider
	offset atomic.Int64 // the app's clock runs this far ahead (ns)
}

// startOIDCRig starts a provider, then the app using it; adjust changes
// the OIDC settings (the issuer is set already).
func startOIDCRig(t *testing.T, databaseURL string, adjust func(*config.OIDC)) *oidcRig {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &oidcRig{base: "http://" + ln.Addr().String()}
	r.op = testoidc.Start(t, r.base+oidcCallbackPath)
	r.startApp(t, ln, databaseURL, r.op.Issuer, adjust)
	return r
}

func (r *oidcRig) startApp(t *testing.T, ln net.Listener, databaseURL, issuer string, adjust func(*config.OIDC)) {
	t.Helper()
	r.ts = newTestServerWith(t, databaseURL, r.base, func(c *Config) {
		c.OIDC = config.OIDC{Issuer: issuer, ClientID: testoidc.ClientID, ClientSecret: testoidc.ClientSecret,
			Button: "Sign in with TestID"}
		if adjust != nil {
			adjust(&c.OIDC)
		}
		c.Now = func() time.Time { return time.Now().Add(time.Duration(r.offset.Load())) }
	})
	go r.ts.Serve(ln)
}

// browser is a client with its own cookie jar that follows redirects.
func (r *oidcRig) browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	t.Cleanup(hc.CloseIdleConnections)
	return hc
}

func get(t *testing.T, hc *http.Client, u string) *http.Response {
	t.Helper()
	res, err := hc.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return res
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// signIn presses the button (with next), signs in at the provider as
// username, and returns the page where the redirects end.
func (r *oidcRig) signIn(t *testing.T, hc *http.Client, next, username string) (*http.Response, string) {
	t.Helper()
	start := r.base + "/auth/oidc/start"
	if next != "" {
		start += "?next=" + url.QueryEscape(next)
	}
	res := r.op.LoginForm(t, hc, get(t, hc, start), username, "pw-"+username)
	return res, readBody(t, res)
}

// landed checks that a flow ended on the app at path with status 200.
func (r *oidcRig) landed(t *testing.T, res *http.Response, body, path string) {
	t.Helper()
	if res.StatusCode != 200 || res.Request.URL.Host != strings.TrimPrefix(r.base, "http://") || res.Request.URL.Path != path {
		t.Fatalf("landed on %d %s, want 200 %s%s: %.400s", res.StatusCode, res.Request.URL, r.base, path, body)
	}
}

// refused checks that a flow ended on /login saying want, signed out.
func (r *oidcRig) refused(t *testing.T, hc *http.Client, res *http.Response, body, want string) {
	t.Helper()
	r.landed(t, res, body, "/login")
	if !strings.Contains(body, want) {
		t.Fatalf("the sign-in page does not say %q: %.1500s", want, body)
	}
	if me := get(t, hc, r.base+"/api/v1/auth/me"); me.StatusCode != 401 {
		t.Fatalf("refused, yet signed in: /auth/me %d", me.StatusCode)
	}
}

func (r *oidcRig) person(name string, verified bool) testoidc.Person {
	p := testoidc.Person{Subject: "sub-" + name, Username: name, Password: "pw-" + name,
		Email: name + "@example.com", EmailVerified: verified, First: strings.ToUpper(name[:1]) + name[1:], Last: "Tester"}
	r.op.Add(p)
	return p
}

// me is the signed-in user of hc.
func (r *oidcRig) me(t *testing.T, hc *http.Client) models.User {
	t.Helper()
	res := get(t, hc, r.base+"/api/v1/auth/me")
	body := readBody(t, res)
	if res.StatusCode != 200 {
		t.Fatalf("/auth/me: %d %s", res.StatusCode, body)
	}
	var u models.User
	mustJSON(t, []byte(body), &u)
	return u
}

func (r *oidcRig) noAccount(t *testing.T, email string) {
	t.Helper()
	if _, _, err := r.ts.Store().Credentials(context.Background(), email); !errors.Is(err, models.ErrNotFound) {
		t.Fatalf("an account with %s exists (err %v): nothing should have been created", email, err)
	}
}

// TestOIDCFirstSignInCreatesSecondFinds: the first sign-in creates a
// password-less account (name from the provider) with its identity and a
// normal session (sessions list, audit, logout); the second finds it.
// On both databases.
func TestOIDCFirstSignInCreatesSecondFinds(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dbURL string) {
		r := startOIDCRig(t, dbURL, nil)
		ada := r.person("ada", true)
		hc := r.browser(t)
		res, body := r.signIn(t, hc, "/settings", "ada")
		r.landed(t, res, body, "/settings")
		if !strings.Contains(body, r.op.Issuer) || !strings.Contains(body, "data-identity") || !strings.Contains(body, "data-no-password") {
			t.Fatalf("the account page does not show the linked identity: %.3000s", body)
		}
		u := r.me(t, hc)
		if u.Email != ada.Email || u.DisplayName != "Ada Tester" || u.Handle != "ada" {
			t.Fatalf("created %+v", u)
		}
		ids, err := r.ts.Store().Identities(context.Background(), u.ID)
		if err != nil || len(ids) != 1 || ids[0].Issuer != r.op.Issuer || ids[0].Subject != ada.Subject {
			t.Fatalf("identities %+v %v", ids, err)
		}
		var sessions struct{ Items []models.Session }
		mustJSON(t, []byte(readBody(t, get(t, hc, r.base+"/api/v1/auth/sessions"))), &sessions)
		if len(sessions.Items) != 1 {
			t.Fatalf("sessions %+v", sessions)
		}
		r.ts.accounts.Wait() // the audit is written in the background
		audit := readBody(t, get(t, hc, r.base+"/api/v1/auth/audit"))
		if !strings.Contains(audit, `"method":"oidc"`) || !strings.Contains(audit, `"how":"created"`) {
			t.Fatalf("audit: %s", audit)
		}
		// No password matches a password-less account: a 401, not a 500.
		if res, body := r.ts.anon().do("POST", "/api/v1/auth/login", map[string]string{"email": ada.Email, "password": ""}); res.StatusCode != 401 {
			t.Fatalf("password sign-in to an OIDC account: %d %s", res.StatusCode, body)
		}
		req, _ := http.NewRequest("POST", r.base+"/logout", nil)
		if res, err := hc.Do(req); err != nil || res.StatusCode != 200 || res.Request.URL.Path != "/login" {
			t.Fatalf("logout: %v %v", res, err)
		}
		if me := get(t, hc, r.base+"/api/v1/auth/me"); me.StatusCode != 401 {
			t.Fatalf("signed out, yet /auth/me %d", me.StatusCode)
		}

		res, body = r.signIn(t, hc, "", "ada")
		r.landed(t, res, body, "/projects")
		if again := r.me(t, hc); again.ID != u.ID {
			t.Fatalf("second sign-in: user %s, first was %s", again.ID, u.ID)
		}
		if ids, _ := r.ts.Store().Identities(context.Background(), u.ID); len(ids) != 1 {
			t.Fatalf("identities after the second sign-in: %+v", ids)
		}
	})
}

// TestOIDCLinksVerifiedEmail: an existing account is linked when the
// provider verified its email; then it signs in both ways. An unverified
// email is refused (nothing linked, no session), and so is creating an
// account for an unverified address.
func TestOIDCLinksVerifiedEmail(t *testing.T) {
	r := startOIDCRig(t, testdb.SQLite(t), nil)
	local, err := r.ts.CreateUser(context.Background(), "Bob@example.com", "correct horse battery", "Bob Local")
	if err != nil {
		t.Fatal(err)
	}
	r.person("bob", true)
	hc := r.browser(t)
	res, body := r.signIn(t, hc, "/settings", "bob")
	r.landed(t, res, body, "/settings")
	if u := r.me(t, hc); u.ID != local.ID || u.DisplayName != "Bob Local" {
		t.Fatalf("signed in as %+v, want the local account %s", u, local.ID)
	}
	if strings.Contains(body, "data-no-password") {
		t.Fatal("a linked account with a password is shown as password-less")
	}
	if res, _ := r.ts.anon().do("POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com",
		"password": "correct horse battery"}); res.StatusCode != 200 {
		t.Fatalf("password sign-in after linking: %d", res.StatusCode)
	}

	carol, err := r.ts.CreateUser(context.Background(), "carol@example.com", "correct horse battery", "Carol")
	if err != nil {
		t.Fatal(err)
	}
	r.person("carol", false)
	hc = r.browser(t)
	res, body = r.signIn(t, hc, "", "carol")
	r.refused(t, hc, res, body, "has not verified that this address is yours")
	if ids, _ := r.ts.Store().Identities(context.Background(), carol.ID); len(ids) != 0 {
		t.Fatalf("an unverified email was linked: %+v", ids)
	}

	r.person("dan", false) // no account: one is not made for an unverified address
	res, body = r.signIn(t, hc, "", "dan")
	r.refused(t, hc, res, body, "has not verified your email address")
	r.noAccount(t, "dan@example.com")
}

// stopAtCallback makes hc stop where the provider sends it back to the
// app, so a test can alter or replay that request.
func (r *oidcRig) stopAtCallback(hc *http.Client) {
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == oidcCallbackPath {
			return http.ErrUseLastResponse
		}
		return nil
	}
}

// callbackURL signs username in at the provider and returns the callback
// URL it sent the browser to (not followed).
func (r *oidcRig) callbackURL(t *testing.T, hc *http.Client, username string) *url.URL {
	t.Helper()
	r.stopAtCallback(hc)
	defer func() { hc.CheckRedirect = nil }()
	res := r.op.LoginForm(t, hc, get(t, hc, r.base+"/auth/oidc/start"), username, "pw-"+username)
	res.Body.Close()
	loc, err := res.Location()
	if res.StatusCode != http.StatusFound || err != nil || loc.Path != oidcCallbackPath {
		t.Fatalf("the provider did not send the browser back: %d %v %v", res.StatusCode, loc, err)
	}
	return loc
}

// TestOIDCFailures: a tampered state, a replayed callback, a used code
// and a provider's error each land on /login with a message and create
// nothing.
func TestOIDCFailures(t *testing.T) {
	r := startOIDCRig(t, testdb.SQLite(t), nil)
	r.person("eve", true)
	hc := r.browser(t)

	cb := r.callbackURL(t, hc, "eve")
	tampered := *cb
	q := tampered.Query()
	q.Set("state", q.Get("state")+"x")
	tampered.RawQuery = q.Encode()
	res := get(t, hc, tampered.String())
	r.refused(t, hc, res, readBody(t, res), "does not belong to the sign-in this browser started")
	r.noAccount(t, "eve@example.com")

	// The genuine answer, after the tampered one spent the pending sign-in.
	res = get(t, hc, cb.String())
	r.refused(t, hc, res, readBody(t, res), "took too long, or was started in another browser")
	r.noAccount(t, "eve@example.com")

	// A code already used (or expired): a fresh sign-in's state, the old code.
	cb = r.callbackURL(t, hc, "eve")
	r.stopAtCallback(hc)
	page := get(t, hc, r.base+"/auth/oidc/start") // a new pending sign-in; stop at the provider's form
	page.Body.Close()
	hc.CheckRedirect = nil
	state := stateOf(t, page)
	used := *cb
	q = used.Query()
	q.Set("state", state)
	used.RawQuery = q.Encode()
	res = get(t, hc, used.String()) // spends cb's code with another verifier: refused
	r.refused(t, hc, res, readBody(t, res), "did not accept the sign-in code")
	r.noAccount(t, "eve@example.com")

	// The provider's refusal (error=access_denied) with the right state.
	page = get(t, hc, r.base+"/auth/oidc/start")
	page.Body.Close()
	state = stateOf(t, page)
	res = get(t, hc, r.base+oidcCallbackPath+"?error=access_denied&state="+url.QueryEscape(state))
	r.refused(t, hc, res, readBody(t, res), "did not sign you in (access_denied)")
	r.noAccount(t, "eve@example.com")
}

// stateOf is the state Corkboard sent to the provider on the way to page.
func stateOf(t *testing.T, page *http.Response) string {
	t.Helper()
	for req := page.Request; req != nil; req = reqBefore(req) {
		if s := req.URL.Query().Get("state"); s != "" {
			return s
		}
	}
	t.Fatal("no state in the redirects to the provider")
	return ""
}

// reqBefore is the request that redirected to req.
func reqBefore(req *http.Request) *http.Request {
	if req.Response == nil {
		return nil
	}
	return req.Response.Request
}

// TestOIDCForeignNextRefused: next must be a path on this site; another
// site's address (absolute or scheme-relative) is ignored for the default.
func TestOIDCForeignNextRefused(t *testing.T) {
	r := startOIDCRig(t, testdb.SQLite(t), nil)
	r.person("fay", true)
	for _, next := range []string{"https://evil.example/steal", "//evil.example/steal", "/\\evil.example"} {
		hc := r.browser(t)
		res, body := r.signIn(t, hc, next, "fay")
		r.landed(t, res, body, "/projects")
	}
}

// TestOIDCAutoCreateOff: with OIDC_AUTO_CREATE=0 a stranger is refused and
// nothing is created; an existing account with a verified email links.
func TestOIDCAutoCreateOff(t *testing.T) {
	r := startOIDCRig(t, testdb.SQLite(t), func(o *config.OIDC) { o.ExistingOnly = true })
	r.person("gus", true)
	hc := r.browser(t)
	res, body := r.signIn(t, hc, "", "gus")
	r.refused(t, hc, res, body, "does not create accounts here")
	r.noAccount(t, "gus@example.com")

	hal, err := r.ts.CreateUser(context.Background(), "hal@example.com", "correct horse battery", "Hal")
	if err != nil {
		t.Fatal(err)
	}
	r.person("hal", true)
	res, body = r.signIn(t, hc, "", "hal")
	r.landed(t, res, body, "/projects")
	if u := r.me(t, hc); u.ID != hal.ID {
		t.Fatalf("signed in as %s, want %s", u.ID, hal.ID)
	}
}

// TestOIDCOnly: with OIDC_ONLY=1 password sign-in and registration answer
// 403 (API and pages), the sign-in page shows only the button, and the
// provider still signs people in.
func TestOIDCOnly(t *testing.T) {
	r := startOIDCRig(t, testdb.SQLite(t), func(o *config.OIDC) { o.Only = true })
	if _, err := r.ts.CreateUser(context.Background(), "ivy@example.com", "correct horse battery", "Ivy"); err != nil {
		t.Fatal(err)
	}
	anon := r.ts.anon()
	for _, call := range []struct {
		path string
		body map[string]string
	}{
		{"/api/v1/auth/login", map[string]string{"email": "ivy@example.com", "password": "correct horse battery"}},
		{"/api/v1/auth/register", map[string]string{"email": "new@example.com", "password": "correct horse battery", "display_name": "N"}},
		// A password nobody can sign in with is not worth a reset mail.
		{"/api/v1/auth/forgot-password", map[string]string{"email": "ivy@example.com"}},
		{"/api/v1/auth/reset-password", map[string]string{"token": "x", "password": "correct horse battery"}},
		{"/api/v1/auth/unlock", map[string]string{"token": "x"}},
	} {
		res, body := anon.do("POST", call.path, call.body)
		if res.StatusCode != 403 || !strings.Contains(string(body), "urn:corkboard:problem:password-sign-in-off") ||
			!strings.Contains(string(body), `"detail"`) {
			t.Fatalf("%s with OIDC_ONLY: %d %s", call.path, res.StatusCode, body)
		}
	}
	for _, page := range []struct{ method, path string }{{"POST", "/login"}, {"GET", "/register"}, {"POST", "/register"},
		{"GET", "/forgot-password"}, {"POST", "/forgot-password"}, {"GET", "/reset-password"}, {"POST", "/reset-password"},
		{"GET", "/unlock"}, {"POST", "/unlock"}} {
		res, body := anon.form(page.path, map[string]string{"email": "ivy@example.com", "password": "correct horse battery"})
		if page.method == "GET" {
			res, body = anon.do("GET", page.path, nil)
		}
		if res.StatusCode != 403 || !strings.Contains(string(body), "single sign-on only") {
			t.Fatalf("%s %s with OIDC_ONLY: %d %.500s", page.method, page.path, res.StatusCode, body)
		}
	}
	r.noAccount(t, "new@example.com")
	hc := r.browser(t)
	login := readBody(t, get(t, hc, r.base+"/login"))
	if !strings.Contains(login, "data-oidc-button") || strings.Contains(login, `name="password"`) ||
		strings.Contains(login, `href="/register`) {
		t.Fatalf("the sign-in page with OIDC_ONLY: %s", login)
	}
	r.person("ivy", true)
	res, body := r.signIn(t, hc, "/projects", "ivy")
	r.landed(t, res, body, "/projects")
}

// TestOIDCProviderDownAtStart: a provider that does not answer does not
// stop the app; the button says so, pressing it says so again, and once
// the provider is up a later press signs in (discovery is retried).
func TestOIDCProviderDownAtStart(t *testing.T) {
	opLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	opAddr := opLn.Addr().String()
	opLn.Close() // nothing answers there yet
	appLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &oidcRig{base: "http://" + appLn.Addr().String()}
	r.startApp(t, appLn, testdb.SQLite(t), "http://"+opAddr, nil)

	hc := r.browser(t)
	login := readBody(t, get(t, hc, r.base+"/login"))
	if !strings.Contains(login, "data-oidc-button") || !strings.Contains(login, "did not answer") ||
		!strings.Contains(login, `name="password"`) {
		t.Fatalf("the sign-in page with the provider down: %s", login)
	}
	res := get(t, hc, r.base+"/auth/oidc/start")
	r.refused(t, hc, res, readBody(t, res), "Single sign-on is unavailable")

	opLn, err = net.Listen("tcp", opAddr)
	if err != nil {
		t.Fatalf("the provider's port was taken meanwhile: %v", err)
	}
	r.op = testoidc.StartOn(t, opLn, r.base+oidcCallbackPath)
	r.person("jo", true)
	// Pressed again at once: not retried yet (a provider that is down is
	// not asked on every click).
	res = get(t, hc, r.base+"/auth/oidc/start")
	r.refused(t, hc, res, readBody(t, res), "Single sign-on is unavailable")
	r.offset.Add(int64(oidc.RetryEvery))
	res, body := r.signIn(t, hc, "/projects", "jo")
	r.landed(t, res, body, "/projects")
	if login := readBody(t, get(t, hc, r.base+"/login")); strings.Contains(login, "did not answer") {
		t.Fatal("the sign-in page still says the provider is down")
	}
}

// TestOIDCSkipsLocalTwoFactorAndConfirms: an account with local 2FA on
// that signs in with the provider goes straight in (the provider
// authenticated the person); later, past the recent-authentication
// window, a fresh sign-in at the provider confirms it is them on the
// same session (no new one).
func TestOIDCSkipsLocalTwoFactorAndConfirms(t *testing.T) {
	r := startOIDCRig(t, testdb.SQLite(t), nil)
	// Everything until the confirmation happens 11 minutes ago by the
	// app's clock, so that then the sessions are past the recent-
	// authentication window while the provider's auth_time (its own
	// clock) is fresh.
	r.offset.Store(int64(-11 * time.Minute))
	kim := r.ts.register("kim@example.com", "Kim")
	var setup twoFactorSetup
	kim.must(200, "POST", "/api/v1/auth/2fa/setup", nil, &setup)
	kim.must(200, "POST", "/api/v1/auth/2fa/enable", map[string]string{"code": codeAt(t, setup.Secret, r.ts.now())}, nil)
	r.person("kim", true)

	hc := r.browser(t)
	res, body := r.signIn(t, hc, "/settings", "kim")
	r.landed(t, res, body, "/settings") // not /login/2fa
	if u := r.me(t, hc); u.ID != kim.user.ID {
		t.Fatalf("signed in as %s, want %s", u.ID, kim.user.ID)
	}

	r.offset.Store(0) // past the window
	res = get(t, hc, r.base+"/settings/2fa")
	reauth := readBody(t, res)
	r.landed(t, res, reauth, "/settings/reauth")
	if !strings.Contains(reauth, "data-oidc-button") {
		t.Fatalf("the confirmation page does not offer the provider: %.2000s", reauth)
	}
	// A provider whose answer says the credentials were checked long ago
	// (here: the app's clock 11 minutes ahead of its auth_time) does not
	// confirm anything.
	r.offset.Store(int64(11 * time.Minute))
	page := get(t, hc, r.base+"/auth/oidc/start?reauth=1&next="+url.QueryEscape("/settings/2fa"))
	res = r.op.LoginForm(t, hc, page, "kim", "pw-kim")
	body = readBody(t, res)
	r.landed(t, res, body, "/settings/reauth")
	if !strings.Contains(body, "did not ask for your credentials again") {
		t.Fatalf("an old provider sign-in was not refused: %.2000s", body)
	}
	r.offset.Store(0)
	page = get(t, hc, r.base+"/auth/oidc/start?reauth=1&next="+url.QueryEscape("/settings/2fa"))
	for req := page.Request; req != nil; req = reqBefore(req) {
		if req.URL.Path == "/authorize" && req.URL.Query().Get("prompt") != "login" {
			t.Fatalf("confirming did not ask the provider for a fresh sign-in: %s", req.URL)
		}
	}
	res = r.op.LoginForm(t, hc, page, "kim", "pw-kim")
	body = readBody(t, res)
	// /settings/2fa, with 2FA on, shows the account page.
	r.landed(t, res, body, "/settings")
	if !strings.Contains(body, "Confirmed: you can make security changes") {
		t.Fatalf("no confirmation: %.2000s", body)
	}
	sessions, err := r.ts.Store().Sessions(context.Background(), kim.user.ID)
	if err != nil || len(sessions) != 2 { // the API registration's and the browser's
		t.Fatalf("sessions after confirming: %d %v", len(sessions), err)
	}
	recent := 0
	for _, s := range sessions {
		if accounts.RecentlyAuthenticated(s.AuthAt, r.ts.now()) {
			recent++
		}
	}
	if recent != 1 {
		t.Fatalf("%d sessions recently authenticated, want the browser's", recent)
	}
}
