package app

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/internal/testsmtp"
	"github.com/corkboard/corkboard/models"
)

// exchange is one answer from a real listener.
type exchange struct {
	status int
	header http.Header
	body   string
}

// sendFrom sends a request to base+path from the source address ip (any
// 127.0.0.0/8 address works on loopback): a form when form is set, JSON
// otherwise.
func sendFrom(t *testing.T, ip, base, path string, form url.Values, json any) exchange {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer hc.CloseIdleConnections()
	var req *http.Request
	var err error
	if form != nil {
		req, err = http.NewRequest("POST", base+path, strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", base)
		}
	} else {
		req, err = http.NewRequest("POST", base+path, bytes.NewReader(mustMarshal(t, json)))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return exchange{status: res.StatusCode, header: res.Header, body: string(b)}
}

// wantFormLimited checks a page form's 429: Retry-After within the
// minute, and the friendly HTML page, not a problem document.
func wantFormLimited(t *testing.T, what string, x exchange) {
	t.Helper()
	retry, _ := strconv.Atoi(x.header.Get("Retry-After"))
	if x.status != 429 || retry < 1 || retry > 60 {
		t.Fatalf("%s: %d Retry-After %q, want 429 within the minute: %.300s", what, x.status, x.header.Get("Retry-After"), x.body)
	}
	if ct := x.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(x.body, "Too many attempts") ||
		!strings.Contains(x.body, "try again") || strings.Contains(x.body, "urn:corkboard:problem") {
		t.Fatalf("%s: the 429 is not the friendly page (%s): %.600s", what, ct, x.body)
	}
}

// TestPageFormsRateLimited: the page forms that send mail or reach argon2
// share the API's per-client budget (RATE_LIMIT_PER_MINUTE, one budget
// per client for both): beyond it POST /forgot-password is a 429 page and
// sends no mail, while another client address is unaffected; the API and
// page forms draw from the same budget; the next window starts afresh.
func TestPageFormsRateLimited(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	smtpURL, inbox := testsmtp.Start(t)
	clock := newTestClock()
	ts := newTestServerWith(t, testdb.SQLite(t), base, func(cfg *Config) {
		cfg.SMTPURL, cfg.Now, cfg.RateLimitPerMinute = smtpURL, clock.Now, 5
	})
	go ts.Serve(ln)
	as := &accountsServer{testServer: ts, clock: clock, inbox: inbox}
	email := func(i int) string { return "user" + strconv.Itoa(i) + "@example.com" }
	for i := range 8 {
		if _, err := ts.CreateUser(context.Background(), email(i), goodPassword, "User "+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	forgot := func(ip string, i int) exchange {
		return sendFrom(t, ip, base, "/forgot-password", url.Values{"email": {email(i)}}, nil)
	}

	for i := range 5 {
		if x := forgot("127.0.0.2", i); x.status != 200 {
			t.Fatalf("reset request %d: %d", i+1, x.status)
		}
		waitForResetMail(t, as, email(i), 1)
	}
	wantFormLimited(t, "6th reset request from 127.0.0.2", forgot("127.0.0.2", 5))
	// Every form of the list is refused to this client now, and so is the API.
	for path, form := range map[string]url.Values{
		"/login":           {"email": {email(6)}, "password": {goodPassword}},
		"/register":        {"email": {"new@example.com"}, "display_name": {"New"}, "password": {goodPassword}},
		"/reset-password":  {"token": {"x"}, "password": {"a fresh passphrase"}},
		"/unlock":          {"token": {"x"}},
		"/login/2fa":       {"code": {"123456"}},
		"/forgot-password": {"email": {email(6)}},
	} {
		wantFormLimited(t, path+" from 127.0.0.2", sendFrom(t, "127.0.0.2", base, path, form, nil))
	}
	if x := sendFrom(t, "127.0.0.2", base, "/api/v1/auth/forgot-password", nil, map[string]string{"email": email(6)}); x.status != 429 {
		t.Fatalf("the API from 127.0.0.2 past the shared budget: %d", x.status)
	}
	// Another client address has its own budget.
	if x := forgot("127.0.0.3", 7); x.status != 200 {
		t.Fatalf("reset request from 127.0.0.3: %d", x.status)
	}
	waitForResetMail(t, as, email(7), 1)
	ts.accounts.Wait() // every request's background work is done
	if got := testsmtp.To(inbox(), email(5)); len(got) != 0 {
		t.Fatalf("the refused request mailed %s: %+v", email(5), got)
	}
	if got := testsmtp.To(inbox(), email(6)); len(got) != 0 {
		t.Fatalf("refused requests mailed %s: %+v", email(6), got)
	}
	if n := len(inbox()); n != 6 {
		t.Fatalf("%d mails, want 6 (5 from the first client, 1 from the second)", n)
	}

	// One budget per client for the API and the pages: 3 API calls and 2
	// forms, then the 6th (a form) is refused.
	for i := range 3 {
		if x := sendFrom(t, "127.0.0.4", base, "/api/v1/auth/forgot-password", nil, map[string]string{"email": "nobody@example.com"}); x.status != 202 {
			t.Fatalf("API request %d from 127.0.0.4: %d", i+1, x.status)
		}
	}
	for i := range 2 {
		if x := sendFrom(t, "127.0.0.4", base, "/unlock", url.Values{"token": {"x"}}, nil); x.status != 422 {
			t.Fatalf("unlock form %d from 127.0.0.4: %d", i+1, x.status)
		}
	}
	wantFormLimited(t, "a form after 5 API and form requests from 127.0.0.4", forgot("127.0.0.4", 6))

	// The next window starts afresh.
	clock.Advance(time.Minute)
	if x := forgot("127.0.0.2", 6); x.status != 200 {
		t.Fatalf("127.0.0.2 in the next minute: %d", x.status)
	}
	waitForResetMail(t, as, email(6), 1)
}

// TestRegisterLimitedBeforeArgon2: past the budget, POST /register is
// refused before the password is checked for strength or hashed: with
// every argon2 slot held by the test, the refused request still answers
// (at once), and no account is made. The password checks of the settings
// pages are limited per signed-in user the same way.
func TestRegisterLimitedBeforeArgon2(t *testing.T) {
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", func(cfg *Config) {
		cfg.Now, cfg.RateLimitPerMinute = newManualClock().Now, 3
	})
	anon := ts.anon()
	register := func(i int) *http.Request {
		form := url.Values{"email": {"reg" + strconv.Itoa(i) + "@example.com"}, "display_name": {"Reg"}, "password": {goodPassword}}
		req := httptest.NewRequest("POST", "/register", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return req
	}
	var cookie string
	for i := range 3 {
		res, body := anon.send(register(i))
		if res.StatusCode != 303 {
			t.Fatalf("registration %d: %d %.300s", i+1, res.StatusCode, body)
		}
		cookie = sessionCookieFrom(t, res)
	}

	// Hold every argon2 slot: a request that hashes now blocks until the
	// test lets go.
	for range cap(ts.passwords.Slots) {
		ts.passwords.Slots <- struct{}{}
	}
	released := false
	release := func() {
		if !released {
			released = true
			for range cap(ts.passwords.Slots) {
				<-ts.passwords.Slots
			}
		}
	}
	defer release()
	res, err := ts.app.Test(register(3), 5000)
	if err != nil {
		t.Fatalf("the 4th registration did not answer while argon2 was busy (it hashed the password): %v", err)
	}
	release()
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	wantFormLimited(t, "4th registration", exchange{status: res.StatusCode, header: res.Header, body: string(b)})
	if _, _, err := ts.store.Credentials(context.Background(), "reg3@example.com"); err != models.ErrNotFound {
		t.Fatalf("the refused registration made an account: %v", err)
	}

	// A signed-in user's settings forms: their own budget (per user), then 429.
	user := &client{ts: ts, cookie: cookie}
	for i := range 3 {
		res, body := user.form("/settings/password", map[string]string{"current_password": "not it at all", "new_password": "a new passphrase"})
		if res.StatusCode != 422 {
			t.Fatalf("password change %d: %d %.300s", i+1, res.StatusCode, body)
		}
	}
	for _, path := range []string{"/settings/password", "/settings/2fa/disable"} {
		res, body := user.form(path, map[string]string{"current_password": goodPassword, "password": goodPassword,
			"new_password": "a new passphrase", "code": "123456"})
		wantFormLimited(t, path+" past the budget", exchange{status: res.StatusCode, header: res.Header, body: string(body)})
	}
	if _, hash, err := ts.store.Credentials(context.Background(), "reg2@example.com"); err != nil {
		t.Fatal(err)
	} else if ok, _ := ts.passwords.Check(goodPassword, hash); !ok {
		t.Fatal("a refused password change changed the password")
	}
}

// TestPageRateLimitAcrossInstances: two instances sharing Redis count one
// client's page forms in one budget.
func TestPageRateLimitAcrossInstances(t *testing.T) {
	redisURL := testRedisURL(t)
	prefix := "test:" + randomHex(6) + ":"
	clock := newTestClock()
	dbURL := testdb.SQLite(t)
	instance := func() *testServer {
		return newTestServerWith(t, dbURL, "http://localhost:3000", func(cfg *Config) {
			cfg.Now, cfg.RedisURL, cfg.RedisPrefix, cfg.RateLimitPerMinute = clock.Now, redisURL, prefix, 4
		})
	}
	one, two := instance(), instance()
	forgot := func(ts *testServer) (*http.Response, []byte) {
		return ts.anon().form("/forgot-password", map[string]string{"email": "nobody@example.com"})
	}
	for i, ts := range []*testServer{one, two, one, two} {
		if res, body := forgot(ts); res.StatusCode != 200 {
			t.Fatalf("request %d: %d %.300s", i+1, res.StatusCode, body)
		}
	}
	for i, ts := range []*testServer{one, two} {
		res, body := forgot(ts)
		wantFormLimited(t, "instance "+strconv.Itoa(i+1)+" after 4 requests spread over both",
			exchange{status: res.StatusCode, header: res.Header, body: string(body)})
	}
}
