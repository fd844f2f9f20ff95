package app

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/corkboard/corkboard/internal/testdb"
)

// BenchmarkAuthBearer compares the cost of a GET /api/v1/auth/me signed in
// with the session cookie (JWT check + session row) and with a personal
// API token (SHA-256 + token row), through Fiber on SQLite.
func BenchmarkAuthBearer(b *testing.B) {
	t := &testing.T{}
	ts := &testServer{Server: newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000",
		func(cfg *Config) { cfg.RateLimitPerMinute = 1 << 30 }).Server, t: t}
	c := ts.register("bench@example.com", "Bench")
	var tok createdToken
	c.must(201, "POST", "/api/v1/auth/tokens", map[string]any{"name": "bench", "scope": "read", "expires_in_days": 7}, &tok)
	for _, tc := range []struct {
		name string
		set  func(*http.Request)
	}{
		{"cookie", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie}) }},
		{"token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok.Token) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest("GET", "/api/v1/auth/me", nil)
				tc.set(req)
				res, err := ts.app.Test(req, -1)
				if err != nil || res.StatusCode != 200 {
					b.Fatal(err, res.StatusCode)
				}
				res.Body.Close()
			}
		})
	}
}
