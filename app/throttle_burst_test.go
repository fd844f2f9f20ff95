package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/internal/testredis"
	"github.com/corkboard/corkboard/internal/testsmtp"
)

// Throttles under concurrency (DESIGN.md "Hardening"): bursts of
// simultaneous guesses fired at real listeners, one goroutine per request,
// released together. What was checked is counted by the server itself
// (corkboard_password_checks_total, corkboard_second_factor_checks_total),
// not inferred from the answers.

// burstServer is one instance on a real listener with its own SMTP sink,
// on a clock the test moves, with the API rate limit out of the way (a
// burst is one client; the throttles are what is under test).
type burstServer struct {
	*testServer
	base  string
	inbox func() []testsmtp.Mail
}

func newBurstServer(t *testing.T, databaseURL string, clock *testClock, adjust func(*Config)) *burstServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	smtpURL, inbox := testsmtp.Start(t)
	ts := newTestServerWith(t, databaseURL, base, func(cfg *Config) {
		cfg.SMTPURL, cfg.Now, cfg.RateLimitPerMinute = smtpURL, clock.Now, 1<<20
		cfg.TOTPKey = strings.Repeat("k", 32) // the same on every instance
		if adjust != nil {
			adjust(cfg)
		}
	})
	go ts.Serve(ln)
	return &burstServer{testServer: ts, base: base, inbox: inbox}
}

// passwordsChecked and codesChecked read the instance's counters.
func (b *burstServer) passwordsChecked() int64 { return b.metrics.passwordChecks.Load() }
func (b *burstServer) codesChecked() int64     { return b.metrics.codeChecks.Load() }

// httpFrom is a client whose connections leave from ip (any 127.0.0.0/8
// address is this machine), so a test can be one client or several.
func httpFrom(t *testing.T, ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	hc := &http.Client{Timeout: 60 * time.Second,
		Transport:     &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 256},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(hc.CloseIdleConnections)
	return hc
}

// shot is one request of a burst; hit is its answer.
type shot struct {
	method, url, contentType, cookie string
	body                             []byte
}

type hit struct {
	status int
	header http.Header
	body   []byte
}

func jsonShot(t *testing.T, url string, body any) shot {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return shot{url: url, contentType: "application/json", body: b}
}

func formShot(url string, values url.Values) shot {
	return shot{url: url, contentType: "application/x-www-form-urlencoded", body: []byte(values.Encode())}
}

func (s shot) as(cookie string) shot { s.cookie = cookie; return s }

// launch starts every shot at once (each goroutine waits on one channel,
// closed when all are ready) and returns a function that waits for their
// answers, in the order of shots.
func launch(t *testing.T, hc *http.Client, shots []shot) func() []hit {
	t.Helper()
	hits := make([]hit, len(shots))
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i, s := range shots {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			method := s.method
			if method == "" {
				method = "POST"
			}
			req, err := http.NewRequest(method, s.url, bytes.NewReader(s.body))
			if err != nil {
				t.Error(err)
				ready.Done()
				return
			}
			if s.contentType != "" {
				req.Header.Set("Content-Type", s.contentType)
			}
			if s.cookie != "" {
				req.AddCookie(&http.Cookie{Name: sessionCookie, Value: s.cookie})
			}
			ready.Done()
			<-start
			res, err := hc.Do(req)
			if err != nil {
				t.Errorf("shot %d: %v", i, err)
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			if err != nil {
				t.Errorf("shot %d: %v", i, err)
			}
			hits[i] = hit{res.StatusCode, res.Header, b}
		}()
	}
	ready.Wait()
	close(start)
	return func() []hit { done.Wait(); return hits }
}

// warm opens n connections from hc to each base and leaves them idle in
// its pool, so a burst that follows arrives at once instead of at the pace
// of TCP handshakes.
func warm(t *testing.T, hc *http.Client, n int, bases ...string) {
	t.Helper()
	var shots []shot
	for _, base := range bases {
		for range n {
			shots = append(shots, shot{method: "GET", url: base + "/health"})
		}
	}
	for i, h := range launch(t, hc, shots)() {
		if h.status != 200 {
			t.Fatalf("warming connection %d: %d", i, h.status)
		}
	}
}

// statuses counts the answers by status.
func statuses(hits []hit) map[int]int {
	m := map[int]int{}
	for _, h := range hits {
		m[h.status]++
	}
	return m
}

// waitUntil polls cond until it holds, failing after 20 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// post sends one request and returns its answer.
func post(t *testing.T, hc *http.Client, s shot) hit {
	t.Helper()
	return launch(t, hc, []shot{s})()[0]
}

func wrongLogins(t *testing.T, base, email string, n int) []shot {
	shots := make([]shot, n)
	for i := range shots {
		shots[i] = jsonShot(t, base+"/api/v1/auth/login", map[string]string{"email": email, "password": "guess " + strconv.Itoa(i)})
	}
	return shots
}

// lockOnFirstBurst locks at the 7th failure with no delay before it, so
// one burst can reach the lock (with the default delays the 5 s wait after
// the 4th failure stops a burst first: TestLoginBurstDefaults).
func lockOnFirstBurst(cfg *Config) {
	cfg.Throttle = Throttle{FreeFailures: 6, LockAfter: 7, IPFailures: 1000}
}

// TestLoginBurstPerAccount: 100 simultaneous wrong passwords for one
// account check at most LOGIN_LOCK_AFTER (7) of them; the right password,
// sent while the burst is still arriving (last, or in its middle), gets
// 423 and not a session, and keeps getting 423 after the burst until the
// lock ends or the mailed link lifts it.
func TestLoginBurstPerAccount(t *testing.T) {
	for _, middle := range []bool{false, true} {
		name := map[bool]string{false: "right password last", true: "right password in the middle"}[middle]
		t.Run(name, func(t *testing.T) {
			clock := newTestClock()
			bs := newBurstServer(t, testdb.SQLite(t), clock, lockOnFirstBurst)
			bs.register("alice@example.com", "Alice")
			hc := httpFrom(t, "127.0.0.2")
			right := jsonShot(t, bs.base+"/api/v1/auth/login", map[string]string{"email": "alice@example.com", "password": goodPassword})
			wrong := wrongLogins(t, bs.base, "alice@example.com", 100)
			before := bs.passwordsChecked()

			// The right password goes once 7 passwords have been checked:
			// with the whole burst in flight ("last"), or with the second
			// half of it ("in the middle").
			first, rest := wrong, []shot(nil)
			if middle {
				first, rest = wrong[:50], wrong[50:]
			}
			warm(t, hc, 101, bs.base)
			waitFirst := launch(t, hc, first)
			waitUntil(t, "7 passwords were checked", func() bool { return bs.passwordsChecked()-before >= 7 })
			waitRest := launch(t, hc, append([]shot{right}, rest...))
			hits := append(waitFirst(), waitRest()...)

			checked := bs.passwordsChecked() - before
			t.Logf("%s: %d of 101 passwords checked; answers %v", name, checked, statuses(hits))
			if checked > 7 {
				t.Errorf("%d passwords checked in the burst, want at most LOGIN_LOCK_AFTER = 7", checked)
			}
			rightHit := hits[len(first)]
			if rightHit.status != 423 {
				t.Fatalf("the right password during the burst: %d %s, want 423 (locked)", rightHit.status, rightHit.body)
			}
			if got := statuses(hits); got[401] != 6 || got[423] != 95 {
				t.Errorf("answers %v, want 6×401 then 95×423", got)
			}
			if h := post(t, hc, right); h.status != 423 || h.header.Get("Retry-After") == "" {
				t.Fatalf("the right password after the burst: %d %q %s, want 423", h.status, h.header.Get("Retry-After"), h.body)
			}
			if middle {
				// The link mailed at the lock lifts it.
				var token string
				waitUntil(t, "the unlock mail arrived", func() bool {
					for _, m := range testsmtp.To(bs.inbox(), "alice@example.com") {
						if match := tokenInLink.FindStringSubmatch(m.Body); match != nil {
							token = match[1]
						}
					}
					return token != ""
				})
				if h := post(t, hc, jsonShot(t, bs.base+"/api/v1/auth/unlock", map[string]string{"token": token})); h.status != 204 {
					t.Fatalf("unlock: %d %s", h.status, h.body)
				}
			} else {
				clock.Advance(59 * time.Minute)
				if h := post(t, hc, right); h.status != 423 {
					t.Fatalf("the right password 59 minutes later: %d, want 423", h.status)
				}
				clock.Advance(time.Minute) // the lock ends by itself
			}
			if h := post(t, hc, right); h.status != 200 {
				t.Fatalf("the right password once the lock is gone: %d %s", h.status, h.body)
			}
		})
	}
}

// TestLoginBurstDefaults: with the default throttle (3 free failures, then
// 5 s) a burst of 100 checks 4 passwords, exactly as 100 sequential tries
// would: the 5 s delay set by the 4th refuses the rest, and the right
// password sent with them.
func TestLoginBurstDefaults(t *testing.T) {
	clock := newTestClock()
	bs := newBurstServer(t, testdb.SQLite(t), clock, nil)
	bs.register("alice@example.com", "Alice")
	hc := httpFrom(t, "127.0.0.2")
	right := jsonShot(t, bs.base+"/api/v1/auth/login", map[string]string{"email": "alice@example.com", "password": goodPassword})
	before := bs.passwordsChecked()
	warm(t, hc, 100, bs.base)
	wait := launch(t, hc, wrongLogins(t, bs.base, "alice@example.com", 100))
	waitUntil(t, "4 passwords were checked", func() bool { return bs.passwordsChecked()-before >= 4 })
	rightHit := post(t, hc, right)
	hits := wait()
	checked := bs.passwordsChecked() - before
	t.Logf("default throttle: %d of 101 passwords checked; answers %v", checked, statuses(append(hits, rightHit)))
	if checked != 4 {
		t.Errorf("%d passwords checked, want 4 (3 free failures and the one that starts the delay)", checked)
	}
	if rightHit.status != 429 || rightHit.header.Get("Retry-After") != "5" {
		t.Fatalf("the right password during the burst: %d %q, want 429 Retry-After 5", rightHit.status, rightHit.header.Get("Retry-After"))
	}
	clock.Advance(5 * time.Second)
	if h := post(t, hc, right); h.status != 200 {
		t.Fatalf("the right password after the delay: %d %s", h.status, h.body)
	}
}

// TestLoginBurstPerIP: 100 simultaneous wrong passwords from one client,
// each for a different account, check at most LOGIN_IP_FAILURES (30);
// then that client is refused on any account while another is not.
func TestLoginBurstPerIP(t *testing.T) {
	clock := newTestClock()
	bs := newBurstServer(t, testdb.SQLite(t), clock, nil)
	bs.register("alice@example.com", "Alice")
	hc := httpFrom(t, "127.0.0.2")
	shots := make([]shot, 100)
	for i := range shots {
		shots[i] = wrongLogins(t, bs.base, "user"+strconv.Itoa(i)+"@example.com", 1)[0]
	}
	warm(t, hc, 100, bs.base)
	before := bs.passwordsChecked()
	hits := launch(t, hc, shots)()
	checked := bs.passwordsChecked() - before
	t.Logf("per IP: %d of 100 passwords checked; answers %v", checked, statuses(hits))
	if checked > 30 {
		t.Errorf("%d passwords checked from one client, want at most LOGIN_IP_FAILURES = 30", checked)
	}
	if got := statuses(hits); got[401] != 30 || got[429] != 70 {
		t.Errorf("answers %v, want 30×401 and 70×429", got)
	}
	right := jsonShot(t, bs.base+"/api/v1/auth/login", map[string]string{"email": "alice@example.com", "password": goodPassword})
	if h := post(t, hc, right); h.status != 429 {
		t.Fatalf("the same client with the right password: %d, want 429", h.status)
	}
	if h := post(t, httpFrom(t, "127.0.0.3"), right); h.status != 200 {
		t.Fatalf("another client: %d, want 200", h.status)
	}
}

// TestLoginBurstAcrossInstances: the same bursts (per account, the TOTP
// step, per IP) split over two instances sharing one Redis (and one
// database): the bounds hold for the pair.
func TestLoginBurstAcrossInstances(t *testing.T) {
	redisURL := testRedisURL(t)
	dbURL := testdb.SQLite(t)
	prefix := testredis.Prefix("test")
	clock := newTestClock()
	instance := func(adjust func(*Config)) *burstServer {
		return newBurstServer(t, dbURL, clock, func(cfg *Config) {
			cfg.RedisURL, cfg.RedisPrefix = redisURL, prefix
			if adjust != nil {
				adjust(cfg)
			}
		})
	}
	// Per account: lock within one burst.
	one, two := instance(lockOnFirstBurst), instance(lockOnFirstBurst)
	one.register("alice@example.com", "Alice")
	hc := httpFrom(t, "127.0.0.2")
	checked := func() int64 { return one.passwordsChecked() + two.passwordsChecked() }
	before := checked()
	var shots []shot
	for i, s := range wrongLogins(t, "", "alice@example.com", 100) {
		s.url = []*burstServer{one, two}[i%2].base + s.url
		shots = append(shots, s)
	}
	warm(t, hc, 50, one.base, two.base)
	wait := launch(t, hc, shots)
	waitUntil(t, "7 passwords were checked", func() bool { return checked()-before >= 7 })
	rightOn := func(b *burstServer) shot {
		return jsonShot(t, b.base+"/api/v1/auth/login", map[string]string{"email": "alice@example.com", "password": goodPassword})
	}
	rightHit := post(t, hc, rightOn(one))
	hits := wait()
	n := checked() - before
	t.Logf("per account, two instances on Redis: %d of 101 passwords checked (%d + %d); answers %v",
		n, one.passwordsChecked(), two.passwordsChecked(), statuses(append(hits, rightHit)))
	if n > 7 {
		t.Errorf("%d passwords checked across both instances, want at most 7", n)
	}
	if rightHit.status != 423 {
		t.Fatalf("the right password during the burst: %d %s, want 423", rightHit.status, rightHit.body)
	}
	for _, b := range []*burstServer{one, two} {
		if h := post(t, hc, rightOn(b)); h.status != 423 {
			t.Fatalf("the right password after the burst on %s: %d, want 423", b.base, h.status)
		}
	}

	// The second factor, on the same pair: 5 codes across both.
	secret, pending, wrongCode := twoFactorUser(t, one, clock, "dee@example.com")
	shots = nil
	for i := range 50 {
		b := []*burstServer{one, two}[i%2]
		shots = append(shots, jsonShot(t, b.base+"/api/v1/auth/login/2fa", map[string]string{"pending_token": pending, "code": wrongCode}))
	}
	codes := func() int64 { return one.codesChecked() + two.codesChecked() }
	warm(t, hc, 25, one.base, two.base)
	before = codes()
	wait = launch(t, hc, shots)
	waitUntil(t, "5 codes were checked", func() bool { return codes()-before >= 5 })
	rightHit = post(t, hc, jsonShot(t, two.base+"/api/v1/auth/login/2fa",
		map[string]string{"pending_token": pending, "code": codeAt(t, secret, clock.Now())}))
	hits = wait()
	n = codes() - before
	t.Logf("TOTP step, two instances on Redis: %d of 51 codes checked; answers %v", n, statuses(append(hits, rightHit)))
	if n > 5 {
		t.Errorf("%d codes checked across both instances, want at most 5", n)
	}
	if rightHit.status != 429 {
		t.Fatalf("the right code during the burst: %d %s, want 429", rightHit.status, rightHit.body)
	}

	// Per IP: a pair with the default limit of 30, and a client of its own
	// (the failures above count for 127.0.0.2 on the shared Redis).
	three, four := instance(nil), instance(nil)
	hc = httpFrom(t, "127.0.0.4")
	before = three.passwordsChecked() + four.passwordsChecked()
	shots = nil
	for i := range 100 {
		s := wrongLogins(t, "", "user"+strconv.Itoa(i)+"@example.com", 1)[0]
		s.url = []*burstServer{three, four}[i%2].base + s.url
		shots = append(shots, s)
	}
	warm(t, hc, 50, three.base, four.base)
	hits = launch(t, hc, shots)()
	n = three.passwordsChecked() + four.passwordsChecked() - before
	t.Logf("per IP, two instances on Redis: %d of 100 passwords checked; answers %v", n, statuses(hits))
	if n > 30 {
		t.Errorf("%d passwords checked from one client across both instances, want at most 30", n)
	}
	if h := post(t, hc, jsonShot(t, four.base+"/api/v1/auth/login", map[string]string{"email": "bob@example.com", "password": "x"})); h.status != 429 {
		t.Fatalf("the same client after the burst: %d, want 429", h.status)
	}
}

// twoFactorUser registers email on bs, turns 2FA on, and returns the
// secret, a pending token of a fresh password sign-in, and a code that is
// wrong at every step matchTOTP accepts.
func twoFactorUser(t *testing.T, bs *burstServer, clock *testClock, email string) (secret, pending, wrongCode string) {
	t.Helper()
	c := bs.register(email, "Dee")
	secret, _ = enable2FA(t, c, clock)
	clock.Advance(time.Minute) // the enabling code's step is spent
	pending = pendingLoginOf(t, bs.testServer, email)
	valid := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		valid[codeAt(t, secret, clock.Now().Add(d))] = true
	}
	for i := 0; ; i++ {
		if wrongCode = strconv.Itoa(100000 + i); !valid[wrongCode] {
			return secret, pending, wrongCode
		}
	}
}

// TestSecondFactorBurst: 50 simultaneous wrong codes with a pending token
// check at most 5; the right code sent while they arrive is refused (429),
// and stays refused for 15 minutes.
func TestSecondFactorBurst(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dbURL string) {
		clock := newTestClock()
		bs := newBurstServer(t, dbURL, clock, nil)
		secret, pending, wrongCode := twoFactorUser(t, bs, clock, "dee@example.com")
		hc := httpFrom(t, "127.0.0.2")
		step := func(code string) shot {
			return jsonShot(t, bs.base+"/api/v1/auth/login/2fa", map[string]string{"pending_token": pending, "code": code})
		}
		wrong := make([]shot, 50)
		for i := range wrong {
			wrong[i] = step(wrongCode)
		}
		before := bs.codesChecked()
		warm(t, hc, 50, bs.base)
		wait := launch(t, hc, wrong)
		waitUntil(t, "5 codes were checked", func() bool { return bs.codesChecked()-before >= 5 })
		rightHit := post(t, hc, step(codeAt(t, secret, clock.Now())))
		hits := wait()
		checked := bs.codesChecked() - before
		t.Logf("TOTP step: %d of 51 codes checked; answers %v", checked, statuses(append(hits, rightHit)))
		if checked > 5 {
			t.Errorf("%d codes checked in the burst, want at most 5", checked)
		}
		if rightHit.status != 429 {
			t.Fatalf("the right code during the burst: %d %s, want 429", rightHit.status, rightHit.body)
		}
		if got := statuses(hits); got[401] != 4 || got[429] != 46 {
			t.Errorf("answers %v, want 4×401 and 46×429", got)
		}
		clock.Advance(14 * time.Minute)
		pending = pendingLoginOf(t, bs.testServer, "dee@example.com")
		if h := post(t, hc, step(codeAt(t, secret, clock.Now()))); h.status != 429 {
			t.Fatalf("the right code 14 minutes later: %d, want 429", h.status)
		}
		clock.Advance(time.Minute + time.Second)
		if h := post(t, hc, step(codeAt(t, secret, clock.Now()))); h.status != 200 {
			t.Fatalf("the right code after 15 minutes: %d %s", h.status, h.body)
		}
	})
}

// TestCurrentPasswordBurst: a stolen session cannot guess the password at
// request speed. 100 simultaneous wrong current passwords at the settings
// page's password change, at re-authentication and at the API's 2FA
// disable check 4 each (the sign-in throttle of the same account: 3 free
// failures, then 5 s), and the sign-in of that account is held back by
// them too.
func TestCurrentPasswordBurst(t *testing.T) {
	clock := newTestClock()
	bs := newBurstServer(t, testdb.SQLite(t), clock, nil)
	hc := httpFrom(t, "127.0.0.2")
	right := func(email string) shot {
		return jsonShot(t, bs.base+"/api/v1/auth/login", map[string]string{"email": email, "password": goodPassword})
	}

	// The page.
	alice := bs.register("alice@example.com", "Alice")
	change := func(current string) shot {
		return formShot(bs.base+"/settings/password", url.Values{"current_password": {current},
			"new_password": {"a quite different passphrase 42"}}).as(alice.cookie)
	}
	shots := make([]shot, 100)
	for i := range shots {
		shots[i] = change("guess " + strconv.Itoa(i))
	}
	warm(t, hc, 100, bs.base)
	before := bs.passwordsChecked()
	hits := launch(t, hc, shots)()
	checked := bs.passwordsChecked() - before
	t.Logf("settings password change: %d of 100 current passwords checked; answers %v", checked, statuses(hits))
	if checked > 4 {
		t.Errorf("%d current passwords checked, want at most 4", checked)
	}
	if got := statuses(hits); got[422] != 4 || got[429] != 96 {
		t.Errorf("answers %v, want 4×422 and 96×429", got)
	}
	if h := post(t, hc, change(goodPassword)); h.status != 429 || !strings.Contains(string(h.body), "5 seconds") {
		t.Fatalf("the right current password during the delay: %d, want 429 saying 5 seconds", h.status)
	}
	if h := post(t, hc, right("alice@example.com")); h.status != 429 {
		t.Fatalf("alice's sign-in after the burst: %d, want 429 (the same account throttle)", h.status)
	}
	clock.Advance(5 * time.Second)
	if h := post(t, hc, change(goodPassword)); h.status != 303 {
		t.Fatalf("the right current password after the delay: %d %s", h.status, h.body)
	}

	// Re-authentication (sudo mode) with the password.
	carol := bs.register("carol@example.com", "Carol")
	reauth := func(password string) shot {
		return jsonShot(t, bs.base+"/api/v1/auth/reauth", map[string]string{"password": password}).as(carol.cookie)
	}
	for i := range shots {
		shots[i] = reauth("guess " + strconv.Itoa(i))
	}
	warm(t, hc, 100, bs.base)
	before = bs.passwordsChecked()
	hits = launch(t, hc, shots)()
	checked = bs.passwordsChecked() - before
	t.Logf("re-authentication: %d of 100 passwords checked; answers %v", checked, statuses(hits))
	if checked > 4 {
		t.Errorf("%d passwords checked, want at most 4", checked)
	}
	if got := statuses(hits); got[422] != 4 || got[429] != 96 {
		t.Errorf("answers %v, want 4×422 and 96×429", got)
	}
	if h := post(t, hc, reauth(goodPassword)); h.status != 429 || h.header.Get("Retry-After") != "5" {
		t.Fatalf("the right password during the delay: %d %q %s, want 429 Retry-After 5", h.status, h.header.Get("Retry-After"), h.body)
	}
	page := formShot(bs.base+"/settings/reauth", url.Values{"password": {goodPassword}, "next": {"/settings"}}).as(carol.cookie)
	if h := post(t, hc, page); h.status != 429 || !strings.Contains(string(h.body), "wait 5 seconds") {
		t.Fatalf("the re-authentication page during the delay: %d, want 429 saying wait 5 seconds", h.status)
	}
	if h := post(t, hc, right("carol@example.com")); h.status != 429 {
		t.Fatalf("carol's sign-in after the burst: %d, want 429", h.status)
	}

	// The API: turning 2FA off needs the password.
	secret, _, _ := twoFactorUser(t, bs, clock, "bob@example.com")
	bob := bs.anon()
	bob.cookie = sessionCookieFrom(t, bob.mustRes(200, "POST", "/api/v1/auth/login/2fa", map[string]string{
		"pending_token": pendingLoginOf(t, bs.testServer, "bob@example.com"), "code": codeAt(t, secret, clock.Now())}))
	disable := func(password string) shot {
		return jsonShot(t, bs.base+"/api/v1/auth/2fa/disable", map[string]string{"password": password,
			"code": codeAt(t, secret, clock.Now())}).as(bob.cookie)
	}
	for i := range shots {
		shots[i] = disable("guess " + strconv.Itoa(i))
	}
	warm(t, hc, 100, bs.base)
	before = bs.passwordsChecked()
	hits = launch(t, hc, shots)()
	checked = bs.passwordsChecked() - before
	t.Logf("2FA disable: %d of 100 passwords checked; answers %v", checked, statuses(hits))
	if checked > 4 {
		t.Errorf("%d passwords checked, want at most 4", checked)
	}
	if got := statuses(hits); got[422] != 4 || got[429] != 96 {
		t.Errorf("answers %v, want 4×422 and 96×429", got)
	}
	if h := post(t, hc, disable(goodPassword)); h.status != 429 || h.header.Get("Retry-After") != "5" {
		t.Fatalf("the right password during the delay: %d %q %s, want 429 Retry-After 5", h.status, h.header.Get("Retry-After"), h.body)
	}
}
