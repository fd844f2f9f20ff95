package models

import (
	"context"
	"regexp"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Column is one lane of the board; issues name it by Key in their status.
type Column struct {
	Key      string `json:"key"`
	Name     string `json:"name"`
	WIPLimit *int   `json:"wip_limit"`
	Category string `json:"category"` // todo | started | done: "completed" means in a done column
}

// Column categories.
const (
	CategoryTodo    = "todo"
	CategoryStarted = "started"
	CategoryDone    = "done"
)

func validCategory(c string) bool {
	return c == CategoryTodo || c == CategoryStarted || c == CategoryDone
}

func validateCategory(v *ValidationError, c string) {
	if !validCategory(c) {
		v.Add("category", "must be todo, started or done")
	}
}

type columnRow struct {
	ID        string
	ProjectID string
	Key       string
	Name      string
	Position  int
	WIPLimit  *int `gorm:"column:wip_limit"`
	Category  string
}

func (columnRow) TableName() string { return "board_columns" }

func (r columnRow) view() Column {
	return Column{Key: r.Key, Name: r.Name, WIPLimit: r.WIPLimit, Category: r.Category}
}

func columnViews(rows []columnRow) []Column {
	out := make([]Column, len(rows))
	for i, r := range rows {
		out[i] = r.view()
	}
	return out
}

// ColumnInput adds a column. Key may be empty: it is then derived from the
// name; Category empty is todo.
type ColumnInput struct {
	Key      string `json:"key"`
	Name     string `json:"name"`
	WIPLimit *int   `json:"wip_limit"`
	Category string `json:"category"`
}

// ColumnPatch changes a column's name, WIP limit or category (a column's
// key is its identity and does not change).
type ColumnPatch struct {
	Name     *string       `json:"name"`
	WIPLimit Optional[int] `json:"wip_limit"`
	Category *string       `json:"category"`
}

// ColumnChange is the payload of column.* events: the column concerned and
// the board's columns after the change, in order.
type ColumnChange struct {
	Column  Column   `json:"column"`
	Columns []Column `json:"columns"`
}

var columnKeyPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,29}$`)

const maxColumns = 20

// ColumnKeyFrom derives a column key from a name ("In review" ->
// "in_review"; "" when the name has no letter to start one).
func ColumnKeyFrom(name string) string { return columnKeyFrom(name) }

func columnKeyFrom(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9' && b.Len() > 0:
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	k := strings.TrimRight(b.String(), "_")
	if len(k) > 30 {
		k = k[:30]
	}
	return k
}

func validateWIP(v *ValidationError, w *int) {
	if w != nil && (*w < 1 || *w > 1000) {
		v.Add("wip_limit", "must be between 1 and 1000, or null for no limit")
	}
}

// columnsOf loads the ordered columns of several projects.
func (s *Store) columnsOf(db *gorm.DB, projectIDs ...string) (map[string][]Column, error) {
	out := map[string][]Column{}
	if len(projectIDs) == 0 {
		return out, nil
	}
	var rows []columnRow
	if err := db.Where("project_id IN ?", projectIDs).Order("project_id, position").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	for _, r := range rows {
		out[r.ProjectID] = append(out[r.ProjectID], r.view())
	}
	return out, nil
}

func (c *change) columns() ([]columnRow, error) {
	var rows []columnRow
	err := c.tx.Where("project_id = ?", c.project.ID).Order("position").Find(&rows).Error
	return rows, err
}

func (c *change) columnChange(key string) (ColumnChange, error) {
	rows, err := c.columns()
	if err != nil {
		return ColumnChange{}, err
	}
	out := ColumnChange{Columns: columnViews(rows)}
	for _, r := range rows {
		if r.Key == key {
			out.Column = r.view()
		}
	}
	return out, nil
}

// AddColumn appends a column to the board (owner).
func (s *Store) AddColumn(ctx context.Context, actor User, projectID string, in ColumnInput) (ColumnChange, Event, error) {
	v := &ValidationError{}
	validateName(v, "name", in.Name, 50)
	if in.Key == "" {
		in.Key = columnKeyFrom(in.Name)
	}
	if !columnKeyPattern.MatchString(in.Key) {
		v.Add("key", "must be lower-case letters, digits or _, starting with a letter (at most 30)")
	}
	validateWIP(v, in.WIPLimit)
	if in.Category == "" {
		in.Category = CategoryTodo
	}
	validateCategory(v, in.Category)
	if err := v.Err(); err != nil {
		return ColumnChange{}, Event{}, err
	}
	var out ColumnChange
	ev, err := s.change(ctx, actor, projectID, RoleOwner, func(c *change) (string, any, error) {
		rows, err := c.columns()
		if err != nil {
			return "", nil, err
		}
		if len(rows) >= maxColumns {
			return "", nil, invalid("key", "a board has at most 20 columns")
		}
		for _, r := range rows {
			if r.Key == in.Key {
				return "", nil, invalid("key", "a column with this key exists")
			}
		}
		row := columnRow{ID: uuid.NewString(), ProjectID: projectID, Key: in.Key,
			Name: strings.TrimSpace(in.Name), Position: len(rows), WIPLimit: in.WIPLimit, Category: in.Category}
		if len(rows) > 0 {
			row.Position = rows[len(rows)-1].Position + 1
		}
		if err := c.tx.Create(&row).Error; err != nil {
			return "", nil, err
		}
		out, err = c.columnChange(in.Key)
		return EventColumnCreated, out, err
	})
	return out, ev, err
}

// UpdateColumn renames a column or sets its WIP limit (owner).
func (s *Store) UpdateColumn(ctx context.Context, actor User, projectID, key string, p ColumnPatch) (ColumnChange, Event, error) {
	v := &ValidationError{}
	if p.Name != nil {
		validateName(v, "name", *p.Name, 50)
	}
	if p.WIPLimit.Set {
		validateWIP(v, p.WIPLimit.Value)
	}
	if p.Category != nil {
		validateCategory(v, *p.Category)
	}
	if err := v.Err(); err != nil {
		return ColumnChange{}, Event{}, err
	}
	if !columnKeyPattern.MatchString(key) {
		return ColumnChange{}, Event{}, ErrNotFound
	}
	var out ColumnChange
	ev, err := s.change(ctx, actor, projectID, RoleOwner, func(c *change) (string, any, error) {
		updates := map[string]any{}
		if p.Name != nil {
			updates["name"] = strings.TrimSpace(*p.Name)
		}
		if p.WIPLimit.Set {
			updates["wip_limit"] = p.WIPLimit.Value
		}
		if p.Category != nil {
			updates["category"] = *p.Category
		}
		q := c.tx.Model(&columnRow{}).Where("project_id = ? AND key = ?", projectID, key)
		var n int64
		if err := q.Count(&n).Error; err != nil {
			return "", nil, err
		}
		if n == 0 {
			return "", nil, ErrNotFound
		}
		if len(updates) > 0 {
			if err := c.tx.Model(&columnRow{}).Where("project_id = ? AND key = ?", projectID, key).Updates(updates).Error; err != nil {
				return "", nil, err
			}
		}
		var err error
		out, err = c.columnChange(key)
		return EventColumnUpdated, out, err
	})
	return out, ev, err
}

// DeleteColumn removes an empty column (owner); the last column stays.
func (s *Store) DeleteColumn(ctx context.Context, actor User, projectID, key string) (ColumnChange, Event, error) {
	var out ColumnChange
	ev, err := s.change(ctx, actor, projectID, RoleOwner, func(c *change) (string, any, error) {
		rows, err := c.columns()
		if err != nil {
			return "", nil, err
		}
		var found *columnRow
		for i := range rows {
			if rows[i].Key == key {
				found = &rows[i]
			}
		}
		if found == nil {
			return "", nil, ErrNotFound
		}
		if len(rows) == 1 {
			return "", nil, invalid("key", "a board needs at least one column")
		}
		var n int64
		if err := c.tx.Model(&issueRow{}).Where("project_id = ? AND status = ? AND deleted_at IS NULL", projectID, key).Count(&n).Error; err != nil {
			return "", nil, err
		}
		if n > 0 {
			return "", nil, invalid("key", "move or delete the "+itoa(int(n))+" issues in this column first")
		}
		if err := c.rehomeTrashed(key, rows); err != nil {
			return "", nil, err
		}
		if err := c.tx.Delete(&columnRow{}, "id = ?", found.ID).Error; err != nil {
			return "", nil, err
		}
		out, err = c.columnChange(key)
		out.Column = found.view()
		return EventColumnDeleted, out, err
	})
	return out, ev, err
}

// ReorderColumns sets the order of the board's columns (owner); keys must
// name every column exactly once.
func (s *Store) ReorderColumns(ctx context.Context, actor User, projectID string, keys []string) (ColumnChange, Event, error) {
	var out ColumnChange
	ev, err := s.change(ctx, actor, projectID, RoleOwner, func(c *change) (string, any, error) {
		rows, err := c.columns()
		if err != nil {
			return "", nil, err
		}
		pos := map[string]int{}
		for i, k := range keys {
			if _, dup := pos[k]; dup {
				return "", nil, invalid("keys", "names "+k+" twice")
			}
			pos[k] = i
		}
		if len(keys) != len(rows) {
			return "", nil, invalid("keys", "must name every column of the board exactly once")
		}
		for _, r := range rows {
			if _, ok := pos[r.Key]; !ok {
				return "", nil, invalid("keys", "must name every column of the board exactly once")
			}
		}
		for _, r := range rows {
			if err := c.tx.Model(&columnRow{}).Where("id = ?", r.ID).Update("position", pos[r.Key]).Error; err != nil {
				return "", nil, err
			}
		}
		out, err = c.columnChange(keys[0])
		return EventColumnsReordered, out, err
	})
	return out, ev, err
}
