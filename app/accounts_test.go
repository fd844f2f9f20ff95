package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/internal/testsmtp"
	"github.com/corkboard/corkboard/models"
)

// Tests of accounts part 1: password strength, login throttling (one and
// two instances), reset and unlock by e-mail through a real SMTP sink, and
// the audit log.

// testClock is a clock the test moves (Config.Now) instead of sleeping.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// accountsServer is a test server with the SMTP sink as its mail server
// and a clock the test moves.
type accountsServer struct {
	*testServer
	clock *testClock
	inbox func() []testsmtp.Mail
}

func newAccountsServer(t *testing.T, databaseURL string, adjust func(*Config)) *accountsServer {
	t.Helper()
	smtpURL, inbox := testsmtp.Start(t)
	clock := newTestClock()
	ts := newTestServerWith(t, databaseURL, "http://localhost:3000", func(cfg *Config) {
		cfg.SMTPURL, cfg.Now = smtpURL, clock.Now
		if adjust != nil {
			adjust(cfg)
		}
	})
	return &accountsServer{testServer: ts, clock: clock, inbox: inbox}
}

var tokenInLink = regexp.MustCompile(`https?://\S+\?token=([A-Za-z0-9_-]{43})`)

// linkToken is the token of the (only) link in a mail body.
func linkToken(t *testing.T, m testsmtp.Mail) string {
	t.Helper()
	match := tokenInLink.FindStringSubmatch(m.Body)
	if match == nil {
		t.Fatalf("no link with a token in %q", m.Body)
	}
	return match[1]
}

// mustRes is must for a caller that needs the response (its cookie).
func (c *client) mustRes(want int, method, path string, body any) *http.Response {
	c.ts.t.Helper()
	res, b := c.do(method, path, body)
	if res.StatusCode != want {
		c.ts.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, res.StatusCode, want, b)
	}
	return res
}

func tryLogin(c *client, email, password string) (*http.Response, []byte) {
	c.ts.t.Helper()
	return c.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password})
}

// problemOf decodes a problem document.
func problemOf(t *testing.T, b []byte) problem {
	t.Helper()
	var p problem
	mustJSON(t, b, &p)
	return p
}

// auditTypes lists the caller's audit event types, newest first.
func auditTypes(c *client) []string {
	c.ts.t.Helper()
	var page struct {
		Items []models.AuditEvent `json:"items"`
	}
	c.must(200, "GET", "/api/v1/auth/audit?limit=200", nil, &page)
	out := make([]string, len(page.Items))
	for i, ev := range page.Items {
		out[i] = ev.Type
	}
	return out
}

func count(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

// waitForAudit polls until the caller's log holds at least n events of typ
// (failures are written in the background).
func waitForAudit(c *client, typ string, n int) []string {
	c.ts.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		types := auditTypes(c)
		if count(types, typ) >= n {
			return types
		}
		if time.Now().After(deadline) {
			c.ts.t.Fatalf("audit log has %d %q events, want %d: %v", count(types, typ), typ, n, types)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const goodPassword = "correct horse battery"

// TestPasswordStrength: a weak password is a 422 on its field with the
// reason, and changes nothing, on register, change and reset.
func TestPasswordStrength(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		anon := ts.anon()
		for _, tc := range []struct{ password, reason string }{
			{"password1", "commonly used password"},
			{"qwertyuiop", "commonly used password"},
			{"carol@example.com", "your email or name"},
			{"Carol Carolsen 1", "your email or name"},
			{"abcdefghijk", "too easy to guess"},
		} {
			res, b := anon.do("POST", "/api/v1/auth/register", map[string]string{
				"email": "carol@example.com", "password": tc.password, "display_name": "Carol Carolsen"})
			p := problemOf(t, b)
			if res.StatusCode != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "password" ||
				!strings.Contains(p.Errors[0].Message, tc.reason) {
				t.Errorf("register with %q: %d %s; want 422 on password saying %q", tc.password, res.StatusCode, b, tc.reason)
			}
		}
		if _, _, err := ts.store.Credentials(context.Background(), "carol@example.com"); err != models.ErrNotFound {
			t.Fatalf("a refused registration created the account: %v", err)
		}
		// The page shows the reason beside the field.
		res, body := anon.form("/register", map[string]string{"email": "carol@example.com", "display_name": "Carol", "password": "password1"})
		if res.StatusCode != 422 || !strings.Contains(string(body), "Password is too easy to guess: it is, or contains, a commonly used password") {
			t.Fatalf("register page: %d, reason not beside the field", res.StatusCode)
		}

		// Change (account page): refused beside the field; the old password still works.
		alice := ts.register("alice@example.com", "Alice")
		res, body = alice.form("/settings/password", map[string]string{"current_password": goodPassword, "new_password": "alice@example.com"})
		if res.StatusCode != 422 || !strings.Contains(string(body), `id="new-password-error"`) ||
			!strings.Contains(string(body), "contains your email or name") {
			t.Fatalf("weak change: %d %s", res.StatusCode, body)
		}
		ts.anon().must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "alice@example.com", "password": goodPassword}, nil)
		if types := auditTypes(alice); count(types, accounts.AuditPasswordChange) != 0 {
			t.Fatalf("a refused change was audited: %v", types)
		}
		res, _ = alice.form("/settings/password", map[string]string{"current_password": goodPassword, "new_password": "brand new password"})
		if res.StatusCode != 303 {
			t.Fatalf("strong change: %d", res.StatusCode)
		}
		if types := auditTypes(alice); len(types) == 0 || types[0] != accounts.AuditPasswordChange {
			t.Fatalf("password change not audited first: %v", types)
		}
	})
}

// TestLoginThrottle: 3 free failures, then growing delays (429 with
// Retry-After) during which even the right password is refused, then a
// lock at the 7th failure (423 with locked_until) that ends by itself;
// an unknown email answers exactly as a registered one at every step;
// the unlock link mailed at the lock lifts it; success resets the count.
func TestLoginThrottle(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		// The per-IP limit (every app.Test request has one IP) is left
		// out of the way here; TestLoginThrottlePerIP covers it.
		as := newAccountsServer(t, url, func(cfg *Config) { cfg.Throttle.IPFailures = 1000 })
		alice := as.register("alice@example.com", "Alice")
		anon := as.anon()

		// step tries a wrong password for alice and for an unknown email
		// and checks both answers are identical and as expected.
		step := func(wantStatus int, wantRetry string) problem {
			t.Helper()
			r1, b1 := tryLogin(anon, "alice@example.com", "wrong password")
			r2, b2 := tryLogin(anon, "nobody@example.com", "wrong password")
			if r1.StatusCode != wantStatus || r1.Header.Get("Retry-After") != wantRetry {
				t.Fatalf("alice: %d Retry-After %q %s; want %d %q", r1.StatusCode, r1.Header.Get("Retry-After"), b1, wantStatus, wantRetry)
			}
			if r2.StatusCode != r1.StatusCode || r2.Header.Get("Retry-After") != wantRetry || !bytes.Equal(b1, b2) {
				t.Fatalf("unknown email answered differently: %d %q %s vs %d %q %s", r2.StatusCode,
					r2.Header.Get("Retry-After"), b2, r1.StatusCode, r1.Header.Get("Retry-After"), b1)
			}
			return problemOf(t, b1)
		}
		for range 3 {
			step(401, "")
		}
		step(401, "") // 4th failure: 5 s before the next try
		step(429, "5")
		if res, _ := tryLogin(anon, "alice@example.com", goodPassword); res.StatusCode != 429 {
			t.Fatalf("right password during a delay: %d, want 429", res.StatusCode)
		}
		as.clock.Advance(5 * time.Second)
		step(401, "") // 5th: 30 s
		step(429, "30")
		as.clock.Advance(29 * time.Second)
		step(429, "1")
		as.clock.Advance(time.Second)
		step(401, "") // 6th: 60 s
		step(429, "60")
		as.clock.Advance(time.Minute)
		p := step(423, "3600") // 7th: locked for an hour
		want := as.clock.Now().Add(time.Hour)
		if p.LockedUntil == nil || !p.LockedUntil.Equal(want) || p.Type != "urn:corkboard:problem:account-locked" {
			t.Fatalf("lock problem: %+v, want locked_until %v", p, want)
		}
		as.clock.Advance(10 * time.Minute)
		step(423, "3000")
		if res, _ := tryLogin(anon, "alice@example.com", goodPassword); res.StatusCode != 423 {
			t.Fatalf("right password while locked: %d, want 423", res.StatusCode)
		}
		if types := auditTypes(alice); count(types, accounts.AuditLogin) != 1 {
			t.Fatalf("a refused attempt was audited as a login: %v", types)
		}

		// The unlock link (mailed to alice only) lifts the lock, once.
		m := waitForSubject(t, as, "alice@example.com", "locked", 1)
		if !strings.Contains(m.Subject, "locked") || len(testsmtp.To(as.inbox(), "nobody@example.com")) != 0 {
			t.Fatalf("unlock mail: %+v", m)
		}
		token := linkToken(t, m)
		if !strings.Contains(m.Body, "http://localhost:3000/unlock?token="+token) {
			t.Fatalf("the link is not on PUBLIC_URL: %s", m.Body)
		}
		res, body := anon.do("GET", "/unlock?token="+token, nil) // a GET never spends it
		if res.StatusCode != 200 || !strings.Contains(string(body), `action="/unlock"`) {
			t.Fatalf("unlock page: %d", res.StatusCode)
		}
		anon.must(204, "POST", "/api/v1/auth/unlock", map[string]string{"token": token}, nil)
		if p := problemOf(t, anon.must(422, "POST", "/api/v1/auth/unlock", map[string]string{"token": token}, nil)); p.Errors[0].Field != "token" {
			t.Fatalf("second use: %+v", p)
		}
		anon.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "alice@example.com", "password": goodPassword}, nil)
		// The unknown email stays locked: the link was alice's.
		if res, _ := tryLogin(anon, "nobody@example.com", "x"); res.StatusCode != 423 {
			t.Fatalf("unknown email after alice's unlock: %d", res.StatusCode)
		}
		// Success reset the count: 3 free failures again.
		for range 3 {
			if res, _ := tryLogin(anon, "alice@example.com", "wrong password"); res.StatusCode != 401 {
				t.Fatalf("after a success: %d, want 401", res.StatusCode)
			}
		}
		anon.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "alice@example.com", "password": goodPassword}, nil)

		// The audit log saw each event, newest first, and only alice's.
		types := waitForAudit(alice, accounts.AuditLoginFailed, 10)
		// (The first login is the registration's.)
		for typ, n := range map[string]int{accounts.AuditLocked: 1, accounts.AuditUnlocked: 1, accounts.AuditLogin: 3, accounts.AuditLoginFailed: 10} {
			if count(types, typ) != n {
				t.Errorf("%d %q events, want %d: %v", count(types, typ), typ, n, types)
			}
		}
		if types[0] != accounts.AuditLogin || types[1] != accounts.AuditLoginFailed || types[len(types)-2] != accounts.AuditLoginFailed {
			t.Errorf("not newest first: %v", types)
		}
		bob := as.register("bob@example.com", "Bob")
		if types := auditTypes(bob); len(types) != 1 || types[0] != accounts.AuditLogin {
			t.Errorf("bob's log is not just his registration: %v", types)
		}

		// A lock that nobody lifts ends by itself.
		for range 7 {
			tryLogin(anon, "bob@example.com", "wrong password")
			as.clock.Advance(2 * time.Minute)
		}
		if res, _ := tryLogin(anon, "bob@example.com", goodPassword); res.StatusCode != 423 {
			t.Fatalf("bob not locked: %d", res.StatusCode)
		}
		as.clock.Advance(time.Hour)
		anon.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": goodPassword}, nil)
	})
}

// TestLoginThrottlePage: the sign-in page is throttled too and says so in
// words, with Retry-After.
func TestLoginThrottlePage(t *testing.T) {
	as := newAccountsServer(t, testdb.SQLite(t), nil)
	as.register("alice@example.com", "Alice")
	anon := as.anon()
	for range 4 {
		if res, _ := anon.form("/login", map[string]string{"email": "alice@example.com", "password": "wrong password"}); res.StatusCode != 401 {
			t.Fatalf("failure: %d", res.StatusCode)
		}
	}
	res, body := anon.form("/login", map[string]string{"email": "alice@example.com", "password": goodPassword})
	if res.StatusCode != 429 || res.Header.Get("Retry-After") != "5" ||
		!strings.Contains(string(body), "Too many failed sign-ins. Please wait 5 seconds") || len(res.Cookies()) != 0 {
		t.Fatalf("throttled page: %d %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	for _, d := range []time.Duration{5 * time.Second, 30 * time.Second, time.Minute} {
		as.clock.Advance(d)
		anon.form("/login", map[string]string{"email": "alice@example.com", "password": "wrong password"})
	}
	res, body = anon.form("/login", map[string]string{"email": "alice@example.com", "password": goodPassword})
	if res.StatusCode != 423 || !strings.Contains(string(body), "this account is locked until") ||
		!strings.Contains(string(body), `href="/forgot-password"`) {
		t.Fatalf("locked page: %d", res.StatusCode)
	}
}

// postFrom posts JSON to base+path from the local address ip (any
// 127.0.0.0/8 address is this machine), so one test can be several clients.
func postFrom(t *testing.T, ip, base, path string, body any) (int, http.Header) {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext}}
	defer hc.CloseIdleConnections()
	buf, _ := json.Marshal(body)
	res, err := hc.Post(base+path, "application/json", bytes.NewReader(buf))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, res.Header
}

// TestLoginThrottlePerIP: one client failing across many accounts is held
// back, on any email, while another client is not.
func TestLoginThrottlePerIP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	clock := newTestClock()
	ts := newTestServerWith(t, testdb.SQLite(t), base, func(cfg *Config) {
		cfg.Now = clock.Now
		cfg.Throttle = Throttle{IPFailures: 5, IPWindow: 10 * time.Minute}
	})
	go ts.Serve(ln)
	ts.register("alice@example.com", "Alice")
	for i := range 5 {
		email := "user" + strconv.Itoa(i) + "@example.com"
		if code, _ := postFrom(t, "127.0.0.2", base, "/api/v1/auth/login", map[string]string{"email": email, "password": "guess"}); code != 401 {
			t.Fatalf("failure %d: %d", i, code)
		}
	}
	code, h := postFrom(t, "127.0.0.2", base, "/api/v1/auth/login", map[string]string{"email": "alice@example.com", "password": goodPassword})
	retry, _ := strconv.Atoi(h.Get("Retry-After"))
	if code != 429 || retry < 1 || retry > 600 {
		t.Fatalf("6th attempt from the same IP: %d Retry-After %q", code, h.Get("Retry-After"))
	}
	if code, _ := postFrom(t, "127.0.0.3", base, "/api/v1/auth/login", map[string]string{"email": "alice@example.com", "password": goodPassword}); code != 200 {
		t.Fatalf("another IP: %d, want 200", code)
	}
	clock.Advance(time.Duration(retry) * time.Second)
	if code, _ := postFrom(t, "127.0.0.2", base, "/api/v1/auth/login", map[string]string{"email": "alice@example.com", "password": goodPassword}); code != 200 {
		t.Fatalf("same IP after Retry-After: %d, want 200", code)
	}
}

// TestLoginThrottleAcrossInstances: two instances on one database and one
// Redis (a random key prefix) count the same failures, so moving between
// them gains an attacker nothing, and a lock set on one holds on the other.
func TestLoginThrottleAcrossInstances(t *testing.T) {
	redisURL := testRedisURL(t)
	testdb.Each(t, func(t *testing.T, url string) {
		prefix := "test:" + randomHex(6) + ":"
		clock := newTestClock()
		instance := func() *testServer {
			return newTestServerWith(t, url, "http://localhost:3000", func(cfg *Config) {
				cfg.Now, cfg.RedisURL, cfg.RedisPrefix = clock.Now, redisURL, prefix
			})
		}
		one, two := instance(), instance()
		one.register("alice@example.com", "Alice")
		a1, a2 := one.anon(), two.anon()
		for i, c := range []*client{a1, a2, a1, a2} {
			if res, _ := tryLogin(c, "alice@example.com", "wrong password"); res.StatusCode != 401 {
				t.Fatalf("failure %d: %d", i+1, res.StatusCode)
			}
		}
		res, _ := tryLogin(a1, "alice@example.com", goodPassword)
		if res.StatusCode != 429 || res.Header.Get("Retry-After") != "5" {
			t.Fatalf("instance 1 after 4 failures spread over both: %d %q", res.StatusCode, res.Header.Get("Retry-After"))
		}
		for _, c := range []*client{a2, a1, a2} {
			clock.Advance(time.Minute)
			tryLogin(c, "alice@example.com", "wrong password")
		}
		res, b2 := tryLogin(a1, "alice@example.com", goodPassword)
		if res.StatusCode != 423 {
			t.Fatalf("instance 1 after the 7th failure on instance 2: %d %s", res.StatusCode, b2)
		}
		// A reset on instance 1 lifts the lock for both.
		if err := (accounts.Guard{Throttle: one.cfg.Throttle, Store: one.kv, Now: clock.Now}).Clear(context.Background(), "alice@example.com"); err != nil {
			t.Fatal(err)
		}
		a2.must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "alice@example.com", "password": goodPassword}, nil)
	})
}

// liveAccountsServer is an accountsServer on a real listener (for sockets).
func liveAccountsServer(t *testing.T, databaseURL string) (*accountsServer, *liveServer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	smtpURL, inbox := testsmtp.Start(t)
	clock := newTestClock()
	ts := newTestServerWith(t, databaseURL, base, func(cfg *Config) { cfg.SMTPURL, cfg.Now = smtpURL, clock.Now })
	go ts.Serve(ln)
	return &accountsServer{testServer: ts, clock: clock, inbox: inbox}, &liveServer{testServer: ts, base: base}
}

// TestPasswordReset: the same 202 for any email; the mailed token sets a
// new password once, ends every session and closes their sockets (4001),
// lifts a lock and sends a notice; weak passwords and expired or spent
// tokens are refused; a 4th request in an hour sends nothing.
func TestPasswordReset(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		as, ls := liveAccountsServer(t, url)
		alice, p, _ := ls.board("alice@example.com", 1)
		other := as.anon()
		other.cookie = sessionCookieFrom(t, other.mustRes(200, "POST", "/api/v1/auth/login",
			map[string]string{"email": "alice@example.com", "password": goodPassword}))
		conn := ls.mustDial(other, p.ID, 0)
		if f := next(t, conn); f.Type != "hello" {
			t.Fatalf("first frame %q", f.Type)
		}
		// Lock the account first: the reset lifts it.
		for range 7 {
			tryLogin(as.anon(), "alice@example.com", "wrong password")
			as.clock.Advance(2 * time.Minute)
		}

		anon := as.anon()
		b1 := anon.must(202, "POST", "/api/v1/auth/forgot-password", map[string]string{"email": "Alice@Example.com"}, nil)
		b2 := anon.must(202, "POST", "/api/v1/auth/forgot-password", map[string]string{"email": "nobody@example.com"}, nil)
		if !bytes.Equal(b1, b2) {
			t.Fatalf("answers differ: %s vs %s", b1, b2)
		}
		// (The unlock mail of the lock is on its way too, in any order.)
		m := waitForSubject(t, as, "alice@example.com", "Reset", 1)
		token := linkToken(t, m)
		if !strings.Contains(m.Body, ls.base+"/reset-password?token="+token) {
			t.Fatalf("link not on PUBLIC_URL: %s", m.Body)
		}
		res, body := anon.do("GET", "/reset-password?token="+token, nil)
		if res.StatusCode != 200 || !strings.Contains(string(body), `name="token" value="`+token+`"`) ||
			res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("reset page: %d %v", res.StatusCode, res.Header)
		}
		// A weak password is refused and leaves the token usable.
		pb := anon.must(422, "POST", "/api/v1/auth/reset-password", map[string]string{"token": token, "password": "alice@example.com"}, nil)
		if p := problemOf(t, pb); p.Errors[0].Field != "password" || !strings.Contains(p.Errors[0].Message, "email or name") {
			t.Fatalf("weak reset: %s", pb)
		}
		anon.must(204, "POST", "/api/v1/auth/reset-password", map[string]string{"token": token, "password": "a fresh new passphrase"}, nil)

		if code := closeStatus(t, conn, 5*time.Second); code != 4001 {
			t.Fatalf("socket closed with %d, want 4001", code)
		}
		for _, c := range []*client{alice, other} {
			c.must(401, "GET", "/api/v1/auth/me", nil, nil)
		}
		if p := problemOf(t, anon.must(422, "POST", "/api/v1/auth/reset-password",
			map[string]string{"token": token, "password": "yet another passphrase"}, nil)); p.Errors[0].Field != "token" {
			t.Fatalf("second use: %+v", p)
		}
		anon.must(401, "POST", "/api/v1/auth/login", map[string]string{"email": "alice@example.com", "password": goodPassword}, nil)
		alice.cookie = sessionCookieFrom(t, anon.mustRes(200, "POST", "/api/v1/auth/login",
			map[string]string{"email": "alice@example.com", "password": "a fresh new passphrase"})) // the lock is gone
		notice := waitForSubject(t, as, "alice@example.com", "changed", 1)
		if tokenInLink.MatchString(notice.Body) {
			t.Fatalf("the notice holds a link with a token: %s", notice.Body)
		}
		types := waitForAudit(alice, accounts.AuditLocked, 1)
		for _, typ := range []string{accounts.AuditResetRequested, accounts.AuditReset} {
			if count(types, typ) != 1 {
				t.Errorf("%d %q events: %v", count(types, typ), typ, types)
			}
		}

		// An expired token is refused (15 minutes).
		anon.must(202, "POST", "/api/v1/auth/forgot-password", map[string]string{"email": "alice@example.com"}, nil)
		expiring := linkToken(t, waitForResetMail(t, as, "alice@example.com", 2))
		as.clock.Advance(15*time.Minute + time.Second)
		if p := problemOf(t, anon.must(422, "POST", "/api/v1/auth/reset-password",
			map[string]string{"token": expiring, "password": "yet another passphrase"}, nil)); p.Errors[0].Field != "token" {
			t.Fatalf("expired token: %+v", p)
		}
		if res, _ := anon.do("GET", "/reset-password?token="+expiring, nil); res.StatusCode != 404 {
			t.Fatalf("reset page with an expired token: %d", res.StatusCode)
		}

		// 3 mails per hour per account: the 4th request answers the same and sends nothing.
		as.register("bob@example.com", "Bob")
		for i := 1; i <= 4; i++ {
			b := anon.must(202, "POST", "/api/v1/auth/forgot-password", map[string]string{"email": "bob@example.com"}, nil)
			if !bytes.Equal(b, b1) {
				t.Fatalf("request %d answered %s", i, b)
			}
			if i <= 3 {
				waitForResetMail(t, as, "bob@example.com", i)
			}
		}
		as.accounts.Wait() // the 4th request's background work is done: it sent nothing
		if n := len(testsmtp.To(as.inbox(), "bob@example.com")); n != 3 {
			t.Fatalf("bob got %d mails, want 3", n)
		}
		as.clock.Advance(time.Hour)
		anon.must(202, "POST", "/api/v1/auth/forgot-password", map[string]string{"email": "bob@example.com"}, nil)
		waitForResetMail(t, as, "bob@example.com", 4)
	})
}

// waitForResetMail waits until `to` has n reset mails and returns the nth.
func waitForResetMail(t *testing.T, as *accountsServer, to string, n int) testsmtp.Mail {
	t.Helper()
	return waitForSubject(t, as, to, "Reset", n)
}

// waitForSubject waits until `to` has n mails whose subject contains
// subject, and returns the nth (mails sent at once arrive in any order).
func waitForSubject(t *testing.T, as *accountsServer, to, subject string, n int) testsmtp.Mail {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var found []testsmtp.Mail
		for _, m := range testsmtp.To(as.inbox(), to) {
			if strings.Contains(m.Subject, subject) {
				found = append(found, m)
			}
		}
		if len(found) >= n {
			return found[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d mails about %q, want %d", to, len(found), subject, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestResetPages: the forgot-password and reset pages, the link from the
// login page, and a refused weak password shown beside its field.
func TestResetPages(t *testing.T) {
	as := newAccountsServer(t, testdb.SQLite(t), nil)
	as.register("alice@example.com", "Alice")
	anon := as.anon()
	if _, body := anon.do("GET", "/login", nil); !strings.Contains(string(body), `href="/forgot-password"`) {
		t.Fatal("no link to /forgot-password on the login page")
	}
	res, body := anon.form("/forgot-password", map[string]string{"email": "alice@example.com"})
	if res.StatusCode != 200 || !strings.Contains(string(body), "a link to reset its password is on its way") {
		t.Fatalf("forgot page: %d", res.StatusCode)
	}
	_, other := anon.form("/forgot-password", map[string]string{"email": "nobody@example.com"})
	if !bytes.Equal(bytes.ReplaceAll(body, []byte("alice@"), []byte("nobody@")), other) {
		t.Fatal("the page differs for an unknown email (beyond the email typed)")
	}
	token := linkToken(t, waitForResetMail(t, as, "alice@example.com", 1))
	res, body = anon.form("/reset-password", map[string]string{"token": token, "password": "password1"})
	if res.StatusCode != 422 || !strings.Contains(string(body), `id="password-error"`) || !strings.Contains(string(body), "commonly used password") {
		t.Fatalf("weak password page: %d", res.StatusCode)
	}
	res, _ = anon.form("/reset-password", map[string]string{"token": token, "password": "a fresh new passphrase"})
	if res.StatusCode != 303 || res.Header.Get("Location") != "/login" {
		t.Fatalf("reset: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	res, body = anon.form("/reset-password", map[string]string{"token": token, "password": "a fresh new passphrase"})
	if res.StatusCode != 422 || !strings.Contains(string(body), "This link does not work") {
		t.Fatalf("spent token page: %d", res.StatusCode)
	}
	res, body = anon.form("/unlock", map[string]string{"token": "nope"})
	if res.StatusCode != 422 || !strings.Contains(string(body), "This link does not work") {
		t.Fatalf("bad unlock token page: %d", res.StatusCode)
	}
	for _, bad := range []any{map[string]any{"token": 5}, map[string]string{"token": strings.Repeat("a", 500)}, map[string]string{}} {
		anon.must(422, "POST", "/api/v1/auth/unlock", bad, nil)
	}
	anon.must(422, "POST", "/api/v1/auth/reset-password", map[string]string{"token": "", "password": "x"}, nil)
	anon.must(400, "POST", "/api/v1/auth/forgot-password", "{", nil)
}

// TestAuditPagination: cursor pages, newest first, own events only, and
// the account page shows the log.
func TestAuditPagination(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		alice := ts.register("alice@example.com", "Alice")
		bob := ts.register("bob@example.com", "Bob")
		for range 5 {
			ts.anon().must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "alice@example.com", "password": goodPassword}, nil)
			ts.anon().must(200, "POST", "/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": goodPassword}, nil)
		}
		var seen []string
		cursor := ""
		for pages := 0; ; pages++ {
			var page struct {
				Items      []models.AuditEvent `json:"items"`
				NextCursor string              `json:"next_cursor"`
			}
			alice.must(200, "GET", "/api/v1/auth/audit?limit=2&cursor="+cursor, nil, &page)
			for _, ev := range page.Items {
				if ev.Type != accounts.AuditLogin || ev.At.IsZero() || ev.IP == "" {
					t.Fatalf("event %+v", ev)
				}
				if len(seen) > 0 && ev.ID >= seen[len(seen)-1] {
					t.Fatalf("not newest first: %s after %s", ev.ID, seen[len(seen)-1])
				}
				seen = append(seen, ev.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
			if pages > 5 {
				t.Fatal("too many pages")
			}
		}
		if len(seen) != 6 { // the registration's session, and 5 logins
			t.Fatalf("alice saw %d events, want her 6", len(seen))
		}
		if types := auditTypes(bob); len(types) != 6 {
			t.Fatalf("bob sees %d events", len(types))
		}
		alice.must(422, "GET", "/api/v1/auth/audit?cursor=bogus", nil, nil)
		alice.must(422, "GET", "/api/v1/auth/audit?limit=0", nil, nil)
		ts.anon().must(401, "GET", "/api/v1/auth/audit", nil, nil)
		_, body := alice.do("GET", "/settings", nil)
		if n := strings.Count(string(body), `data-audit-type="login"`); n != 6 {
			t.Fatalf("the account page lists %d sign-ins, want 6", n)
		}
	})
}
