package models_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// TestGroupCommitIsolatesFailures: changes queued while the writer is busy
// commit in one transaction, and the ones that fail there (a refused
// neighbour, a role too low: both found after the seq was taken) change
// nothing, while the others each get their own seq and event, gap-free.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		a, b := f.issue("a", "open"), f.issue("b", "open")
		seq0 := f.seq()

		waiting, release := models.HoldWriter(s, f.p.ID)
		batches0 := models.WriterBatches(s, f.p.ID)
		var wg sync.WaitGroup
		var errSelf, errViewer, errA, errB error
		wg.Go(func() {
			_, _, errSelf = s.MoveIssue(t.Context(), f.editor, f.p.ID, b.ID, models.MoveInput{Status: "done", AfterID: &b.ID})
		})
		wg.Go(func() {
			_, _, errViewer = s.MoveIssue(t.Context(), f.viewer, f.p.ID, a.ID, models.MoveInput{Status: "in_progress"})
		})
		wg.Go(func() {
			_, _, errA = s.MoveIssue(t.Context(), f.editor, f.p.ID, a.ID, models.MoveInput{Status: "done"})
		})
		wg.Go(func() {
			_, _, errB = s.MoveIssue(t.Context(), f.editor, f.p.ID, b.ID, models.MoveInput{Status: "in_progress"})
		})
		waitQueued(t, waiting, 4)
		release()
		wg.Wait()

		// The held change's transaction ended, and one more ran all four.
		if n := models.WriterBatches(s, f.p.ID) - batches0; n != 2 {
			t.Errorf("the four changes ran in %d transactions, want 1", n-1)
		}
		if txs, changes := s.CommitStats(); changes < txs+3 { // one transaction carried four
			t.Errorf("CommitStats: %d transactions, %d changes", txs, changes)
		}
		wantInvalid(t, errSelf, "after_id")
		if !errors.Is(errViewer, models.ErrForbidden) {
			t.Errorf("viewer's move: %v, want ErrForbidden", errViewer)
		}
		if errA != nil || errB != nil {
			t.Fatalf("moves: %v, %v", errA, errB)
		}
		if got := f.seq(); got != seq0+2 {
			t.Fatalf("seq %d, want %d: a failed change kept its seq", got, seq0+2)
		}
		events := f.events(seq0)
		if len(events) != 2 {
			t.Fatalf("%d events after seq %d, want 2", len(events), seq0)
		}
		for i, ev := range events {
			if ev.Seq != seq0+int64(i)+1 || ev.Type != models.EventIssueMoved {
				t.Errorf("event %d: seq %d type %s", i, ev.Seq, ev.Type)
			}
		}
		if got := f.getIssue(a.ID); got.Status != "done" || got.Version != 2 {
			t.Errorf("a: %s v%d, want done v2", got.Status, got.Version)
		}
		if got := f.getIssue(b.ID); got.Status != "in_progress" || got.Version != 2 {
			t.Errorf("b: %s v%d, want in_progress v2", got.Status, got.Version)
		}
	})
}

// TestSessionCacheSeesLocalWritesAtOnce: a cached session stops working the
// moment this store deletes it, and a profile change shows at once; a
// deletion through another store (another instance) shows within the
// cache's second.
func TestSessionCacheSeesLocalWritesAtOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		u := newUser(t, s, "Cached")
		sess, err := s.CreateSession(ctx, u.ID, "test", "127.0.0.1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, got, err := s.SessionUserCached(ctx, sess.ID); err != nil || got.DisplayName != "Cached" {
			t.Fatalf("first read: %+v %v", got, err)
		}
		if _, err := s.UpdateProfile(ctx, u.ID, models.ProfilePatch{DisplayName: ptr("Renamed")}); err != nil {
			t.Fatal(err)
		}
		if _, got, err := s.SessionUserCached(ctx, sess.ID); err != nil || got.DisplayName != "Renamed" {
			t.Fatalf("after a rename: %+v %v, want Renamed", got, err)
		}
		if err := s.DeleteSession(ctx, u.ID, sess.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUserCached(ctx, sess.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("after logout: %v, want ErrNotFound", err)
		}
	})
}

func TestSessionCacheSeesOtherInstancesWithinASecond(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		ctx := t.Context()
		var stores [2]*models.Store
		for i := range stores {
			s, err := models.Open(ctx, url, models.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			stores[i] = s
		}
		s, other := stores[0], stores[1]
		u := newUser(t, s, "Elsewhere")
		sess, err := s.CreateSession(ctx, u.ID, "test", "127.0.0.1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.SessionUserCached(ctx, sess.ID); err != nil {
			t.Fatal(err)
		}
		if err := other.DeleteSession(ctx, u.ID, sess.ID); err != nil {
			t.Fatal(err)
		}
		deleted := time.Now()
		for {
			_, _, err := s.SessionUserCached(ctx, sess.ID)
			if errors.Is(err, models.ErrNotFound) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if time.Since(deleted) > 1500*time.Millisecond {
				t.Fatalf("a session revoked elsewhere still works after %v", time.Since(deleted))
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// TestBareChangeFailingAfterWritingIsUndone: a bare change (no savepoint,
// the move on PostgreSQL) that fails after writing, by its own error or by
// the database's, is undone with its transaction, and the rest of its
// batch runs again and commits; a refused one changes nothing and gets its
// error as it was.
func TestBareChangeFailingAfterWritingIsUndone(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		a, b := f.issue("a", "open"), f.issue("b", "open")
		seq0 := f.seq()
		boom := errors.New("boom")

		waiting, release := models.HoldWriter(s, f.p.ID)
		var wg sync.WaitGroup
		var errA, errB, errDirty, errDB, errRefused error
		wg.Go(func() {
			_, _, errA = s.MoveIssue(ctx, f.editor, f.p.ID, a.ID, models.MoveInput{Status: "done"})
		})
		wg.Go(func() {
			errDirty = models.BareChange(ctx, s, f.p.ID, `UPDATE projects SET name = 'dirty' WHERE id = ?`, boom, false)
		})
		wg.Go(func() { // breaks the CHECK (seq >= 0): on PostgreSQL the transaction is aborted
			errDB = models.BareChange(ctx, s, f.p.ID, `UPDATE projects SET seq = -1 WHERE id = ?`, nil, false)
		})
		wg.Go(func() {
			errRefused = models.BareChange(ctx, s, f.p.ID, "", boom, true)
		})
		wg.Go(func() {
			_, _, errB = s.MoveIssue(ctx, f.editor, f.p.ID, b.ID, models.MoveInput{Status: "in_progress"})
		})
		waitQueued(t, waiting, 5)
		release()
		wg.Wait()

		if errA != nil || errB != nil {
			t.Fatalf("the batch-mates' moves: %v, %v", errA, errB)
		}
		if errDirty != boom || errRefused != boom {
			t.Errorf("bare changes answered %v and %v, want boom as it was", errDirty, errRefused)
		}
		if errDB == nil {
			t.Errorf("the CHECK-breaking change succeeded")
		}
		if p, err := s.GetProject(ctx, f.owner.ID, f.p.ID); err != nil || p.Name != "Corkboard" {
			t.Fatalf("project %q, %v: a failed change's write was kept", p.Name, err)
		}
		if got := f.seq(); got != seq0+2 {
			t.Fatalf("seq %d, want %d", got, seq0+2)
		}
		events := f.events(seq0)
		if len(events) != 2 || events[0].Seq != seq0+1 || events[1].Seq != seq0+2 {
			t.Fatalf("events after %d: %+v, want two, gap-free", seq0, events)
		}
		if got := f.getIssue(a.ID); got.Status != "done" || got.Version != 2 {
			t.Errorf("a: %s v%d, want done v2", got.Status, got.Version)
		}
		if got := f.getIssue(b.ID); got.Status != "in_progress" || got.Version != 2 {
			t.Errorf("b: %s v%d, want in_progress v2", got.Status, got.Version)
		}
	})
}

// waitQueued waits until n changes are queued on a held writer.
func waitQueued(t *testing.T, waiting func() int64, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); waiting() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d changes queued, want %d", waiting(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
