package models_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// TestHandleBackfill: accounts created before handles existed get one when
// 0007_handles runs — the email's local part made valid (the same table as
// accounts' TestHandleFromEmail), made unique with digits in the order the
// accounts were created. Afterwards the schema refuses a missing, invalid
// or upper-case handle, and a duplicate.
func TestHandleBackfill(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := t.Context()
		s, err := models.Open(ctx, url, models.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := models.MigrateUpTo(ctx, s, "0007_handles"); err != nil {
			t.Fatalf("migrate to before 0007: %v", err)
		}
		b := strings.Repeat("b", 40)
		legacy := []struct{ email, want string }{
			{"ann@a.example", "ann"},
			{"ann@b.example", "ann2"},
			{"ann+work@a.example", "ann3"},
			{"ann.smith@a.example", "ann.smith"},
			{"o'brien@a.example", "obrien"},
			{"__x__@a.example", "x0"},
			{"x@a.example", "x02"},
			{"josé@a.example", "jos"},
			{"日本@a.example", "user"},
			{"...@a.example", "user2"},
			{b + "@x.example", b[:32]},
			{b[:31] + ".c@x.example", b[:31]},
			{b + "@y.example", b[:31] + "2"},
			{"first-last_1@a.example", "first-last_1"},
		}
		base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		ids := make([]string, len(legacy))
		for i, u := range legacy {
			ids[i] = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
			at := base.Add(time.Duration(i) * time.Minute)
			if err := models.Exec(ctx, s, `INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?)`, ids[i], u.email, "Legacy", "hash", at, at); err != nil {
				t.Fatalf("insert %s: %v", u.email, err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		for i, u := range legacy {
			got, err := s.UserByID(ctx, ids[i])
			if err != nil || got.Handle != u.want {
				t.Errorf("%s: handle %q (%v), want %q", u.email, got.Handle, err, u.want)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate again: %v", err)
		}

		// The schema holds the rule too.
		for _, bad := range []string{"ANN9", "_ann", "a", strings.Repeat("c", 33), "an n", "ann@"} {
			if err := models.Exec(ctx, s, `UPDATE users SET handle = ? WHERE id = ?`, bad, ids[0]); err == nil {
				t.Errorf("the schema took handle %q", bad)
			}
		}
		if err := models.Exec(ctx, s, `UPDATE users SET handle = NULL WHERE id = ?`, ids[0]); err == nil {
			t.Errorf("the schema took a NULL handle")
		}
		if err := models.Exec(ctx, s, `UPDATE users SET handle = ? WHERE id = ?`, "ann2", ids[0]); err == nil {
			t.Errorf("the schema took a duplicate handle")
		}
		if err := models.Exec(ctx, s, `INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, "00000000-0000-4000-8000-999999999999", "new@a.example", "New", "hash", base, base); err == nil {
			t.Errorf("the schema took an account without a handle")
		}
		if got, _ := s.UserByID(ctx, ids[0]); got.Handle != "ann" {
			t.Errorf("refused updates changed the handle to %q", got.Handle)
		}
	})
}

// TestUserHandles: a handle is stored with the account and travels with it
// (sign-in, session, token, member lists and member events); a taken one is
// ErrHandleTaken (also an ErrConflict), told apart from a taken email; a
// profile change with a taken handle changes nothing.
func TestUserHandles(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		alice, err := s.CreateUser(ctx, "alice@example.com", "alice", "Alice", "h")
		if err != nil || alice.Handle != "alice" {
			t.Fatalf("create: %+v %v", alice, err)
		}
		_, err = s.CreateUser(ctx, "other@example.com", "alice", "Other", "h")
		if !errors.Is(err, models.ErrHandleTaken) || !errors.Is(err, models.ErrConflict) {
			t.Fatalf("a taken handle: %v", err)
		}
		_, err = s.CreateUser(ctx, "ALICE@example.com", "free", "Other", "h")
		if !errors.Is(err, models.ErrConflict) || errors.Is(err, models.ErrHandleTaken) {
			t.Fatalf("a taken email: %v", err)
		}
		if got, _, err := s.Credentials(ctx, "alice@example.com"); err != nil || got.Handle != "alice" {
			t.Fatalf("Credentials: %+v %v", got, err)
		}
		bob := newUser(t, s, "Bob")
		name, taken := "Bob B.", "alice"
		_, err = s.UpdateProfile(ctx, bob.ID, models.ProfilePatch{DisplayName: &name, Handle: &taken})
		wantErr(t, err, models.ErrHandleTaken)
		if got, _ := s.UserByID(ctx, bob.ID); got != bob {
			t.Fatalf("a refused change changed %+v to %+v", bob, got)
		}
		free := "bobby"
		if got, err := s.UpdateProfile(ctx, bob.ID, models.ProfilePatch{DisplayName: &name, Handle: &free}); err != nil ||
			got.Handle != "bobby" || got.DisplayName != "Bob B." {
			t.Fatalf("a change: %+v %v", got, err)
		}

		sess, err := s.CreateSession(ctx, bob.ID, "ua", "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, u, err := s.SessionUser(ctx, sess.ID); err != nil || u.Handle != "bobby" {
			t.Fatalf("SessionUser: %+v %v", u, err)
		}
		if _, u, err := s.SessionUserCached(ctx, sess.ID); err != nil || u.Handle != "bobby" {
			t.Fatalf("SessionUserCached: %+v %v", u, err)
		}
		now := time.Now().UTC()
		if _, err := s.CreateToken(ctx, bob.ID, models.TokenInput{Name: "t", Scope: models.ScopeRead, TokenHash: "handle-hash",
			Prefix: "cbp_handle", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		if _, u, err := s.TokenUser(ctx, "handle-hash", now); err != nil || u.Handle != "bobby" {
			t.Fatalf("TokenUser: %+v %v", u, err)
		}

		p := newProject(t, s, alice, "Handles")
		m, ev, err := s.AddMember(ctx, alice, p.ID, bob.Email, models.RoleEditor)
		if err != nil || m.Handle != "bobby" || !strings.Contains(string(ev.Data), `"handle":"bobby"`) {
			t.Fatalf("AddMember: %+v %s %v", m, ev.Data, err)
		}
		members, err := s.ListMembers(ctx, bob.ID, p.ID)
		if err != nil || len(members) != 2 {
			t.Fatalf("ListMembers: %+v %v", members, err)
		}
		for _, m := range members {
			want := map[string]string{alice.ID: "alice", bob.ID: "bobby"}[m.UserID]
			if m.Handle != want {
				t.Errorf("member %s: handle %q, want %q", m.DisplayName, m.Handle, want)
			}
		}
		if m, ev, err := s.UpdateMember(ctx, alice, p.ID, bob.ID, models.RoleViewer); err != nil || m.Handle != "bobby" ||
			!strings.Contains(string(ev.Data), `"handle":"bobby"`) {
			t.Fatalf("UpdateMember: %+v %s %v", m, ev.Data, err)
		}
	})
}
