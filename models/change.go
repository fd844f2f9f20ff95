package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// The change preamble, run by every change: take the next seq (which locks
// the project row), read the actor's role, append the event. These and the
// move path's statements (issue_write.go, issue_move.go) are the hot
// statements the writer prepares once per connection (writer.go).
//
// The preamble reads only the project's columns a change uses (id, key,
// seq and the planning settings): with mattn/go-sqlite3 each column of a
// row costs about four allocations (its name, its declared type, that type
// lowercased, the value), and a timestamp is parsed from text. The name,
// description, counter and times were read for nothing on every move.
const (
	sqlTakeSeq = `UPDATE projects SET seq = seq + 1 WHERE id = ?
		RETURNING id, key, seq, estimate_scale, unestimated_effort, timezone, capacity_policy`
	// On SQLite, where a statement is no round trip, the UPDATE and a
	// SELECT cost 12 µs where RETURNING costs 19 µs (it builds a temporary
	// table of the returned rows).
	sqlBumpSeq    = `UPDATE projects SET seq = seq + 1 WHERE id = ?`
	sqlProjectRow = `SELECT id, key, seq, estimate_scale, unestimated_effort, timezone, capacity_policy
		FROM projects WHERE id = ?`
	sqlMemberRole = `SELECT role FROM members WHERE project_id = ? AND user_id = ?`
	// The issue an event is about is linked only while it exists: an
	// issue.deleted event follows the row's DELETE.
	sqlInsertEvent = `INSERT INTO events (project_id, seq, type, actor_id, actor_name, payload, created_at, issue_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT id FROM issues WHERE id = ?))`
)

// hotQueries are prepared on the writer pool (outside any transaction: on
// SQLite the pool's one connection is the transaction's).
var hotQueries = []string{sqlTakeSeq, sqlBumpSeq, sqlProjectRow, sqlMemberRole, sqlInsertEvent, sqlIssueRow, sqlColumnExists,
	sqlRankRef, sqlBottomRank, sqlRankBelow, sqlRankAbove, sqlRankPast, sqlMoveIssue}

// change is one project's part of a write transaction (see writer.go: the
// transaction may be shared with other changes, each in its own savepoint).
// It locks the project row by taking the next seq first, so writers of one
// project serialise on PostgreSQL as they do on SQLite (one writer); reads
// made after that see every earlier change, so ranks and numbers are
// computed race-free.
type change struct {
	tx      *gorm.DB
	w       *wtx
	s       *Store
	actor   User
	role    Role
	project projectRow     // ID, Key, Seq and the settings only (sqlProjectRow)
	notes   []Notification // written by this change (notify_change.go)
	// watchers, when the change has read them already (nil: notifyIssue
	// reads them).
	watchers *watcherSet
}

// change runs fn for actor on project if the actor's role is at least need,
// and appends the one event fn describes, all in one transaction.
func (s *Store) change(ctx context.Context, actor User, projectID string, need Role,
	fn func(c *change) (eventType string, data any, err error)) (Event, error) {
	if _, err := uuid.Parse(projectID); err != nil {
		return Event{}, ErrNotFound
	}
	var ev Event
	var notes []Notification
	err := s.commit(ctx, projectID, func(w *wtx) error {
		c := &change{tx: w.gorm, w: w, s: s, actor: actor}
		notes = nil
		// Taking the next seq locks the project row. The role is read in a
		// second statement: on PostgreSQL a statement that waited for the
		// lock still sees its old snapshot of other tables, so a member
		// removed by the writer it waited for would still look present.
		p := &c.project
		var taken *sql.Row
		if s.dialect == "sqlite" {
			if _, err := w.exec(sqlBumpSeq, projectID); err != nil {
				return err
			}
			taken = w.queryRow(sqlProjectRow, projectID)
		} else {
			taken = w.queryRow(sqlTakeSeq, projectID)
		}
		err := taken.Scan(&p.ID, &p.Key, &p.Seq, &p.EstimateScale, &p.UnestimatedEffort, &p.Timezone, &p.CapacityPolicy)
		if errors.Is(err, sql.ErrNoRows) || err == nil && p.Seq == 0 {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if need == roleSystem { // the system's own changes (roll-over): no member acts
			c.role = roleSystem
		} else if err := w.queryRow(sqlMemberRole, projectID, actor.ID).Scan(&c.role); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		if need != roleSystem && !c.role.AtLeast(need) {
			return ErrForbidden
		}
		typ, data, err := fn(c)
		if err != nil {
			return err
		}
		if ev, err = w.appendEvent(projectID, p.Seq, actor, typ, data); err != nil {
			return err
		}
		notes = c.notes
		return nil
	})
	s.notifyCommitted(err, notes)
	return ev, translate(err)
}

// appendEvent writes the event of the change that took seq.
func (w *wtx) appendEvent(projectID string, seq int64, actor User, typ string, data any) (Event, error) {
	payload, err := json.Marshal(data)
	if err != nil {
		return Event{}, err
	}
	row := eventRow{ProjectID: projectID, Seq: seq, Type: typ, ActorID: actor.ID,
		ActorName: actor.DisplayName, Payload: string(payload), CreatedAt: w.s.now()}
	if _, err := w.exec(sqlInsertEvent, row.ProjectID, row.Seq, row.Type, row.ActorID, row.ActorName,
		row.Payload, row.CreatedAt, eventIssue(data)); err != nil {
		return Event{}, err
	}
	ev := row.view()
	ev.Data = payload // the same bytes, not a second copy of them
	return ev, nil
}

// notifyCommitted hands a committed change's notifications on: after the
// commit, so a rolled-back change tells nobody.
func (s *Store) notifyCommitted(err error, notes []Notification) {
	if err == nil && len(notes) > 0 && s.onNotify != nil {
		s.onNotify(notes)
	}
}

// eventIssue is the issue an event's data is about (nil: none). Its events
// are the issue's activity, kept while the issue exists (PruneEvents).
func eventIssue(data any) *string {
	var id string
	switch d := data.(type) {
	case Issue:
		id = d.ID
	case Comment:
		id = d.IssueID
	case DeletedComment:
		id = d.IssueID
	default:
		return nil
	}
	return &id
}
