package models_test

import (
	"testing"

	"github.com/corkboard/corkboard/models"
)

func TestAddMember(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		m, _, err := s.AddMember(ctx, f.owner, f.p.ID, " OUTSIDER@Example.com ", models.RoleEditor)
		if err != nil {
			t.Fatal(err)
		}
		want := models.Member{UserID: f.outsider.ID, Email: f.outsider.Email, Handle: "outsider", DisplayName: f.outsider.DisplayName, Role: models.RoleEditor}
		if m != want {
			t.Fatalf("added %+v, want %+v", m, want)
		}
		if p, err := s.GetProject(ctx, f.outsider.ID, f.p.ID); err != nil || p.Role != models.RoleEditor {
			t.Fatalf("new member's view of the project: %+v, %v", p, err)
		}
		members, err := s.ListMembers(ctx, f.viewer.ID, f.p.ID)
		if err != nil || len(members) != 4 {
			t.Fatalf("ListMembers = %+v, %v", members, err)
		}

		newcomer := newUser(t, s, "Newcomer")
		seq := f.seq()
		_, _, err = s.AddMember(ctx, f.owner, f.p.ID, f.outsider.Email, models.RoleViewer)
		wantErr(t, err, models.ErrConflict)
		_, _, err = s.AddMember(ctx, f.owner, f.p.ID, "ghost@example.com", models.RoleViewer)
		wantInvalid(t, err, "email")
		_, _, err = s.AddMember(ctx, f.owner, f.p.ID, newcomer.Email, models.Role("admin"))
		wantInvalid(t, err, "role")
		for _, u := range []models.User{f.viewer, f.editor} {
			_, _, err = s.AddMember(ctx, u, f.p.ID, newcomer.Email, models.RoleViewer)
			wantErr(t, err, models.ErrForbidden)
		}
		if f.seq() != seq {
			t.Fatalf("refused additions moved seq %d -> %d", seq, f.seq())
		}
		_, err = s.GetProject(ctx, newcomer.ID, f.p.ID)
		wantErr(t, err, models.ErrNotFound)
	})
}

func TestOwnerRules(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		seq := f.seq()
		_, _, err := s.UpdateMember(ctx, f.owner, f.p.ID, f.owner.ID, models.RoleEditor)
		wantInvalid(t, err, "role")
		_, _, err = s.RemoveMember(ctx, f.owner, f.p.ID, f.owner.ID)
		wantInvalid(t, err, "role")
		_, _, err = s.UpdateMember(ctx, f.editor, f.p.ID, f.viewer.ID, models.RoleEditor)
		wantErr(t, err, models.ErrForbidden)
		_, _, err = s.UpdateMember(ctx, f.owner, f.p.ID, f.outsider.ID, models.RoleEditor)
		wantErr(t, err, models.ErrNotFound)
		if f.seq() != seq {
			t.Fatalf("refused changes moved seq %d -> %d", seq, f.seq())
		}

		// With a second owner the first may step down, and then the second
		// is the last one.
		if m, _, err := s.UpdateMember(ctx, f.owner, f.p.ID, f.editor.ID, models.RoleOwner); err != nil || m.Role != models.RoleOwner {
			t.Fatalf("promote: %+v, %v", m, err)
		}
		if _, _, err := s.UpdateMember(ctx, f.owner, f.p.ID, f.owner.ID, models.RoleViewer); err != nil {
			t.Fatalf("an owner with a co-owner cannot step down: %v", err)
		}
		_, _, err = s.RemoveMember(ctx, f.editor, f.p.ID, f.editor.ID)
		wantInvalid(t, err, "role")
		if p, _ := s.GetProject(ctx, f.editor.ID, f.p.ID); p.Role != models.RoleOwner {
			t.Fatalf("the last owner is now %q", p.Role)
		}
	})
}

func TestRemoveMember(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		_, _, err := s.RemoveMember(ctx, f.editor, f.p.ID, f.viewer.ID)
		wantErr(t, err, models.ErrForbidden)
		_, _, err = s.RemoveMember(ctx, f.outsider, f.p.ID, f.outsider.ID)
		wantErr(t, err, models.ErrNotFound)
		_, _, err = s.RemoveMember(ctx, f.owner, f.p.ID, f.outsider.ID)
		wantErr(t, err, models.ErrNotFound)

		// Any member may leave.
		m, _, err := s.RemoveMember(ctx, f.viewer, f.p.ID, f.viewer.ID)
		if err != nil || m.UserID != f.viewer.ID || m.Role != models.RoleViewer {
			t.Fatalf("viewer leaves: %+v, %v", m, err)
		}
		_, err = s.GetProject(ctx, f.viewer.ID, f.p.ID)
		wantErr(t, err, models.ErrNotFound)
		// The owner may remove anyone.
		if _, _, err := s.RemoveMember(ctx, f.owner, f.p.ID, f.editor.ID); err != nil {
			t.Fatal(err)
		}
		_, _, err = s.CreateIssue(ctx, f.editor, f.p.ID, models.IssueInput{Title: "after removal"})
		wantErr(t, err, models.ErrNotFound)
		if members, _ := s.ListMembers(ctx, f.owner.ID, f.p.ID); len(members) != 1 || members[0].UserID != f.owner.ID {
			t.Fatalf("members left: %+v", members)
		}
	})
}
