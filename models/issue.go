package models

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
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
	CycleID     *string   `json:"cycle_id"`
	Carryover   int       `json:"carryover"` // times it rolled over from a completed cycle
	// CommentCount is kept in the issues row by the comment changes.
	CommentCount int64 `json:"comment_count"`
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
	CycleID     *string
	Carryover   int
	// CommentCount is changed only by the comment changes (comment.go).
	CommentCount int64
}

func (issueRow) TableName() string { return "issues" }

func (r issueRow) view(projectKey string) Issue {
	labels := []string{}
	if r.Labels != "[]" && r.Labels != "" { // most cards have none: no decoder for them
		_ = json.Unmarshal([]byte(r.Labels), &labels)
	}
	return Issue{ID: r.ID, ProjectID: r.ProjectID, Number: r.Number, Key: projectKey + "-" + strconv.FormatInt(r.Number, 10),
		Title: r.Title, Description: r.Description, Status: r.Status, Priority: r.Priority,
		AssigneeID: r.AssigneeID, AuthorID: r.AuthorID, Labels: labels, Effort: r.Effort, DueDate: r.DueDate,
		Rank: r.Rank, Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		CycleID: r.CycleID, Carryover: r.Carryover, CommentCount: r.CommentCount}
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
	CycleID     *string  `json:"cycle_id"`
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
	CycleID     Optional[string] `json:"cycle_id"`
	Version     int64            `json:"version"`
}

// MoveInput places an issue in column Status directly below AfterID and/or
// above BeforeID; with neither, at the bottom of the column.
type MoveInput struct {
	Status   string  `json:"status"`
	AfterID  *string `json:"after_id"`
	BeforeID *string `json:"before_id"`
	// Version, when given, must be the issue's current version or nothing
	// moves (a StaleError): an undo moves the card back only if nobody
	// changed it since, checked in the move's transaction.
	Version *int64 `json:"version"`
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
	if in.CycleID != nil && *in.CycleID == "" {
		in.CycleID = nil
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
	if p.CycleID.Set && p.CycleID.Value != nil && *p.CycleID.Value == "" {
		p.CycleID.Value = nil
	}
	return v.Err()
}
