package models_test

import (
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
)

// TestResetPasswordRevokesTokens: ResetPassword ends the user's sessions
// and deletes the user's API tokens in the same transaction as the new
// hash, returns what it ended, and leaves other users' alone. SetPassword
// (a change while signed in) keeps the tokens.
func TestResetPasswordRevokesTokens(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		now := time.Now().UTC().Truncate(time.Second)
		alice, bob := newUser(t, s, "Alice"), newUser(t, s, "Bob")
		token := func(u models.User, name, hash string) models.APIToken {
			tok, err := s.CreateToken(ctx, u.ID, models.TokenInput{Name: name, Scope: models.ScopeWrite, TokenHash: hash,
				Prefix: "cbp_" + hash[:8], CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			return tok
		}
		a1, a2 := token(alice, "deploy", "aaaaaaaaaaaa1"), token(alice, "watch", "aaaaaaaaaaaa2")
		b1 := token(bob, "bob's", "bbbbbbbbbbbb1")
		sess, err := s.CreateSession(ctx, alice.ID, "ua", "10.0.0.1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetPassword(ctx, alice.ID, "changed", sess.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.TokenUser(ctx, "aaaaaaaaaaaa1", now); err != nil {
			t.Fatalf("a signed-in password change revoked a token: %v", err)
		}

		if err := s.CreateAccountToken(ctx, alice.ID, models.PurposeReset, "reset-hash", now, 15*time.Minute, 3); err != nil {
			t.Fatal(err)
		}
		rec, err := s.ResetPassword(ctx, "reset-hash", "new-hash", now)
		if err != nil {
			t.Fatal(err)
		}
		revoked := map[string]bool{}
		for _, tok := range rec.RevokedTokens {
			revoked[tok.ID] = true
		}
		if rec.User.ID != alice.ID || len(rec.EndedSessions) != 1 || rec.EndedSessions[0] != sess.ID ||
			len(rec.RevokedTokens) != 2 || !revoked[a1.ID] || !revoked[a2.ID] {
			t.Fatalf("recovery %+v", rec)
		}
		for _, h := range []string{"aaaaaaaaaaaa1", "aaaaaaaaaaaa2"} {
			_, _, err := s.TokenUser(ctx, h, now)
			wantErr(t, err, models.ErrNotFound)
		}
		if list, err := s.Tokens(ctx, alice.ID); err != nil || len(list) != 0 {
			t.Fatalf("alice's tokens after the reset: %v %v", list, err)
		}
		if tok, _, err := s.TokenUser(ctx, "bbbbbbbbbbbb1", now); err != nil || tok.ID != b1.ID {
			t.Fatalf("bob's token after alice's reset: %+v %v", tok, err)
		}
		if _, hash, err := s.Credentials(ctx, alice.Email); err != nil || hash != "new-hash" {
			t.Fatalf("hash after the reset: %q %v", hash, err)
		}
		// The spent token changes nothing a second time.
		_, err = s.ResetPassword(ctx, "reset-hash", "other-hash", now)
		wantErr(t, err, models.ErrNotFound)
	})
}
