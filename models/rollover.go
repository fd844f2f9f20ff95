package models

import (
	"context"
	"errors"
	"time"
)

// Roll-over: once a cycle is completed, each of its issues that is not
// completed (not in a done column) moves to the next cycle (the first one
// starting after it; none: no cycle), and its carryover goes up by one —
// exactly once, however many instances run. The server's loop (app) takes
// a lease so that one instance does the work, but the guarantee is here:
// each move is a change of its own, made only if, under the project's
// lock, the issue is still in that cycle and not completed and the cycle
// is still completed and not yet rolled over; and the cycle is marked
// rolled over only once none of its issues is left to move. A run cut
// short is finished by the next one, and one that races another moves
// nothing twice.

// The system actor: who the changes Corkboard makes by itself (roll-over)
// are by, in events. Its id is the nil UUID, which no user has (users get
// random, version 4 UUIDs), so clients can treat it as any other actor.
const (
	SystemActorID   = "00000000-0000-0000-0000-000000000000"
	SystemActorName = "Corkboard"
)

// roleSystem is the need of the system's changes: no member's role is
// read (see change).
const roleSystem Role = "system"

func systemActor() User { return User{ID: SystemActorID, DisplayName: SystemActorName} }

// errNoRollOver ends a roll-over change that finds nothing to do: the
// change (and the seq it took) rolls back.
var errNoRollOver = errors.New("nothing to roll over")

// DueCycle is a completed cycle whose issues have not all rolled over.
type DueCycle struct {
	ProjectID string
	CycleID   string
}

// sqlRollOverPending lists the issues of a cycle that a roll-over moves:
// those not in a done column, by number.
const sqlRollOverPending = `SELECT i.id FROM issues i
	LEFT JOIN board_columns b ON b.project_id = i.project_id AND b.key = i.status
	WHERE i.project_id = ? AND i.cycle_id = ? AND i.deleted_at IS NULL AND COALESCE(b.category, 'todo') <> 'done'
	ORDER BY i.number`

// CyclesToRollOver lists the completed cycles of every project that are
// not marked rolled over, earliest end first. endedBefore bounds the
// search (the latest date it is anywhere: app/planning.LatestToday); each
// cycle is then checked against today in its project's time zone.
func (s *Store) CyclesToRollOver(ctx context.Context, endedBefore string) ([]DueCycle, error) {
	var rows []struct {
		ID, ProjectID, StartsOn, EndsOn, Timezone string
	}
	err := s.read(ctx).Raw(`SELECT c.id, c.project_id, c.starts_on, c.ends_on, p.timezone
		FROM cycles c JOIN projects p ON p.id = c.project_id
		WHERE c.rolled_over_at IS NULL AND c.ends_on < ? ORDER BY c.ends_on, c.id`, endedBefore).Scan(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := []DueCycle{}
	for _, r := range rows {
		if s.cycleState(cycleRow{StartsOn: r.StartsOn, EndsOn: r.EndsOn}, r.Timezone) == cycleCompleted {
			out = append(out, DueCycle{ProjectID: r.ProjectID, CycleID: r.ID})
		}
	}
	return out, nil
}

// RollOverPending lists the issues of a cycle that are not completed: the
// ones its roll-over moves (each checked again as it moves).
func (s *Store) RollOverPending(ctx context.Context, projectID, cycleID string) ([]string, error) {
	ids := []string{}
	err := s.read(ctx).Raw(sqlRollOverPending, projectID, cycleID).Scan(&ids).Error
	return ids, translate(err)
}

// RollOverIssue moves one issue out of a completed cycle into the next
// one, carryover + 1, as an issue.updated event by the system actor — if,
// under the project's lock, the cycle is completed and not marked rolled
// over, and the issue is still in it and not completed. Otherwise it
// changes nothing and moved is false: whoever got there first moved it.
func (s *Store) RollOverIssue(ctx context.Context, projectID, cycleID, issueID string) (Issue, Event, bool, error) {
	var out Issue
	ev, err := s.change(ctx, systemActor(), projectID, roleSystem, func(c *change) (string, any, error) {
		cy, err := findCycle(c.tx, projectID, cycleID)
		if errors.Is(err, ErrNotFound) {
			return "", nil, errNoRollOver
		}
		if err != nil {
			return "", nil, err
		}
		if cy.RolledOverAt != nil || c.s.cycleState(cy, c.project.Timezone) != cycleCompleted {
			return "", nil, errNoRollOver
		}
		row, err := c.issueRow(issueID)
		if errors.Is(err, ErrNotFound) {
			return "", nil, errNoRollOver
		}
		if err != nil {
			return "", nil, err
		}
		if row.CycleID == nil || *row.CycleID != cy.ID {
			return "", nil, errNoRollOver
		}
		var done int64
		if err := c.tx.Raw(`SELECT COUNT(*) FROM board_columns WHERE project_id = ? AND key = ? AND category = 'done'`,
			projectID, row.Status).Scan(&done).Error; err != nil {
			return "", nil, err
		}
		if done > 0 {
			return "", nil, errNoRollOver
		}
		next, err := c.nextCycle(cy)
		if err != nil {
			return "", nil, err
		}
		row.CycleID = next
		row.Carryover++
		if err := c.saveIssue(&row); err != nil {
			return "", nil, err
		}
		out = row.view(c.project.Key)
		return EventIssueUpdated, out, nil
	})
	if errors.Is(err, errNoRollOver) {
		return Issue{}, Event{}, false, nil
	}
	if err != nil {
		return Issue{}, Event{}, false, err
	}
	return out, ev, true, nil
}

// nextCycle is the id of the cycle after cy (nil: none), read under the
// project's lock so a cycle created meanwhile is seen.
func (c *change) nextCycle(cy cycleRow) (*string, error) {
	var others []struct{ ID, StartsOn string }
	if err := c.tx.Raw(`SELECT id, starts_on FROM cycles WHERE project_id = ? AND id <> ?`,
		c.project.ID, cy.ID).Scan(&others).Error; err != nil {
		return nil, err
	}
	starts := make([]string, len(others))
	for i, o := range others {
		starts[i] = o.StartsOn
	}
	i := c.s.planning.NextCycle(cy.EndsOn, starts)
	if i < 0 {
		return nil, nil
	}
	return &others[i].ID, nil
}

// MarkRolledOver marks a completed cycle rolled over if none of its issues
// is left to move, and reports whether it is marked. Under the project's
// lock, so no move of the cycle's issues runs meanwhile.
func (s *Store) MarkRolledOver(ctx context.Context, projectID, cycleID string) (bool, error) {
	marked := false
	err := s.commit(ctx, projectID, func(w *wtx) error {
		marked = false // the writer may run fn again
		// Locks the project row, as a change's seq does, without taking a seq.
		if _, err := w.exec(`UPDATE projects SET seq = seq WHERE id = ?`, projectID); err != nil {
			return err
		}
		var tz string
		if err := w.gorm.Raw(`SELECT timezone FROM projects WHERE id = ?`, projectID).Scan(&tz).Error; err != nil {
			return err
		}
		cy, err := findCycle(w.gorm, projectID, cycleID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if cy.RolledOverAt != nil {
			marked = true
			return nil
		}
		if s.cycleState(cy, tz) != cycleCompleted {
			return nil
		}
		var pending []string
		if err := w.gorm.Raw(sqlRollOverPending, projectID, cycleID).Scan(&pending).Error; err != nil {
			return err
		}
		if len(pending) > 0 {
			return nil
		}
		now := s.now()
		if err := w.gorm.Exec(`UPDATE cycles SET rolled_over_at = ? WHERE id = ? AND rolled_over_at IS NULL`,
			now, cycleID).Error; err != nil {
			return err
		}
		marked = true
		return nil
	})
	return marked, translate(err)
}

// rolledOverAfterUpdate is a cycle's rolled_over_at after an edit: kept
// while it stays completed, cleared once it is not (its end moved into
// the future), so it rolls over again when it completes.
func (s *Store) rolledOverAfterUpdate(r cycleRow, tz string) *time.Time {
	if s.cycleState(r, tz) == cycleCompleted {
		return r.RolledOverAt
	}
	return nil
}
