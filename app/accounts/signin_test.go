package accounts_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
)

// TestLoginAndRegister: an unknown email and a wrong password are the same
// error; registration validates and refuses a taken email in any case.
func TestLoginAndRegister(t *testing.T) {
	eachDB(t, accounts.Throttle{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.register("alice@example.com", "Alice")
		for _, tc := range []struct{ email, password string }{{"nobody@example.com", goodPassword}, {"alice@example.com", "wrong"}} {
			if _, err := e.Login(ctx, alice, tc.email, tc.password); !errors.Is(err, accounts.ErrBadCredentials) {
				t.Fatalf("%+v: %v", tc, err)
			}
		}
		if in, err := e.Login(ctx, alice, " ALICE@example.com", goodPassword); err != nil || in.User.ID != u.ID {
			t.Fatalf("the right password: %+v %v", in, err)
		}
		if _, err := e.Register(ctx, accounts.Registration{Email: "Alice@Example.COM", Password: goodPassword, DisplayName: "Another"}); !errors.Is(err, accounts.ErrEmailTaken) {
			t.Fatalf("a taken email: %v", err)
		}
		_, err := e.Register(ctx, accounts.Registration{Email: "not-an-email", Password: "password1", DisplayName: ""})
		if f := fields(t, err); f["email"] == "" || f["display_name"] == "" || !strings.Contains(f["password"], "commonly used") {
			t.Fatalf("bad registration: %v", f)
		}
	})
}

// TestCurrentPasswordThrottled: a signed-in user's password check counts
// toward the account's throttle, the same as signing in: past the free
// failures even the right password is refused for the delay, on the
// settings check and on sign-in alike (from any IP), and the 7th failure
// locks the account and mails the unlock link.
func TestCurrentPasswordThrottled(t *testing.T) {
	eachDB(t, accounts.Throttle{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.register("alice@example.com", "Alice")
		for i := range 4 {
			if err := e.CheckPassword(ctx, alice, u.ID, "wrong"); !errors.Is(err, accounts.ErrWrongPassword) {
				t.Fatalf("wrong password %d: %v", i+1, err)
			}
		}
		var r *accounts.Refused
		if err := e.CheckPassword(ctx, alice, u.ID, goodPassword); !errors.As(err, &r) || r.RetryAfter != 5*time.Second || !r.LockedUntil.IsZero() {
			t.Fatalf("the right password during the delay: %v", err)
		}
		other := accounts.Client{IP: "198.51.100.7"}
		if _, err := e.Login(ctx, other, "alice@example.com", goodPassword); !errors.As(err, &r) {
			t.Fatalf("sign-in from elsewhere during the delay: %v", err)
		}
		if _, err := e.ChangePassword(ctx, alice, u, "", goodPassword, "a brand new passphrase"); !errors.As(err, &r) {
			t.Fatalf("a password change during the delay: %v", err)
		}
		if n := len(e.auditTypes(u.ID)); n != 0 {
			t.Fatalf("%d events: a settings check's failures are not sign-in failures", n)
		}
		for _, d := range []time.Duration{5 * time.Second, 30 * time.Second} {
			e.clk.Advance(d)
			if err := e.CheckPassword(ctx, alice, u.ID, "wrong"); !errors.Is(err, accounts.ErrWrongPassword) {
				t.Fatalf("after %v: %v", d, err)
			}
		}
		e.clk.Advance(time.Minute)
		locked := e.clk.Now().Add(time.Hour)
		if err := e.CheckPassword(ctx, alice, u.ID, "wrong"); !errors.As(err, &r) || !r.LockedUntil.Equal(locked) {
			t.Fatalf("the 7th failure: %v, want the lock", err)
		}
		if m := e.mailsTo("alice@example.com"); len(m) != 1 || !strings.Contains(m[0].Body, "7 failed attempts") {
			t.Fatalf("lock mail: %+v", m)
		}
		if got := e.auditTypes(u.ID); len(got) != 2 || got[0] != accounts.AuditLoginFailed || got[1] != accounts.AuditLocked {
			t.Fatalf("audit at the lock: %v", got)
		}
	})
}

// TestCurrentPasswordSucceeds: the right password forgets the failures,
// and a change ends the other sessions, keeps this one, and takes the new
// password only if it is strong.
func TestCurrentPasswordSucceeds(t *testing.T) {
	eachDB(t, accounts.Throttle{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.register("alice@example.com", "Alice")
		for range 3 {
			_ = e.CheckPassword(ctx, alice, u.ID, "wrong")
		}
		if err := e.CheckPassword(ctx, alice, u.ID, goodPassword); err != nil {
			t.Fatal(err)
		}
		for i := range 3 { // three free failures again: the count was forgotten
			if err := e.CheckPassword(ctx, alice, u.ID, "wrong"); !errors.Is(err, accounts.ErrWrongPassword) {
				t.Fatalf("failure %d after a success: %v", i+1, err)
			}
		}
		if err := e.CheckPassword(ctx, alice, u.ID, goodPassword); err != nil {
			t.Fatal(err)
		}
		keep, _ := e.store.CreateAuthenticatedSession(ctx, u.ID, "ua", "192.0.2.1", time.Hour, e.clk.Now())
		gone, _ := e.store.CreateAuthenticatedSession(ctx, u.ID, "ua", "192.0.2.2", time.Hour, e.clk.Now())
		_, err := e.ChangePassword(ctx, alice, u, keep.ID, goodPassword, "alice@example.com")
		if f := fields(t, err); !strings.Contains(f["new_password"], "your email or name") {
			t.Fatalf("a weak new password: %v", f)
		}
		ended, err := e.ChangePassword(ctx, alice, u, keep.ID, goodPassword, "a brand new passphrase")
		if err != nil || len(ended) != 1 || ended[0] != gone.ID {
			t.Fatalf("change: ended %v %v, want only %s", ended, err, gone.ID)
		}
		if err := e.CheckPassword(ctx, alice, u.ID, "a brand new passphrase"); err != nil {
			t.Fatalf("the new password: %v", err)
		}
		if got := e.auditTypes(u.ID); len(got) != 1 || got[0] != accounts.AuditPasswordChange {
			t.Fatalf("audit: %v", got)
		}
	})
}
