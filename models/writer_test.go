package models

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestWriterSurvivesAPanickingChange: a change that panics is re-raised in
// its caller's goroutine (where the HTTP recover middleware is), its
// transaction is rolled back, and the writer goes on serving.
func TestWriterSurvivesAPanickingChange(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "w.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, "p@example.com", "p0", "P", "x")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.CreateProject(ctx, u, ProjectInput{Name: "Panics"})
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want boom", r)
			}
		}()
		_ = s.commit(ctx, p.ID, func(w *wtx) error {
			if _, err := w.exec(sqlBumpSeq, p.ID); err != nil {
				return err
			}
			panic("boom")
		})
		t.Error("commit returned instead of panicking")
	}()
	if _, _, err := s.CreateIssue(ctx, u, p.ID, IssueInput{Title: "after"}); err != nil {
		t.Fatalf("the writer after a panic: %v", err)
	}
	got, err := s.GetProject(ctx, u.ID, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Seq != p.Seq+1 {
		t.Errorf("seq %d, want %d: the panicking change's seq was kept", got.Seq, p.Seq+1)
	}

	// A change whose context ended while it queued is not run.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	ran := false
	err = s.commit(cancelled, p.ID, func(*wtx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("cancelled change: ran %v, err %v", ran, err)
	}
}
