package accounts_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/models"
)

// TestResetPassword: a reset request mails a link to the account's owner
// (nothing for an unknown email); the token works once, checks the new
// password's strength without being spent, and the reset ends every
// session and revokes every API token in one go, lifts a lock, and mails
// a notice.
func TestResetPassword(t *testing.T) {
	eachDB(t, accounts.Throttle{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.register("alice@example.com", "Alice")
		var sessions []string
		for range 2 {
			s, err := e.store.CreateAuthenticatedSession(ctx, u.ID, "ua", "192.0.2.9", time.Hour, e.clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			sessions = append(sessions, s.ID)
		}
		tok, secret, err := e.CreateToken(ctx, alice, u, accounts.TokenRequest{Name: "ci", Scope: "write", ExpiresInDays: 30})
		if err != nil {
			t.Fatal(err)
		}
		for range 4 { // failures on the account: the reset forgets them
			if _, err := e.Login(ctx, alice, "alice@example.com", "wrong password"); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("wrong password: %v", err)
			}
		}

		e.RequestReset(alice, "nobody@example.com")
		e.RequestReset(alice, "Alice@Example.com")
		if n := len(e.mailsTo("nobody@example.com")); n != 0 {
			t.Fatalf("%d mails to an unknown email", n)
		}
		mails := e.mailsTo("alice@example.com")
		if len(mails) != 1 || mails[0].Subject != "Reset your Corkboard password" {
			t.Fatalf("reset mails: %+v", mails)
		}
		path, token := linkIn(t, mails[0])
		if path != "/reset-password" {
			t.Fatalf("link to %s", path)
		}
		if ok, err := e.ResetTokenValid(ctx, token); !ok || err != nil {
			t.Fatalf("fresh token valid: %v %v", ok, err)
		}
		if f := fields(t, func() error { _, err := e.ResetPassword(ctx, alice, token, "alice@example.com"); return err }()); !strings.Contains(f["password"], "your email or name") {
			t.Fatalf("a weak new password: %v", f)
		}
		if ok, _ := e.ResetTokenValid(ctx, token); !ok {
			t.Fatal("a refused password spent the token")
		}

		r, err := e.ResetPassword(ctx, alice, token, "a fresh new passphrase")
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(r.EndedSessions)
		slices.Sort(sessions)
		if r.User.ID != u.ID || !slices.Equal(r.EndedSessions, sessions) || !slices.Equal(r.RevokedTokens, []string{tok.ID}) {
			t.Fatalf("reset: %+v, want sessions %v and token %s", r, sessions, tok.ID)
		}
		if left, err := e.store.Sessions(ctx, u.ID); err != nil || len(left) != 0 {
			t.Fatalf("sessions after the reset: %v %v", left, err)
		}
		if _, _, err := e.store.TokenUser(ctx, accounts.HashToken(secret), e.clk.Now()); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("the API token after the reset: %v", err)
		}
		if _, err := e.ResetPassword(ctx, alice, token, "another new passphrase"); !errors.Is(err, accounts.ErrBadToken) {
			t.Fatalf("the token twice: %v", err)
		}
		if _, err := e.Login(ctx, alice, "alice@example.com", goodPassword); !errors.Is(err, accounts.ErrBadCredentials) {
			t.Fatalf("the old password: %v", err)
		}
		if _, err := e.Login(ctx, alice, "alice@example.com", "a fresh new passphrase"); err != nil {
			t.Fatalf("the new password (no delay left from the failures): %v", err)
		}
		if got := e.mailsTo("alice@example.com"); len(got) != 2 || got[1].Subject != "Your Corkboard password was changed" {
			t.Fatalf("mails after the reset: %+v", got)
		}
		types := e.auditTypes(u.ID)
		if i := slices.Index(types, accounts.AuditResetRequested); i < 0 || len(types) < i+3 || !slices.Equal(types[i:i+3],
			[]string{accounts.AuditResetRequested, accounts.AuditTokenRevoked, accounts.AuditReset}) {
			t.Fatalf("audit: %v", types)
		}
		if ev := e.auditOf(u.ID, accounts.AuditTokenRevoked); ev.Detail["reason"] != accounts.AuditReset {
			t.Fatalf("token revoked by the reset: %+v", ev.Detail)
		}
		for _, bad := range []string{"", strings.Repeat("a", 101), "bad\x00token", "unknown"} {
			if _, err := e.ResetPassword(ctx, alice, bad, "a fresh new passphrase"); !errors.Is(err, accounts.ErrBadToken) {
				t.Fatalf("token %q: %v", bad, err)
			}
		}
	})
}

// TestResetTokenExpires: a reset link works for 15 minutes.
func TestResetTokenExpires(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/c.db", accounts.Throttle{})
	ctx := context.Background()
	e.register("alice@example.com", "Alice")
	e.RequestReset(alice, "alice@example.com")
	_, token := linkIn(t, e.mailsTo("alice@example.com")[0])
	e.clk.Advance(accounts.ResetTTL - time.Second)
	if ok, _ := e.ResetTokenValid(ctx, token); !ok {
		t.Fatal("expired a second early")
	}
	e.clk.Advance(time.Second)
	if ok, _ := e.ResetTokenValid(ctx, token); ok {
		t.Fatal("valid after 15 minutes")
	}
	if _, err := e.ResetPassword(ctx, alice, token, "a fresh new passphrase"); !errors.Is(err, accounts.ErrBadToken) {
		t.Fatalf("an expired token: %v", err)
	}
}

// TestResetRequestsPerHour: at most 3 reset mails per account per hour;
// the 4th request is dropped unaudited; an hour later one goes again.
func TestResetRequestsPerHour(t *testing.T) {
	e := newEnv(t, "sqlite://"+t.TempDir()+"/c.db", accounts.Throttle{})
	u := e.register("bob@example.com", "Bob")
	for range accounts.TokensPerHour + 1 {
		e.RequestReset(alice, "bob@example.com")
		e.Wait() // in order: each request's token is counted before the next
		e.clk.Advance(time.Minute)
	}
	if n := len(e.mailsTo("bob@example.com")); n != accounts.TokensPerHour {
		t.Fatalf("%d mails, want %d", n, accounts.TokensPerHour)
	}
	if n := count(e.auditTypes(u.ID), accounts.AuditResetRequested); n != accounts.TokensPerHour {
		t.Fatalf("%d requests audited, want %d", n, accounts.TokensPerHour)
	}
	e.clk.Advance(time.Hour)
	e.RequestReset(alice, "bob@example.com")
	if n := len(e.mailsTo("bob@example.com")); n != accounts.TokensPerHour+1 {
		t.Fatalf("%d mails an hour later, want %d", n, accounts.TokensPerHour+1)
	}
}

// TestUnlock: the failure that locks an account mails its owner an
// unlock link (an unknown email is locked the same, and mails no one);
// the link lifts the lock once.
func TestUnlock(t *testing.T) {
	eachDB(t, accounts.Throttle{FreeFailures: 1, LockAfter: 2}, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.register("alice@example.com", "Alice")
		for _, email := range []string{"alice@example.com", "nobody@example.com"} {
			if _, err := e.Login(ctx, alice, email, "wrong"); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("%s, 1st failure: %v", email, err)
			}
			_, err := e.Login(ctx, alice, email, "wrong")
			var r *accounts.Refused
			if !errors.As(err, &r) || !r.LockedUntil.Equal(e.clk.Now().Add(time.Hour)) {
				t.Fatalf("%s, 2nd failure: %v, want a lock for an hour", email, err)
			}
		}
		if _, err := e.Login(ctx, alice, "alice@example.com", goodPassword); err == nil {
			t.Fatal("the right password while locked")
		}
		if n := len(e.mailsTo("nobody@example.com")); n != 0 {
			t.Fatalf("%d mails to an unknown email", n)
		}
		mails := e.mailsTo("alice@example.com")
		if len(mails) != 1 || !strings.Contains(mails[0].Subject, "locked") || !strings.Contains(mails[0].Body, "2 failed attempts") {
			t.Fatalf("lock mail: %+v", mails)
		}
		path, token := linkIn(t, mails[0])
		if path != "/unlock" {
			t.Fatalf("link to %s", path)
		}
		if err := e.Unlock(ctx, alice, token); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Login(ctx, alice, "alice@example.com", goodPassword); err != nil {
			t.Fatalf("after the unlock: %v", err)
		}
		var r *accounts.Refused
		if _, err := e.Login(ctx, alice, "nobody@example.com", "wrong"); !errors.As(err, &r) {
			t.Fatalf("the unknown email after alice's unlock: %v, want still locked", err)
		}
		if err := e.Unlock(ctx, alice, token); !errors.Is(err, accounts.ErrBadToken) {
			t.Fatalf("the unlock token twice: %v", err)
		}
		types := e.auditTypes(u.ID)
		want := []string{accounts.AuditLoginFailed, accounts.AuditLoginFailed, accounts.AuditLocked, accounts.AuditUnlocked}
		if !slices.Equal(types, want) {
			t.Fatalf("audit %v, want %v (in order)", types, want)
		}
		// A reset token is not an unlock token.
		e.RequestReset(alice, "alice@example.com")
		_, reset := linkIn(t, e.mailsTo("alice@example.com")[1])
		if err := e.Unlock(ctx, alice, reset); !errors.Is(err, accounts.ErrBadToken) {
			t.Fatalf("a reset token as an unlock token: %v", err)
		}
	})
}
