package models

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"
)

// The move path's statements: check the column, find the neighbours'
// ranks, write the one moved row. Hot statements (change.go). A trashed
// card cannot be a neighbour (sqlRankRef), but its rank still holds its
// slot between the others, so a restore finds its place free (trash.go).
const (
	sqlColumnExists = `SELECT count(*) FROM board_columns WHERE project_id = ? AND key = ?`
	sqlRankRef      = `SELECT id, status, rank FROM issues WHERE id = ? AND project_id = ? AND deleted_at IS NULL`
	sqlBottomRank   = `SELECT rank FROM issues WHERE project_id = ? AND status = ? AND id <> ?
		ORDER BY rank DESC, id DESC LIMIT 1`
	sqlRankBelow = `SELECT rank FROM issues WHERE project_id = ? AND status = ? AND id <> ?
		AND (rank > ? OR (rank = ? AND id > ?)) ORDER BY rank, id LIMIT 1`
	sqlRankAbove = `SELECT rank FROM issues WHERE project_id = ? AND status = ? AND id <> ?
		AND (rank < ? OR (rank = ? AND id < ?)) ORDER BY rank DESC, id DESC LIMIT 1`
	sqlRankPast = `SELECT rank FROM issues WHERE project_id = ? AND status = ? AND id <> ?
		AND rank > ? ORDER BY rank, id LIMIT 1`
	sqlMoveIssue = `UPDATE issues SET status = ?, rank = ?, version = ?, updated_at = ? WHERE id = ?`
)

// MoveIssue places an issue in a column between neighbours (editor). It
// writes exactly one issue row: only the moved issue's rank changes.
func (s *Store) MoveIssue(ctx context.Context, actor User, projectID, issueID string, m MoveInput) (Issue, Event, error) {
	if m.Status == "" {
		return Issue{}, Event{}, invalid("status", "is required")
	}
	if m.Version != nil && *m.Version < 1 {
		return Issue{}, Event{}, invalid("version", "must be at least 1")
	}
	if s.dialect == "postgres" {
		return s.moveByFunction(ctx, actor, projectID, issueID, m)
	}
	var out Issue
	ev, err := s.change(ctx, actor, projectID, RoleEditor, func(c *change) (string, any, error) {
		row, err := c.issueRow(issueID)
		if err != nil {
			return "", nil, err
		}
		if m.Version != nil && row.Version != *m.Version {
			return "", nil, &StaleError{Current: row.view(c.project.Key)}
		}
		rank, err := c.place(row.ID, m.Status, m.AfterID, m.BeforeID)
		if err != nil {
			return "", nil, err
		}
		moved := row.Status != m.Status
		row.Status, row.Rank, row.Version, row.UpdatedAt = m.Status, rank, row.Version+1, c.s.now()
		if _, err := c.w.exec(sqlMoveIssue, row.Status, row.Rank, row.Version, row.UpdatedAt, row.ID); err != nil {
			return "", nil, err
		}
		if moved {
			a := deref(row.AssigneeID)
			if err := c.notifyIssue(row, NotifyFacts{StatusMoved: true, OldAssignee: a, NewAssignee: a}, "", "", nil); err != nil {
				return "", nil, err
			}
		}
		out = row.view(c.project.Key)
		return EventIssueMoved, out, nil
	})
	return out, ev, err
}

type rankRef struct {
	ID     string
	Status string
	Rank   string
}

// place computes the rank for issue self (empty for a new issue) in column
// status, below afterID and above beforeID. Neighbours must be in that column.
func (c *change) place(self, status string, afterID, beforeID *string) (string, error) {
	if !columnKeyPattern.MatchString(status) {
		return "", invalid("status", "is not a column of this board")
	}
	var n int64
	if err := c.w.queryRow(sqlColumnExists, c.project.ID, status).Scan(&n); err != nil {
		return "", err
	}
	if n == 0 {
		return "", invalid("status", "is not a column of this board")
	}
	ref := func(field string, id *string) (*rankRef, error) {
		if id == nil || *id == "" {
			return nil, nil
		}
		if *id == self {
			return nil, invalid(field, "cannot be the issue being moved")
		}
		var r rankRef
		err := c.w.queryRow(sqlRankRef, *id, c.project.ID).Scan(&r.ID, &r.Status, &r.Rank)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && r.Status != status) {
			return nil, invalid(field, "is not an issue in column "+status)
		}
		if err != nil {
			return nil, err
		}
		return &r, nil
	}
	if _, err := uuid.Parse(deref(afterID)); afterID != nil && *afterID != "" && err != nil {
		return "", invalid("after_id", "is not an issue in column "+status)
	}
	if _, err := uuid.Parse(deref(beforeID)); beforeID != nil && *beforeID != "" && err != nil {
		return "", invalid("before_id", "is not an issue in column "+status)
	}
	after, err := ref("after_id", afterID)
	if err != nil {
		return "", err
	}
	before, err := ref("before_id", beforeID)
	if err != nil {
		return "", err
	}
	// neighbour is the rank of the first card of the column (other than
	// self) that query finds, or "" when there is none.
	neighbour := func(query string, args ...any) (string, error) {
		var rank string
		err := c.w.queryRow(query, append([]any{c.project.ID, status, self}, args...)...).Scan(&rank)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil
		}
		return rank, err
	}
	var lo, hi string
	switch {
	case after != nil && before != nil:
		if after.Rank > before.Rank || after.Rank == before.Rank && after.ID >= before.ID {
			return "", invalid("before_id", "must come below after_id in the column")
		}
		// Directly below after: when a card has come between the two since
		// the client read the board, before.Rank would let the new rank
		// equal that card's. The card below after is before or above it.
		fallthrough
	case after != nil:
		lo = after.Rank
		hi, err = neighbour(sqlRankBelow, after.Rank, after.Rank, after.ID)
	case before != nil:
		hi = before.Rank
		lo, err = neighbour(sqlRankAbove, before.Rank, before.Rank, before.ID)
	default:
		lo, err = neighbour(sqlBottomRank)
	}
	if err != nil {
		return "", err
	}
	if lo != "" && hi != "" && lo >= hi {
		// Two cards share a rank (only possible from data written outside
		// this package): go just past them rather than renumber anything.
		hi, err = neighbour(sqlRankPast, lo)
		if err != nil {
			return "", err
		}
	}
	return RankBetween(lo, hi)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
