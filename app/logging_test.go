package app

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/corkboard/corkboard/internal/testdb"
)

// logBuffer collects a server's JSON log lines; safe for concurrent writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines decodes every line; a line that is not JSON fails the test.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

func newLoggedServer(t *testing.T) (*testServer, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", func(cfg *Config) {
		cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		cfg.AccessLog = true
	})
	return ts, logs
}

// TestAccessLogCarriesRequestIDsAndNoSecrets: every request has an info
// line with its request id (the one in X-Request-ID), and signing up,
// signing in (right and wrong password), and calls with the cookie or a
// bearer token leave no password, cookie or token in the log.
func TestAccessLogCarriesRequestIDsAndNoSecrets(t *testing.T) {
	ts, logs := newLoggedServer(t)
	const password, wrong = "correct horse battery", "Tr0ub4dor&3-wrong"
	c := ts.register("logs@example.com", "Logs")

	res, body := ts.anon().do("POST", "/api/v1/auth/login", map[string]string{"email": "logs@example.com", "password": password})
	if res.StatusCode != 200 {
		t.Fatalf("login: %d %s", res.StatusCode, body)
	}
	token := sessionCookieFrom(t, res)
	loginID := res.Header.Get("X-Request-ID")
	if res, _ := ts.anon().do("POST", "/api/v1/auth/login", map[string]string{"email": "logs@example.com", "password": wrong}); res.StatusCode != 401 {
		t.Fatalf("wrong password: %d", res.StatusCode)
	}
	c.must(200, "GET", "/api/v1/auth/me", nil, nil)
	req := httptest.NewRequest("GET", "/api/v1/projects?q="+url.QueryEscape(password), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if res, _ := c.send(req); res.StatusCode != 200 {
		t.Fatalf("bearer call: %d", res.StatusCode)
	}
	page := httptest.NewRequest("POST", "/login", strings.NewReader("email=logs%40example.com&password="+strings.ReplaceAll(password, " ", "+")))
	page.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if res, _ := c.send(page); res.StatusCode >= 500 {
		t.Fatalf("login form: %d", res.StatusCode)
	}

	out := logs.String()
	for name, secret := range map[string]string{"password": password, "wrong password": wrong,
		"session token": token, "register cookie": c.cookie, "token signature": token[strings.LastIndex(token, ".")+1:]} {
		if strings.Contains(out, secret) {
			t.Errorf("the log contains the %s", name)
		}
	}
	var requests int
	var sawLogin bool
	for _, l := range logs.lines(t) {
		if l["msg"] != "request" {
			continue
		}
		requests++
		id, _ := l["request_id"].(string)
		if id == "" || l["level"] != "INFO" {
			t.Errorf("access line without request_id or not at info: %v", l)
		}
		if id == loginID {
			sawLogin = l["route"] == "/api/v1/auth/login" && l["status"] == float64(200)
		}
	}
	if requests != 6 {
		t.Errorf("%d access lines, want 6 (one per request):\n%s", requests, out)
	}
	if !sawLogin {
		t.Errorf("no access line for the login's request id %s:\n%s", loginID, out)
	}
}

// TestServerErrorLogCarriesTheRequestID: a 500 answers with an id and says
// nothing internal; the log line of the failure has the same id and the
// cause.
func TestServerErrorLogCarriesTheRequestID(t *testing.T) {
	ts, logs := newLoggedServer(t)
	c := ts.register("broken@example.com", "Broken")
	ts.store.Close() // every query now fails
	req := httptest.NewRequest("GET", "/api/v1/auth/me", nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
	req.Header.Set("X-Request-ID", "trace-me-42")
	res, body := c.send(req)
	if res.StatusCode != 500 || res.Header.Get("X-Request-ID") != "trace-me-42" || strings.Contains(string(body), "sql") {
		t.Fatalf("got %d %q (X-Request-ID %q)", res.StatusCode, body, res.Header.Get("X-Request-ID"))
	}
	var failed bool
	for _, l := range logs.lines(t) {
		if l["level"] == "ERROR" && l["request_id"] == "trace-me-42" && l["err"] != nil {
			failed = true
		}
	}
	if !failed {
		t.Fatalf("no error line with the request id:\n%s", logs.String())
	}
}

// TestTrustedProxies: behind a trusted load balancer the client's address
// comes from X-Forwarded-For; from anyone else the header is ignored.
func TestTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		trusted []string
		want    string
	}{{nil, "0.0.0.0"}, {[]string{"0.0.0.0/8"}, "203.0.113.7"}, {[]string{"10.0.0.0/8"}, "0.0.0.0"}} {
		logs := &logBuffer{}
		ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", func(cfg *Config) {
			cfg.Logger = slog.New(slog.NewJSONHandler(logs, nil))
			cfg.AccessLog = true
			cfg.TrustedProxies = tc.trusted
		})
		req := httptest.NewRequest("GET", "/health", nil)
		req.Header.Set("X-Forwarded-For", "203.0.113.7, 10.1.2.3")
		ts.anon().send(req) // app.Test's connection comes from 0.0.0.0
		lines := logs.lines(t)
		if len(lines) == 0 || lines[len(lines)-1]["ip"] != tc.want {
			t.Errorf("trusted %v: logged %v, want ip %s", tc.trusted, lines, tc.want)
		}
	}
}
