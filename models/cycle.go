package models

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Cycles: periods of any length (at most 56 days) that a project plans its
// work in, never overlapping; capacities per member and per cycle; and the
// load checks of the block policy. The date rules themselves (what a date
// is, how long a period may be, a schedule's periods) are app/planning's:
// callers check them first. What must hold under concurrent changes (no
// overlap, no load above capacity) is checked here, in the change, under
// the project's lock.

// Cycle is a planning period, as the API and events show it. State is
// where today, in the project's time zone, falls against its dates.
type Cycle struct {
	ID        string    `json:"id"`
	ProjectID string    `json:"project_id"`
	Number    int64     `json:"number"`
	Name      string    `json:"name"`
	StartsOn  string    `json:"starts_on"`
	EndsOn    string    `json:"ends_on"`
	Goal      string    `json:"goal"`
	State     string    `json:"state"` // upcoming | active | completed
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type cycleRow struct {
	ID        string
	ProjectID string
	Number    int64
	Name      string
	StartsOn  string
	EndsOn    string
	Goal      string
	CreatedAt time.Time
	UpdatedAt time.Time
	// RolledOverAt: when its unfinished issues had all moved on (nil: not
	// yet; models/rollover.go).
	RolledOverAt *time.Time
}

func (cycleRow) TableName() string { return "cycles" }

const cycleCompleted = "completed"

func (s *Store) cycleState(r cycleRow, tz string) string {
	if s.planning == nil {
		return ""
	}
	return s.planning.CycleState(r.StartsOn, r.EndsOn, tz)
}

func (s *Store) cycleView(r cycleRow, tz string) Cycle {
	return Cycle{ID: r.ID, ProjectID: r.ProjectID, Number: r.Number, Name: r.Name, StartsOn: r.StartsOn,
		EndsOn: r.EndsOn, Goal: r.Goal, State: s.cycleState(r, tz), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// CycleInput is a cycle's dates, name and goal: the whole of it (an
// update sends the merged cycle, so concurrent edits never combine into
// dates nobody checked). The caller checks the period (app/planning);
// Name empty is "Cycle N".
type CycleInput struct {
	StartsOn string
	EndsOn   string
	Name     string
	Goal     string
}

// CycleList is the payload of cycle.scheduled: the cycles one schedule made.
type CycleList struct {
	Items []Cycle `json:"items"`
}

// CycleDeleted is the payload of cycle.deleted. Each issue of IssueIDs
// left the cycle in the same change: its cycle_id became null and its
// version went up by one (updated_at is the event's time).
type CycleDeleted struct {
	Cycle    Cycle    `json:"cycle"`
	IssueIDs []string `json:"issue_ids"`
}

// CycleCapacity is a member's capacity in one cycle (an override of the
// member's capacity); Points nil: no override. Payload of
// cycle.capacity_updated.
type CycleCapacity struct {
	CycleID string `json:"cycle_id"`
	UserID  string `json:"user_id"`
	Points  *int   `json:"points"`
}

// CyclePage is one page of a project's cycles, by start date.
type CyclePage struct {
	Items      []Cycle
	NextCursor string
}

const (
	maxCycleName = 100
	maxCycleGoal = 2000
)

func (in *CycleInput) validate(v *ValidationError) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name != "" {
		validateName(v, "name", in.Name, maxCycleName)
	}
	if utf8.RuneCountInString(in.Goal) > maxCycleGoal || !validText(in.Goal) {
		v.Add("goal", "must be at most 2000 characters of text")
	}
	// The caller checked the period; these keep the table's constraints
	// from answering a 500 if one did not.
	if len(in.StartsOn) != 10 {
		v.Add("starts_on", "must be a date like 2026-12-31")
	}
	if len(in.EndsOn) != 10 || in.EndsOn < in.StartsOn {
		v.Add("ends_on", "must be a date on or after starts_on")
	}
}

// projectTimezone reads a project's time zone for a member (ErrNotFound
// otherwise).
func (s *Store) projectTimezone(db *gorm.DB, userID, projectID string) (string, error) {
	if _, err := memberRole(db, projectID, userID); err != nil {
		return "", err
	}
	var tz string
	err := db.Table("projects").Select("timezone").Where("id = ?", projectID).Scan(&tz).Error
	return tz, translate(err)
}

// ListCycles lists a project's cycles by start date, a page at a time.
func (s *Store) ListCycles(ctx context.Context, userID, projectID, cursor string, limit int) (CyclePage, error) {
	db := s.read(ctx)
	tz, err := s.projectTimezone(db, userID, projectID)
	if err != nil {
		return CyclePage{}, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := db.Where("project_id = ?", projectID)
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || !strings.HasPrefix(string(b), "c:") || len(b) != 12 {
			return CyclePage{}, invalid("cursor", "is not a cursor this API gave out")
		}
		q = q.Where("starts_on > ?", string(b[2:]))
	}
	var rows []cycleRow
	if err := q.Order("starts_on, id").Limit(limit + 1).Find(&rows).Error; err != nil {
		return CyclePage{}, translate(err)
	}
	page := CyclePage{Items: []Cycle{}}
	if len(rows) > limit {
		rows = rows[:limit]
		// Cycles never overlap, so no two share a start date.
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte("c:" + rows[len(rows)-1].StartsOn))
	}
	for _, r := range rows {
		page.Items = append(page.Items, s.cycleView(r, tz))
	}
	return page, nil
}

// GetCycle loads one cycle of a project the user is a member of.
func (s *Store) GetCycle(ctx context.Context, userID, projectID, cycleID string) (Cycle, error) {
	db := s.read(ctx)
	tz, err := s.projectTimezone(db, userID, projectID)
	if err != nil {
		return Cycle{}, err
	}
	r, err := findCycle(db, projectID, cycleID)
	if err != nil {
		return Cycle{}, err
	}
	return s.cycleView(r, tz), nil
}

func findCycle(db *gorm.DB, projectID, cycleID string) (cycleRow, error) {
	var r cycleRow
	if _, err := uuid.Parse(cycleID); err != nil {
		return r, ErrNotFound
	}
	err := db.Where("id = ? AND project_id = ?", cycleID, projectID).Take(&r).Error
	return r, translate(err)
}

// CreateCycles adds cycles to a project (owner), all or none: one that
// overlaps another cycle (or one made before it here) refuses them all,
// 422 on starts_on. One cycle is a cycle.created event, several (a
// schedule) one cycle.scheduled.
func (s *Store) CreateCycles(ctx context.Context, actor User, projectID string, ins []CycleInput) ([]Cycle, Event, error) {
	if len(ins) == 0 {
		return nil, Event{}, invalid("count", "must be at least 1")
	}
	v := &ValidationError{}
	for i := range ins {
		ins[i].validate(v)
	}
	if err := v.Err(); err != nil {
		return nil, Event{}, err
	}
	var out []Cycle
	ev, err := s.change(ctx, actor, projectID, RoleOwner, func(c *change) (string, any, error) {
		out = out[:0]
		for _, in := range ins {
			if err := c.checkOverlap("", in); err != nil {
				return "", nil, err
			}
			var number int64
			if err := c.tx.Raw("UPDATE projects SET cycle_counter = cycle_counter + 1 WHERE id = ? RETURNING cycle_counter",
				projectID).Scan(&number).Error; err != nil {
				return "", nil, err
			}
			if in.Name == "" {
				in.Name = "Cycle " + itoa(int(number))
			}
			now := c.s.now()
			row := cycleRow{ID: uuid.NewString(), ProjectID: projectID, Number: number, Name: in.Name,
				StartsOn: in.StartsOn, EndsOn: in.EndsOn, Goal: in.Goal, CreatedAt: now, UpdatedAt: now}
			if err := c.tx.Create(&row).Error; err != nil {
				return "", nil, err
			}
			out = append(out, c.s.cycleView(row, c.project.Timezone))
		}
		if len(out) == 1 {
			return EventCycleCreated, out[0], nil
		}
		return EventCycleScheduled, CycleList{Items: out}, nil
	})
	if err != nil {
		return nil, Event{}, err
	}
	return out, ev, nil
}

// checkOverlap refuses in if it shares a date with another cycle of the
// project than self.
func (c *change) checkOverlap(self string, in CycleInput) error {
	var other cycleRow
	err := c.tx.Where("project_id = ? AND id <> ? AND starts_on <= ? AND ends_on >= ?",
		c.project.ID, self, in.EndsOn, in.StartsOn).Order("starts_on").Take(&other).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return invalid("starts_on", "overlaps "+other.Name+" ("+other.StartsOn+" to "+other.EndsOn+
		"): cycles of a project never share a date")
}

// UpdateCycle sets a cycle's dates, name and goal (owner): in is the whole
// cycle after the change. Moving ends_on into the past completes it early.
func (s *Store) UpdateCycle(ctx context.Context, actor User, projectID, cycleID string, in CycleInput) (Cycle, Event, error) {
	v := &ValidationError{}
	in.validate(v)
	if err := v.Err(); err != nil {
		return Cycle{}, Event{}, err
	}
	var out Cycle
	ev, err := s.change(ctx, actor, projectID, RoleOwner, func(c *change) (string, any, error) {
		row, err := findCycle(c.tx, projectID, cycleID)
		if err != nil {
			return "", nil, err
		}
		if err := c.checkOverlap(row.ID, in); err != nil {
			return "", nil, err
		}
		if in.Name == "" {
			in.Name = "Cycle " + itoa(int(row.Number))
		}
		row.Name, row.StartsOn, row.EndsOn, row.Goal, row.UpdatedAt = in.Name, in.StartsOn, in.EndsOn, in.Goal, c.s.now()
		row.RolledOverAt = c.s.rolledOverAfterUpdate(row, c.project.Timezone)
		if err := c.tx.Model(&cycleRow{}).Where("id = ?", row.ID).Updates(map[string]any{
			"name": row.Name, "starts_on": row.StartsOn, "ends_on": row.EndsOn, "goal": row.Goal, "updated_at": row.UpdatedAt,
			"rolled_over_at": row.RolledOverAt,
		}).Error; err != nil {
			return "", nil, err
		}
		out = c.s.cycleView(row, c.project.Timezone)
		return EventCycleUpdated, out, nil
	})
	return out, ev, err
}

// DeleteCycle removes a cycle (owner). Its issues leave it in the same
// change (cycle_id null, version + 1), and its capacity overrides go: one
// cycle.deleted event names the issues (CycleDeleted).
func (s *Store) DeleteCycle(ctx context.Context, actor User, projectID, cycleID string) (Event, error) {
	return s.change(ctx, actor, projectID, RoleOwner, func(c *change) (string, any, error) {
		row, err := findCycle(c.tx, projectID, cycleID)
		if err != nil {
			return "", nil, err
		}
		out := CycleDeleted{Cycle: c.s.cycleView(row, c.project.Timezone), IssueIDs: []string{}}
		if err := c.tx.Model(&issueRow{}).Where("project_id = ? AND cycle_id = ?", projectID, row.ID).
			Order("number").Pluck("id", &out.IssueIDs).Error; err != nil {
			return "", nil, err
		}
		if err := c.tx.Exec("UPDATE issues SET cycle_id = NULL, version = version + 1, updated_at = ? WHERE project_id = ? AND cycle_id = ?",
			c.s.now(), projectID, row.ID).Error; err != nil {
			return "", nil, err
		}
		if err := c.tx.Delete(&cycleRow{}, "id = ?", row.ID).Error; err != nil {
			return "", nil, err
		}
		return EventCycleDeleted, out, nil
	})
}

// PlanningBoard is what the board needs to plan: the project's cycles that
// are not completed, by start date, and their capacity overrides.
func (s *Store) PlanningBoard(ctx context.Context, userID, projectID string) ([]Cycle, []CycleCapacity, error) {
	db := s.read(ctx)
	tz, err := s.projectTimezone(db, userID, projectID)
	if err != nil {
		return nil, nil, err
	}
	var rows []cycleRow
	if err := db.Where("project_id = ?", projectID).Order("starts_on, id").Find(&rows).Error; err != nil {
		return nil, nil, translate(err)
	}
	cycles, ids := []Cycle{}, []string{}
	for _, r := range rows {
		if cy := s.cycleView(r, tz); cy.State != cycleCompleted {
			cycles, ids = append(cycles, cy), append(ids, cy.ID)
		}
	}
	caps := []CycleCapacity{}
	if len(ids) > 0 {
		var cr []cycleCapacityRow
		if err := db.Where("cycle_id IN ?", ids).Order("cycle_id, user_id").Find(&cr).Error; err != nil {
			return nil, nil, translate(err)
		}
		for _, r := range cr {
			caps = append(caps, CycleCapacity{CycleID: r.CycleID, UserID: r.UserID, Points: &r.Points})
		}
	}
	return cycles, caps, nil
}
