package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/google/uuid"
)

// sqlIssueRow reads the issue a change edits, moves or deletes: a hot
// statement (change.go).
const sqlIssueRow = `SELECT id, project_id, number, title, description, status, priority, assignee_id, author_id,
		labels, effort, due_date, rank, version, created_at, updated_at, cycle_id, carryover, comment_count
		FROM issues WHERE id = ? AND project_id = ? AND deleted_at IS NULL`

// CreateIssue adds an issue at the bottom of its column (editor).
func (s *Store) CreateIssue(ctx context.Context, actor User, projectID string, in IssueInput) (Issue, Event, error) {
	if err := in.validate(); err != nil {
		return Issue{}, Event{}, err
	}
	var out Issue
	ev, err := s.change(ctx, actor, projectID, RoleEditor, func(c *change) (string, any, error) {
		if in.Status == "" {
			cols, err := c.columns()
			if err != nil {
				return "", nil, err
			}
			if len(cols) == 0 {
				return "", nil, invalid("status", "the board has no columns")
			}
			in.Status = cols[0].Key
		}
		if err := c.checkAssignee(in.AssigneeID); err != nil {
			return "", nil, err
		}
		if err := c.checkEffort(in.Effort); err != nil {
			return "", nil, err
		}
		if err := c.checkCycle(in.CycleID); err != nil {
			return "", nil, err
		}
		rank, err := c.place("", in.Status, nil, nil)
		if err != nil {
			return "", nil, err
		}
		var number int64
		if err := c.tx.Raw("UPDATE projects SET issue_counter = issue_counter + 1 WHERE id = ? RETURNING issue_counter",
			projectID).Scan(&number).Error; err != nil {
			return "", nil, err
		}
		labels, _ := json.Marshal(in.Labels)
		now := c.s.now()
		author := actor.ID
		row := issueRow{ID: uuid.NewString(), ProjectID: projectID, Number: number, Title: strings.TrimSpace(in.Title),
			Description: in.Description, Status: in.Status, Priority: in.Priority, AssigneeID: in.AssigneeID,
			AuthorID: &author, Labels: string(labels), Effort: in.Effort, DueDate: in.DueDate, Rank: rank,
			Version: 1, CreatedAt: now, UpdatedAt: now, CycleID: in.CycleID}
		if err := c.tx.Create(&row).Error; err != nil {
			return "", nil, err
		}
		over, err := c.checkLoad(issueRow{}, row)
		if err != nil {
			return "", nil, err
		}
		if err := c.notifyIssue(row, NotifyFacts{Created: true, NewAssignee: deref(row.AssigneeID), OverCapacity: over},
			"", row.Description, nil); err != nil {
			return "", nil, err
		}
		out = row.view(c.project.Key)
		return EventIssueCreated, out, nil
	})
	return out, ev, err
}

// UpdateIssue applies a patch if p.Version is the issue's version (editor);
// otherwise it fails with a *StaleError holding the issue as it is now. A
// change of status puts the issue at the bottom of its new column.
func (s *Store) UpdateIssue(ctx context.Context, actor User, projectID, issueID string, p IssuePatch) (Issue, Event, error) {
	if err := p.validate(); err != nil {
		return Issue{}, Event{}, err
	}
	var out Issue
	ev, err := s.change(ctx, actor, projectID, RoleEditor, func(c *change) (string, any, error) {
		row, err := c.issueRow(issueID)
		if err != nil {
			return "", nil, err
		}
		if row.Version != p.Version {
			return "", nil, &StaleError{Current: row.view(c.project.Key)}
		}
		before := row
		if p.Title != nil {
			row.Title = strings.TrimSpace(*p.Title)
		}
		if p.Description != nil {
			row.Description = *p.Description
		}
		if p.Priority != nil {
			row.Priority = *p.Priority
		}
		if p.Labels != nil {
			b, _ := json.Marshal(*p.Labels)
			row.Labels = string(b)
		}
		if p.Effort.Set && !sameInt(p.Effort.Value, row.Effort) {
			if err := c.checkEffort(p.Effort.Value); err != nil {
				return "", nil, err
			}
			row.Effort = p.Effort.Value
		}
		if p.CycleID.Set && deref(p.CycleID.Value) != deref(row.CycleID) {
			if err := c.checkCycle(p.CycleID.Value); err != nil {
				return "", nil, err
			}
			row.CycleID = p.CycleID.Value
		}
		if p.DueDate.Set {
			row.DueDate = p.DueDate.Value
		}
		if p.AssigneeID.Set {
			if err := c.checkAssignee(p.AssigneeID.Value); err != nil {
				return "", nil, err
			}
			row.AssigneeID = p.AssigneeID.Value
		}
		if p.Status != nil && *p.Status != row.Status {
			rank, err := c.place(row.ID, *p.Status, nil, nil)
			if err != nil {
				return "", nil, err
			}
			row.Status, row.Rank = *p.Status, rank
		}
		if err := c.saveIssue(&row); err != nil {
			return "", nil, err
		}
		over, err := c.checkLoad(before, row)
		if err != nil {
			return "", nil, err
		}
		if err := c.notifyIssue(row, NotifyFacts{OldAssignee: deref(before.AssigneeID), NewAssignee: deref(row.AssigneeID),
			StatusMoved: before.Status != row.Status, OverCapacity: over}, before.Description, row.Description, nil); err != nil {
			return "", nil, err
		}
		out = row.view(c.project.Key)
		return EventIssueUpdated, out, nil
	})
	return out, ev, err
}

// DeleteIssue moves an issue to the trash (editor): it is gone from every
// read of live issues until restored or purged (trash.go). The event
// carries it as it was.
func (s *Store) DeleteIssue(ctx context.Context, actor User, projectID, issueID string) (Event, error) {
	return s.change(ctx, actor, projectID, RoleEditor, func(c *change) (string, any, error) {
		row, err := c.issueRow(issueID)
		if err != nil {
			return "", nil, err
		}
		if err := c.tx.Exec(`UPDATE issues SET deleted_at = ?, deleted_by = ? WHERE id = ?`,
			c.s.now(), actor.ID, row.ID).Error; err != nil {
			return "", nil, err
		}
		return EventIssueDeleted, row.view(c.project.Key), nil
	})
}

func (c *change) issueRow(issueID string) (issueRow, error) {
	var r issueRow
	if _, err := uuid.Parse(issueID); err != nil {
		return r, ErrNotFound
	}
	return scanIssueRow(c.w.queryRow(sqlIssueRow, issueID, c.project.ID))
}

// scanIssueRow reads one row of sqlIssueRow's columns; none is ErrNotFound.
func scanIssueRow(row *sql.Row) (issueRow, error) {
	var r issueRow
	err := row.Scan(&r.ID, &r.ProjectID, &r.Number, &r.Title,
		&r.Description, &r.Status, &r.Priority, &r.AssigneeID, &r.AuthorID, &r.Labels, &r.Effort, &r.DueDate,
		&r.Rank, &r.Version, &r.CreatedAt, &r.UpdatedAt, &r.CycleID, &r.Carryover, &r.CommentCount)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

func (c *change) saveIssue(row *issueRow) error {
	row.Version++
	row.UpdatedAt = c.s.now()
	return c.tx.Model(&issueRow{}).Where("id = ?", row.ID).Updates(map[string]any{
		"title": row.Title, "description": row.Description, "status": row.Status, "priority": row.Priority,
		"assignee_id": row.AssigneeID, "labels": row.Labels, "effort": row.Effort, "due_date": row.DueDate,
		"rank": row.Rank, "version": row.Version, "updated_at": row.UpdatedAt, "cycle_id": row.CycleID,
		"carryover": row.Carryover,
	}).Error
}

func (c *change) checkAssignee(id *string) error {
	if id == nil {
		return nil
	}
	if _, err := uuid.Parse(*id); err != nil {
		return invalid("assignee_id", "must be a member of the project")
	}
	if _, err := memberRole(c.tx, c.project.ID, *id); err != nil {
		if err == ErrNotFound {
			return invalid("assignee_id", "must be a member of the project")
		}
		return err
	}
	return nil
}
