package models_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
)

func TestUsers(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		u, err := s.CreateUser(ctx, " Alice@X.com ", "alice", " Alice ", "h1")
		if err != nil {
			t.Fatal(err)
		}
		if u.ID == "" || u.Email != "alice@x.com" || u.DisplayName != "Alice" {
			t.Fatalf("created %+v", u)
		}
		for _, email := range []string{"alice@x.com", "ALICE@X.COM"} {
			_, err := s.CreateUser(ctx, email, "other", "Other", "h")
			wantErr(t, err, models.ErrConflict)
		}

		got, hash, err := s.Credentials(ctx, "aLiCe@x.COM")
		if err != nil || got != u || hash != "h1" {
			t.Fatalf("Credentials = %+v, %q, %v; want %+v, h1", got, hash, err, u)
		}
		_, _, err = s.Credentials(ctx, "nobody@x.com")
		wantErr(t, err, models.ErrNotFound)

		if byID, err := s.UserByID(ctx, u.ID); err != nil || byID != u {
			t.Fatalf("UserByID = %+v, %v", byID, err)
		}
		_, err = s.UserByID(ctx, "00000000-0000-0000-0000-000000000000")
		wantErr(t, err, models.ErrNotFound)
	})
}

func TestSessions(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		alice, bob := newUser(t, s, "Alice"), newUser(t, s, "Bob")

		sess, err := s.CreateSession(ctx, alice.ID, "firefox", "10.0.0.1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if sess.ID == "" || sess.UserID != alice.ID || sess.UserAgent != "firefox" || sess.IP != "10.0.0.1" ||
			sess.ExpiresAt.Sub(sess.CreatedAt) != time.Hour {
			t.Fatalf("created %+v", sess)
		}
		gotSess, gotUser, err := s.SessionUser(ctx, sess.ID)
		if err != nil || gotSess.ID != sess.ID || gotSess.UserID != alice.ID || gotUser != alice {
			t.Fatalf("SessionUser = %+v, %+v, %v", gotSess, gotUser, err)
		}
		_, _, err = s.SessionUser(ctx, "no-such-session")
		wantErr(t, err, models.ErrNotFound)

		expired, err := s.CreateSession(ctx, alice.ID, "old", "", -time.Second)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = s.SessionUser(ctx, expired.ID)
		wantErr(t, err, models.ErrNotFound)
		if list, err := s.Sessions(ctx, alice.ID); err != nil || len(list) != 1 || list[0].ID != sess.ID {
			t.Fatalf("Sessions = %+v, %v; want only the live one", list, err)
		}

		// Deleting is scoped by user: Bob cannot end Alice's session.
		wantErr(t, s.DeleteSession(ctx, bob.ID, sess.ID), models.ErrNotFound)
		if _, _, err := s.SessionUser(ctx, sess.ID); err != nil {
			t.Fatalf("session gone after another user's delete: %v", err)
		}
		if err := s.DeleteSession(ctx, alice.ID, sess.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = s.SessionUser(ctx, sess.ID)
		wantErr(t, err, models.ErrNotFound)
		wantErr(t, s.DeleteSession(ctx, alice.ID, sess.ID), models.ErrNotFound)
	})
}

func TestSetPassword(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		alice, bob := newUser(t, s, "Alice"), newUser(t, s, "Bob")
		session := func(u models.User) models.Session {
			t.Helper()
			sess, err := s.CreateSession(ctx, u.ID, "", "", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return sess
		}
		alive := func(sess models.Session) bool {
			t.Helper()
			_, _, err := s.SessionUser(ctx, sess.ID)
			if err != nil && !errors.Is(err, models.ErrNotFound) {
				t.Fatal(err)
			}
			return err == nil
		}
		keep, other1, other2, bobs := session(alice), session(alice), session(alice), session(bob)

		ended, err := s.SetPassword(ctx, alice.ID, "h2", keep.ID)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(ended)
		want := []string{other1.ID, other2.ID}
		slices.Sort(want)
		if !slices.Equal(ended, want) {
			t.Fatalf("SetPassword ended %v, want %v", ended, want)
		}
		if !alive(keep) || alive(other1) || alive(other2) || !alive(bobs) {
			t.Fatalf("after SetPassword: keep %v, others %v %v, bob's %v; want true false false true",
				alive(keep), alive(other1), alive(other2), alive(bobs))
		}
		if _, hash, _ := s.Credentials(ctx, alice.Email); hash != "h2" {
			t.Fatalf("hash after SetPassword: %q", hash)
		}
		if hash, _ := s.PasswordHash(ctx, alice.ID); hash != "h2" {
			t.Fatalf("PasswordHash after SetPassword: %q", hash)
		}

		if _, err := s.SetPassword(ctx, alice.ID, "h3", ""); err != nil {
			t.Fatal(err)
		}
		if alive(keep) || !alive(bobs) {
			t.Fatal("SetPassword without a session to keep must end all of the user's sessions, and only theirs")
		}
		_, err = s.SetPassword(ctx, "00000000-0000-0000-0000-000000000000", "h", "")
		wantErr(t, err, models.ErrNotFound)
	})
}
