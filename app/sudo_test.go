package app

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/internal/testdb"
)

// Tests of recent authentication ("sudo mode"): creating API tokens,
// turning two-factor authentication on or off, new backup codes and a new
// password need the password (or a code) entered on this session in the
// last 10 minutes. Time moves on the test clock, never by sleeping.

// sudoWindow is accounts.ReauthWindow, spelled out so that these tests
// read as the rule states it.
const sudoWindow = 10 * time.Minute

const reauthType = "urn:corkboard:problem:reauth-required"

// wantReauth fails unless the answer is 403 reauth-required saying how to
// re-authenticate.
func wantReauth(t *testing.T, res *http.Response, body []byte, what string) {
	t.Helper()
	if res.StatusCode != 403 {
		t.Fatalf("%s: status %d, want 403 %s; body %s", what, res.StatusCode, reauthType, body)
	}
	p := problemOf(t, body)
	if p.Type != reauthType || !strings.Contains(p.Detail, "/api/v1/auth/reauth") || !strings.Contains(p.Detail, "10 minutes") {
		t.Fatalf("%s: problem %+v, want %s with a detail naming POST /api/v1/auth/reauth", what, p, reauthType)
	}
}

// securityTables is what a sensitive change could touch, as text.
func securityTables(t *testing.T, ts *testServer) map[string]string {
	t.Helper()
	db := rawDB(t, ts)
	out := map[string]string{}
	for _, table := range []string{"users", "user_totp", "backup_codes", "api_tokens"} {
		out[table] = testdb.Dump(t, db, table)
	}
	return out
}

func wantUnchanged(t *testing.T, before, after map[string]string, what string) {
	t.Helper()
	for table, b := range before {
		if after[table] != b {
			t.Fatalf("%s changed %s:\nbefore %s\nafter  %s", what, table, b, after[table])
		}
	}
}

// TestSudoModeGuardsSensitiveAPI: 10 minutes after signing in, every
// sensitive API route answers 403 reauth-required and changes nothing; a
// wrong password or code does not open the window; the password (or, with
// 2FA on, a code) does, for 10 minutes; a fresh sign-in through the 2FA
// step is recent; API tokens cannot re-authenticate.
func TestSudoModeGuardsSensitiveAPI(t *testing.T) {
	forEachDBClock(t, func(t *testing.T, ts *testServer, clk *testClock) {
		const pw = "correct horse battery"
		ada := ts.register("ada@example.com", "Ada") // 2FA off: tokens, turning 2FA on
		bob := ts.register("bob@example.com", "Bob") // 2FA on: turning it off, backup codes
		bobSecret, _ := enable2FA(t, bob, clk)       // right after signing in: allowed
		var pending twoFactorSetup
		ada.must(200, "POST", "/api/v1/auth/2fa/setup", nil, &pending)
		clk.Advance(sudoWindow)

		before := securityTables(t, ts)
		now := clk.Now()
		for _, g := range []struct {
			c    *client
			path string
			body any
		}{
			{ada, "/api/v1/auth/tokens", map[string]any{"name": "ci", "scope": "write", "expires_in_days": 30}},
			{ada, "/api/v1/auth/2fa/setup", nil},
			{ada, "/api/v1/auth/2fa/enable", map[string]string{"code": codeAt(t, pending.Secret, now)}},
			{bob, "/api/v1/auth/2fa/disable", map[string]string{"password": pw, "code": codeAt(t, bobSecret, now)}},
			{bob, "/api/v1/auth/2fa/backup-codes", map[string]string{"code": codeAt(t, bobSecret, now)}},
		} {
			res, body := g.c.do("POST", g.path, g.body)
			wantReauth(t, res, body, g.path+" 10 minutes after sign-in")
		}
		wantUnchanged(t, before, securityTables(t, ts), "a refused sensitive change")

		// Wrong or missing credentials do not open the window.
		for _, tc := range []struct {
			c     *client
			body  map[string]string
			field string
		}{
			{ada, map[string]string{"password": "wrong horse battery"}, "password"},
			{ada, map[string]string{}, "password"},
			{ada, map[string]string{"code": "123456"}, "code"}, // 2FA is off: a code proves nothing
			{bob, map[string]string{"code": "000000"}, "code"},
			{bob, map[string]string{"backup_code": "aaaa-bbbb-cccc"}, "code"},
		} {
			res, body := tc.c.do("POST", "/api/v1/auth/reauth", tc.body)
			wantStatus(t, res, body, 422, "reauth with "+mustJSONString(t, tc.body))
			if p := problemOf(t, body); len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
				t.Fatalf("reauth with %v: %s, want an error on %q", tc.body, body, tc.field)
			}
		}
		res, body := ada.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "ci", "scope": "write", "expires_in_days": 30})
		wantReauth(t, res, body, "tokens after a wrong password")
		res, body = bob.do("POST", "/api/v1/auth/2fa/backup-codes", map[string]string{"code": codeAt(t, bobSecret, clk.Now())})
		wantReauth(t, res, body, "backup codes after a wrong code")
		wantUnchanged(t, before, securityTables(t, ts), "a refused re-authentication")

		// The password opens the window.
		ada.must(204, "POST", "/api/v1/auth/reauth", map[string]string{"password": pw}, nil)
		var tok createdToken
		ada.must(201, "POST", "/api/v1/auth/tokens", map[string]any{"name": "ci", "scope": "write", "expires_in_days": 30}, &tok)
		var setup twoFactorSetup
		ada.must(200, "POST", "/api/v1/auth/2fa/setup", nil, &setup)
		var on backupCodesResponse
		ada.must(200, "POST", "/api/v1/auth/2fa/enable", map[string]string{"code": codeAt(t, setup.Secret, clk.Now())}, &on)
		if len(on.BackupCodes) != accounts.BackupCodeCount {
			t.Fatalf("enable after reauth: %+v", on)
		}
		// A token cannot re-authenticate (it cannot do the sensitive
		// changes either).
		res, body = ts.bearer(tok.Token, "POST", "/api/v1/auth/reauth", map[string]string{"password": pw})
		wantStatus(t, res, body, 403, "reauth with an API token")
		if p := problemOf(t, body); p.Type != "urn:corkboard:problem:token-not-allowed" {
			t.Fatalf("reauth with an API token: %s", body)
		}

		// With 2FA on, a current code opens the window too.
		bob.must(204, "POST", "/api/v1/auth/reauth", map[string]string{"code": codeAt(t, bobSecret, clk.Now())}, nil)
		clk.Advance(30 * time.Second) // the next code: each is accepted once
		var fresh backupCodesResponse
		bob.must(200, "POST", "/api/v1/auth/2fa/backup-codes", map[string]string{"code": codeAt(t, bobSecret, clk.Now())}, &fresh)

		// A sign-in through the 2FA step is itself recent.
		pendingTok := pendingLoginOf(t, ts, "bob@example.com")
		clk.Advance(30 * time.Second)
		res, body = secondStep(ts, pendingTok, map[string]string{"code": codeAt(t, bobSecret, clk.Now())})
		wantStatus(t, res, body, 200, "2FA step")
		bob2 := &client{ts: ts, cookie: sessionCookieFrom(t, res), user: bob.user}
		bob2.must(201, "POST", "/api/v1/auth/tokens", map[string]any{"name": "phone", "scope": "read", "expires_in_days": 7}, nil)

		clk.Advance(30 * time.Second)
		bob.must(204, "POST", "/api/v1/auth/2fa/disable", map[string]string{"password": pw, "code": codeAt(t, bobSecret, clk.Now())}, nil)

		// The window closes again 10 minutes after the re-authentication.
		clk.Advance(sudoWindow)
		res, body = ada.do("POST", "/api/v1/auth/tokens", map[string]any{"name": "late", "scope": "read", "expires_in_days": 7})
		wantReauth(t, res, body, "tokens 10 minutes after the re-authentication")
		if n := auditCounts(t, ts, ada.user.ID)["session.reauthenticated"]; n != 1 {
			t.Fatalf("ada's log has %d session.reauthenticated events, want 1", n)
		}
	})
}

func mustJSONString(t *testing.T, v any) string { return string(mustMarshal(t, v)) }

// TestSudoModeIsPerSession: re-authenticating opens the window for that
// session only, and the very next request sees it, on this instance and on
// another one sharing the database (whose session cache may hold the row
// from a moment before).
func TestSudoModeIsPerSession(t *testing.T) {
	forEachDatabaseURL(t, func(t *testing.T, url string) {
		clk := newManualClock()
		withClock := func(cfg *Config) { cfg.Now = clk.Now }
		one := newTestServerWith(t, url, "http://localhost:3000", withClock)
		two := newTestServerWith(t, url, "http://localhost:3000", withClock)

		laptop := one.register("ada@example.com", "Ada")
		res, body := one.anon().do("POST", "/api/v1/auth/login", map[string]string{"email": "ada@example.com", "password": "correct horse battery"})
		wantStatus(t, res, body, 200, "second sign-in")
		phone := &client{ts: one, cookie: sessionCookieFrom(t, res), user: laptop.user}
		laptopOnTwo, phoneOnTwo := &client{ts: two, cookie: laptop.cookie, user: laptop.user}, &client{ts: two, cookie: phone.cookie, user: laptop.user}
		clk.Advance(sudoWindow + time.Minute)

		newToken := map[string]any{"name": "ci", "scope": "read", "expires_in_days": 7}
		for _, c := range []*client{laptop, phone, laptopOnTwo, phoneOnTwo} { // fills both caches
			res, body := c.do("POST", "/api/v1/auth/tokens", newToken)
			wantReauth(t, res, body, "tokens before re-authenticating")
		}
		laptop.must(204, "POST", "/api/v1/auth/reauth", map[string]string{"password": "correct horse battery"}, nil)
		laptop.must(201, "POST", "/api/v1/auth/tokens", newToken, nil)
		laptopOnTwo.must(201, "POST", "/api/v1/auth/tokens", newToken, nil)
		for _, c := range []*client{phone, phoneOnTwo} {
			res, body := c.do("POST", "/api/v1/auth/tokens", newToken)
			wantReauth(t, res, body, "the other session's tokens")
		}
	})
}

// TestSudoModePages: the page forms of the sensitive changes send a
// session 10 minutes old to a re-authentication form (changing nothing);
// a wrong password there is a friendly 422 that keeps the window shut;
// the right one returns to where the user was, and the action completes.
func TestSudoModePages(t *testing.T) {
	clk := newManualClock()
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", func(cfg *Config) { cfg.Now = clk.Now })
	const pw, newPW = "correct horse battery", "brand new password"
	ada := ts.register("ada@example.com", "Ada")
	bob := ts.register("bob@example.com", "Bob")
	bobSecret, bobBackup := enable2FA(t, bob, clk)
	var pending twoFactorSetup
	ada.must(200, "POST", "/api/v1/auth/2fa/setup", nil, &pending)
	clk.Advance(sudoWindow)

	before := securityTables(t, ts)
	now := clk.Now()
	for _, tc := range []struct {
		c    *client
		path string
		form map[string]string
		next string
	}{
		{ada, "/settings/tokens", map[string]string{"name": "ci", "scope": "read", "expires_in_days": "30"}, "/settings#tokens"},
		{ada, "/settings/password", map[string]string{"current_password": pw, "new_password": newPW}, "/settings#password"},
		{ada, "/settings/2fa/setup", map[string]string{}, "/settings#two-factor"},
		{ada, "/settings/2fa/enable", map[string]string{"code": codeAt(t, pending.Secret, now)}, "/settings/2fa"},
		{bob, "/settings/2fa/disable", map[string]string{"password": pw, "code": codeAt(t, bobSecret, now)}, "/settings#two-factor"},
		{bob, "/settings/2fa/backup-codes", map[string]string{"code": codeAt(t, bobSecret, now)}, "/settings#two-factor"},
	} {
		res, body := tc.c.form(tc.path, tc.form)
		want := "/settings/reauth?next=" + url.QueryEscape(tc.next)
		if res.StatusCode != 303 || res.Header.Get("Location") != want {
			t.Fatalf("%s 10 minutes after sign-in: %d to %q, want 303 to %q; body %.300s", tc.path, res.StatusCode,
				res.Header.Get("Location"), want, body)
		}
	}
	wantUnchanged(t, before, securityTables(t, ts), "a refused page form")
	// The pending set-up's secret is not shown either: whoever holds only
	// the cookie must not learn the secret the owner is about to turn on.
	res, body := ada.do("GET", "/settings/2fa", nil)
	if res.StatusCode != 303 || res.Header.Get("Location") != "/settings/reauth?next="+url.QueryEscape("/settings/2fa") ||
		strings.Contains(string(body), pending.Secret) {
		t.Fatalf("2FA set-up page 10 minutes after sign-in: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}

	// The form asks for the password (and, with 2FA on, offers a code) and
	// keeps where to go back to.
	status, page := ada.page("/settings/reauth?next=" + url.QueryEscape("/settings#tokens"))
	if status != 200 || !strings.Contains(page, `name="password"`) || !strings.Contains(page, `value="/settings#tokens"`) ||
		!strings.Contains(page, `action="/settings/reauth"`) || strings.Contains(page, `name="code"`) {
		t.Fatalf("reauth page: %d %s", status, page)
	}
	if status, page := bob.page("/settings/reauth"); status != 200 || !strings.Contains(page, `name="code"`) {
		t.Fatalf("reauth page with 2FA on: %d %s", status, page)
	}

	// A wrong password: a friendly 422, never sent back, window still shut.
	res, body = ada.form("/settings/reauth", map[string]string{"password": "wrong horse battery", "next": "/settings#tokens"})
	if res.StatusCode != 422 || !strings.Contains(string(body), "not right") || strings.Contains(string(body), "wrong horse battery") ||
		!strings.Contains(string(body), `value="/settings#tokens"`) {
		t.Fatalf("wrong reauth password: %d %s", res.StatusCode, body)
	}
	if res, _ := ada.form("/settings/tokens", map[string]string{"name": "ci", "scope": "read", "expires_in_days": "30"}); res.StatusCode != 303 {
		t.Fatalf("tokens after a wrong reauth password: %d", res.StatusCode)
	}
	wantUnchanged(t, before, securityTables(t, ts), "a wrong re-authentication")

	// The right password: back to the form, which now works.
	res, _ = ada.form("/settings/reauth", map[string]string{"password": pw, "next": "/settings#tokens"})
	if res.StatusCode != 303 || res.Header.Get("Location") != "/settings#tokens" {
		t.Fatalf("reauth: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body = ada.form("/settings/tokens", map[string]string{"name": "ci", "scope": "read", "expires_in_days": "30"})
	if res.StatusCode != 200 || !strings.Contains(string(body), "data-new-token") {
		t.Fatalf("token form after reauth: %d %.300s", res.StatusCode, body)
	}
	res, _ = ada.form("/settings/password", map[string]string{"current_password": pw, "new_password": newPW})
	if res.StatusCode != 303 || !strings.Contains(flashOf(res), "Password changed") {
		t.Fatalf("password form after reauth: %d %q", res.StatusCode, flashOf(res))
	}
	ts.anon().must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "ada@example.com", "password": newPW}, nil)

	// With 2FA on, a code re-authenticates too: here a backup code, typed
	// into the one code field.
	res, _ = bob.form("/settings/reauth", map[string]string{"code": strings.ToUpper(bobBackup[0]), "next": "/settings#two-factor"})
	if res.StatusCode != 303 || res.Header.Get("Location") != "/settings#two-factor" {
		t.Fatalf("reauth with a backup code: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	res, body = bob.form("/settings/2fa/backup-codes", map[string]string{"code": codeAt(t, bobSecret, clk.Now())})
	if res.StatusCode != 200 || !strings.Contains(string(body), "New backup codes") {
		t.Fatalf("backup codes after reauth: %d %.300s", res.StatusCode, body)
	}

	// Where to go back stays on this site.
	res, _ = ada.form("/settings/reauth", map[string]string{"password": newPW, "next": "//evil.example/x"})
	if loc := res.Header.Get("Location"); res.StatusCode != 303 || !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
		t.Fatalf("reauth with a foreign next: %d to %q", res.StatusCode, loc)
	}
}
