package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/app/config"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// testServer is one real app instance on a fresh database (SQLite in a temp
// dir; PostgreSQL in a fresh schema when TEST_DATABASE_URL is set and the
// test asks for it through forEachDB).
type testServer struct {
	*Server
	t *testing.T
}

var fastPasswords = accounts.PasswordParams{Memory: 1024, Time: 1, Threads: 1}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServerOn(t, testdb.SQLite(t))
}

func newTestServerOn(t *testing.T, databaseURL string) *testServer {
	t.Helper()
	return newTestServerOnConfig(t, databaseURL, "http://localhost:3000")
}

func newTestServerOnConfig(t *testing.T, databaseURL, publicURL string) *testServer {
	t.Helper()
	return newTestServerWith(t, databaseURL, publicURL, nil)
}

// newTestServerWith lets a test adjust the configuration (hub timings,
// broker) before the server starts.
func newTestServerWith(t *testing.T, databaseURL, publicURL string, adjust func(*Config)) *testServer {
	t.Helper()
	cfg := Config{
		Config:   config.Config{DatabaseURL: databaseURL, DataDir: t.TempDir(), PublicURL: publicURL, JWTSecret: strings.Repeat("s", 32)},
		Password: fastPasswords, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if os.Getenv("TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if adjust != nil {
		adjust(&cfg)
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	return &testServer{Server: s, t: t}
}

// forEachDB runs fn against SQLite and, when TEST_DATABASE_URL is set,
// PostgreSQL (a fresh schema, dropped afterwards). Without it the
// PostgreSQL run is skipped with a message, except under CI=true.
func forEachDB(t *testing.T, fn func(t *testing.T, ts *testServer)) {
	forEachDatabaseURL(t, func(t *testing.T, url string) { fn(t, newTestServerOn(t, url)) })
}

// forEachDatabaseURL is forEachDB for tests that start servers themselves.
func forEachDatabaseURL(t *testing.T, fn func(t *testing.T, url string)) { testdb.Each(t, fn) }

// client is a signed-in (or anonymous) caller.
type client struct {
	ts     *testServer
	cookie string
	user   models.User
	// offContract skips the OpenAPI check (see unchecked).
	offContract bool
}

// unchecked is c for requests that probe what the API deliberately does not
// have (an unknown route): they skip the OpenAPI contract check.
func (c *client) unchecked() *client {
	cp := *c
	cp.offContract = true
	return &cp
}

func (ts *testServer) anon() *client { return &client{ts: ts} }

// register creates an account through the API and returns its client.
func (ts *testServer) register(email, name string) *client {
	ts.t.Helper()
	c := ts.anon()
	res, body := c.do("POST", "/api/v1/auth/register", map[string]string{
		"email": email, "password": "correct horse battery", "display_name": name})
	if res.StatusCode != 201 {
		ts.t.Fatalf("register %s: %d %s", email, res.StatusCode, body)
	}
	c.cookie = sessionCookieFrom(ts.t, res)
	mustJSON(ts.t, body, &c.user)
	return c
}

// sessionCookieName is the session cookie's name in ts's mode:
// __Host-corkboard_session with COOKIE_SECURE, corkboard_session without.
func (ts *testServer) sessionCookieName() string {
	if ts.cfg.CookieSecure {
		return "__Host-" + sessionCookie
	}
	return sessionCookie
}

// sessionCookieFrom is the session set by res, under either mode's name.
func sessionCookieFrom(t *testing.T, res *http.Response) string {
	t.Helper()
	for _, ck := range res.Cookies() {
		if (ck.Name == sessionCookie || ck.Name == "__Host-"+sessionCookie) && ck.Value != "" {
			return ck.Value
		}
	}
	t.Fatalf("no session cookie in response")
	return ""
}

// do sends a request with a JSON body (nil for none; a string is sent raw).
func (c *client) do(method, path string, body any) (*http.Response, []byte) {
	c.ts.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			c.ts.t.Fatal(err)
		}
		r = bytes.NewReader(buf)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: c.ts.sessionCookieName(), Value: c.cookie})
	}
	return c.send(req)
}

// form posts an HTML form as a same-origin browser would.
func (c *client) form(path string, values map[string]string) (*http.Response, []byte) {
	c.ts.t.Helper()
	parts := []string{}
	for k, v := range values {
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
	}
	req := httptest.NewRequest("POST", path, strings.NewReader(strings.Join(parts, "&")))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: c.ts.sessionCookieName(), Value: c.cookie})
	}
	return c.send(req)
}

// send runs req through the app. Every /api/v1 exchange is held against
// the OpenAPI document (checkContract): an undocumented route, status or
// field fails the test.
func (c *client) send(req *http.Request) (*http.Response, []byte) {
	c.ts.t.Helper()
	var reqBody []byte
	if req.Body != nil {
		var err error
		if reqBody, err = io.ReadAll(req.Body); err != nil {
			c.ts.t.Fatal(err)
		}
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	res, err := c.ts.app.Test(req, -1)
	if err != nil {
		c.ts.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.ts.t.Fatal(err)
	}
	res.Body.Close()
	if strings.HasPrefix(req.URL.Path, "/api/v1/") && !c.offContract {
		for _, v := range checkContract(req, reqBody, res.StatusCode, res.Header, b) {
			c.ts.t.Errorf("contract: %s", v)
		}
	}
	return res, b
}

// must sends a request and fails the test unless the status is want.
func (c *client) must(want int, method, path string, body any, out any) []byte {
	c.ts.t.Helper()
	res, b := c.do(method, path, body)
	if res.StatusCode != want {
		c.ts.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, res.StatusCode, want, b)
	}
	if out != nil {
		mustJSON(c.ts.t, b, out)
	}
	return b
}

func mustJSON(t *testing.T, b []byte, out any) {
	t.Helper()
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}
