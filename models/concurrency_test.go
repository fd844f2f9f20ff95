package models_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// TestConcurrentMoves: 8 writers make 25 moves each on one project at once,
// choosing neighbours from the board as they last read it (as people dragging
// cards do). Moves whose neighbours raced away are refused with a
// *ValidationError; any other error fails the test, above all SQLite's
// "database is locked". Afterwards the log is exactly 1..N, matches the
// project's seq and replays to the board, and no two cards share a rank.
func TestConcurrentMoves(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		concurrentMoves(t, newFixture(t, s), s)
	})
}

// TestConcurrentMovesAcrossInstances: the same with the writers spread over
// two stores on one PostgreSQL schema (two instances), whose batches wait
// for each other's project lock: a move that waited must still see the
// moves it waited for (corkboard_move reads after taking the lock).
func TestConcurrentMovesAcrossInstances(t *testing.T) {
	url := testdb.Postgres(t)
	var stores [2]*models.Store
	for i := range stores {
		s, err := models.Open(t.Context(), url, models.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	concurrentMoves(t, newFixture(t, stores[0]), stores[:]...)
}

// concurrentMoves runs 8 writers' random moves on f's board, writer w
// through stores[w % len(stores)], and checks the log and the board.
func concurrentMoves(t *testing.T, f *fixture, stores ...*models.Store) {
	ctx := t.Context()
	for i := range 12 {
		f.issue(fmt.Sprintf("card %d", i), "open")
	}
	const writers, movesEach = 8, 25
	statuses := []string{"open", "in_progress", "done"}
	var moved, refused atomic.Int64
	errs := make(chan error, writers*movesEach)
	var wg sync.WaitGroup
	for w := range writers {
		s := stores[w%len(stores)]
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for range movesEach {
				_, board, err := s.Board(ctx, f.editor.ID, f.p.ID)
				if err != nil {
					errs <- fmt.Errorf("board: %w", err)
					continue
				}
				card := board[r.IntN(len(board))]
				in := randomMove(r, board, card, statuses[r.IntN(len(statuses))])
				_, _, err = s.MoveIssue(ctx, f.editor, f.p.ID, card.ID, in)
				switch {
				case err == nil:
					moved.Add(1)
				case invalidFields(err) != nil:
					refused.Add(1)
				default:
					errs <- fmt.Errorf("move: %w", err)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent %v", err)
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d moves, %d refused by raced neighbours", moved.Load(), refused.Load())
	if moved.Load() < writers*movesEach/2 {
		t.Fatalf("only %d of %d moves went through", moved.Load(), writers*movesEach)
	}

	// The log: seq 1..N with no gap or duplicate, N = the project's seq,
	// one issue.moved per successful move.
	events := f.events(0)
	seq := f.seq()
	if int64(len(events)) != seq {
		t.Fatalf("%d events, project seq %d", len(events), seq)
	}
	moves := int64(0)
	last := map[string]models.Issue{} // issue id -> its latest payload
	for i, ev := range events {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
		if ev.Type == models.EventIssueMoved {
			moves++
		}
		if ev.Type == models.EventIssueCreated || ev.Type == models.EventIssueMoved {
			var is models.Issue
			if err := json.Unmarshal(ev.Data, &is); err != nil {
				t.Fatalf("event %d: %v", ev.Seq, err)
			}
			last[is.ID] = is
		}
	}
	if moves != moved.Load() {
		t.Fatalf("%d issue.moved events for %d moves", moves, moved.Load())
	}

	// The board: what the log says, each column strictly ordered by
	// rank (so by (rank, id), with no rank twice).
	board := f.board()
	checkRanks(t, board)
	for _, is := range board {
		if ev := last[is.ID]; ev.Status != is.Status || ev.Rank != is.Rank || ev.Version != is.Version {
			t.Errorf("%s: board %s/%q/v%d, last event %s/%q/v%d", is.Key,
				is.Status, is.Rank, is.Version, ev.Status, ev.Rank, ev.Version)
		}
	}
}

// randomMove places card in column status between two neighbours that are
// adjacent on the board as read: after one, before the other, both, or
// neither (the bottom). One time in eight it picks any card of the project
// instead, which is usually refused (another column, or the card itself).
func randomMove(r *rand.Rand, board []models.Issue, card models.Issue, status string) models.MoveInput {
	in := models.MoveInput{Status: status}
	if r.IntN(8) == 0 {
		in.AfterID = &board[r.IntN(len(board))].ID
		return in
	}
	var column []models.Issue
	for _, is := range board {
		if is.Status == status && is.ID != card.ID {
			column = append(column, is)
		}
	}
	gap := r.IntN(len(column) + 1) // between column[gap-1] and column[gap]
	var above, below *string
	if gap > 0 {
		above = &column[gap-1].ID
	}
	if gap < len(column) {
		below = &column[gap].ID
	}
	switch r.IntN(4) {
	case 0:
		in.AfterID = above
	case 1:
		in.BeforeID = below
	case 2:
		in.AfterID, in.BeforeID = above, below
	}
	return in
}
