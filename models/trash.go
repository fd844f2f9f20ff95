package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// The trash (README "Trash and undo"): DeleteIssue marks an issue deleted
// and every read of live issues skips it; RestoreIssue puts it back;
// PurgeTrash and PurgeExpired delete it for good and take its text out of
// the event log (redact.go), in the purge's one transaction.

// TrashRetention is how long an issue stays in the trash before the purge
// job removes it.
const TrashRetention = 30 * 24 * time.Hour

// Event types of the trash: issue.restored carries the Issue as restored,
// trash.purged a TrashPurged.
const (
	EventIssueRestored = "issue.restored"
	EventTrashPurged   = "trash.purged"
)

// TrashedIssue is an issue in the trash, with when and by whom it went.
type TrashedIssue struct {
	Issue
	DeletedAt time.Time `json:"deleted_at"`
	DeletedBy Actor     `json:"deleted_by"`
}

// TrashPage is one page of the trash, most recently deleted first;
// NextCursor is empty on the last page.
type TrashPage struct {
	Items      []TrashedIssue
	NextCursor string
}

// TrashPurged is the data of a trash.purged event: the issues it removed,
// by id and key only (their text is what the purge took out).
type TrashPurged struct {
	Issues []PurgedIssue `json:"issues"`
}

// PurgedIssue names one purged issue.
type PurgedIssue struct {
	ID  string `json:"id"`
	Key string `json:"key"`
}

// errTrashEmpty ends a purge that finds nothing to remove: the change (and
// the seq it took) rolls back, and no event is written.
var errTrashEmpty = errors.New("nothing to purge")

// sqlTrashedRow reads an issue in the trash (sqlIssueRow's columns).
const sqlTrashedRow = `SELECT id, project_id, number, title, description, status, priority, assignee_id, author_id,
		labels, effort, due_date, rank, version, created_at, updated_at, cycle_id, carryover, comment_count
		FROM issues WHERE id = ? AND project_id = ? AND deleted_at IS NOT NULL`

// ListTrash lists a project's trashed issues, most recently deleted first,
// limit (1..200, default 50) at a time, for a member of the project.
func (s *Store) ListTrash(ctx context.Context, userID, projectID, cursor string, limit int) (TrashPage, error) {
	db := s.read(ctx)
	if _, err := memberRole(db, projectID, userID); err != nil {
		return TrashPage{}, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var key string
	if err := db.Table("projects").Select("key").Where("id = ?", projectID).Scan(&key).Error; err != nil {
		return TrashPage{}, translate(err)
	}
	where := "i.project_id = ? AND i.deleted_at IS NOT NULL"
	args := []any{projectID}
	if cursor != "" {
		at, id, err := decodeTimeCursor("t", cursor)
		if err != nil {
			return TrashPage{}, invalid("cursor", "is not a cursor this API gave out")
		}
		where += " AND (i.deleted_at < ? OR (i.deleted_at = ? AND i.id < ?))"
		args = append(args, at, at, id)
	}
	rows, err := db.Raw(`SELECT i.id, i.project_id, i.number, i.title, i.description, i.status, i.priority,
		i.assignee_id, i.author_id, i.labels, i.effort, i.due_date, i.rank, i.version, i.created_at, i.updated_at,
		i.cycle_id, i.carryover, i.comment_count, i.deleted_at, COALESCE(i.deleted_by, ''), COALESCE(u.display_name, '')
		FROM issues i LEFT JOIN users u ON u.id = i.deleted_by
		WHERE `+where+fmt.Sprintf(" ORDER BY i.deleted_at DESC, i.id DESC LIMIT %d", limit+1), args...).Rows()
	if err != nil {
		return TrashPage{}, translate(err)
	}
	defer rows.Close()
	page := TrashPage{Items: []TrashedIssue{}}
	for rows.Next() {
		var r issueRow
		var t TrashedIssue
		if err := rows.Scan(&r.ID, &r.ProjectID, &r.Number, &r.Title, &r.Description, &r.Status, &r.Priority,
			&r.AssigneeID, &r.AuthorID, &r.Labels, &r.Effort, &r.DueDate, &r.Rank, &r.Version, &r.CreatedAt, &r.UpdatedAt,
			&r.CycleID, &r.Carryover, &r.CommentCount, &t.DeletedAt, &t.DeletedBy.ID, &t.DeletedBy.Name); err != nil {
			return TrashPage{}, translate(err)
		}
		t.Issue, t.DeletedAt = r.view(key), t.DeletedAt.UTC()
		page.Items = append(page.Items, t)
	}
	if err := rows.Err(); err != nil {
		return TrashPage{}, translate(err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeTimeCursor("t", last.DeletedAt, last.ID)
	}
	return page, nil
}

// RestoreIssue takes an issue out of the trash (editor), back in its
// column at its rank: the rank held its slot while it was away (the move
// path's neighbour queries count trashed cards). Its column, if deleted
// meanwhile, had already sent it to the first column (rehomeTrashed).
func (s *Store) RestoreIssue(ctx context.Context, actor User, projectID, issueID string) (Issue, Event, error) {
	var out Issue
	ev, err := s.change(ctx, actor, projectID, RoleEditor, func(c *change) (string, any, error) {
		row, err := c.trashedRow(issueID)
		if err != nil {
			return "", nil, err
		}
		if err := c.tx.Exec(`UPDATE issues SET deleted_at = NULL, deleted_by = NULL WHERE id = ?`, row.ID).Error; err != nil {
			return "", nil, err
		}
		if err := c.saveIssue(&row); err != nil {
			return "", nil, err
		}
		out = row.view(c.project.Key)
		return EventIssueRestored, out, nil
	})
	return out, ev, err
}

func (c *change) trashedRow(issueID string) (issueRow, error) {
	if uuid.Validate(issueID) != nil {
		return issueRow{}, ErrNotFound
	}
	return scanIssueRow(c.w.queryRow(sqlTrashedRow, issueID, c.project.ID))
}

// rehomeTrashed sends the trashed issues of column key, about to be
// deleted, to the bottom of the first other column (cols is the board's
// columns in order): a restore then finds them a column, and the column's
// foreign key lets it go.
func (c *change) rehomeTrashed(key string, cols []columnRow) error {
	var ids []string
	if err := c.tx.Raw(`SELECT id FROM issues WHERE project_id = ? AND status = ? AND deleted_at IS NOT NULL
		ORDER BY rank, id`, c.project.ID, key).Scan(&ids).Error; err != nil {
		return err
	}
	first := cols[0].Key
	if first == key {
		first = cols[1].Key // DeleteColumn keeps the last column
	}
	for _, id := range ids {
		rank, err := c.place(id, first, nil, nil)
		if err != nil {
			return err
		}
		if err := c.tx.Exec(`UPDATE issues SET status = ?, rank = ? WHERE id = ?`, first, rank, id).Error; err != nil {
			return err
		}
	}
	return nil
}

// PurgeTrash deletes for good one trashed issue (issueID) or, with
// issueID "", every trashed issue of the project (owner), and takes their
// text out of the log. Purging an empty trash changes nothing and returns
// no event (Seq 0).
func (s *Store) PurgeTrash(ctx context.Context, actor User, projectID, issueID string) (Event, error) {
	ev, err := s.change(ctx, actor, projectID, RoleOwner, func(c *change) (string, any, error) {
		var rows []trashRef
		if issueID != "" {
			row, err := c.trashedRow(issueID)
			if err != nil {
				return "", nil, err
			}
			rows = []trashRef{{ID: row.ID, Number: row.Number}}
		} else if err := c.tx.Raw(`SELECT id, number FROM issues WHERE project_id = ? AND deleted_at IS NOT NULL
			ORDER BY number`, projectID).Scan(&rows).Error; err != nil {
			return "", nil, err
		}
		return c.purge(rows)
	})
	if errors.Is(err, errTrashEmpty) {
		return Event{}, nil
	}
	return ev, err
}

// PurgeExpired purges, project by project, the issues that have been in
// the trash for TrashRetention, as the system actor; it returns the
// trash.purged events to announce. Each project's purge reads what has
// expired under the project's lock, so instances running it at once purge
// each issue exactly once.
func (s *Store) PurgeExpired(ctx context.Context) ([]Event, error) {
	cutoff := s.now().Add(-TrashRetention)
	var projects []string
	if err := s.read(ctx).Raw(`SELECT DISTINCT project_id FROM issues WHERE deleted_at IS NOT NULL AND deleted_at <= ?`,
		cutoff).Scan(&projects).Error; err != nil {
		return nil, translate(err)
	}
	out := []Event{}
	for _, pid := range projects {
		ev, err := s.change(ctx, systemActor(), pid, roleSystem, func(c *change) (string, any, error) {
			var rows []trashRef
			if err := c.tx.Raw(`SELECT id, number FROM issues WHERE project_id = ? AND deleted_at IS NOT NULL
				AND deleted_at <= ? ORDER BY number`, pid, cutoff).Scan(&rows).Error; err != nil {
				return "", nil, err
			}
			return c.purge(rows)
		})
		if errors.Is(err, errTrashEmpty) || errors.Is(err, ErrNotFound) { // purged by another, or the project went
			continue
		}
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
	return out, nil
}

type trashRef struct {
	ID     string
	Number int64
}

// purge deletes the issues and their comments after taking their text
// out of every event that carries it, in the change's transaction: the
// redaction comes first, while the events are still linked to the issues
// (their DELETE clears the link, the foreign key).
func (c *change) purge(rows []trashRef) (string, any, error) {
	if len(rows) == 0 {
		return "", nil, errTrashEmpty
	}
	ids := make(map[string]bool, len(rows))
	for _, r := range rows {
		ids[r.ID] = true
	}
	if err := c.redactEvents(ids); err != nil {
		return "", nil, err
	}
	out := TrashPurged{Issues: make([]PurgedIssue, 0, len(rows))}
	for _, r := range rows {
		if err := c.tx.Exec(`DELETE FROM comments WHERE issue_id = ? AND project_id = ?`, r.ID, c.project.ID).Error; err != nil {
			return "", nil, err
		}
		if err := c.tx.Exec(`DELETE FROM issues WHERE id = ? AND project_id = ?`, r.ID, c.project.ID).Error; err != nil {
			return "", nil, err
		}
		out.Issues = append(out.Issues, PurgedIssue{ID: r.ID, Key: c.project.Key + "-" + itoa(int(r.Number))})
	}
	return EventTrashPurged, out, nil
}
