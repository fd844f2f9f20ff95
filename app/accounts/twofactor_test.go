package accounts_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
)

// TestTwoFactorLock: four wrong codes are wrong; the fifth locks the
// second factor for 15 minutes, during which even the right code (and a
// backup code) is refused before it is checked; then the right code works.
func TestTwoFactorLock(t *testing.T) {
	eachDB(t, accounts.Throttle{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.register("alice@example.com", "Alice")
		secret, backup := e.enable2FA(u)
		e.clk.Advance(30 * time.Second) // past the step enabling spent
		wrong := wrongCode(t, secret, e.clk.Now())
		for i := range accounts.CodeFailures - 1 {
			if err := e.VerifySecondFactor(ctx, alice, u.ID, accounts.Factor{Code: wrong}); !errors.Is(err, accounts.ErrWrongCode) {
				t.Fatalf("wrong code %d: %v", i+1, err)
			}
		}
		locked := e.clk.Now().Add(15 * time.Minute)
		err := e.VerifySecondFactor(ctx, alice, u.ID, accounts.Factor{Code: wrong})
		var cl *accounts.CodeLocked
		if !errors.As(err, &cl) || !cl.Until.Equal(locked) || cl.RetryAfter != 15*time.Minute {
			t.Fatalf("the 5th wrong code: %v (%+v), want locked until %v, retry after 15m", err, cl, locked)
		}
		e.clk.Advance(time.Minute)
		for _, f := range []accounts.Factor{{Code: codeAt(t, secret, e.clk.Now())}, {BackupCode: backup[0]}} {
			err := e.VerifySecondFactor(ctx, alice, u.ID, f)
			if !errors.As(err, &cl) || !cl.Until.Equal(locked) || cl.RetryAfter != 14*time.Minute {
				t.Fatalf("a right factor while locked (%+v): %v, want the lock with 14 minutes left", f, err)
			}
		}
		types := e.auditTypes(u.ID)
		if count(types, accounts.Audit2FAFailed) != 5 || count(types, accounts.Audit2FALocked) != 1 {
			t.Fatalf("audit: %v, want 5 failures and one lock", types)
		}
		if ev := e.auditOf(u.ID, accounts.Audit2FALocked); ev.Detail["until"] != locked.Format(time.RFC3339) {
			t.Fatalf("lock event: %+v", ev)
		}
		e.clk.Advance(14 * time.Minute)
		if err := e.VerifySecondFactor(ctx, alice, u.ID, accounts.Factor{Code: codeAt(t, secret, e.clk.Now())}); err != nil {
			t.Fatalf("the right code once the lock ended: %v", err)
		}
		// The right code forgot the failures: four more are only wrong.
		for i := range accounts.CodeFailures - 1 {
			if err := e.VerifySecondFactor(ctx, alice, u.ID, accounts.Factor{Code: wrong}); !errors.Is(err, accounts.ErrWrongCode) {
				t.Fatalf("wrong code %d after a right one: %v", i+1, err)
			}
		}
	})
}

// TestTOTPStepReuseRefused: a code is accepted once, one step either side
// of now, and never for a step at or before the last accepted one (a code
// seen over a shoulder is spent).
func TestTOTPStepReuseRefused(t *testing.T) {
	eachDB(t, accounts.Throttle{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.register("alice@example.com", "Alice")
		secret, _ := e.enable2FA(u)
		verify := func(at time.Time) error {
			return e.VerifySecondFactor(ctx, alice, u.ID, accounts.Factor{Code: codeAt(t, secret, at)})
		}
		if err := verify(e.clk.Now()); !errors.Is(err, accounts.ErrWrongCode) {
			t.Fatalf("the code that enabled 2FA, again: %v", err)
		}
		if ev := e.auditOf(u.ID, accounts.Audit2FAFailed); ev.Detail["reason"] != "code reused" {
			t.Fatalf("audited as %v, want code reused", ev.Detail)
		}
		e.clk.Advance(30 * time.Second)
		now := e.clk.Now()
		if err := verify(now); err != nil {
			t.Fatalf("the next step's code: %v", err)
		}
		for name, at := range map[string]time.Time{"again": now, "the step before": now.Add(-30 * time.Second)} {
			if err := verify(at); !errors.Is(err, accounts.ErrWrongCode) {
				t.Fatalf("%s: %v, want refused", name, err)
			}
		}
		// One step ahead (a phone's clock a little fast) is accepted, once.
		if err := verify(now.Add(30 * time.Second)); err != nil {
			t.Fatalf("a step ahead: %v", err)
		}
		e.clk.Advance(30 * time.Second)
		if err := verify(e.clk.Now()); !errors.Is(err, accounts.ErrWrongCode) {
			t.Fatalf("the step accepted early, at its own time: %v", err)
		}
		if err := e.VerifySecondFactor(ctx, alice, u.ID, accounts.Factor{Code: "12345"}); !errors.Is(err, accounts.ErrWrongCode) {
			t.Fatalf("five digits: %v", err)
		}
	})
}

// TestBackupCodesSingleUse: ten distinct codes, each works once (typed in
// any case, with spaces for dashes); new codes void the old ones; turning
// 2FA off needs the password and a code.
func TestBackupCodesSingleUse(t *testing.T) {
	eachDB(t, accounts.Throttle{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.register("alice@example.com", "Alice")
		secret, backup := e.enable2FA(u)
		seen := map[string]bool{}
		for _, c := range backup {
			seen[c] = true
		}
		if len(backup) != accounts.BackupCodeCount || len(seen) != accounts.BackupCodeCount {
			t.Fatalf("backup codes: %v, want %d distinct", backup, accounts.BackupCodeCount)
		}
		use := func(code string) error {
			return e.VerifySecondFactor(ctx, alice, u.ID, accounts.Factor{BackupCode: code})
		}
		if err := use(backup[0]); err != nil {
			t.Fatalf("a backup code: %v", err)
		}
		if err := use(backup[0]); !errors.Is(err, accounts.ErrWrongCode) {
			t.Fatalf("the same backup code again: %v", err)
		}
		if err := use(" " + strings.ToUpper(strings.ReplaceAll(backup[1], "-", " ")) + " "); err != nil {
			t.Fatalf("a backup code as people type it: %v", err)
		}
		if tf, err := e.store.TwoFactorOf(ctx, u.ID); err != nil || tf.BackupCodesLeft != accounts.BackupCodeCount-2 {
			t.Fatalf("codes left: %+v %v", tf, err)
		}
		if n := count(e.auditTypes(u.ID), accounts.AuditBackupCodeUsed); n != 2 {
			t.Fatalf("%d backup code uses audited, want 2", n)
		}

		e.clk.Advance(30 * time.Second)
		fresh, err := e.RegenerateBackupCodes(ctx, alice, u, accounts.Factor{Code: codeAt(t, secret, e.clk.Now())})
		if err != nil || len(fresh) != accounts.BackupCodeCount {
			t.Fatalf("new codes: %v %v", fresh, err)
		}
		if err := use(backup[2]); !errors.Is(err, accounts.ErrWrongCode) {
			t.Fatalf("an old code after new ones: %v", err)
		}
		if err := use(fresh[0]); err != nil {
			t.Fatalf("a new code: %v", err)
		}

		if err := e.DisableTwoFactor(ctx, alice, u, "not my password", accounts.Factor{BackupCode: fresh[1]}); !errors.Is(err, accounts.ErrWrongPassword) {
			t.Fatalf("turning 2FA off with a wrong password: %v", err)
		}
		if err := e.DisableTwoFactor(ctx, alice, u, goodPassword, accounts.Factor{BackupCode: fresh[1]}); err != nil {
			t.Fatalf("turning 2FA off: %v", err)
		}
		if err := use(fresh[2]); !errors.Is(err, accounts.ErrTwoFactorOff) {
			t.Fatalf("a code with 2FA off: %v", err)
		}
		if _, err := e.EnableTwoFactor(ctx, alice, u, "123456"); !errors.Is(err, accounts.ErrNoSetup) {
			t.Fatalf("enabling without a set-up: %v", err)
		}
	})
}

// TestSignInWithSecondFactor: a right password of an account with 2FA on
// gives a pending token, not a session; the token and a right code give
// the user; the token lasts 5 minutes.
func TestSignInWithSecondFactor(t *testing.T) {
	eachDB(t, accounts.Throttle{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		u := e.register("alice@example.com", "Alice")
		if in, err := e.Login(ctx, alice, "alice@example.com", goodPassword); err != nil || in.PendingToken != "" || in.User.ID != u.ID {
			t.Fatalf("sign-in without 2FA: %+v %v", in, err)
		}
		secret, _ := e.enable2FA(u)
		in, err := e.Login(ctx, alice, "Alice@Example.com", goodPassword)
		if err != nil || in.PendingToken == "" {
			t.Fatalf("sign-in with 2FA: %+v %v, want a pending token", in, err)
		}
		if id, err := e.PendingUser(in.PendingToken); err != nil || id != u.ID {
			t.Fatalf("pending token names %q %v", id, err)
		}
		e.clk.Advance(30 * time.Second)
		wrong := wrongCode(t, secret, e.clk.Now())
		if _, err := e.CompleteSignIn(ctx, alice, in.PendingToken, accounts.Factor{Code: wrong}); !errors.Is(err, accounts.ErrWrongCode) {
			t.Fatalf("a wrong code: %v", err)
		}
		got, err := e.CompleteSignIn(ctx, alice, in.PendingToken, accounts.Factor{Code: codeAt(t, secret, e.clk.Now())})
		if err != nil || got.ID != u.ID {
			t.Fatalf("the right code: %+v %v", got, err)
		}
		for name, token := range map[string]string{"garbage": "not.a.token", "empty": ""} {
			if _, err := e.CompleteSignIn(ctx, alice, token, accounts.Factor{Code: "123456"}); !errors.Is(err, accounts.ErrBadPendingToken) {
				t.Fatalf("%s pending token: %v", name, err)
			}
		}
		e.clk.Advance(accounts.PendingLoginTTL)
		if _, err := e.PendingUser(in.PendingToken); !errors.Is(err, accounts.ErrBadPendingToken) {
			t.Fatalf("a pending token 5 minutes old: %v", err)
		}
	})
}
