package models_test

import (
	"testing"

	"github.com/corkboard/corkboard/models"
)

// TestIdentities: an identity is found by (issuer, subject) only; linking
// one twice is ErrIdentityTaken; creating an account with an identity is
// both or neither (a taken identity, email or handle leaves no account).
func TestIdentities(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		const iss = "https://id.example.com"
		u, err := s.CreateUserWithIdentity(ctx, "Ann@Example.com", "ann", "Ann", models.Identity{Issuer: iss, Subject: "s1"})
		if err != nil || u.Email != "ann@example.com" {
			t.Fatalf("created %+v %v", u, err)
		}
		if _, hash, err := s.Credentials(ctx, "ann@example.com"); err != nil || hash != "" {
			t.Fatalf("a password-less account: hash %q %v", hash, err)
		}
		if got, err := s.UserByIdentity(ctx, iss, "s1", "ann2@example.com"); err != nil || got.ID != u.ID {
			t.Fatalf("by identity: %+v %v", got, err)
		}
		for _, other := range [][2]string{{iss + "/", "s1"}, {iss, "S1"}, {"https://other.example", "s1"}} {
			_, err := s.UserByIdentity(ctx, other[0], other[1], "")
			wantErr(t, err, models.ErrNotFound)
		}
		ids, err := s.Identities(ctx, u.ID)
		if err != nil || len(ids) != 1 || ids[0].Email != "ann2@example.com" {
			t.Fatalf("identities %+v %v (the email given at the last sign-in)", ids, err)
		}

		_, err = s.LinkIdentity(ctx, newUser(t, s, "Bea").ID, iss, "s1", "bea@example.com")
		wantErr(t, err, models.ErrIdentityTaken)
		for _, c := range []struct {
			email, handle, subject string
			want                   error
		}{
			{"cat@example.com", "cat", "s1", models.ErrIdentityTaken},
			{"ANN@example.com", "cat", "s2", models.ErrConflict},
			{"cat@example.com", "ann", "s2", models.ErrHandleTaken},
		} {
			_, err := s.CreateUserWithIdentity(ctx, c.email, c.handle, "Cat", models.Identity{Issuer: iss, Subject: c.subject})
			wantErr(t, err, c.want)
		}
		_, _, err = s.Credentials(ctx, "cat@example.com")
		wantErr(t, err, models.ErrNotFound)
		_, err = s.UserByIdentity(ctx, iss, "s2", "")
		wantErr(t, err, models.ErrNotFound)
	})
}
