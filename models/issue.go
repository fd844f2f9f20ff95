package models

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Issue is a card, in the shape the API, the pages and events use.
type Issue struct {
	ID          string    `json:"id"`
	ProjectID   string    `json:"project_id"`
	Number      int64     `json:"number"`
	Key         string    `json:"key"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Status      string    `json:"status"`
	Priority    string    `json:"priority"`
	AssigneeID  *string   `json:"assignee_id"`
	AuthorID    *string   `json:"author_id"`
	Labels      []string  `json:"labels"`
	Effort      *int      `json:"effort"`
	DueDate     *string   `json:"due_date"`
	Rank        string    `json:"rank"`
	Version     int64     `json:"version"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

type issueRow struct {
	ID          string
	ProjectID   string
	Number      int64
	Title       string
	Description string
	Status      string
	Priority    string
	AssigneeID  *string
	AuthorID    *string
	Labels      string
	Effort      *int
	DueDate     *string
	Rank        string
	Version     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (issueRow) TableName() string { return "issues" }

func (r issueRow) view(projectKey string) Issue {
	labels := []string{}
	_ = json.Unmarshal([]byte(r.Labels), &labels)
	return Issue{ID: r.ID, ProjectID: r.ProjectID, Number: r.Number, Key: projectKey + "-" + strconv.FormatInt(r.Number, 10),
		Title: r.Title, Description: r.Description, Status: r.Status, Priority: r.Priority,
		AssigneeID: r.AssigneeID, AuthorID: r.AuthorID, Labels: labels, Effort: r.Effort, DueDate: r.DueDate,
		Rank: r.Rank, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// Priorities, lowest first.
var Priorities = []string{"low", "medium", "high", "urgent"}

// IssueInput creates an issue. Empty Status means the first column; empty
// Priority means medium.
type IssueInput struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Status      string   `json:"status"`
	Priority    string   `json:"priority"`
	AssigneeID  *string  `json:"assignee_id"`
	Labels      []string `json:"labels"`
	Effort      *int     `json:"effort"`
	DueDate     *string  `json:"due_date"`
}

// IssuePatch changes an issue whose version is Version; absent fields stay.
type IssuePatch struct {
	Title       *string          `json:"title"`
	Description *string          `json:"description"`
	Status      *string          `json:"status"`
	Priority    *string          `json:"priority"`
	AssigneeID  Optional[string] `json:"assignee_id"`
	Labels      *[]string        `json:"labels"`
	Effort      Optional[int]    `json:"effort"`
	DueDate     Optional[string] `json:"due_date"`
	Version     int64            `json:"version"`
}

// MoveInput places an issue in column Status directly below AfterID and/or
// above BeforeID; with neither, at the bottom of the column.
type MoveInput struct {
	Status   string  `json:"status"`
	AfterID  *string `json:"after_id"`
	BeforeID *string `json:"before_id"`
}

// IssueFilter narrows a list. AssigneeID "none" means unassigned.
type IssueFilter struct {
	Status     string
	AssigneeID string
	Query      string
	Cursor     string
	Limit      int
}

// IssuePage is one page of a list; NextCursor is empty on the last page.
type IssuePage struct {
	Items      []Issue
	NextCursor string
}

const (
	maxTitle       = 200
	maxIssueText   = 20000
	maxLabels      = 20
	maxLabelLength = 40
	maxEffort      = 1000
)

func validPriority(p string) bool {
	for _, q := range Priorities {
		if p == q {
			return true
		}
	}
	return false
}

func validateTitle(v *ValidationError, t string) {
	validateName(v, "title", t, maxTitle)
}

func validateDescription(v *ValidationError, d string) {
	if utf8.RuneCountInString(d) > maxIssueText || !validText(d) {
		v.Add("description", "must be at most 20000 characters of text")
	}
}

func cleanLabels(v *ValidationError, labels []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, l := range labels {
		l = strings.TrimSpace(l)
		n := utf8.RuneCountInString(l)
		if n == 0 || n > maxLabelLength || !validText(l) {
			v.Add("labels", "each label must be 1 to 40 characters")
			return nil
		}
		if !seen[strings.ToLower(l)] {
			seen[strings.ToLower(l)] = true
			out = append(out, l)
		}
	}
	if len(out) > maxLabels {
		v.Add("labels", "at most 20 labels")
	}
	return out
}

func validateEffort(v *ValidationError, e *int) {
	if e != nil && (*e < 0 || *e > maxEffort) {
		v.Add("effort", "must be between 0 and 1000")
	}
}

func validateDueDate(v *ValidationError, d *string) {
	if d == nil {
		return
	}
	if _, err := time.Parse("2006-01-02", *d); err != nil || len(*d) != 10 {
		v.Add("due_date", "must be a date like 2026-12-31")
	}
}

func (in *IssueInput) validate() error {
	v := &ValidationError{}
	validateTitle(v, in.Title)
	validateDescription(v, in.Description)
	if in.Priority == "" {
		in.Priority = "medium"
	}
	if !validPriority(in.Priority) {
		v.Add("priority", "must be one of low, medium, high, urgent")
	}
	in.Labels = cleanLabels(v, in.Labels)
	validateEffort(v, in.Effort)
	validateDueDate(v, in.DueDate)
	if in.AssigneeID != nil && *in.AssigneeID == "" {
		in.AssigneeID = nil
	}
	return v.Err()
}

func (p *IssuePatch) validate() error {
	v := &ValidationError{}
	if p.Version < 1 {
		v.Add("version", "is required: send the version you edited")
	}
	if p.Title != nil {
		validateTitle(v, *p.Title)
	}
	if p.Description != nil {
		validateDescription(v, *p.Description)
	}
	if p.Priority != nil && !validPriority(*p.Priority) {
		v.Add("priority", "must be one of low, medium, high, urgent")
	}
	if p.Labels != nil {
		l := cleanLabels(v, *p.Labels)
		p.Labels = &l
	}
	if p.Effort.Set {
		validateEffort(v, p.Effort.Value)
	}
	if p.DueDate.Set {
		validateDueDate(v, p.DueDate.Value)
	}
	if p.AssigneeID.Set && p.AssigneeID.Value != nil && *p.AssigneeID.Value == "" {
		p.AssigneeID.Value = nil
	}
	return v.Err()
}

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
		Where("issues.id = ? AND issues.project_id = ?", issueID, projectID).Take(&row).Error
	if err != nil {
		return Issue{}, translate(err)
	}
	return row.I.view(row.ProjectKey), nil
}

// Board loads a project and all its issues, in board order (rank, then id).
func (s *Store) Board(ctx context.Context, userID, projectID string) (Project, []Issue, error) {
	p, err := s.GetProject(ctx, userID, projectID)
	if err != nil {
		return Project{}, nil, err
	}
	// Scanned by hand: GORM's reflection was a third of a 1,000-card load.
	rows, err := s.read(ctx).Raw(`SELECT id, project_id, number, title, description, status, priority, assignee_id,
		author_id, labels, effort, due_date, rank, version, created_at, updated_at
		FROM issues WHERE project_id = ? ORDER BY rank, id`, projectID).Rows()
	if err != nil {
		return Project{}, nil, translate(err)
	}
	defer rows.Close()
	out := []Issue{}
	for rows.Next() {
		var r issueRow
		if err := rows.Scan(&r.ID, &r.ProjectID, &r.Number, &r.Title, &r.Description, &r.Status, &r.Priority,
			&r.AssigneeID, &r.AuthorID, &r.Labels, &r.Effort, &r.DueDate, &r.Rank, &r.Version, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return Project{}, nil, translate(err)
		}
		out = append(out, r.view(p.Key))
	}
	return p, out, translate(rows.Err())
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
	q := db.Where("project_id = ?", projectID)
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
			Version: 1, CreatedAt: now, UpdatedAt: now}
		if err := c.tx.Create(&row).Error; err != nil {
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
		if p.Effort.Set {
			row.Effort = p.Effort.Value
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
		out = row.view(c.project.Key)
		return EventIssueUpdated, out, nil
	})
	return out, ev, err
}

// MoveIssue places an issue in a column between neighbours (editor). It
// writes exactly one issue row: only the moved issue's rank changes.
func (s *Store) MoveIssue(ctx context.Context, actor User, projectID, issueID string, m MoveInput) (Issue, Event, error) {
	if m.Status == "" {
		return Issue{}, Event{}, invalid("status", "is required")
	}
	var out Issue
	ev, err := s.change(ctx, actor, projectID, RoleEditor, func(c *change) (string, any, error) {
		row, err := c.issueRow(issueID)
		if err != nil {
			return "", nil, err
		}
		rank, err := c.place(row.ID, m.Status, m.AfterID, m.BeforeID)
		if err != nil {
			return "", nil, err
		}
		row.Status, row.Rank, row.Version, row.UpdatedAt = m.Status, rank, row.Version+1, c.s.now()
		if _, err := c.w.exec(sqlMoveIssue, row.Status, row.Rank, row.Version, row.UpdatedAt, row.ID); err != nil {
			return "", nil, err
		}
		out = row.view(c.project.Key)
		return EventIssueMoved, out, nil
	})
	return out, ev, err
}

// DeleteIssue removes an issue (editor); the event carries it as it was.
func (s *Store) DeleteIssue(ctx context.Context, actor User, projectID, issueID string) (Event, error) {
	return s.change(ctx, actor, projectID, RoleEditor, func(c *change) (string, any, error) {
		row, err := c.issueRow(issueID)
		if err != nil {
			return "", nil, err
		}
		if err := c.tx.Delete(&issueRow{}, "id = ?", row.ID).Error; err != nil {
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
	err := c.w.queryRow(sqlIssueRow, issueID, c.project.ID).Scan(&r.ID, &r.ProjectID, &r.Number, &r.Title,
		&r.Description, &r.Status, &r.Priority, &r.AssigneeID, &r.AuthorID, &r.Labels, &r.Effort, &r.DueDate,
		&r.Rank, &r.Version, &r.CreatedAt, &r.UpdatedAt)
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
		"rank": row.Rank, "version": row.Version, "updated_at": row.UpdatedAt,
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
