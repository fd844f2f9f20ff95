package app

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// originWrite posts a new issue as c with the given Origin and Host (and
// extra headers), without Sec-Fetch-Site: the Origin alone decides.
func originWrite(c *client, pid, host, origin string, extra map[string]string) (*http.Response, []byte) {
	c.ts.t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/projects/"+pid+"/issues", strings.NewReader(`{"title":"From `+origin+`"}`))
	req.Host = host
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	req.AddCookie(&http.Cookie{Name: c.ts.sessionCookieName(), Value: c.cookie})
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	return c.send(req)
}

// issueTitles lists the titles of the project's issues.
func issueTitles(c *client, pid string) []string {
	c.ts.t.Helper()
	var page list[models.Issue]
	c.must(200, "GET", "/api/v1/projects/"+pid+"/issues?limit=200", nil, &page)
	out := make([]string, len(page.Items))
	for i, is := range page.Items {
		out[i] = is.Title
	}
	return out
}

// TestSameOriginSchemeHostPort: the same-site check of cookie-authenticated
// writes (and of the WebSocket's Origin) compares scheme, host and port
// with PUBLIC_URL's, or with the request's own: on an https site an
// http:// Origin of the same host is refused, so is another port, and a
// refused write changes nothing; the exact origin (default port written or
// not) passes. The request's own scheme and host come from TLS and
// COOKIE_SECURE, or from X-Forwarded-* only when TRUSTED_PROXIES vouches
// for the sender.
func TestSameOriginSchemeHostPort(t *testing.T) {
	t.Run("https site", func(t *testing.T) {
		ts := newTestServerWith(t, testdb.SQLite(t), "https://board.example", func(cfg *Config) { cfg.CookieSecure = true })
		a := ts.register("ada@example.com", "Ada")
		var p models.Project
		a.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Guarded"}, &p)
		for _, origin := range []string{"http://board.example", "http://board.example:443", "https://board.example:8443",
			"https://evil.example", "https://board.example.evil.example", "null"} {
			res, body := originWrite(a, p.ID, "board.example", origin, nil)
			if res.StatusCode != 403 || !strings.Contains(string(body), "urn:corkboard:problem:cross-site") {
				t.Errorf("Origin %s on https://board.example: %d %s, want 403 cross-site", origin, res.StatusCode, body)
			}
		}
		if titles := issueTitles(a, p.ID); len(titles) != 0 {
			t.Errorf("refused writes created issues: %v", titles)
		}
		for _, origin := range []string{"https://board.example", "https://board.example:443", "HTTPS://Board.Example"} {
			if res, body := originWrite(a, p.ID, "board.example", origin, nil); res.StatusCode != 201 {
				t.Errorf("Origin %s on https://board.example: %d %s, want 201", origin, res.StatusCode, body)
			}
		}
		// A page form: the same rule.
		req := httptest.NewRequest("POST", "/projects", strings.NewReader("name=Injected"))
		req.Host = "board.example"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://board.example")
		req.AddCookie(&http.Cookie{Name: ts.sessionCookieName(), Value: a.cookie})
		if res, body := a.send(req); res.StatusCode != 403 || !strings.Contains(string(body), "Cross-site request refused") {
			t.Errorf("page form from http://board.example: %d %.300s, want 403 cross-site", res.StatusCode, body)
		}
		var projects list[models.Project]
		a.must(200, "GET", "/api/v1/projects", nil, &projects)
		if len(projects.Items) != 1 {
			t.Errorf("a refused page form created a project: %+v", projects.Items)
		}
		// The WebSocket's Origin check is the same rule.
		req = httptest.NewRequest("GET", "/api/v1/projects/"+p.ID+"/ws", nil)
		req.Host = "board.example"
		req.Header.Set("Origin", "http://board.example")
		req.AddCookie(&http.Cookie{Name: ts.sessionCookieName(), Value: a.cookie})
		if res, body := a.send(req); res.StatusCode != 403 || !strings.Contains(string(body), "urn:corkboard:problem:origin") {
			t.Errorf("WebSocket from http://board.example: %d %s, want 403 origin", res.StatusCode, body)
		}
	})

	t.Run("request's own origin", func(t *testing.T) {
		// PUBLIC_URL says localhost; the request came to 10.0.0.5:3000.
		ts := newTestServer(t)
		a := ts.register("ada@example.com", "Ada")
		var p models.Project
		a.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Guarded"}, &p)
		for origin, want := range map[string]int{
			"http://10.0.0.5:3000":  201,
			"http://10.0.0.5:3001":  403,
			"https://10.0.0.5:3000": 403,
			"http://10.0.0.5":       403,
			"http://localhost:3000": 201, // PUBLIC_URL's
			"http://localhost":      403,
		} {
			if res, body := originWrite(a, p.ID, "10.0.0.5:3000", origin, nil); res.StatusCode != want {
				t.Errorf("Origin %s to Host 10.0.0.5:3000: %d %s, want %d", origin, res.StatusCode, body, want)
			}
		}
		// Without TRUSTED_PROXIES, X-Forwarded-* are anyone's to send: they
		// do not make a foreign Origin the request's own.
		spoof := map[string]string{"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
		if res, body := originWrite(a, p.ID, "10.0.0.5:3000", "https://evil.example", spoof); res.StatusCode != 403 {
			t.Errorf("Origin https://evil.example with X-Forwarded-Host evil.example, no trusted proxy: %d %s, want 403", res.StatusCode, body)
		}
		if titles := issueTitles(a, p.ID); len(titles) != 2 {
			t.Errorf("issues %v, want the two allowed writes only", titles)
		}
	})

	t.Run("behind a trusted proxy", func(t *testing.T) {
		// The test requests come from 0.0.0.0: that is the proxy.
		ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", func(cfg *Config) {
			cfg.TrustedProxies = []string{"0.0.0.0"}
		})
		a := ts.register("ada@example.com", "Ada")
		var p models.Project
		a.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Guarded"}, &p)
		proxied := map[string]string{"X-Forwarded-Host": "board.example", "X-Forwarded-Proto": "https"}
		if res, body := originWrite(a, p.ID, "10.0.0.5:3000", "https://board.example", proxied); res.StatusCode != 201 {
			t.Errorf("Origin https://board.example through the proxy: %d %s, want 201", res.StatusCode, body)
		}
		if res, body := originWrite(a, p.ID, "10.0.0.5:3000", "http://board.example", proxied); res.StatusCode != 403 {
			t.Errorf("Origin http://board.example through an https proxy: %d %s, want 403", res.StatusCode, body)
		}
	})
}

// TestParseWebOrigin: the origin triple, with default ports filled in and
// case folded; what is not an http(s) origin is refused.
func TestParseWebOrigin(t *testing.T) {
	same := [][2]string{
		{"https://board.example", "https://board.example:443"},
		{"http://board.example", "http://board.example:80"},
		{"HTTPS://Board.Example", "https://board.example"},
		{"http://[::1]:3000", "http://[::1]:3000"},
		{"https://board.example/", "https://board.example"},
	}
	for _, pair := range same {
		a, okA := parseWebOrigin(pair[0])
		b, okB := parseWebOrigin(pair[1])
		if !okA || !okB || a != b {
			t.Errorf("%s and %s: %+v %v, %+v %v; want the same origin", pair[0], pair[1], a, okA, b, okB)
		}
	}
	different := [][2]string{
		{"http://board.example", "https://board.example"},
		{"https://board.example", "https://board.example:8443"},
		{"http://board.example:443", "https://board.example"},
		{"https://board.example", "https://board.example.evil.example"},
	}
	for _, pair := range different {
		a, _ := parseWebOrigin(pair[0])
		b, _ := parseWebOrigin(pair[1])
		if a == b {
			t.Errorf("%s and %s: the same origin %+v", pair[0], pair[1], a)
		}
	}
	for _, bad := range []string{"", "null", "board.example", "https://", "ftp://board.example", "javascript:alert(1)",
		"https://user:pw@board.example", "file:///etc/passwd", "https://board.example:port"} {
		if o, ok := parseWebOrigin(bad); ok {
			t.Errorf("%q parsed as the origin %+v", bad, o)
		}
	}
}
