package app

import (
	"strings"
	"testing"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/internal/testdb"
)

// benchAccounts is a server with the real argon2id cost and the throttle
// out of the way, so a benchmark measures one answer, not the delays.
func benchAccounts(b *testing.B) *testServer {
	t := &testing.T{}
	ts := newTestServerWith(t, testdb.SQLite(b), "http://localhost:3000", func(cfg *Config) {
		cfg.Password = accounts.DefaultPasswordParams()
		cfg.Throttle = Throttle{FreeFailures: 1 << 30, LockAfter: 1<<30 + 1, IPFailures: 1 << 30}
		cfg.RateLimitPerMinute = 1 << 30
	})
	b.Cleanup(func() { ts.Shutdown(b.Context()) })
	ts.register("alice@example.com", "Alice")
	return ts
}

// BenchmarkLoginFailure: a wrong password of an account and an unknown
// email should cost the same (the dummy hash; audit in the background).
func BenchmarkLoginFailure(b *testing.B) {
	for _, email := range []string{"alice@example.com", "nobody@example.com"} {
		b.Run(strings.SplitN(email, "@", 2)[0], func(b *testing.B) {
			ts := benchAccounts(b)
			c := ts.anon()
			for b.Loop() {
				if res, _ := c.do("POST", "/api/v1/auth/login", map[string]string{"email": email, "password": "wrong password"}); res.StatusCode != 401 {
					b.Fatal(res.StatusCode)
				}
			}
		})
	}
}

// BenchmarkForgotPassword: the answer for an account and for an unknown
// email should take the same time (the lookup, token and mail are in the
// background).
func BenchmarkForgotPassword(b *testing.B) {
	for _, email := range []string{"alice@example.com", "nobody@example.com"} {
		b.Run(strings.SplitN(email, "@", 2)[0], func(b *testing.B) {
			ts := benchAccounts(b)
			c := ts.anon()
			for b.Loop() {
				if res, _ := c.do("POST", "/api/v1/auth/forgot-password", map[string]string{"email": email}); res.StatusCode != 202 {
					b.Fatal(res.StatusCode)
				}
			}
		})
	}
}
