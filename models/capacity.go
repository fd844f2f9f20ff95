package models

import (
	"context"
	"database/sql"
	"errors"
)

// Capacity: per-cycle overrides of a member's capacity, and the checks a
// change to an issue passes in a planned project (effort on the scale, an
// open cycle of the project, load within capacity under the block policy).

type cycleCapacityRow struct {
	CycleID string
	UserID  string
	Points  int
}

func (cycleCapacityRow) TableName() string { return "cycle_capacities" }

// SetCycleCapacity sets (points) or removes (nil) a member's capacity in
// one cycle, overriding their capacity there (owner).
func (s *Store) SetCycleCapacity(ctx context.Context, actor User, projectID, cycleID, userID string, points *int) (CycleCapacity, Event, error) {
	v := &ValidationError{}
	validateCapacity(v, "points", points)
	if err := v.Err(); err != nil {
		return CycleCapacity{}, Event{}, err
	}
	var out CycleCapacity
	ev, err := s.change(ctx, actor, projectID, RoleOwner, func(c *change) (string, any, error) {
		row, err := findCycle(c.tx, projectID, cycleID)
		if err != nil {
			return "", nil, err
		}
		m, err := c.member(userID)
		if err != nil {
			return "", nil, err
		}
		if err := c.tx.Where("cycle_id = ? AND user_id = ?", row.ID, m.UserID).Delete(&cycleCapacityRow{}).Error; err != nil {
			return "", nil, err
		}
		if points != nil {
			if err := c.tx.Create(&cycleCapacityRow{CycleID: row.ID, UserID: m.UserID, Points: *points}).Error; err != nil {
				return "", nil, err
			}
		}
		out = CycleCapacity{CycleID: row.ID, UserID: m.UserID, Points: points}
		return EventCycleCapacityUpdated, out, nil
	})
	return out, ev, err
}

// --- the issue checks of planning (issue_write.go calls them) ---

// checkEffort holds a new effort to the project's estimate scale.
func (c *change) checkEffort(effort *int) error {
	if effort == nil || c.s.planning == nil {
		return nil
	}
	if msg := c.s.planning.CheckEffort(c.project.EstimateScale, *effort); msg != "" {
		return invalid("effort", msg)
	}
	return nil
}

// checkCycle refuses a cycle that is not the project's, or is completed.
func (c *change) checkCycle(cycleID *string) error {
	if cycleID == nil {
		return nil
	}
	row, err := findCycle(c.tx, c.project.ID, *cycleID)
	if errors.Is(err, ErrNotFound) {
		return invalid("cycle_id", "is not a cycle of this project")
	}
	if err != nil {
		return err
	}
	if c.s.cycleState(row, c.project.Timezone) == cycleCompleted {
		return invalid("cycle_id", row.Name+" is completed: plan the issue into a current or upcoming cycle")
	}
	return nil
}

// effortOf is what an issue counts for in a load.
func (c *change) effortOf(r issueRow) int {
	if r.Effort != nil {
		return *r.Effort
	}
	return c.project.UnestimatedEffort
}

// checkLoad runs after an issue was written (before is the issue as it
// was; zero for a new one). If the change raised its assignee's load in
// its cycle from at most their capacity (the cycle's override, else the
// member's; none is no limit) to above it, then under the block policy it
// refuses the change, and under warn it returns that assignee, who is
// told (over_capacity). The change runs under the project's lock, so two
// editors assigning at once are checked one after the other and cannot
// both get past capacity unnoticed.
func (c *change) checkLoad(before, after issueRow) (passed string, err error) {
	if after.AssigneeID == nil || after.CycleID == nil {
		return "", nil
	}
	samePair := before.AssigneeID != nil && before.CycleID != nil &&
		*before.AssigneeID == *after.AssigneeID && *before.CycleID == *after.CycleID
	if samePair && c.effortOf(after) <= c.effortOf(before) {
		return "", nil
	}
	var load int
	if err := c.tx.Raw(`SELECT COALESCE(SUM(COALESCE(effort, ?)), 0) FROM issues WHERE cycle_id = ? AND assignee_id = ?
		AND deleted_at IS NULL`,
		c.project.UnestimatedEffort, *after.CycleID, *after.AssigneeID).Scan(&load).Error; err != nil {
		return "", err
	}
	was := load - c.effortOf(after)
	if samePair {
		was += c.effortOf(before)
	}
	if load <= was {
		return "", nil // nothing was added (an unestimated issue counting 0)
	}
	capacity, err := c.capacity(*after.CycleID, *after.AssigneeID)
	if err != nil || capacity == nil || load <= *capacity {
		return "", err
	}
	if c.project.CapacityPolicy == "block" {
		return "", &OverCapacityError{UserID: *after.AssigneeID, CycleID: *after.CycleID, Load: load, Capacity: *capacity}
	}
	if was > *capacity {
		return "", nil // already over: told when it passed
	}
	return *after.AssigneeID, nil
}

// capacity is a member's capacity in a cycle: the cycle's override, else
// the member's; nil when neither is set.
func (c *change) capacity(cycleID, userID string) (*int, error) {
	var points sql.NullInt64
	err := c.tx.Raw(`SELECT points FROM cycle_capacities WHERE cycle_id = ? AND user_id = ?`, cycleID, userID).Row().Scan(&points)
	if err == nil {
		n := int(points.Int64)
		return &n, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	var capacity sql.NullInt64
	err = c.tx.Raw(`SELECT capacity FROM members WHERE project_id = ? AND user_id = ?`, c.project.ID, userID).Row().Scan(&capacity)
	if errors.Is(err, sql.ErrNoRows) || err == nil && !capacity.Valid {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	n := int(capacity.Int64)
	return &n, nil
}

func sameInt(a, b *int) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// CycleCapacities lists a cycle's capacity overrides, by user id, for a
// member of its project.
func (s *Store) CycleCapacities(ctx context.Context, userID, projectID, cycleID string) ([]CycleCapacity, error) {
	db := s.read(ctx)
	if _, err := memberRole(db, projectID, userID); err != nil {
		return nil, err
	}
	row, err := findCycle(db, projectID, cycleID)
	if err != nil {
		return nil, err
	}
	var cr []cycleCapacityRow
	if err := db.Where("cycle_id = ?", row.ID).Order("user_id").Find(&cr).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]CycleCapacity, len(cr))
	for i, r := range cr {
		out[i] = CycleCapacity{CycleID: r.CycleID, UserID: r.UserID, Points: &r.Points}
	}
	return out, nil
}
