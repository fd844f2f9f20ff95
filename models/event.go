package models

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Actor is who made a change, as events show them.
type Actor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Event is one entry of a project's durable log, in the shape the API and
// the WebSocket send. Seq is per project, gap-free, starting at 1.
type Event struct {
	Type      string          `json:"type"`
	ProjectID string          `json:"project_id"`
	Seq       int64           `json:"seq,omitempty"`
	Actor     Actor           `json:"actor"`
	At        time.Time       `json:"at"`
	Data      json.RawMessage `json:"data"`
}

type eventRow struct {
	ProjectID string
	Seq       int64
	Type      string
	ActorID   string
	ActorName string
	Payload   string
	CreatedAt time.Time
}

func (eventRow) TableName() string { return "events" }

func (r eventRow) view() Event {
	return Event{Type: r.Type, ProjectID: r.ProjectID, Seq: r.Seq,
		Actor: Actor{ID: r.ActorID, Name: r.ActorName}, At: r.CreatedAt, Data: json.RawMessage(r.Payload)}
}

// Event types of the durable log.
const (
	EventIssueCreated     = "issue.created"
	EventIssueUpdated     = "issue.updated"
	EventIssueMoved       = "issue.moved"
	EventIssueDeleted     = "issue.deleted"
	EventProjectUpdated   = "project.updated"
	EventProjectDeleted   = "project.deleted"
	EventMemberAdded      = "member.added"
	EventMemberUpdated    = "member.updated"
	EventMemberRemoved    = "member.removed"
	EventColumnCreated    = "column.created"
	EventColumnUpdated    = "column.updated"
	EventColumnDeleted    = "column.deleted"
	EventColumnsReordered = "column.reordered"

	// Planning (cycle.go): cycle.created carries a Cycle, cycle.scheduled
	// a CycleList (the cycles one schedule made), cycle.updated a Cycle,
	// cycle.deleted a CycleDeleted, cycle.capacity_updated a CycleCapacity.
	EventCycleCreated         = "cycle.created"
	EventCycleScheduled       = "cycle.scheduled"
	EventCycleUpdated         = "cycle.updated"
	EventCycleDeleted         = "cycle.deleted"
	EventCycleCapacityUpdated = "cycle.capacity_updated"

	// Comments (comment.go): created and updated carry a Comment, deleted
	// a DeletedComment.
	EventCommentCreated = "comment.created"
	EventCommentUpdated = "comment.updated"
	EventCommentDeleted = "comment.deleted"

	// The trash (trash.go): EventIssueRestored, EventTrashPurged.
)

// EventPage is a slice of the log after some seq.
type EventPage struct {
	Items   []Event
	Seq     int64 // the project's current seq
	HasMore bool
}

// ErrPruned: the events after the requested seq are no longer retained;
// the client must reload the board (resync).
var ErrPruned = errors.New("events after this seq are no longer retained: reload the board")

// EventsSince returns up to limit events with seq > since, in order, for a
// member of the project.
func (s *Store) EventsSince(ctx context.Context, userID, projectID string, since int64, limit int) (EventPage, error) {
	if _, err := memberRole(s.read(ctx), projectID, userID); err != nil {
		return EventPage{}, translate(err)
	}
	return s.Log(ctx, projectID, since, limit)
}

// Log reads the project's log after since without a membership check: it
// is the live layer's, whose clients were checked when they connected.
// The seq is read first and only events up to it are returned, so page and
// seq agree while writers append; a page that does not start at since+1
// (pruned, even while reading) is ErrPruned, never a silent gap.
func (s *Store) Log(ctx context.Context, projectID string, since int64, limit int) (EventPage, error) {
	if limit <= 0 || limit > 1000 {
		limit = 500
	}
	if _, err := uuid.Parse(projectID); err != nil {
		return EventPage{}, ErrNotFound
	}
	// No transaction: on SQLite it would take the write lock.
	db := s.read(ctx)
	var page EventPage
	res := db.Table("projects").Select("seq").Where("id = ?", projectID).Scan(&page.Seq)
	if res.Error != nil {
		return EventPage{}, translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return EventPage{}, ErrNotFound
	}
	var rows []eventRow
	if since < page.Seq {
		if err := db.Where("project_id = ? AND seq > ? AND seq <= ?", projectID, since, page.Seq).
			Order("seq").Limit(limit).Find(&rows).Error; err != nil {
			return EventPage{}, translate(err)
		}
		// The prune keeps the events of live issues, so the log may have
		// holes anywhere before the retained tail, not only a cut at its
		// start: every seq of the page must be there.
		for i, r := range rows {
			if r.Seq != since+1+int64(i) {
				return EventPage{Seq: page.Seq}, ErrPruned
			}
		}
		if len(rows) == 0 {
			return EventPage{Seq: page.Seq}, ErrPruned
		}
	}
	page.Items = make([]Event, len(rows))
	for i, r := range rows {
		page.Items[i] = r.view()
	}
	last := since
	if len(rows) > 0 {
		last = rows[len(rows)-1].Seq
	}
	page.HasMore = last < page.Seq
	return page, nil
}

// sqlNotAwaitedByWebhook keeps the events an active webhook has yet to
// deliver out of a prune (its argument: true).
const sqlNotAwaitedByWebhook = ` AND NOT EXISTS (SELECT 1 FROM webhooks WHERE webhooks.project_id = events.project_id
	AND webhooks.active = ? AND webhooks.delivered_seq < events.seq)`

// PruneEvents deletes the events older than maxAge and, per project, all
// but the newest keep, except the events of issues that still exist: they
// are the issues' activity (IssueEvents), kept for their life. An issue's
// events lose their issue_id when it is deleted (the foreign key) and go
// with the next prune past retention. The log then has holes, which
// readers never see as gaps: Log answers ErrPruned for a page with one.
// It returns how many events went.
func (s *Store) PruneEvents(ctx context.Context, maxAge time.Duration, keep int64) (int64, error) {
	db := s.write(ctx)
	// events_prunable holds exactly these rows, by created_at. An active
	// webhook holds the events it has not delivered yet (webhook.go): at
	// most a day's, since a day of failures turns it off.
	res := db.Exec(`DELETE FROM events WHERE issue_id IS NULL AND created_at < ?`+sqlNotAwaitedByWebhook,
		s.now().Add(-maxAge), true)
	if res.Error != nil {
		return 0, translate(res.Error)
	}
	n := res.RowsAffected
	res = db.Exec(`DELETE FROM events WHERE issue_id IS NULL
		AND seq <= (SELECT seq FROM projects WHERE projects.id = events.project_id) - ?`+sqlNotAwaitedByWebhook, keep, true)
	if res.Error != nil {
		return n, translate(res.Error)
	}
	return n + res.RowsAffected, nil
}
