package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
	"github.com/corkboard/corkboard/realtime"
	"github.com/google/uuid"
	"github.com/pquerna/otp/totp"
)

// Tests of accounts part 2: TOTP two-factor authentication, the sessions
// list and its revocation, personal API tokens. Time-dependent behaviour
// runs on a clock the test moves (Config.Now), never on sleeps.

// newManualClock is a testClock (accounts_test.go) set mid-step, so that
// "one step either side" is unambiguous.
func newManualClock() *testClock {
	return &testClock{t: time.Date(2026, 11, 23, 10, 0, 15, 0, time.UTC)}
}

func forEachDBClock(t *testing.T, fn func(t *testing.T, ts *testServer, clk *testClock)) {
	forEachDatabaseURL(t, func(t *testing.T, url string) {
		clk := newManualClock()
		ts := newTestServerWith(t, url, "http://localhost:3000", func(cfg *Config) { cfg.Now = clk.Now })
		fn(t, ts, clk)
	})
}

// codeAt is the TOTP code of secret at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, accounts.TOTPOptions())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// rawDB opens the server's database directly, to look at what is stored.
func rawDB(t *testing.T, ts *testServer) *sql.DB { return testdb.Open(t, ts.cfg.DatabaseURL) }

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bearer sends a request with Authorization: Bearer token (no cookie).
func (ts *testServer) bearer(token, method, path string, body any) (*http.Response, []byte) {
	ts.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(mustMarshal(ts.t, body))
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return ts.anon().send(req)
}

// enable2FA turns 2FA on for c at the clock's now and returns the secret
// and the backup codes.
func enable2FA(t *testing.T, c *client, clk *testClock) (string, []string) {
	t.Helper()
	var setup twoFactorSetup
	c.must(200, "POST", "/api/v1/auth/2fa/setup", nil, &setup)
	var out backupCodesResponse
	c.must(200, "POST", "/api/v1/auth/2fa/enable", map[string]string{"code": codeAt(t, setup.Secret, clk.Now())}, &out)
	return setup.Secret, out.BackupCodes
}

// pendingLoginOf signs in with the password and expects the 2FA step.
func pendingLoginOf(t *testing.T, ts *testServer, email string) string {
	t.Helper()
	res, body := ts.anon().do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "correct horse battery"})
	if res.StatusCode != 200 {
		t.Fatalf("login: %d %s", res.StatusCode, body)
	}
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			t.Fatalf("a password alone started a session of a 2FA account")
		}
	}
	var p pendingLogin
	mustJSON(t, body, &p)
	if !p.TwoFactorRequired || p.PendingToken == "" {
		t.Fatalf("login of a 2FA account answered %s", body)
	}
	return p.PendingToken
}

// secondStep posts the 2FA step and returns the response.
func secondStep(ts *testServer, pending string, fields map[string]string) (*http.Response, []byte) {
	body := map[string]string{"pending_token": pending}
	for k, v := range fields {
		body[k] = v
	}
	return ts.anon().do("POST", "/api/v1/auth/login/2fa", body)
}

func wantStatus(t *testing.T, res *http.Response, body []byte, want int, what string) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s: status %d, want %d; body %s", what, res.StatusCode, want, body)
	}
}

// auditCounts counts the user's audit events by type.
func auditCounts(t *testing.T, ts *testServer, userID string) map[string]int {
	t.Helper()
	page, err := ts.store.ListAudit(context.Background(), userID, "", 200)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, e := range page.Items {
		count[e.Type]++
	}
	return count
}

// TestTwoFactorEnableAndLogin: set-up shows a local QR code and the
// secret, a wrong confirmation code is refused, a right one turns 2FA on
// and returns 10 backup codes; the secret is stored encrypted; logging in
// then takes password -> pending token -> code, and a code works once.
func TestTwoFactorEnableAndLogin(t *testing.T) {
	forEachDBClock(t, func(t *testing.T, ts *testServer, clk *testClock) {
		ada := ts.register("ada@example.com", "Ada")
		var setup twoFactorSetup
		ada.must(200, "POST", "/api/v1/auth/2fa/setup", nil, &setup)
		if len(setup.Secret) < 32 || !strings.HasPrefix(setup.OTPAuthURL, "otpauth://totp/Corkboard:ada@example.com?") ||
			!strings.Contains(setup.OTPAuthURL, "secret="+setup.Secret) {
			t.Fatalf("setup: %+v", setup)
		}
		pngB64, ok := strings.CutPrefix(setup.QRPNG, "data:image/png;base64,")
		if !ok {
			t.Fatalf("qr_png is not a PNG data URL: %.40s", setup.QRPNG)
		}
		raw, err := base64.StdEncoding.DecodeString(pngB64)
		if err != nil {
			t.Fatal(err)
		}
		if img, err := png.Decode(bytes.NewReader(raw)); err != nil || img.Bounds().Dx() < 100 {
			t.Fatalf("QR PNG: %v", err)
		}

		// Not on until confirmed: the login still starts a session.
		var st twoFactorStatus
		ada.must(200, "GET", "/api/v1/auth/2fa", nil, &st)
		if st.Enabled || !st.Pending {
			t.Fatalf("status after setup: %+v", st)
		}

		// A wrong code (two steps ahead) is refused and changes nothing.
		res, body := ada.do("POST", "/api/v1/auth/2fa/enable", map[string]string{"code": codeAt(t, setup.Secret, clk.Now().Add(time.Minute))})
		wantStatus(t, res, body, 422, "enable with a wrong code")
		ada.must(200, "GET", "/api/v1/auth/2fa", nil, &st)
		if st.Enabled {
			t.Fatal("a wrong code turned 2FA on")
		}
		var codes backupCodesResponse
		ada.must(200, "POST", "/api/v1/auth/2fa/enable", map[string]string{"code": codeAt(t, setup.Secret, clk.Now())}, &codes)
		if len(codes.BackupCodes) != 10 {
			t.Fatalf("backup codes: %v", codes.BackupCodes)
		}
		seen := map[string]bool{}
		for _, c := range codes.BackupCodes {
			if seen[c] || len(c) < 12 {
				t.Fatalf("backup codes not unique or too short: %v", codes.BackupCodes)
			}
			seen[c] = true
		}
		ada.must(200, "GET", "/api/v1/auth/2fa", nil, &st)
		if !st.Enabled || st.BackupCodesLeft != 10 {
			t.Fatalf("status after enable: %+v", st)
		}

		// At rest: neither the secret nor a backup code is in the database.
		db := rawDB(t, ts)
		stored := testdb.Dump(t, db, "user_totp") + testdb.Dump(t, db, "backup_codes")
		if !strings.Contains(stored, "v1.") {
			t.Fatalf("user_totp holds no sealed secret: %s", stored)
		}
		for _, plain := range append([]string{setup.Secret, strings.ToLower(setup.Secret)}, codes.BackupCodes...) {
			if strings.Contains(stored, plain) {
				t.Fatalf("the database holds %q in plain text", plain)
			}
		}

		// Password -> pending token, no session.
		pending := pendingLoginOf(t, ts, "ada@example.com")
		// The pending token is not a session.
		res, body = ts.bearer(pending, "GET", "/api/v1/auth/me", nil)
		wantStatus(t, res, body, 401, "pending token as a session")
		// The code that confirmed the set-up was spent: it cannot sign in.
		res, body = secondStep(ts, pending, map[string]string{"code": codeAt(t, setup.Secret, clk.Now())})
		wantStatus(t, res, body, 401, "reused code")
		clk.Advance(30 * time.Second)
		code := codeAt(t, setup.Secret, clk.Now())
		res, body = secondStep(ts, pending, map[string]string{"code": code})
		wantStatus(t, res, body, 200, "second step")
		me := &client{ts: ts, cookie: sessionCookieFrom(t, res)}
		var u models.User
		me.must(200, "GET", "/api/v1/auth/me", nil, &u)
		if u.ID != ada.user.ID {
			t.Fatalf("signed in as %+v", u)
		}
		// The same code again, with a fresh pending token: refused.
		res, body = secondStep(ts, pendingLoginOf(t, ts, "ada@example.com"), map[string]string{"code": code})
		wantStatus(t, res, body, 401, "the same code twice")

		// A pending token lasts 5 minutes.
		pending = pendingLoginOf(t, ts, "ada@example.com")
		clk.Advance(5*time.Minute + time.Second)
		res, body = secondStep(ts, pending, map[string]string{"code": codeAt(t, setup.Secret, clk.Now())})
		wantStatus(t, res, body, 401, "expired pending token")
		if !strings.Contains(string(body), "pending-token-invalid") {
			t.Fatalf("expired pending token: %s", body)
		}
		// A session token is not a pending token.
		res, body = secondStep(ts, ada.cookie, map[string]string{"code": codeAt(t, setup.Secret, clk.Now())})
		wantStatus(t, res, body, 401, "session token as pending token")
		// The set-up cannot be restarted (the secret swapped) while 2FA is on.
		res, body = ada.do("POST", "/api/v1/auth/2fa/setup", nil)
		wantStatus(t, res, body, 409, "setup while on")
	})
}

// TestTwoFactorDrift: a code one step before or after now is accepted; two
// steps away is refused.
func TestTwoFactorDrift(t *testing.T) {
	forEachDBClock(t, func(t *testing.T, ts *testServer, clk *testClock) {
		bob := ts.register("bob2@example.com", "Bob")
		secret, _ := enable2FA(t, bob, clk)
		clk.Advance(10 * time.Minute)
		now := clk.Now()
		for _, d := range []time.Duration{-60 * time.Second, 60 * time.Second} {
			res, body := secondStep(ts, pendingLoginOf(t, ts, "bob2@example.com"), map[string]string{"code": codeAt(t, secret, now.Add(d))})
			wantStatus(t, res, body, 401, "code "+d.String()+" away")
		}
		for _, d := range []time.Duration{-30 * time.Second, 30 * time.Second} {
			res, body := secondStep(ts, pendingLoginOf(t, ts, "bob2@example.com"), map[string]string{"code": codeAt(t, secret, now.Add(d))})
			wantStatus(t, res, body, 200, "code "+d.String()+" away")
		}
		// After the step ahead was used, the current step is in the past.
		res, body := secondStep(ts, pendingLoginOf(t, ts, "bob2@example.com"), map[string]string{"code": codeAt(t, secret, now)})
		wantStatus(t, res, body, 401, "a step older than the last used one")
	})
}

// TestTwoFactorBackupCodes: a backup code signs in once (ignoring case and
// dashes); regenerating needs a current code and voids the old codes.
func TestTwoFactorBackupCodes(t *testing.T) {
	forEachDBClock(t, func(t *testing.T, ts *testServer, clk *testClock) {
		cy := ts.register("cy@example.com", "Cy")
		secret, codes := enable2FA(t, cy, clk)
		res, body := secondStep(ts, pendingLoginOf(t, ts, "cy@example.com"), map[string]string{"backup_code": codes[0]})
		wantStatus(t, res, body, 200, "backup code")
		res, body = secondStep(ts, pendingLoginOf(t, ts, "cy@example.com"), map[string]string{"backup_code": codes[0]})
		wantStatus(t, res, body, 401, "backup code twice")
		typed := strings.ToUpper(strings.ReplaceAll(codes[1], "-", " "))
		res, body = secondStep(ts, pendingLoginOf(t, ts, "cy@example.com"), map[string]string{"backup_code": typed})
		wantStatus(t, res, body, 200, "backup code typed loosely")
		var st twoFactorStatus
		cy.must(200, "GET", "/api/v1/auth/2fa", nil, &st)
		if st.BackupCodesLeft != 8 {
			t.Fatalf("backup codes left: %d, want 8", st.BackupCodesLeft)
		}

		// Regenerate: no code, a wrong code, a backup code are refused.
		res, body = cy.do("POST", "/api/v1/auth/2fa/backup-codes", map[string]string{})
		wantStatus(t, res, body, 422, "regenerate without a code")
		clk.Advance(30 * time.Second)
		res, body = cy.do("POST", "/api/v1/auth/2fa/backup-codes", map[string]string{"code": "000000"})
		wantStatus(t, res, body, 422, "regenerate with a wrong code")
		var fresh backupCodesResponse
		cy.must(200, "POST", "/api/v1/auth/2fa/backup-codes", map[string]string{"code": codeAt(t, secret, clk.Now())}, &fresh)
		if len(fresh.BackupCodes) != 10 || fresh.BackupCodes[0] == codes[2] {
			t.Fatalf("regenerated: %v", fresh.BackupCodes)
		}
		res, body = secondStep(ts, pendingLoginOf(t, ts, "cy@example.com"), map[string]string{"backup_code": codes[2]})
		wantStatus(t, res, body, 401, "an old backup code after regenerating")
		res, body = secondStep(ts, pendingLoginOf(t, ts, "cy@example.com"), map[string]string{"backup_code": fresh.BackupCodes[0]})
		wantStatus(t, res, body, 200, "a new backup code")
	})
}

// TestTwoFactorLockout: the fifth wrong code in 15 minutes locks the second
// factor for 15 minutes (429, Retry-After), a right code included, until
// the clock passes the lock.
func TestTwoFactorLockout(t *testing.T) {
	forEachDBClock(t, func(t *testing.T, ts *testServer, clk *testClock) {
		dee := ts.register("dee@example.com", "Dee")
		secret, _ := enable2FA(t, dee, clk)
		clk.Advance(time.Minute)
		pending := pendingLoginOf(t, ts, "dee@example.com")
		for i := 1; i <= 4; i++ {
			res, body := secondStep(ts, pending, map[string]string{"code": "123456"})
			wantStatus(t, res, body, 401, "wrong code")
		}
		res, body := secondStep(ts, pending, map[string]string{"code": "123456"})
		wantStatus(t, res, body, 429, "fifth wrong code")
		if ra := res.Header.Get("Retry-After"); ra != "901" && ra != "900" {
			t.Fatalf("Retry-After %q, want 900", ra)
		}
		res, body = secondStep(ts, pending, map[string]string{"code": codeAt(t, secret, clk.Now())})
		wantStatus(t, res, body, 429, "right code while locked")
		// The lock covers every use of a code, not only the login.
		res, body = dee.do("POST", "/api/v1/auth/2fa/backup-codes", map[string]string{"code": codeAt(t, secret, clk.Now())})
		wantStatus(t, res, body, 429, "regenerate while locked")

		clk.Advance(14 * time.Minute)
		pending = pendingLoginOf(t, ts, "dee@example.com")
		res, body = secondStep(ts, pending, map[string]string{"code": codeAt(t, secret, clk.Now())})
		wantStatus(t, res, body, 429, "right code after 14 minutes")
		clk.Advance(time.Minute + time.Second)
		res, body = secondStep(ts, pending, map[string]string{"code": codeAt(t, secret, clk.Now())})
		wantStatus(t, res, body, 200, "right code after 15 minutes")

		count := auditCounts(t, ts, dee.user.ID)
		if count[accounts.Audit2FAEnabled] != 1 || count[accounts.Audit2FAFailed] != 5 || count[accounts.Audit2FALocked] != 1 {
			t.Fatalf("audit: %v", count)
		}
	})
}

// TestTwoFactorLockAcrossInstances: wrong codes on two instances sharing
// Redis add up to one lock that both enforce.
func TestTwoFactorLockAcrossInstances(t *testing.T) {
	redisURL := testRedisURL(t)
	// A prefix of its own on the shared Redis; the keys expire by themselves
	// (15 minutes).
	prefix := "test-2fa-" + uuid.NewString() + ":"
	dbURL := testdb.SQLite(t)
	clk := newManualClock()
	start := func() *testServer {
		return newTestServerWith(t, dbURL, "http://localhost:3000", func(cfg *Config) {
			cfg.Now = clk.Now
			cfg.RedisURL, cfg.RedisPrefix = redisURL, prefix
			cfg.TOTPKey = strings.Repeat("k", 32) // the same on every instance, like JWT_SECRET
		})
	}
	a, b := start(), start()
	eve := a.register("eve@example.com", "Eve")
	secret, _ := enable2FA(t, eve, clk)
	clk.Advance(time.Minute)
	for i, ts := range []*testServer{a, b, a, b} {
		res, body := secondStep(ts, pendingLoginOf(t, ts, "eve@example.com"), map[string]string{"code": "654321"})
		wantStatus(t, res, body, 401, "wrong code "+itoa(i+1))
	}
	res, body := secondStep(b, pendingLoginOf(t, b, "eve@example.com"), map[string]string{"code": "654321"})
	wantStatus(t, res, body, 429, "fifth wrong code, on b")
	res, body = secondStep(a, pendingLoginOf(t, a, "eve@example.com"), map[string]string{"code": codeAt(t, secret, clk.Now())})
	wantStatus(t, res, body, 429, "right code on a while locked")
}

// TestTwoFactorDisable: turning 2FA off needs the password and a code;
// afterwards the password alone signs in again.
func TestTwoFactorDisable(t *testing.T) {
	forEachDBClock(t, func(t *testing.T, ts *testServer, clk *testClock) {
		fay := ts.register("fay@example.com", "Fay")
		secret, _ := enable2FA(t, fay, clk)
		clk.Advance(30 * time.Second)
		code := codeAt(t, secret, clk.Now())
		res, body := fay.do("POST", "/api/v1/auth/2fa/disable", map[string]string{"password": "wrong password!", "code": code})
		wantStatus(t, res, body, 422, "disable with a wrong password")
		res, body = fay.do("POST", "/api/v1/auth/2fa/disable", map[string]string{"password": "correct horse battery"})
		wantStatus(t, res, body, 422, "disable without a code")
		res, body = fay.do("POST", "/api/v1/auth/2fa/disable", map[string]string{"password": "correct horse battery", "code": "111111"})
		wantStatus(t, res, body, 422, "disable with a wrong code")
		var st twoFactorStatus
		fay.must(200, "GET", "/api/v1/auth/2fa", nil, &st)
		if !st.Enabled {
			t.Fatal("a refused disable turned 2FA off")
		}
		fay.must(204, "POST", "/api/v1/auth/2fa/disable", map[string]string{"password": "correct horse battery", "code": code}, nil)
		fay.must(200, "GET", "/api/v1/auth/2fa", nil, &st)
		if st.Enabled || st.Pending || st.BackupCodesLeft != 0 {
			t.Fatalf("after disable: %+v", st)
		}
		if n := strings.Count(testdb.Dump(t, rawDB(t, ts), "backup_codes"), "\n"); n != 0 {
			t.Fatalf("%d backup codes left after disable", n)
		}
		res, body = ts.anon().do("POST", "/api/v1/auth/login", map[string]string{"email": "fay@example.com", "password": "correct horse battery"})
		wantStatus(t, res, body, 200, "login after disable")
		sessionCookieFrom(t, res)
	})
}

// --- sessions ---

// loginAs signs in again (a second session) with a User-Agent.
func loginAs(t *testing.T, ts *testServer, email, userAgent string) *client {
	t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/auth/login",
		strings.NewReader(`{"email":"`+email+`","password":"correct horse battery"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	res, body := ts.anon().send(req)
	wantStatus(t, res, body, 200, "login")
	c := &client{ts: ts, cookie: sessionCookieFrom(t, res)}
	mustJSON(t, body, &c.user)
	return c
}

// TestSessionsListAndRevoke: the list shows every session with the current
// one marked; revoking one stops its cookie at once; revoke-others keeps
// the caller's.
func TestSessionsListAndRevoke(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		ts.register("gus@example.com", "Gus")
		firefox := loginAs(t, ts, "gus@example.com", "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0")
		phone := loginAs(t, ts, "gus@example.com", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1")
		var sessions list[sessionView]
		firefox.must(200, "GET", "/api/v1/auth/sessions", nil, &sessions)
		if len(sessions.Items) != 3 {
			t.Fatalf("sessions: %d, want 3", len(sessions.Items))
		}
		var current, phoneID string
		for _, s := range sessions.Items {
			if s.Current {
				if current != "" {
					t.Fatal("two sessions marked current")
				}
				current = s.ID
				if s.Device != "Firefox on Linux" || s.IP == "" || s.CreatedAt.IsZero() || s.LastSeenAt.IsZero() {
					t.Fatalf("current session: %+v", s)
				}
			}
			if s.Device == "Safari on iPhone" {
				phoneID = s.ID
			}
		}
		if current == "" || phoneID == "" {
			t.Fatalf("sessions: %+v", sessions.Items)
		}

		phone.must(200, "GET", "/api/v1/auth/me", nil, nil)
		firefox.must(204, "DELETE", "/api/v1/auth/sessions/"+phoneID, nil, nil)
		res, body := phone.do("GET", "/api/v1/auth/me", nil)
		wantStatus(t, res, body, 401, "a revoked session's cookie")
		res, body = firefox.do("DELETE", "/api/v1/auth/sessions/"+phoneID, nil)
		wantStatus(t, res, body, 404, "revoking it again")

		// Someone else's session is not found.
		other := ts.register("hal@example.com", "Hal")
		res, body = other.do("DELETE", "/api/v1/auth/sessions/"+current, nil)
		wantStatus(t, res, body, 404, "another user's session")
		firefox.must(200, "GET", "/api/v1/auth/me", nil, nil)

		third := loginAs(t, ts, "gus@example.com", "curl/8.5.0")
		var out struct {
			Revoked int `json:"revoked"`
		}
		firefox.must(200, "POST", "/api/v1/auth/sessions/revoke-others", nil, &out)
		if out.Revoked != 2 { // the registration's session and curl's
			t.Fatalf("revoked %d, want 2", out.Revoked)
		}
		res, body = third.do("GET", "/api/v1/auth/me", nil)
		wantStatus(t, res, body, 401, "after revoke-others")
		firefox.must(200, "GET", "/api/v1/auth/sessions", nil, &sessions)
		if len(sessions.Items) != 1 || !sessions.Items[0].Current {
			t.Fatalf("after revoke-others: %+v", sessions.Items)
		}
		other.must(200, "GET", "/api/v1/auth/me", nil, nil)
	})
}

// TestRevokedSessionClosesSocket: revoking a session closes the board
// sockets it opened with 4001, and revoking a token closes the token's.
func TestRevokedSessionClosesSocket(t *testing.T) {
	ls := newLiveServer(t, "", realtime.Options{})
	owner, p, _ := ls.board("ivy@example.com", 1)
	second := loginAs(t, ls.testServer, "ivy@example.com", "Second browser")
	conn := ls.mustDial(second, p.ID, 0)
	if f := next(t, conn); f.Type != "hello" {
		t.Fatalf("first frame %q", f.Type)
	}
	keep := ls.mustDial(owner, p.ID, 0)
	next(t, keep)

	var sessions list[sessionView]
	owner.must(200, "GET", "/api/v1/auth/sessions", nil, &sessions)
	for _, s := range sessions.Items {
		if s.UserAgent == "Second browser" {
			owner.must(204, "DELETE", "/api/v1/auth/sessions/"+s.ID, nil, nil)
		}
	}
	if code := closeStatus(t, conn, 5*time.Second); code != 4001 {
		t.Fatalf("revoked session's socket: close %d, want 4001", code)
	}

	// A read-only token may watch; revoking it closes its socket.
	var tok createdToken
	owner.must(201, "POST", "/api/v1/auth/tokens", map[string]any{"name": "watcher", "scope": "read", "expires_in_days": 7}, &tok)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tconn, res, err := websocket.Dial(ctx, "ws"+ls.base[len("http"):]+"/api/v1/projects/"+p.ID+"/ws?since=0",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + tok.Token}}})
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("token dial: %v (HTTP %d)", err, status)
	}
	defer tconn.CloseNow()
	if f := next(t, tconn); f.Type != "hello" {
		t.Fatalf("token socket's first frame %q", f.Type)
	}
	// It sees live changes.
	owner.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Watched"}, nil)
	for f := next(t, tconn); f.Type != "issue.created"; f = next(t, tconn) {
	}
	owner.must(204, "DELETE", "/api/v1/auth/tokens/"+tok.ID, nil, nil)
	if code := closeStatus(t, tconn, 5*time.Second); code != 4001 {
		t.Fatalf("revoked token's socket: close %d, want 4001", code)
	}
	// The owner's own socket stays.
	owner.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Still live"}, nil)
	for f := next(t, keep); f.Type != "issue.created"; f = next(t, keep) {
	}
}

// --- tokens ---

// TestAPITokens: a token is shown once and stored hashed; read-only tokens
// read and are refused (403) every change, which changes nothing;
// read-write tokens change; expired and revoked tokens are 401; last used
// is written at most once a minute; no token manages the account.
func TestAPITokens(t *testing.T) {
	forEachDBClock(t, func(t *testing.T, ts *testServer, clk *testClock) {
		jo := ts.register("jo@example.com", "Jo")
		var p models.Project
		jo.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Scripts"}, &p)
		var issue models.Issue
		jo.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Keep me"}, &issue)

		var ro, rw createdToken
		jo.must(201, "POST", "/api/v1/auth/tokens", map[string]any{"name": "reader", "scope": "read", "expires_in_days": 7}, &ro)
		jo.must(201, "POST", "/api/v1/auth/tokens", map[string]any{"name": "writer", "scope": "write", "expires_in_days": 30}, &rw)
		if !regexp.MustCompile(`^cbp_[0-9a-f]{64}$`).MatchString(ro.Token) || ro.Scope != models.ScopeRead ||
			!ro.ExpiresAt.Equal(clk.Now().Add(7*24*time.Hour)) || ro.Prefix != ro.Token[:12] || ro.LastUsedAt != nil {
			t.Fatalf("created: %+v", ro)
		}
		// Listed without the token; stored as its SHA-256 only.
		listed := jo.must(200, "GET", "/api/v1/auth/tokens", nil, nil)
		if strings.Contains(string(listed), ro.Token) || strings.Contains(string(listed), `"token"`) {
			t.Fatalf("the list shows a token: %s", listed)
		}
		stored := testdb.Dump(t, rawDB(t, ts), "api_tokens")
		sum := sha256.Sum256([]byte(ro.Token))
		if strings.Contains(stored, ro.Token) || strings.Contains(stored, ro.Token[12:]) || !strings.Contains(stored, hex.EncodeToString(sum[:])) {
			t.Fatalf("api_tokens holds the token, or not its hash: %s", stored)
		}

		// Read-only: reads, watches, changes nothing.
		res, body := ts.bearer(ro.Token, "GET", "/api/v1/projects/"+p.ID+"/issues", nil)
		wantStatus(t, res, body, 200, "read-only GET")
		var me models.User
		res, body = ts.bearer(ro.Token, "GET", "/api/v1/auth/me", nil)
		wantStatus(t, res, body, 200, "read-only me")
		mustJSON(t, body, &me)
		if me.ID != jo.user.ID {
			t.Fatalf("me: %+v", me)
		}
		for _, r := range []struct {
			method, path string
			body         any
		}{
			{"POST", "/api/v1/projects", map[string]string{"name": "Nope"}},
			{"POST", "/api/v1/projects/" + p.ID + "/issues", map[string]string{"title": "Nope"}},
			{"PATCH", "/api/v1/projects/" + p.ID + "/issues/" + issue.ID, map[string]any{"title": "Changed", "version": issue.Version}},
			{"DELETE", "/api/v1/projects/" + p.ID + "/issues/" + issue.ID, nil},
			{"PATCH", "/api/v1/projects/" + p.ID, map[string]string{"name": "Renamed"}},
			{"DELETE", "/api/v1/projects/" + p.ID, nil},
		} {
			res, body := ts.bearer(ro.Token, r.method, r.path, r.body)
			wantStatus(t, res, body, 403, "read-only "+r.method+" "+r.path)
		}
		var after models.Issue
		jo.must(200, "GET", "/api/v1/projects/"+p.ID+"/issues/"+issue.ID, nil, &after)
		var projects list[models.Project]
		jo.must(200, "GET", "/api/v1/projects", nil, &projects)
		if after.Title != "Keep me" || after.Version != issue.Version || len(projects.Items) != 1 || projects.Items[0].Name != "Scripts" {
			t.Fatalf("a read-only token changed something: %+v %+v", after, projects.Items)
		}

		// Read-write: changes.
		res, body = ts.bearer(rw.Token, "PATCH", "/api/v1/projects/"+p.ID+"/issues/"+issue.ID, map[string]any{"title": "Changed by a script", "version": issue.Version})
		wantStatus(t, res, body, 200, "read-write PATCH")
		res, body = ts.bearer(rw.Token, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "From a script"})
		wantStatus(t, res, body, 201, "read-write POST")

		// No token manages tokens, sessions, 2FA or the password.
		for _, r := range []struct {
			method, path string
			body         any
		}{
			{"POST", "/api/v1/auth/tokens", map[string]any{"name": "more", "scope": "write", "expires_in_days": 365}},
			{"GET", "/api/v1/auth/tokens", nil},
			{"DELETE", "/api/v1/auth/tokens/" + ro.ID, nil},
			{"GET", "/api/v1/auth/sessions", nil},
			{"POST", "/api/v1/auth/sessions/revoke-others", nil},
			{"POST", "/api/v1/auth/2fa/setup", nil},
			{"POST", "/api/v1/auth/2fa/disable", map[string]string{"password": "correct horse battery", "code": "123456"}},
		} {
			res, body := ts.bearer(rw.Token, r.method, r.path, r.body)
			wantStatus(t, res, body, 403, "token on "+r.method+" "+r.path)
		}
		var tokens list[models.APIToken]
		jo.must(200, "GET", "/api/v1/auth/tokens", nil, &tokens)
		if len(tokens.Items) != 2 {
			t.Fatalf("tokens: %d, want 2", len(tokens.Items))
		}
		// A token is for the API: on pages the caller is anonymous.
		req := httptest.NewRequest("GET", "/settings", nil)
		req.Header.Set("Authorization", "Bearer "+rw.Token)
		if res, _ := ts.anon().send(req); res.StatusCode != 302 {
			t.Fatalf("a token on a page: %d, want the login redirect", res.StatusCode)
		}

		// Last used: set on first use, then at most once a minute.
		lastUsed := func(id string) time.Time {
			t.Helper()
			var l list[models.APIToken]
			jo.must(200, "GET", "/api/v1/auth/tokens", nil, &l)
			for _, x := range l.Items {
				if x.ID == id {
					if x.LastUsedAt == nil {
						return time.Time{}
					}
					return *x.LastUsedAt
				}
			}
			t.Fatalf("token %s not listed", id)
			return time.Time{}
		}
		first := lastUsed(ro.ID)
		if first.IsZero() {
			t.Fatal("last_used_at not set after use")
		}
		clk.Advance(30 * time.Second)
		ts.bearer(ro.Token, "GET", "/api/v1/projects", nil)
		if got := lastUsed(ro.ID); !got.Equal(first) {
			t.Fatalf("last_used_at moved within a minute: %v -> %v", first, got)
		}
		clk.Advance(31 * time.Second)
		ts.bearer(ro.Token, "GET", "/api/v1/projects", nil)
		if got := lastUsed(ro.ID); !got.After(first) {
			t.Fatalf("last_used_at did not move after a minute: %v -> %v", first, got)
		}

		// Expired (7 days) and revoked tokens are 401.
		clk.Advance(7 * 24 * time.Hour)
		res, body = ts.bearer(ro.Token, "GET", "/api/v1/projects", nil)
		wantStatus(t, res, body, 401, "expired token")
		res, body = ts.bearer(rw.Token, "GET", "/api/v1/projects", nil)
		wantStatus(t, res, body, 200, "a 30-day token after 7 days")
		jo.must(204, "DELETE", "/api/v1/auth/tokens/"+rw.ID, nil, nil)
		res, body = ts.bearer(rw.Token, "GET", "/api/v1/projects", nil)
		wantStatus(t, res, body, 401, "revoked token")
		res, body = jo.do("DELETE", "/api/v1/auth/tokens/"+rw.ID, nil)
		wantStatus(t, res, body, 404, "revoking twice")
		res, body = ts.bearer("cbp_"+strings.Repeat("0", 64), "GET", "/api/v1/projects", nil)
		wantStatus(t, res, body, 401, "unknown token")

		// Audit: created, revoked, and one "used" per token per day.
		count := auditCounts(t, ts, jo.user.ID)
		// ro: day 1; rw: day 1 and day 8 (ro's day-8 use was refused).
		if count[accounts.AuditTokenCreated] != 2 || count[accounts.AuditTokenRevoked] != 1 || count[accounts.AuditTokenUsed] != 3 {
			t.Fatalf("audit: %v", count)
		}
	})
}

// TestAPITokenValidation: bad token requests are 422 and create nothing.
func TestAPITokenValidation(t *testing.T) {
	ts := newTestServer(t)
	kim := ts.register("kim@example.com", "Kim")
	for _, tc := range []struct {
		body  string
		field string
	}{
		{`{"name":"x","scope":"read","expires_in_days":0}`, "expires_in_days"},
		{`{"name":"x","scope":"read","expires_in_days":13}`, "expires_in_days"},
		{`{"name":"x","scope":"read"}`, "expires_in_days"},
		{`{"name":"x","scope":"admin","expires_in_days":7}`, "scope"},
		{`{"name":"","scope":"read","expires_in_days":7}`, "name"},
		{`{"name":"` + strings.Repeat("n", 101) + `","scope":"read","expires_in_days":7}`, "name"},
		{`{"name":"x","scope":"read","expires_in_days":7,"admin":true}`, "admin"},
		{`{"name":"x","scope":"read","expires_in_days":"7"}`, "expires_in_days"},
	} {
		res, body := kim.do("POST", "/api/v1/auth/tokens", tc.body)
		if res.StatusCode != 422 || !strings.Contains(string(body), `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s, want 422 on %s", tc.body, res.StatusCode, body, tc.field)
		}
	}
	var tokens list[models.APIToken]
	kim.must(200, "GET", "/api/v1/auth/tokens", nil, &tokens)
	if len(tokens.Items) != 0 {
		t.Fatalf("refused requests created %d tokens", len(tokens.Items))
	}
}

// --- pages ---

var (
	secretInPage = regexp.MustCompile(`data-totp-secret>([A-Z2-7]+)<`)
	tokenInPage  = regexp.MustCompile(`data-token>(cbp_[0-9a-f]{64})<`)
	codesInPage  = regexp.MustCompile(`<li><code>([a-z0-9-]+)</code></li>`)
)

// TestAccountSecurityPages: the account page has the 2FA, sessions and
// tokens sections, and every action works as a plain form: set up and
// confirm 2FA, sign in through /login/2fa, create (shown once) and revoke
// a token, revoke sessions.
func TestAccountSecurityPages(t *testing.T) {
	clk := newManualClock()
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", func(cfg *Config) { cfg.Now = clk.Now })
	lu := ts.register("lu@example.com", "Lu")
	page := func(c *client, path string) string {
		t.Helper()
		res, body := c.do("GET", path, nil)
		wantStatus(t, res, body, 200, "GET "+path)
		return string(body)
	}
	html := page(lu, "/settings")
	for _, want := range []string{`id="two-factor"`, `id="sessions"`, `id="tokens"`, `action="/settings/2fa/setup"`,
		`action="/settings/tokens"`, "this session"} {
		if !strings.Contains(html, want) {
			t.Errorf("account page lacks %s", want)
		}
	}

	// A token, shown once.
	res, body := lu.form("/settings/tokens", map[string]string{"name": "backup script", "scope": "write", "expires_in_days": "90"})
	wantStatus(t, res, body, 200, "create token form")
	m := tokenInPage.FindStringSubmatch(string(body))
	if m == nil {
		t.Fatalf("the new token is not shown: %s", body)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("the page showing a token may be cached: %q", res.Header.Get("Cache-Control"))
	}
	token := m[1]
	if r, b := ts.bearer(token, "GET", "/api/v1/projects", nil); r.StatusCode != 200 {
		t.Fatalf("page-made token: %d %s", r.StatusCode, b)
	}
	if html := page(lu, "/settings"); strings.Contains(html, token) || !strings.Contains(html, "backup script") {
		t.Fatal("the token is shown again, or not listed")
	}
	res, body = lu.form("/settings/tokens", map[string]string{"name": "", "scope": "read", "expires_in_days": "7"})
	wantStatus(t, res, body, 422, "token form without a name")
	if !strings.Contains(string(body), "Name is required") {
		t.Errorf("no field error beside the name")
	}
	var tokens list[models.APIToken]
	lu.must(200, "GET", "/api/v1/auth/tokens", nil, &tokens)
	res, body = lu.form("/settings/tokens/"+tokens.Items[0].ID+"/revoke", nil)
	wantStatus(t, res, body, 303, "revoke token form")
	if r, _ := ts.bearer(token, "GET", "/api/v1/projects", nil); r.StatusCode != 401 {
		t.Fatalf("revoked by form: %d", r.StatusCode)
	}

	// 2FA set-up through the pages.
	res, body = lu.form("/settings/2fa/setup", nil)
	wantStatus(t, res, body, 303, "setup form")
	html = page(lu, "/settings/2fa")
	if !strings.Contains(html, `src="data:image/png;base64,`) {
		t.Fatalf("no QR image: %s", html)
	}
	m = secretInPage.FindStringSubmatch(html)
	if m == nil {
		t.Fatal("no secret on the set-up page")
	}
	secret := m[1]
	res, body = lu.form("/settings/2fa/enable", map[string]string{"code": "000000"})
	wantStatus(t, res, body, 422, "enable form, wrong code")
	res, body = lu.form("/settings/2fa/enable", map[string]string{"code": codeAt(t, secret, clk.Now())})
	wantStatus(t, res, body, 200, "enable form")
	if n := len(codesInPage.FindAllString(string(body), -1)); n != 10 {
		t.Fatalf("%d backup codes shown, want 10", n)
	}
	if html := page(lu, "/settings"); !strings.Contains(html, "10 backup code(s) left") {
		t.Error("the account page does not show 2FA on")
	}

	// Sign in through /login -> /login/2fa.
	browser := ts.anon()
	res, body = browser.form("/login", map[string]string{"email": "lu@example.com", "password": "correct horse battery", "next": "/projects"})
	wantStatus(t, res, body, 303, "login form")
	if loc := res.Header.Get("Location"); !strings.HasPrefix(loc, "/login/2fa") {
		t.Fatalf("login redirected to %q", loc)
	}
	var pending string
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			t.Fatal("a password alone set the session cookie")
		}
		if ck.Name == pendingCookie {
			pending = ck.Value
		}
	}
	withPending := func(req *http.Request) *http.Request {
		req.AddCookie(&http.Cookie{Name: pendingCookie, Value: pending})
		return req
	}
	res, body = browser.send(withPending(httptest.NewRequest("GET", "/login/2fa?next=/projects", nil)))
	wantStatus(t, res, body, 200, "GET /login/2fa")
	submit := func(code string) (*http.Response, []byte) {
		req := httptest.NewRequest("POST", "/login/2fa", strings.NewReader("next=%2Fprojects&code="+code))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return browser.send(withPending(req))
	}
	res, body = submit("999999")
	wantStatus(t, res, body, 401, "second step form, wrong code")
	clk.Advance(30 * time.Second)
	res, body = submit(codeAt(t, secret, clk.Now()))
	wantStatus(t, res, body, 303, "second step form")
	if loc := res.Header.Get("Location"); loc != "/projects" {
		t.Fatalf("signed in, redirected to %q", loc)
	}
	second := &client{ts: ts, cookie: sessionCookieFrom(t, res)}
	page(second, "/projects")
	// Without a pending cookie, /login/2fa sends back to /login.
	if res, _ := ts.anon().do("GET", "/login/2fa", nil); res.StatusCode != 303 {
		t.Fatalf("GET /login/2fa without a password step: %d", res.StatusCode)
	}

	// Sessions: revoke the other one by form, then all others.
	var sessions list[sessionView]
	lu.must(200, "GET", "/api/v1/auth/sessions", nil, &sessions)
	for _, s := range sessions.Items {
		if !s.Current {
			res, body = lu.form("/settings/sessions/"+s.ID+"/revoke", nil)
			wantStatus(t, res, body, 303, "revoke session form")
		}
	}
	if res, _ := second.do("GET", "/api/v1/auth/me", nil); res.StatusCode != 401 {
		t.Fatalf("session revoked by form still works: %d", res.StatusCode)
	}
	res, body = lu.form("/settings/sessions/revoke-others", nil)
	wantStatus(t, res, body, 303, "revoke-others form")
	page(lu, "/settings")

	// Regenerate and disable by form.
	clk.Advance(30 * time.Second)
	res, body = lu.form("/settings/2fa/backup-codes", map[string]string{"code": codeAt(t, secret, clk.Now())})
	wantStatus(t, res, body, 200, "regenerate form")
	regenerated := codesInPage.FindAllStringSubmatch(string(body), -1)
	if len(regenerated) != 10 {
		t.Fatalf("%d regenerated codes shown", len(regenerated))
	}
	// The form's one field says "Code (or a backup code)": a backup code turns it off too.
	res, body = lu.form("/settings/2fa/disable", map[string]string{"password": "correct horse battery", "code": regenerated[0][1]})
	wantStatus(t, res, body, 303, "disable form")
	if html := page(lu, "/settings"); !strings.Contains(html, "Set up two-factor authentication") {
		t.Error("2FA still shown as on after disabling")
	}
}

// TestDeviceName: the sessions list names common browsers.
func TestDeviceName(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36":               "Chrome on Windows",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15":         "Safari on macOS",
		"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36":                  "Chrome on Android",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0": "Edge on Windows",
		"curl/8.5.0": "curl",
		"":           "Unknown device",
		"SomeBot/1":  "Other",
	} {
		if got := deviceName(ua); got != want {
			t.Errorf("deviceName(%q) = %q, want %q", ua, got, want)
		}
	}
}

// TestTOTPKeyConfig: with TOTP_KEY unset, a key is generated into DATA_DIR
// once and kept, so 2FA survives a restart (reading TOTP_KEY is
// config's TestFromEnvTOTPKey).
func TestTOTPKeyConfig(t *testing.T) {
	dataDir, dbURL, clk := t.TempDir(), testdb.SQLite(t), newManualClock()
	start := func() *testServer {
		return newTestServerWith(t, dbURL, "http://localhost:3000", func(cfg *Config) { cfg.DataDir, cfg.Now = dataDir, clk.Now })
	}
	first := start()
	mo := first.register("mo@example.com", "Mo")
	secret, _ := enable2FA(t, mo, clk)
	if err := first.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dataDir + "/totp_key")
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("generated key file: %v %v", err, info)
	}
	again := start()
	clk.Advance(30 * time.Second)
	res, body := secondStep(again, pendingLoginOf(t, again, "mo@example.com"), map[string]string{"code": codeAt(t, secret, clk.Now())})
	wantStatus(t, res, body, 200, "2FA after a restart")
}

// TestClusterRevokeClosesSocketsEverywhere: revoking a session or a token
// on one instance closes the sockets it opened on another within the
// second DESIGN.md promises, and the credential is dead there at once.
func TestClusterRevokeClosesSocketsEverywhere(t *testing.T) {
	nodes := newCluster(t, 2, testdb.Postgres(t), testRedisURL(t), realtime.Options{})
	n1, n2 := nodes[0], nodes[1]
	owner, p, _ := n1.board("nia@example.com", 1)
	laptop := loginAs(t, n1.testServer, "nia@example.com", "Laptop")
	var tok createdToken
	owner.must(201, "POST", "/api/v1/auth/tokens", map[string]any{"name": "watch", "scope": "read", "expires_in_days": 7}, &tok)

	sessConn := n2.mustDial(laptop.on(n2), p.ID, 0)
	next(t, sessConn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tokConn, _, err := websocket.Dial(ctx, "ws"+n2.base[len("http"):]+"/api/v1/projects/"+p.ID+"/ws?since=0",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + tok.Token}}})
	if err != nil {
		t.Fatal(err)
	}
	defer tokConn.CloseNow()
	next(t, tokConn)

	var sessions list[sessionView]
	owner.must(200, "GET", "/api/v1/auth/sessions", nil, &sessions)
	for _, s := range sessions.Items {
		if s.UserAgent == "Laptop" {
			owner.must(204, "DELETE", "/api/v1/auth/sessions/"+s.ID, nil, nil)
		}
	}
	owner.must(204, "DELETE", "/api/v1/auth/tokens/"+tok.ID, nil, nil)
	if code := closeStatus(t, sessConn, time.Second); code != realtime.CloseSessionEnded {
		t.Fatalf("revoked session's socket on the other instance: close %d, want 4001", code)
	}
	if code := closeStatus(t, tokConn, time.Second); code != realtime.CloseSessionEnded {
		t.Fatalf("revoked token's socket on the other instance: close %d, want 4001", code)
	}
	if res, _ := laptop.on(n2).do("GET", "/api/v1/auth/me", nil); res.StatusCode != 401 {
		t.Fatalf("revoked session on the other instance: %d", res.StatusCode)
	}
	if res, _ := n2.bearer(tok.Token, "GET", "/api/v1/projects", nil); res.StatusCode != 401 {
		t.Fatalf("revoked token on the other instance: %d", res.StatusCode)
	}
}
