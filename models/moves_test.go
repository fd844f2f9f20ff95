package models_test

import (
	"strings"
	"testing"

	"github.com/corkboard/corkboard/models"
)

// TestMoveOrdering moves cards A..E with after_id, before_id, both or
// neither, within and across columns. After every move the board is in the
// expected order and only the moved card's row changed.
func TestMoveOrdering(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		id, name := map[string]string{}, map[string]string{}
		for _, n := range []string{"A", "B", "C", "D", "E"} {
			is := f.issue(n, "open")
			id[n], name[is.ID] = is.ID, n
		}
		// layout renders the board as "open:ABC in_progress:D done:E".
		layout := func(issues []models.Issue) string {
			cols := map[string]string{}
			for _, is := range issues {
				cols[is.Status] += name[is.ID]
			}
			return "open:" + cols["open"] + " in_progress:" + cols["in_progress"] + " done:" + cols["done"]
		}
		if got := layout(f.board()); got != "open:ABCDE in_progress: done:" {
			t.Fatalf("start: %s", got)
		}
		steps := []struct {
			desc                        string
			card, status, after, before string // card names; "" for none
			want                        string
		}{
			{"after only", "A", "open", "C", "", "open:BCADE in_progress: done:"},
			{"before only, to the top", "E", "open", "", "B", "open:EBCAD in_progress: done:"},
			{"both", "D", "open", "E", "B", "open:EDBCA in_progress: done:"},
			{"neither: the bottom", "E", "open", "", "", "open:DBCAE in_progress: done:"},
			{"after the last", "D", "open", "E", "", "open:BCAED in_progress: done:"},
			{"into an empty column", "B", "in_progress", "", "", "open:CAED in_progress:B done:"},
			{"across, before", "C", "in_progress", "", "B", "open:AED in_progress:CB done:"},
			{"across, between", "A", "in_progress", "C", "B", "open:ED in_progress:CAB done:"},
			{"across, after the last", "E", "in_progress", "B", "", "open:D in_progress:CABE done:"},
			{"onto its own place", "A", "in_progress", "C", "B", "open:D in_progress:CABE done:"},
			{"the last card out of a column", "D", "done", "", "", "open: in_progress:CABE done:D"},
			{"across, to the top", "D", "in_progress", "", "C", "open: in_progress:DCABE done:"},
			{"between the same pair again", "E", "in_progress", "D", "C", "open: in_progress:DECAB done:"},
			{"and again", "B", "in_progress", "D", "E", "open: in_progress:DBECA done:"},
		}
		ref := func(n string) *string {
			if n == "" {
				return nil
			}
			return ptr(id[n])
		}
		for _, st := range steps {
			before := byID(f.board())
			moved, ev, err := s.MoveIssue(t.Context(), f.editor, f.p.ID, id[st.card],
				models.MoveInput{Status: st.status, AfterID: ref(st.after), BeforeID: ref(st.before)})
			if err != nil {
				t.Fatalf("%s: move %s: %v", st.desc, st.card, err)
			}
			was := before[moved.ID]
			if moved.Status != st.status || moved.Version != was.Version+1 || ev.Type != models.EventIssueMoved {
				t.Fatalf("%s: moved %+v (was version %d), event %s", st.desc, moved, was.Version, ev.Type)
			}
			board := f.board()
			checkRanks(t, board)
			if got := layout(board); got != st.want {
				t.Fatalf("%s: move %s -> %s\n got  %s\n want %s", st.desc, st.card, st.status, got, st.want)
			}
			for _, now := range board {
				then := before[now.ID]
				if now.ID == moved.ID {
					if now.Rank != moved.Rank || now.Version != moved.Version {
						t.Fatalf("%s: stored %+v, returned %+v", st.desc, now, moved)
					}
					continue
				}
				if now.Rank != then.Rank || now.Version != then.Version || now.Status != then.Status ||
					!now.UpdatedAt.Equal(then.UpdatedAt) {
					t.Fatalf("%s: moving %s rewrote %s: %s/%q/v%d -> %s/%q/v%d", st.desc, st.card, name[now.ID],
						then.Status, then.Rank, then.Version, now.Status, now.Rank, now.Version)
				}
			}
		}
	})
}

// TestMoveRejected: a move with an impossible neighbour is a
// *ValidationError and changes nothing.
func TestMoveRejected(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		a, b, c := f.issue("A", "open"), f.issue("B", "open"), f.issue("C", "open")
		x := f.issue("X", "done")
		other := newProject(t, s, f.owner, "Other")
		foreign := newIssue(t, s, f.owner, other.ID, models.IssueInput{Title: "elsewhere"})
		cases := []struct {
			desc  string
			card  models.Issue
			in    models.MoveInput
			field string
		}{
			{"after a card of another column", a, models.MoveInput{Status: "open", AfterID: &x.ID}, "after_id"},
			{"before a card of another column", a, models.MoveInput{Status: "open", BeforeID: &x.ID}, "before_id"},
			{"across, after a card left behind", a, models.MoveInput{Status: "done", AfterID: &b.ID}, "after_id"},
			{"after itself", a, models.MoveInput{Status: "open", AfterID: &a.ID}, "after_id"},
			{"before itself", a, models.MoveInput{Status: "open", BeforeID: &a.ID}, "before_id"},
			{"neighbours in the wrong order", c, models.MoveInput{Status: "open", AfterID: &b.ID, BeforeID: &a.ID}, "before_id"},
			{"after and before the same card", c, models.MoveInput{Status: "open", AfterID: &b.ID, BeforeID: &b.ID}, "before_id"},
			{"an unknown neighbour", a, models.MoveInput{Status: "open", AfterID: ptr("00000000-0000-0000-0000-000000000000")}, "after_id"},
			{"a malformed neighbour", a, models.MoveInput{Status: "open", BeforeID: ptr("B")}, "before_id"},
			{"a neighbour of another project", a, models.MoveInput{Status: "open", AfterID: &foreign.ID}, "after_id"},
			{"an unknown column", a, models.MoveInput{Status: "nope"}, "status"},
			{"no column", a, models.MoveInput{}, "status"},
		}
		for _, cs := range cases {
			t.Run(cs.desc, func(t *testing.T) {
				seq, before := f.seq(), f.board()
				_, _, err := s.MoveIssue(t.Context(), f.editor, f.p.ID, cs.card.ID, cs.in)
				wantInvalid(t, err, cs.field)
				if after := f.board(); !sameJSON(t, before, after) || f.seq() != seq {
					t.Errorf("a refused move changed the board or seq (%d -> %d)", seq, f.seq())
				}
			})
		}
		if got := strings.Join(f.order("open"), ","); got != strings.Join([]string{a.ID, b.ID, c.ID}, ",") {
			t.Fatalf("open column reordered by refused moves")
		}
	})
}

// checkRanks fails unless every column is strictly increasing by rank: board
// order (rank, id) with no rank taken twice.
func checkRanks(t *testing.T, board []models.Issue) {
	t.Helper()
	prev := map[string]models.Issue{}
	for _, is := range board {
		if p, ok := prev[is.Status]; ok && !(p.Rank < is.Rank) {
			t.Errorf("column %s: %s (rank %q) after %s (rank %q)", is.Status, is.Title, is.Rank, p.Title, p.Rank)
		}
		prev[is.Status] = is
	}
}

func byID(issues []models.Issue) map[string]models.Issue {
	out := make(map[string]models.Issue, len(issues))
	for _, is := range issues {
		out[is.ID] = is
	}
	return out
}

// TestMoveBetweenNonAdjacentNeighbours: a client whose board is stale may
// name after_id and before_id with a card between them now. The card goes
// directly below after_id (so still above before_id), with a rank of its own.
func TestMoveBetweenNonAdjacentNeighbours(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		a, b, c := f.issue("A", "open"), f.issue("B", "open"), f.issue("C", "open")
		d := f.issue("D", "done")
		moved, _, err := s.MoveIssue(t.Context(), f.editor, f.p.ID, d.ID,
			models.MoveInput{Status: "open", AfterID: &a.ID, BeforeID: &c.ID})
		if err != nil {
			t.Fatal(err)
		}
		checkRanks(t, f.board())
		if moved.Status != "open" {
			t.Fatalf("moved to %s", moved.Status)
		}
		if got, want := strings.Join(f.order("open"), ","), strings.Join([]string{a.ID, d.ID, b.ID, c.ID}, ","); got != want {
			t.Fatalf("open column %s, want A, D, B, C", got)
		}
	})
}
