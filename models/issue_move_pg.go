package models

import (
	"context"
	_ "embed" // the move function's SQL
	"fmt"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// On PostgreSQL a move is one call of corkboard_move (move_function.sql,
// installed by migrations 0018 and 0019) and the event's INSERT: two round trips
// where issue_move.go's statements take eight, and no savepoint in a
// batch (commitBare: the function writes only once the move is sure). The function makes the
// same checks in the same order and answers the same errors; Go keeps the
// input's form checks, the event's payload (its JSON is Go's) and the
// notifications of a status move (app's rules).

//go:embed move_function.sql
var moveFunctionSQL string

const sqlMoveFunction = `SELECT o_code, o_field, o_message, o_seq, o_key, o_old_status, o_id, o_project_id, o_number,
	o_title, o_description, o_status, o_priority, o_assignee_id, o_author_id, o_labels, o_effort, o_due_date, o_rank,
	o_version, o_created_at, o_updated_at, o_cycle_id, o_carryover, o_comment_count, o_watching, o_unwatched
	FROM corkboard_move(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// installMoveFunction is the code of migrations 0018 and 0019: the function on
// PostgreSQL, nothing on SQLite (which moves in Go, a statement there
// being no round trip). One Exec: the bodies hold semicolons.
func (s *Store) installMoveFunction(tx *gorm.DB) error {
	if s.dialect != "postgres" {
		return nil
	}
	return tx.Exec(moveFunctionSQL).Error
}

// moveByFunction is MoveIssue on PostgreSQL (m's own checks are made).
func (s *Store) moveByFunction(ctx context.Context, actor User, projectID, issueID string, m MoveInput) (Issue, Event, error) {
	if _, err := uuid.Parse(projectID); err != nil {
		return Issue{}, Event{}, ErrNotFound
	}
	formOK := func(id *string) bool {
		if id == nil || *id == "" {
			return true
		}
		_, err := uuid.Parse(*id)
		return err == nil
	}
	statusOK, afterOK, beforeOK := columnKeyPattern.MatchString(m.Status), formOK(m.AfterID), formOK(m.BeforeID)
	// What fails a form check is not sent: the function answers from the
	// flags, and PostgreSQL refuses some text outright (a NUL byte), which
	// would turn the field's 422 into a whole-body error.
	status, after, before := m.Status, m.AfterID, m.BeforeID
	if !statusOK {
		status = ""
	}
	if !afterOK {
		after = nil
	}
	if !beforeOK {
		before = nil
	}
	if _, err := uuid.Parse(issueID); err != nil {
		issueID = "" // no issue has it: not found, in the function's order
	}
	var out Issue
	var ev Event
	var notes []Notification
	err := s.commitBare(ctx, projectID, func(w *wtx) error {
		notes = nil
		now := s.now()
		var code int
		var field, message, key, oldStatus, watching, unwatched string
		var seq int64
		var r issueRow
		err := w.queryRow(sqlMoveFunction, projectID, actor.ID, issueID, status, after, before, m.Version,
			now, statusOK, afterOK, beforeOK).Scan(&code, &field, &message, &seq, &key, &oldStatus,
			&r.ID, &r.ProjectID, &r.Number, &r.Title, &r.Description, &r.Status, &r.Priority, &r.AssigneeID,
			&r.AuthorID, &r.Labels, &r.Effort, &r.DueDate, &r.Rank, &r.Version, &r.CreatedAt, &r.UpdatedAt,
			&r.CycleID, &r.Carryover, &r.CommentCount, &watching, &unwatched)
		if err != nil {
			return err
		}
		switch code { // a refusal: the function wrote nothing
		case 0:
		case 1:
			return refuse(ErrNotFound)
		case 2:
			return refuse(ErrForbidden)
		case 3:
			return refuse(&StaleError{Current: r.view(key)})
		case 4:
			return refuse(invalid(field, message))
		case 5:
			return refuse(errRank)
		default:
			return fmt.Errorf("models: corkboard_move answered %d", code)
		}
		r.UpdatedAt = now // Go's clock reading, as issue_move.go keeps it
		c := &change{tx: w.gorm, w: w, s: s, actor: actor,
			project: projectRow{ID: projectID, Key: key, Seq: seq}}
		if oldStatus != r.Status {
			c.watchers = &watcherSet{on: splitIDs(watching), off: splitIDs(unwatched)}
			a := deref(r.AssigneeID)
			if err := c.notifyIssue(r, NotifyFacts{StatusMoved: true, OldAssignee: a, NewAssignee: a}, "", "", nil); err != nil {
				return err
			}
		}
		out = r.view(key)
		if ev, err = w.appendEvent(projectID, seq, actor, EventIssueMoved, out); err != nil {
			return err
		}
		notes = c.notes
		return nil
	})
	s.notifyCommitted(err, notes)
	if err != nil {
		return Issue{}, Event{}, translate(err)
	}
	return out, ev, nil
}

// splitIDs is the ids of a comma-joined list ("" for none).
func splitIDs(list string) []string {
	if list == "" {
		return nil
	}
	return strings.Split(list, ",")
}
