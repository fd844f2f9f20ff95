package app

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
)

// TestHostPrefixedCookies: with COOKIE_SECURE=1 every cookie the app sets
// (the session, the pending second step, the flash message) is named
// __Host-<name> with Secure, Path=/ and no Domain, which browsers then
// refuse to let a sibling subdomain or a plain-http page set; without it,
// the plain names. Reading accepts only the current mode's name: a cookie
// under the other name signs nobody in.
func TestHostPrefixedCookies(t *testing.T) {
	for _, secure := range []bool{false, true} {
		name := func(base string) string {
			if secure {
				return "__Host-" + base
			}
			return base
		}
		otherName := func(base string) string {
			if secure {
				return base
			}
			return "__Host-" + base
		}
		what := map[bool]string{false: "COOKIE_SECURE=0", true: "COOKIE_SECURE=1"}[secure]
		clk := newManualClock()
		ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", func(cfg *Config) {
			cfg.CookieSecure, cfg.Now = secure, clk.Now
		})
		// checkCookie finds base's cookie in res and checks its attributes.
		checkCookie := func(res *http.Response, base, wantPath string) *http.Cookie {
			t.Helper()
			var found *http.Cookie
			for _, ck := range res.Cookies() {
				switch ck.Name {
				case name(base):
					found = ck
				case otherName(base):
					t.Errorf("%s: cookie %q set under the other mode's name", what, ck.Name)
				}
			}
			if found == nil {
				t.Fatalf("%s: no %s cookie in %v", what, name(base), res.Header.Values("Set-Cookie"))
			}
			if secure {
				wantPath = "/"
			}
			if found.Secure != secure || found.Path != wantPath || found.Domain != "" || !found.HttpOnly ||
				found.SameSite != http.SameSiteLaxMode {
				t.Errorf("%s: cookie %+v; want Secure=%v Path=%s, no Domain, HttpOnly, SameSite=Lax", what, found, secure, wantPath)
			}
			return found
		}

		// The session cookie, set by register and read back.
		res, body := ts.anon().do("POST", "/api/v1/auth/register", map[string]string{
			"email": "lu@example.com", "password": goodPassword, "display_name": "Lu"})
		wantStatus(t, res, body, 201, what+": register")
		session := checkCookie(res, sessionCookie, "/").Value
		me := func(cookieName string) int {
			req := httptest.NewRequest("GET", "/api/v1/auth/me", nil)
			req.AddCookie(&http.Cookie{Name: cookieName, Value: session})
			res, _ := ts.anon().send(req)
			return res.StatusCode
		}
		if code := me(name(sessionCookie)); code != 200 {
			t.Errorf("%s: the session under %s: %d, want 200", what, name(sessionCookie), code)
		}
		if code := me(otherName(sessionCookie)); code != 401 {
			t.Errorf("%s: the session under the other mode's name %s: %d, want 401", what, otherName(sessionCookie), code)
		}
		lu := &client{ts: ts, cookie: session}

		// The flash cookie of a form's redirect.
		res, body = lu.form("/settings/profile", map[string]string{"display_name": "Lu Renamed"})
		wantStatus(t, res, body, 303, what+": profile form")
		checkCookie(res, flashCookie, "/")

		// The pending second step's cookie, and only its mode's name reaches
		// the code page.
		enable2FA(t, lu, clk)
		res, body = ts.anon().form("/login", map[string]string{"email": "lu@example.com", "password": goodPassword})
		wantStatus(t, res, body, 303, what+": login form of a 2FA account")
		pending := checkCookie(res, pendingCookie, "/login").Value
		codePage := func(cookieName string) int {
			req := httptest.NewRequest("GET", "/login/2fa", nil)
			req.AddCookie(&http.Cookie{Name: cookieName, Value: pending})
			res, _ := ts.anon().send(req)
			return res.StatusCode
		}
		if code := codePage(name(pendingCookie)); code != 200 {
			t.Errorf("%s: the code page with %s: %d, want 200", what, name(pendingCookie), code)
		}
		if code := codePage(otherName(pendingCookie)); code != 303 {
			t.Errorf("%s: the code page with the other mode's name %s: %d, want 303 back to /login", what, otherName(pendingCookie), code)
		}

		// Logging out clears the session cookie under its own name.
		res, body = lu.form("/logout", nil)
		wantStatus(t, res, body, 303, what+": logout")
		if ck := checkCookie(res, sessionCookie, "/"); ck.Value != "" || ck.MaxAge >= 0 && ck.Expires.After(time.Now()) {
			t.Errorf("%s: logout left the session cookie %+v", what, ck)
		}
	}
}
