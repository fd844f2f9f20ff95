package models

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Comment is one message on an issue, in the shape the API, the pages and
// events use. Body is the author's Markdown, unrendered.
type Comment struct {
	ID        string        `json:"id"`
	IssueID   string        `json:"issue_id"`
	Author    CommentAuthor `json:"author"`
	Body      string        `json:"body"`
	Version   int64         `json:"version"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// CommentAuthor is who wrote a comment, as it is shown beside it.
type CommentAuthor struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Handle string `json:"handle"`
}

// DeletedComment is the data of a comment.deleted event.
type DeletedComment struct {
	ID      string `json:"id"`
	IssueID string `json:"issue_id"`
}

// CommentPatch edits a comment whose version is Version.
type CommentPatch struct {
	Body    string `json:"body"`
	Version int64  `json:"version"`
}

// CommentPage is one page of an issue's comments, oldest first; NextCursor
// is empty on the last page.
type CommentPage struct {
	Items      []Comment
	NextCursor string
}

// CommentStaleError answers an edit whose version is not the comment's:
// Current is the comment as it is now.
type CommentStaleError struct {
	Current Comment
}

func (e *CommentStaleError) Error() string {
	return fmt.Sprintf("stale version: comment is at version %d", e.Current.Version)
}

type commentRow struct {
	ID        string
	ProjectID string
	IssueID   string
	AuthorID  string
	Body      string
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (commentRow) TableName() string { return "comments" }

const maxCommentBody = 20000

// validateCommentBody: 1 to 20,000 characters of text with something in
// them besides spaces; tabs and line breaks are the only control
// characters (Markdown needs them, a terminal escape has no business here).
func validateCommentBody(v *ValidationError, body string) {
	switch n := utf8.RuneCountInString(body); {
	case !validText(body) || strings.ContainsFunc(body, func(r rune) bool {
		return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f
	}):
		v.Add("body", "must be text without control characters")
	case strings.TrimSpace(body) == "":
		v.Add("body", "is required")
	case n > maxCommentBody:
		v.Add("body", "must be at most 20000 characters")
	}
}

// liveIssueOnly keeps the comments of an issue in the trash out of a
// commentSelect: they are as gone as the issue until it is restored.
const liveIssueOnly = `AND EXISTS (SELECT 1 FROM issues WHERE issues.id = comments.issue_id AND issues.deleted_at IS NULL)`

// commentSelect reads comments with their author's name and handle.
func commentSelect() string {
	return `SELECT comments.id, comments.issue_id, comments.author_id, users.display_name, users.handle,
		comments.body, comments.version, comments.created_at, comments.updated_at
		FROM comments JOIN users ON users.id = comments.author_id`
}

// scanComments reads commentSelect's rows.
func scanComments(db *gorm.DB, where string, args ...any) ([]Comment, error) {
	rows, err := db.Raw(commentSelect()+" "+where, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Comment{}
	for rows.Next() {
		var c Comment
		if err := rows.Scan(&c.ID, &c.IssueID, &c.Author.ID, &c.Author.Name, &c.Author.Handle, &c.Body, &c.Version,
			&c.CreatedAt, &c.UpdatedAt); err != nil {
			return nil, err
		}
		c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

// ListComments lists an issue's comments oldest first, limit (1..200,
// default 50) at a time, for a member of the project.
func (s *Store) ListComments(ctx context.Context, userID, projectID, issueID, cursor string, limit int) (CommentPage, error) {
	db := s.read(ctx)
	if _, err := memberRole(db, projectID, userID); err != nil {
		return CommentPage{}, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	if _, err := s.issue(db, projectID, issueID); err != nil {
		return CommentPage{}, err
	}
	where := "WHERE comments.issue_id = ?"
	args := []any{issueID}
	if cursor != "" {
		at, id, err := decodeCommentCursor(cursor)
		if err != nil {
			return CommentPage{}, invalid("cursor", "is not a cursor this API gave out")
		}
		where += " AND (comments.created_at > ? OR (comments.created_at = ? AND comments.id > ?))"
		args = append(args, at, at, id)
	}
	where += fmt.Sprintf(" ORDER BY comments.created_at, comments.id LIMIT %d", limit+1)
	items, err := scanComments(db, where, args...)
	if err != nil {
		return CommentPage{}, translate(err)
	}
	page := CommentPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		last := page.Items[limit-1]
		page.NextCursor = encodeCommentCursor(last.CreatedAt, last.ID)
	}
	return page, nil
}

// A comment cursor is the last comment's creation time and id: the next
// page starts after that pair, whatever was deleted meanwhile. The trash's
// is the same with the deletion time (kind "t").
func encodeCommentCursor(at time.Time, id string) string { return encodeTimeCursor("c", at, id) }

func decodeCommentCursor(c string) (time.Time, string, error) { return decodeTimeCursor("c", c) }

func encodeTimeCursor(kind string, at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + at.UTC().Format(time.RFC3339Nano) + "|" + id))
}

func decodeTimeCursor(kind, c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), kind+":") {
		return time.Time{}, "", ErrNotFound
	}
	at, id, ok := strings.Cut(string(b[len(kind)+1:]), "|")
	t, err := time.Parse(time.RFC3339Nano, at)
	if !ok || err != nil || uuid.Validate(id) != nil {
		return time.Time{}, "", ErrNotFound
	}
	return t.UTC(), id, nil
}

// CreateComment adds a comment to an issue (editor) and counts it on the
// issue, in one change with its comment.created event.
func (s *Store) CreateComment(ctx context.Context, actor User, projectID, issueID, body string) (Comment, Event, error) {
	v := &ValidationError{}
	validateCommentBody(v, body)
	if err := v.Err(); err != nil {
		return Comment{}, Event{}, err
	}
	var out Comment
	ev, err := s.change(ctx, actor, projectID, RoleEditor, func(c *change) (string, any, error) {
		issue, err := c.issueRow(issueID)
		if err != nil {
			return "", nil, err
		}
		now := c.s.now()
		row := commentRow{ID: uuid.Must(uuid.NewV7()).String(), ProjectID: projectID, IssueID: issueID, AuthorID: actor.ID,
			Body: body, Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := c.tx.Create(&row).Error; err != nil {
			return "", nil, err
		}
		if err := c.countComments(issueID, +1); err != nil {
			return "", nil, err
		}
		a := deref(issue.AssigneeID)
		if err := c.notifyIssue(issue, NotifyFacts{Commented: true, OldAssignee: a, NewAssignee: a}, "", body, &row.ID); err != nil {
			return "", nil, err
		}
		out, err = c.comment(issueID, row.ID)
		return EventCommentCreated, out, err
	})
	return out, ev, err
}

// UpdateComment replaces a comment's body if p.Version is its version. Only
// its author may, and only while they may edit the project (editor).
func (s *Store) UpdateComment(ctx context.Context, actor User, projectID, issueID, commentID string, p CommentPatch) (Comment, Event, error) {
	v := &ValidationError{}
	if p.Version < 1 {
		v.Add("version", "is required: send the version you edited")
	}
	validateCommentBody(v, p.Body)
	if err := v.Err(); err != nil {
		return Comment{}, Event{}, err
	}
	var out Comment
	ev, err := s.change(ctx, actor, projectID, RoleViewer, func(c *change) (string, any, error) {
		cur, err := c.comment(issueID, commentID)
		if err != nil {
			return "", nil, err
		}
		if cur.Author.ID != actor.ID || !c.role.AtLeast(RoleEditor) {
			return "", nil, ErrForbidden
		}
		if cur.Version != p.Version {
			return "", nil, &CommentStaleError{Current: cur}
		}
		if err := c.tx.Model(&commentRow{}).Where("id = ?", cur.ID).Updates(map[string]any{
			"body": p.Body, "version": cur.Version + 1, "updated_at": c.s.now()}).Error; err != nil {
			return "", nil, err
		}
		issue, err := c.issueRow(issueID)
		if err != nil {
			return "", nil, err
		}
		a := deref(issue.AssigneeID)
		if err := c.notifyIssue(issue, NotifyFacts{OldAssignee: a, NewAssignee: a}, cur.Body, p.Body, &cur.ID); err != nil {
			return "", nil, err
		}
		out, err = c.comment(issueID, commentID)
		return EventCommentUpdated, out, err
	})
	return out, ev, err
}

// DeleteComment removes a comment: its author (while an editor) or an
// owner may. The event carries {id, issue_id}.
func (s *Store) DeleteComment(ctx context.Context, actor User, projectID, issueID, commentID string) (Event, error) {
	return s.change(ctx, actor, projectID, RoleViewer, func(c *change) (string, any, error) {
		cur, err := c.comment(issueID, commentID)
		if err != nil {
			return "", nil, err
		}
		mine := cur.Author.ID == actor.ID && c.role.AtLeast(RoleEditor)
		if !mine && c.role != RoleOwner {
			return "", nil, ErrForbidden
		}
		if err := c.tx.Delete(&commentRow{}, "id = ?", cur.ID).Error; err != nil {
			return "", nil, err
		}
		if err := c.countComments(issueID, -1); err != nil {
			return "", nil, err
		}
		return EventCommentDeleted, DeletedComment{ID: cur.ID, IssueID: cur.IssueID}, nil
	})
}

// comment reads one comment of an issue of the change's project.
func (c *change) comment(issueID, commentID string) (Comment, error) {
	if uuid.Validate(issueID) != nil || uuid.Validate(commentID) != nil {
		return Comment{}, ErrNotFound
	}
	items, err := scanComments(c.tx, "WHERE comments.id = ? AND comments.issue_id = ? AND comments.project_id = ? "+
		liveIssueOnly, commentID, issueID, c.project.ID)
	if err != nil {
		return Comment{}, err
	}
	if len(items) == 0 {
		return Comment{}, ErrNotFound
	}
	return items[0], nil
}

// countComments keeps issues.comment_count in step with the comments, in
// the same change.
func (c *change) countComments(issueID string, delta int) error {
	return c.tx.Exec("UPDATE issues SET comment_count = comment_count + ? WHERE id = ? AND project_id = ?",
		delta, issueID, c.project.ID).Error
}

// GetComment reads one comment of an issue, for a member of the project
// (the card panel and the issue page fetch it rendered when an event says
// it changed).
func (s *Store) GetComment(ctx context.Context, userID, projectID, issueID, commentID string) (Comment, error) {
	db := s.read(ctx)
	if _, err := memberRole(db, projectID, userID); err != nil {
		return Comment{}, err
	}
	if uuid.Validate(issueID) != nil || uuid.Validate(commentID) != nil {
		return Comment{}, ErrNotFound
	}
	items, err := scanComments(db, "WHERE comments.id = ? AND comments.issue_id = ? AND comments.project_id = ? "+
		liveIssueOnly, commentID, issueID, projectID)
	if err != nil {
		return Comment{}, translate(err)
	}
	if len(items) == 0 {
		return Comment{}, ErrNotFound
	}
	return items[0], nil
}
