package models

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Role is a member's power over a project.
type Role string

const (
	RoleViewer Role = "viewer"
	RoleEditor Role = "editor"
	RoleOwner  Role = "owner"
)

var roleLevel = map[Role]int{RoleViewer: 1, RoleEditor: 2, RoleOwner: 3}

// Valid reports whether r is one of the three roles.
func (r Role) Valid() bool { return roleLevel[r] > 0 }

// AtLeast reports whether r includes the powers of need.
func (r Role) AtLeast(need Role) bool { return roleLevel[r] >= roleLevel[need] }

// Project is a board as its members see it. Role is the caller's role
// (empty in events, which every member receives).
type Project struct {
	ID          string    `json:"id"`
	Key         string    `json:"key"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Role        Role      `json:"role,omitempty"`
	Seq         int64     `json:"seq"`
	Columns     []Column  `json:"columns"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	ProjectSettings
	// InitialColumns are the columns the project's log starts from
	// (nil: DefaultColumns); an imported project has its file's.
	InitialColumns []Column `json:"-"`
}

// ProjectSettings are a project's planning settings (README "Planning").
type ProjectSettings struct {
	EstimateScale     string `json:"estimate_scale"`     // free | fibonacci | linear | exponential | tshirt
	UnestimatedEffort int    `json:"unestimated_effort"` // what an issue without effort counts as, 0–21
	Timezone          string `json:"timezone"`           // IANA; cycle dates are dates there
	CapacityPolicy    string `json:"capacity_policy"`    // warn | block
}

type projectRow struct {
	ID           string
	Key          string
	Name         string
	Description  string
	Seq          int64
	IssueCounter int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ProjectSettings
	InitialColumns string // JSON; '' for the default columns
}

func (projectRow) TableName() string { return "projects" }

func (r projectRow) view(role Role, cols []Column) Project {
	if cols == nil {
		cols = []Column{}
	}
	p := Project{ID: r.ID, Key: r.Key, Name: r.Name, Description: r.Description, Role: role,
		Seq: r.Seq, Columns: cols, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, ProjectSettings: r.ProjectSettings}
	if r.InitialColumns != "" {
		_ = json.Unmarshal([]byte(r.InitialColumns), &p.InitialColumns)
	}
	return p
}

type memberRow struct {
	ProjectID string
	UserID    string
	Role      Role
	CreatedAt time.Time
	Capacity  *int
}

func (memberRow) TableName() string { return "members" }

// memberRole is the membership check every query starts with. Not a member
// is ErrNotFound, so a project's existence cannot be probed.
// Role is userID's role in the project; ErrNotFound when not a member. It
// is the cheap access check of the live layer (no project or columns read).
func (s *Store) Role(ctx context.Context, userID, projectID string) (Role, error) {
	return memberRole(s.read(ctx), projectID, userID)
}

func memberRole(db *gorm.DB, projectID, userID string) (Role, error) {
	if _, err := uuid.Parse(projectID); err != nil {
		return "", ErrNotFound
	}
	var m memberRow
	err := db.Where("project_id = ? AND user_id = ?", projectID, userID).Take(&m).Error
	if err != nil {
		return "", translate(err)
	}
	return m.Role, nil
}

// ProjectInput creates a project. Key may be empty: it is then derived from
// the name.
type ProjectInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Key         string `json:"key"`
}

// ProjectPatch changes a project; nil fields stay as they are. The
// planning settings are checked by the caller (app/planning.CheckSettings):
// here only the database's constraints hold them.
type ProjectPatch struct {
	Name              *string `json:"name"`
	Description       *string `json:"description"`
	Key               *string `json:"key"`
	EstimateScale     *string `json:"estimate_scale"`
	UnestimatedEffort *int    `json:"unestimated_effort"`
	Timezone          *string `json:"timezone"`
	CapacityPolicy    *string `json:"capacity_policy"`
}

var keyPattern = regexp.MustCompile(`^[A-Z][A-Z0-9]{1,9}$`)

const (
	maxProjectName = 100
	maxDescription = 10000
)

// validText refuses what no text field may hold: invalid UTF-8 and NUL
// (which PostgreSQL cannot store).
func validText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

func validateName(v *ValidationError, field, name string, max int) {
	switch n := utf8.RuneCountInString(strings.TrimSpace(name)); {
	case !validText(name) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		v.Add(field, "must not contain control characters")
	case n == 0:
		v.Add(field, "is required")
	case n > max:
		v.Add(field, "must be at most "+itoa(max)+" characters")
	}
}

func validateKey(v *ValidationError, key string) {
	if !keyPattern.MatchString(key) {
		v.Add("key", "must be 2 to 10 capital letters or digits, starting with a letter")
	}
}

// DeriveKey makes a project key from a name: the initials of a name of
// several words, else its first four letters ("Corkboard" -> "CORK",
// "Web App Redesign" -> "WAR").
func DeriveKey(name string) string {
	words := strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	})
	key := ""
	if len(words) >= 2 {
		for _, w := range words {
			key += w[:1]
		}
	} else if len(words) == 1 {
		key = words[0]
		if len(key) > 4 {
			key = key[:4]
		}
	}
	key = strings.TrimLeftFunc(key, unicode.IsDigit)
	if len(key) > 10 {
		key = key[:10]
	}
	for len(key) < 2 {
		key += "P"
	}
	return key
}

var defaultColumns = []struct{ key, name, category string }{
	{"open", "Open", CategoryTodo}, {"in_progress", "In progress", CategoryStarted}, {"done", "Done", CategoryDone},
}

// DefaultColumns are the columns every project starts with. Creating a
// project writes no event, so a replay of its log starts from these.
func DefaultColumns() []Column {
	out := make([]Column, len(defaultColumns))
	for i, c := range defaultColumns {
		out[i] = Column{Key: c.key, Name: c.name, Category: c.category}
	}
	return out
}

// ColumnCategoryBefore0006 is the category a column had when migration
// 0006 added categories; column events written before it carry none.
func ColumnCategoryBefore0006(key string) string {
	switch key {
	case "in_progress":
		return CategoryStarted
	case "done":
		return CategoryDone
	}
	return CategoryTodo
}

// defaultSettings are a new project's planning settings (the migration's
// column defaults).
func defaultSettings() ProjectSettings {
	return ProjectSettings{EstimateScale: "free", UnestimatedEffort: 1, Timezone: "UTC", CapacityPolicy: "warn"}
}

// CreateProject makes a project with the default columns; the creator is
// its owner.
func (s *Store) CreateProject(ctx context.Context, actor User, in ProjectInput) (Project, error) {
	v := &ValidationError{}
	validateName(v, "name", in.Name, maxProjectName)
	if utf8.RuneCountInString(in.Description) > maxDescription || !validText(in.Description) {
		v.Add("description", "must be at most 10000 characters of text")
	}
	key := strings.ToUpper(strings.TrimSpace(in.Key))
	if key == "" {
		key = DeriveKey(in.Name)
	}
	validateKey(v, key)
	if err := v.Err(); err != nil {
		return Project{}, err
	}
	now := s.now()
	row := projectRow{ID: uuid.NewString(), Key: key, Name: strings.TrimSpace(in.Name),
		Description: in.Description, CreatedAt: now, UpdatedAt: now, ProjectSettings: defaultSettings()}
	var cols []columnRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := tx.Create(&memberRow{ProjectID: row.ID, UserID: actor.ID, Role: RoleOwner, CreatedAt: now}).Error; err != nil {
			return err
		}
		for i, c := range defaultColumns {
			cols = append(cols, columnRow{ID: uuid.NewString(), ProjectID: row.ID, Key: c.key, Name: c.name, Position: i,
				Category: c.category})
		}
		return tx.Create(&cols).Error
	})
	if err != nil {
		return Project{}, err
	}
	return row.view(RoleOwner, columnViews(cols)), nil
}

// ListProjects lists the projects the user is a member of, by name.
func (s *Store) ListProjects(ctx context.Context, userID string) ([]Project, error) {
	var rows []struct {
		P    projectRow `gorm:"embedded"`
		Role Role
	}
	err := s.read(ctx).Table("projects").Select("projects.*, members.role").
		Joins("JOIN members ON members.project_id = projects.id AND members.user_id = ?", userID).
		Order("lower(projects.name), projects.id").Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.P.ID
	}
	cols, err := s.columnsOf(s.read(ctx), ids...)
	if err != nil {
		return nil, err
	}
	out := make([]Project, len(rows))
	for i, r := range rows {
		out[i] = r.P.view(r.Role, cols[r.P.ID])
	}
	return out, nil
}

// GetProject loads a project the user is a member of.
func (s *Store) GetProject(ctx context.Context, userID, projectID string) (Project, error) {
	db := s.read(ctx)
	role, err := memberRole(db, projectID, userID)
	if err != nil {
		return Project{}, err
	}
	var row projectRow
	if err := translate(db.Where("id = ?", projectID).Take(&row).Error); err != nil {
		return Project{}, err
	}
	cols, err := s.columnsOf(db, projectID)
	if err != nil {
		return Project{}, err
	}
	return row.view(role, cols[projectID]), nil
}

// UpdateProject renames, describes or re-keys a project (owner).
func (s *Store) UpdateProject(ctx context.Context, actor User, projectID string, p ProjectPatch) (Project, Event, error) {
	v := &ValidationError{}
	if p.Name != nil {
		validateName(v, "name", *p.Name, maxProjectName)
	}
	if p.Description != nil && (utf8.RuneCountInString(*p.Description) > maxDescription || !validText(*p.Description)) {
		v.Add("description", "must be at most 10000 characters of text")
	}
	if p.Key != nil {
		k := strings.ToUpper(strings.TrimSpace(*p.Key))
		p.Key = &k
		validateKey(v, k)
	}
	if err := v.Err(); err != nil {
		return Project{}, Event{}, err
	}
	var out Project
	ev, err := s.change(ctx, actor, projectID, RoleOwner, func(c *change) (string, any, error) {
		// The whole row: the change preamble reads only what every change uses.
		r := &projectRow{}
		if err := c.tx.Where("id = ?", c.project.ID).Take(r).Error; err != nil {
			return "", nil, err
		}
		if p.Name != nil {
			r.Name = strings.TrimSpace(*p.Name)
		}
		if p.Description != nil {
			r.Description = *p.Description
		}
		if p.Key != nil {
			r.Key = *p.Key
		}
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&r.EstimateScale, p.EstimateScale)
		set(&r.Timezone, p.Timezone)
		set(&r.CapacityPolicy, p.CapacityPolicy)
		if p.UnestimatedEffort != nil {
			r.UnestimatedEffort = *p.UnestimatedEffort
		}
		r.UpdatedAt = c.s.now()
		if err := c.tx.Model(&projectRow{}).Where("id = ?", r.ID).Updates(map[string]any{
			"name": r.Name, "description": r.Description, "key": r.Key, "updated_at": r.UpdatedAt,
			"estimate_scale": r.EstimateScale, "unestimated_effort": r.UnestimatedEffort,
			"timezone": r.Timezone, "capacity_policy": r.CapacityPolicy,
		}).Error; err != nil {
			return "", nil, err
		}
		cols, err := c.s.columnsOf(c.tx, r.ID)
		if err != nil {
			return "", nil, err
		}
		out = r.view("", cols[r.ID])
		return EventProjectUpdated, out, nil
	})
	if err != nil {
		return Project{}, Event{}, err
	}
	out.Role, out.Seq = RoleOwner, ev.Seq
	return out, ev, nil
}

// DeleteProject removes a project and everything in it (owner). The returned
// event is not in the log (the log goes with the project); it is for
// announcing the deletion to live viewers.
func (s *Store) DeleteProject(ctx context.Context, actor User, projectID string) (Event, error) {
	var ev Event
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// Lock the project row before checking the role, so an owner
		// demoted meanwhile cannot delete it (check, then act, under one lock).
		if _, err := uuid.Parse(projectID); err != nil {
			return ErrNotFound
		}
		if err := tx.Exec("UPDATE projects SET seq = seq WHERE id = ?", projectID).Error; err != nil {
			return err
		}
		role, err := memberRole(tx, projectID, actor.ID)
		if err != nil {
			return err
		}
		if !role.AtLeast(RoleOwner) {
			return ErrForbidden
		}
		res := tx.Where("id = ?", projectID).Delete(&projectRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		ev = Event{Type: EventProjectDeleted, ProjectID: projectID, Actor: Actor{ID: actor.ID, Name: actor.DisplayName},
			At: s.now(), Data: []byte(`{"id":"` + projectID + `"}`)}
		return nil
	})
	return ev, err
}

func itoa(n int) string {
	return strconv.Itoa(n)
}
