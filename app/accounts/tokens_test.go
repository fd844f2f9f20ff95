package accounts_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// TestAPITokens: a token is created only with a known scope and lifetime;
// it is "cbp_" and 64 hex digits, of which only the SHA-256 is stored; it
// authenticates until it expires or its owner (and no one else) revokes it.
func TestAPITokens(t *testing.T) {
	eachDB(t, accounts.Throttle{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.register("alice@example.com", "Alice")
		other := e.register("bob@example.com", "Bob")
		_, _, err := e.CreateToken(ctx, alice, u, accounts.TokenRequest{Name: "ci", Scope: "admin", ExpiresInDays: 8})
		if f := fields(t, err); f["scope"] != "must be read or write" || f["expires_in_days"] != "must be one of 7, 30, 90 or 365" {
			t.Fatalf("bad scope and lifetime: %v", f)
		}
		for _, days := range accounts.TokenLifetimes() {
			if _, _, err := e.CreateToken(ctx, alice, u, accounts.TokenRequest{Name: "d", Scope: "read", ExpiresInDays: days}); err != nil {
				t.Fatalf("%d days: %v", days, err)
			}
		}

		created := e.clk.Now()
		tok, secret, err := e.CreateToken(ctx, alice, u, accounts.TokenRequest{Name: "deploy", Scope: "write", ExpiresInDays: 30})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, accounts.APITokenPrefix) || len(secret) != 4+64 || strings.Trim(secret[4:], "0123456789abcdef") != "" ||
			tok.Prefix != secret[:12] || tok.Scope != models.ScopeWrite || !tok.ExpiresAt.Equal(created.Add(30*24*time.Hour)) {
			t.Fatalf("token %q: %+v", secret, tok)
		}
		stored := testdb.Dump(t, testdb.Open(t, e.url), "api_tokens")
		if strings.Contains(stored, secret) || strings.Contains(stored, secret[12:]) || !strings.Contains(stored, accounts.HashToken(secret)) {
			t.Fatalf("stored: %s; want the hash, never the token", stored)
		}
		if ev := e.auditOf(u.ID, accounts.AuditTokenCreated); ev.Detail["token_id"] != tok.ID || strings.Contains(ev.Detail["name"].(string), secret) {
			t.Fatalf("created event: %+v", ev)
		}

		if got, owner, err := e.store.TokenUser(ctx, accounts.HashToken(secret), e.clk.Now()); err != nil || got.ID != tok.ID || owner.ID != u.ID {
			t.Fatalf("authenticating: %+v %+v %v", got, owner, err)
		}
		if _, _, err := e.store.TokenUser(ctx, accounts.HashToken(secret), created.Add(30*24*time.Hour)); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("at its expiry: %v", err)
		}

		if _, err := e.RevokeToken(ctx, alice, other, tok.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("revoked by someone else: %v", err)
		}
		got, err := e.RevokeToken(ctx, alice, u, tok.ID)
		if err != nil || got.ID != tok.ID {
			t.Fatalf("revoke: %+v %v", got, err)
		}
		if _, _, err := e.store.TokenUser(ctx, accounts.HashToken(secret), e.clk.Now()); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("a revoked token: %v", err)
		}
		if _, err := e.RevokeToken(ctx, alice, u, tok.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("revoked twice: %v", err)
		}
		if ev := e.auditOf(u.ID, accounts.AuditTokenRevoked); ev.Detail["token_id"] != tok.ID {
			t.Fatalf("revoked event: %+v", ev)
		}
	})
}
