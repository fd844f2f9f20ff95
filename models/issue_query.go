package models

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// GetIssue loads one issue of a project the user is a member of.
func (s *Store) GetIssue(ctx context.Context, userID, projectID, issueID string) (Issue, error) {
	db := s.read(ctx)
	if _, err := memberRole(db, projectID, userID); err != nil {
		return Issue{}, err
	}
	return s.issue(db, projectID, issueID)
}

func (s *Store) issue(db *gorm.DB, projectID, issueID string) (Issue, error) {
	if _, err := uuid.Parse(issueID); err != nil {
		return Issue{}, ErrNotFound
	}
	var row struct {
		I          issueRow `gorm:"embedded"`
		ProjectKey string
	}
	err := db.Table("issues").Select("issues.*, projects.key AS project_key").
		Joins("JOIN projects ON projects.id = issues.project_id").
		Where("issues.id = ? AND issues.project_id = ? AND issues.deleted_at IS NULL", issueID, projectID).Take(&row).Error
	if err != nil {
		return Issue{}, translate(err)
	}
	return row.I.view(row.ProjectKey), nil
}

// ListIssues lists issues newest first, filtered, a page at a time.
func (s *Store) ListIssues(ctx context.Context, userID, projectID string, f IssueFilter) (IssuePage, error) {
	db := s.read(ctx)
	if _, err := memberRole(db, projectID, userID); err != nil {
		return IssuePage{}, err
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	for field, val := range map[string]string{"status": f.Status, "assignee": f.AssigneeID, "q": f.Query, "cursor": f.Cursor} {
		if !validText(val) || len(val) > 500 {
			return IssuePage{}, invalid(field, "is not valid text")
		}
	}
	var key string
	if err := db.Table("projects").Select("key").Where("id = ?", projectID).Scan(&key).Error; err != nil {
		return IssuePage{}, translate(err)
	}
	q := db.Where("project_id = ? AND deleted_at IS NULL", projectID)
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	switch f.AssigneeID {
	case "":
	case "none":
		q = q.Where("assignee_id IS NULL")
	default:
		q = q.Where("assignee_id = ?", f.AssigneeID)
	}
	if f.Query != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(f.Query)) + "%"
		q = q.Where(`(lower(title) LIKE ? ESCAPE '\' OR lower(description) LIKE ? ESCAPE '\')`, like, like)
	}
	if f.Cursor != "" {
		n, err := decodeCursor(f.Cursor)
		if err != nil {
			return IssuePage{}, invalid("cursor", "is not a cursor this API gave out")
		}
		q = q.Where("number < ?", n)
	}
	var rows []issueRow
	if err := q.Order("number DESC").Limit(f.Limit + 1).Find(&rows).Error; err != nil {
		return IssuePage{}, translate(err)
	}
	page := IssuePage{Items: []Issue{}}
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		page.NextCursor = encodeCursor(rows[len(rows)-1].Number)
	}
	for _, r := range rows {
		page.Items = append(page.Items, r.view(key))
	}
	return page, nil
}

func encodeCursor(n int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("n:" + strconv.FormatInt(n, 10)))
}

func decodeCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), "n:") {
		return 0, ErrNotFound
	}
	return strconv.ParseInt(string(b[2:]), 10, 64)
}
