package models_test

import (
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
)

// TestSessionAuthAt: a session records when its credentials were last
// entered (migration 0005); a session without the record reads as zero (as
// do rows from before the column); re-authenticating one session touches
// no other, and the cached read sees it at once.
func TestSessionAuthAt(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		alice, bob := newUser(t, s, "Alice"), newUser(t, s, "Bob")
		signedIn := time.Date(2026, 11, 23, 10, 0, 0, 123456000, time.UTC) // microseconds: PostgreSQL's precision

		legacy, err := s.CreateSession(ctx, alice.ID, "old", "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		laptop, err := s.CreateAuthenticatedSession(ctx, alice.ID, "laptop", "", time.Hour, signedIn)
		if err != nil {
			t.Fatal(err)
		}
		if !laptop.AuthAt.Equal(signedIn) || !legacy.AuthAt.IsZero() {
			t.Fatalf("created: laptop %v, legacy %v", laptop.AuthAt, legacy.AuthAt)
		}
		for id, want := range map[string]time.Time{legacy.ID: {}, laptop.ID: signedIn} {
			got, _, err := s.SessionUserCached(ctx, id) // also fills the cache
			if err != nil || !got.AuthAt.Equal(want) {
				t.Fatalf("read %s: auth_at %v (%v), want %v", id, got.AuthAt, err, want)
			}
		}

		later := signedIn.Add(20 * time.Minute)
		if err := s.ReauthenticateSession(ctx, alice.ID, legacy.ID, later); err != nil {
			t.Fatal(err)
		}
		if got, _, err := s.SessionUserCached(ctx, legacy.ID); err != nil || !got.AuthAt.Equal(later) {
			t.Fatalf("cached read right after re-authenticating: %v (%v), want %v", got.AuthAt, err, later)
		}
		if got, _, err := s.SessionUser(ctx, laptop.ID); err != nil || !got.AuthAt.Equal(signedIn) {
			t.Fatalf("the other session: %v (%v), want %v", got.AuthAt, err, signedIn)
		}
		// Only the owner's live session.
		wantErr(t, s.ReauthenticateSession(ctx, bob.ID, laptop.ID, later), models.ErrNotFound)
		wantErr(t, s.ReauthenticateSession(ctx, alice.ID, "no-such-session", later), models.ErrNotFound)
		expired, err := s.CreateAuthenticatedSession(ctx, alice.ID, "gone", "", -time.Second, signedIn)
		if err != nil {
			t.Fatal(err)
		}
		wantErr(t, s.ReauthenticateSession(ctx, alice.ID, expired.ID, later), models.ErrNotFound)
	})
}
