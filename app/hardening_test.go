package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/kv"
	"github.com/corkboard/corkboard/models"
)

// withHeaders sends method path (JSON body) with extra headers.
func (c *client) withHeaders(method, path string, body string, headers map[string]string) (*http.Response, []byte) {
	c.ts.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: c.ts.sessionCookieName(), Value: c.cookie})
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return c.send(req)
}

func checkSecurityHeaders(t *testing.T, what string, h http.Header, wantHSTS bool) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %s", what, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "*") {
		t.Errorf("%s: CSP %q allows inline code or any origin", what, csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", what, h.Get("X-Content-Type-Options"))
	}
	if h.Get("Referrer-Policy") == "" {
		t.Errorf("%s: no Referrer-Policy", what)
	}
	if got := h.Get("Strict-Transport-Security"); (got != "") != wantHSTS {
		t.Errorf("%s: Strict-Transport-Security %q, want it: %v", what, got, wantHSTS)
	}
	if v := h.Values("Access-Control-Allow-Origin"); len(v) > 0 {
		t.Errorf("%s: Access-Control-Allow-Origin %q: no CORS is offered", what, v)
	}
}

// Security headers are on every kind of response: pages, API answers and
// errors, static files, 404s, oversized bodies, CORS preflights; HSTS only
// with COOKIE_SECURE.
func TestSecurityHeadersEverywhere(t *testing.T) {
	for _, secure := range []bool{false, true} {
		ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", func(c *Config) { c.CookieSecure = secure })
		a := ts.register("ada@example.com", "Ada")
		anon := ts.anon()
		big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
		cases := []struct {
			name   string
			status int
			send   func() (*http.Response, []byte)
		}{
			{"page", 200, func() (*http.Response, []byte) { return anon.do("GET", "/login", nil) }},
			{"signed-in page", 200, func() (*http.Response, []byte) { return a.do("GET", "/projects", nil) }},
			{"API", 200, func() (*http.Response, []byte) { return a.do("GET", "/api/v1/auth/me", nil) }},
			{"API error", 401, func() (*http.Response, []byte) { return anon.do("GET", "/api/v1/auth/me", nil) }},
			{"API 404", 404, func() (*http.Response, []byte) { return anon.unchecked().do("GET", "/api/v1/nope", nil) }},
			{"page 404", 404, func() (*http.Response, []byte) { return anon.do("GET", "/no/such/page", nil) }},
			{"static file", 200, func() (*http.Response, []byte) { return anon.do("GET", "/static/css/app.css", nil) }},
			{"static 404", 404, func() (*http.Response, []byte) { return anon.do("GET", "/static/nope.js", nil) }},
			{"reference page", 200, func() (*http.Response, []byte) { return anon.do("GET", "/api/docs", nil) }},
			{"oversized body", 413, func() (*http.Response, []byte) { return a.do("POST", "/api/v1/projects", big) }},
			{"cross-site origin", 200, func() (*http.Response, []byte) {
				return a.withHeaders("GET", "/api/v1/projects", "", map[string]string{"Origin": "https://evil.example"})
			}},
			{"CORS preflight", 401, func() (*http.Response, []byte) {
				return anon.unchecked().withHeaders("OPTIONS", "/api/v1/projects", "", map[string]string{
					"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
			}},
		}
		for _, tc := range cases {
			res, body := tc.send()
			what := tc.name + " (COOKIE_SECURE=" + strconv.FormatBool(secure) + ")"
			if res.StatusCode != tc.status {
				t.Errorf("%s: status %d, want %d: %.200s", what, res.StatusCode, tc.status, body)
			}
			checkSecurityHeaders(t, what, res.Header, secure)
		}
	}
}

// Every kind of cookie-authenticated write from another site (Sec-Fetch-Site or a
// foreign Origin) is refused with 403 and changes nothing, on the API and
// on page forms alike. Bearer requests are exempt: no browser adds them.
func TestCrossSiteWritesChangeNothing(t *testing.T) {
	ts := newTestServer(t)
	a := ts.register("ada@example.com", "Ada")
	var p models.Project
	a.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Guarded"}, &p)
	var is models.Issue
	a.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Keep me"}, &is)
	issues := "/api/v1/projects/" + p.ID + "/issues"
	one := issues + "/" + is.ID

	foreign := []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Origin": "https://evil.example"},
		{"Origin": "http://localhost:3000.evil.example"},
		{"Origin": "null"},
	}
	writes := []struct{ method, path, body string }{
		{"POST", issues, `{"title":"Injected"}`},
		{"PATCH", one, `{"title":"Defaced","version":1}`},
		{"DELETE", one, ""},
		{"POST", one + "/move", `{"status":"done"}`},
		{"POST", "/api/v1/auth/logout", ""},
	}
	for _, h := range foreign {
		for _, w := range writes {
			res, body := a.withHeaders(w.method, w.path, w.body, h)
			if res.StatusCode != 403 || !strings.Contains(string(body), "urn:corkboard:problem:cross-site") {
				t.Errorf("%s %s with %v: %d %s, want 403 cross-site", w.method, w.path, h, res.StatusCode, body)
			}
		}
		// A page form post from another site.
		req := httptest.NewRequest("POST", "/projects/"+p.ID+"/issues", strings.NewReader("title=Injected"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: a.cookie})
		for k, v := range h {
			req.Header.Set(k, v)
		}
		if res, body := a.send(req); res.StatusCode != 403 {
			t.Errorf("form post with %v: %d %.200s, want 403", h, res.StatusCode, body)
		}
	}
	// Nothing changed, and the session still works.
	var list struct{ Items []models.Issue }
	a.must(200, "GET", issues, nil, &list)
	if len(list.Items) != 1 || list.Items[0].Title != "Keep me" || list.Items[0].Version != is.Version ||
		list.Items[0].Status != is.Status {
		t.Fatalf("cross-site writes changed the board: %+v", list.Items)
	}
	// The same origin passes, and so does a script sending neither header.
	if res, body := a.withHeaders("POST", issues, `{"title":"Mine"}`, map[string]string{
		"Origin": "http://localhost:3000", "Sec-Fetch-Site": "same-origin"}); res.StatusCode != 201 {
		t.Fatalf("same-origin write: %d %s", res.StatusCode, body)
	}
	a.must(201, "POST", issues, map[string]string{"title": "Scripted"}, nil)
	// A bearer request is not a browser's ambient credential: exempt.
	bearer := &client{ts: ts}
	if res, body := bearer.withHeaders("POST", issues, `{"title":"By token"}`, map[string]string{
		"Authorization": "Bearer " + a.cookie, "Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}); res.StatusCode != 201 {
		t.Fatalf("bearer write with a foreign Origin: %d %s", res.StatusCode, body)
	}
}

// A body over the limit is a 413 problem, not a 500 and not a dropped
// connection: checked through a real socket, where the client must read
// the answer.
func TestBodyLimit(t *testing.T) {
	ts := newTestServer(t)
	a := ts.register("ada@example.com", "Ada")
	big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
	res, body := a.do("POST", "/api/v1/projects", big)
	if res.StatusCode != 413 || res.Header.Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(string(body), "body-too-large") {
		t.Fatalf("2 MiB body: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go ts.Serve(ln)
	req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/api/v1/projects", strings.NewReader(big))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: a.cookie})
	hres, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("2 MiB body over TCP: %v (the connection was dropped before the answer)", err)
	}
	b, _ := io.ReadAll(hres.Body)
	hres.Body.Close()
	if hres.StatusCode != 413 || !strings.Contains(string(b), "body-too-large") {
		t.Fatalf("2 MiB body over TCP: %d %s", hres.StatusCode, b)
	}
	var projects struct{ Items []models.Project }
	a.must(200, "GET", "/api/v1/projects", nil, &projects)
	if len(projects.Items) != 0 {
		t.Fatalf("an oversized create made a project: %+v", projects.Items)
	}
}

// A server error says nothing internal: a generic problem and the request
// id, which finds the cause in the log.
func TestServerErrorRevealsNothing(t *testing.T) {
	var logged logBuffer // the server's loops log too, from their goroutines
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	})
	a := ts.register("ada@example.com", "Ada")
	ts.store.Close() // every query now fails inside the driver
	res, body := a.do("GET", "/api/v1/projects", nil)
	if res.StatusCode != 500 {
		t.Fatalf("status %d %s, want 500", res.StatusCode, body)
	}
	var p problem
	mustJSON(t, body, &p)
	id := res.Header.Get("X-Request-ID")
	if p.RequestID == "" || p.RequestID != id {
		t.Fatalf("problem request_id %q, header %q", p.RequestID, id)
	}
	lower := strings.ToLower(string(body))
	for _, leak := range []string{"sql", "database", "closed", "gorm", ".go", "goroutine"} {
		if strings.Contains(lower, leak) {
			t.Errorf("500 body reveals %q: %s", leak, body)
		}
	}
	if !strings.Contains(logged.String(), id) || !strings.Contains(logged.String(), "closed") {
		t.Errorf("the log lacks the request id or the cause:\n%s", logged.String())
	}
	checkSecurityHeaders(t, "500", res.Header, false)
}

// Over the limit an API caller gets 429 problem+json with Retry-After and
// the RateLimit headers; other callers, pages and the WebSocket path are
// unaffected; the window resets.
func TestRateLimit(t *testing.T) {
	ts := newTestServer(t)
	a := ts.register("ada@example.com", "Ada")
	b := ts.register("bob@example.com", "Bob")
	now := time.Date(2026, 11, 23, 10, 0, 15, 0, time.UTC)
	ts.limiter = newRateLimiter(5, func() time.Time { return now })

	for i := 1; i <= 5; i++ {
		res, body := a.do("GET", "/api/v1/auth/me", nil)
		if res.StatusCode != 200 {
			t.Fatalf("request %d: %d %s", i, res.StatusCode, body)
		}
		if res.Header.Get("RateLimit-Limit") != "5" || res.Header.Get("RateLimit-Remaining") != strconv.Itoa(5-i) ||
			res.Header.Get("RateLimit-Reset") != "45" {
			t.Fatalf("request %d: RateLimit headers %v", i, res.Header)
		}
	}
	res, body := a.do("GET", "/api/v1/auth/me", nil)
	if res.StatusCode != 429 || res.Header.Get("Content-Type") != "application/problem+json" ||
		!strings.Contains(string(body), "urn:corkboard:problem:rate-limited") {
		t.Fatalf("6th request: %d %s", res.StatusCode, body)
	}
	if res.Header.Get("Retry-After") != "45" || res.Header.Get("RateLimit-Remaining") != "0" {
		t.Fatalf("429 headers: %v", res.Header)
	}
	// Writes are refused too, and change nothing.
	if res, _ := a.do("POST", "/api/v1/projects", map[string]string{"name": "Late"}); res.StatusCode != 429 {
		t.Fatalf("write over the limit: %d", res.StatusCode)
	}
	// Another user has their own budget; pages and the socket path are not counted.
	b.must(200, "GET", "/api/v1/auth/me", nil, nil)
	if res, _ := a.do("GET", "/projects", nil); res.StatusCode != 200 {
		t.Fatalf("page over the API limit: %d", res.StatusCode)
	}
	if res, _ := a.do("GET", "/api/v1/projects/00000000-0000-4000-8000-000000000000/ws", nil); res.StatusCode == 429 {
		t.Fatal("the WebSocket path is rate-limited per request")
	}
	// Anonymous callers are counted per address.
	anon := ts.anon()
	for range 5 {
		anon.do("POST", "/api/v1/auth/login", map[string]string{"email": "x@example.com", "password": "wrong password"})
	}
	if res, _ := anon.do("POST", "/api/v1/auth/login", map[string]string{"email": "ada@example.com", "password": "correct horse battery"}); res.StatusCode != 429 {
		t.Fatalf("anonymous over the limit: %d", res.StatusCode)
	}
	// The next window starts afresh.
	now = now.Add(45 * time.Second)
	a.must(200, "GET", "/api/v1/auth/me", nil, nil)
	var p models.Project
	a.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Later"}, &p)
}

// The limit holds across instances through the shared kv.Store: requests
// spread over three instances are counted together (memory store shared
// in-process, and Redis when TEST_REDIS_URL is set).
func TestRateLimitAcrossInstances(t *testing.T) {
	stores := map[string]func(t *testing.T) kv.Store{
		"memory": func(t *testing.T) kv.Store { return kv.NewMemory() },
		"redis":  rateLimitRedis,
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
			const limit = 90 // batch 1: every request reaches the shared counter
			var instances []*rateLimiter
			for range 3 {
				instances = append(instances, newRateLimiter(limit, func() time.Time { return now }))
			}
			allowed := 0
			for i := range 120 {
				if instances[i%3].take(context.Background(), store, "user:u1").allowed {
					allowed++
				}
			}
			if allowed != limit {
				t.Fatalf("%d of 120 requests over 3 instances allowed, want %d", allowed, limit)
			}
			// With a larger limit instances sync in batches: the overshoot is
			// bounded by instances × batch.
			big := 6000 // batch 60
			for i := range instances {
				instances[i] = newRateLimiter(big, func() time.Time { return now.Add(time.Minute) })
			}
			allowed = 0
			for i := range 9000 {
				if instances[i%3].take(context.Background(), store, "user:u2").allowed {
					allowed++
				}
			}
			if allowed < big || allowed > big+3*60 {
				t.Fatalf("%d of 9000 allowed with a limit of %d over 3 instances", allowed, big)
			}
		})
	}
}

// rateLimitRedis is a Redis kv.Store under a random key prefix (others
// share the server), or a skip without TEST_REDIS_URL (a failure under CI).
func rateLimitRedis(t *testing.T) kv.Store {
	store, err := kv.DialRedis(context.Background(), testRedisURL(t), "test-ratelimit-"+randomHex(6)+":")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// Per-request cost of the limiter: in memory, and against Redis, where
// one Incr per batch of requests is the only round trip.
func BenchmarkRateLimit(b *testing.B) {
	stores := map[string]kv.Store{"memory": kv.NewMemory()}
	if url := os.Getenv("TEST_REDIS_URL"); url != "" {
		rb := make([]byte, 6)
		_, _ = rand.Read(rb)
		store, err := kv.DialRedis(context.Background(), url, "bench-ratelimit-"+hex.EncodeToString(rb)+":")
		if err != nil {
			b.Fatal(err)
		}
		defer store.Close()
		stores["redis"] = store
	}
	for name, store := range stores {
		for _, limit := range []int{600, 1_000_000} {
			b.Run(name+"/limit="+strconv.Itoa(limit), func(b *testing.B) {
				l := newRateLimiter(limit, time.Now)
				keys := make([]string, 64)
				for i := range keys {
					keys[i] = "user:" + strconv.Itoa(i)
				}
				b.RunParallel(func(pb *testing.PB) {
					i := 0
					for pb.Next() {
						l.take(context.Background(), store, keys[i%len(keys)])
						i++
					}
				})
			})
		}
	}
}
