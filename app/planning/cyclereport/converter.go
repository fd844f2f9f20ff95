package cyclereport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/models"
)

// readLog converts the events after since, a page at a time, and returns
// the seq of the last one converted.
func readLog(ctx context.Context, st Store, projectID string, since int64, conv *Converter) (int64, error) {
	for {
		page, err := st.Log(ctx, projectID, since, pageSize)
		if errors.Is(err, models.ErrPruned) {
			return since, ErrHistoryPruned
		}
		if err != nil {
			return since, err
		}
		for _, ev := range page.Items {
			if err := conv.Add(ev); err != nil {
				return since, err
			}
			since = ev.Seq
		}
		if !page.HasMore || len(page.Items) == 0 {
			return since, nil
		}
	}
}

// Converter turns the log's events, given in seq order, into planning's
// Changes. It keeps nothing of one event for the next, so that a replay
// resumed from a State converts only the events after it: a cycle.deleted
// (which names the issues it took out of the cycle) becomes an Unplanned
// change per issue, which the replay applies to the issue as it holds it.
type Converter struct {
	Changes []planning.Change
}

// NewConverter starts with the columns the project's log starts from
// (models.Project.InitialColumns; nil: the default ones every project is
// created with): creating a project, or importing one, writes no column
// event. The zero Converter has none: it carries on after events already
// converted.
func NewConverter(initial []models.Column) *Converter {
	if initial == nil {
		initial = models.DefaultColumns()
	}
	c := &Converter{}
	for _, col := range initial {
		c.Changes = append(c.Changes, planning.Change{Column: columnState(col)})
	}
	return c
}

// columnState is a column as planning reads it. Column events written
// before categories existed carry none: the column then had the category
// the migration gave it.
func columnState(col models.Column) *planning.ColumnState {
	cat := col.Category
	if cat == "" {
		cat = models.ColumnCategoryBefore0006(col.Key)
	}
	return &planning.ColumnState{Key: col.Key, Name: col.Name, WIPLimit: col.WIPLimit, Category: cat}
}

// The parts of the events' payloads the report reads.
type (
	issuePayload struct {
		ID         string  `json:"id"`
		Key        string  `json:"key"`
		Status     string  `json:"status"`
		AssigneeID *string `json:"assignee_id"`
		Effort     *int    `json:"effort"`
		CycleID    *string `json:"cycle_id"`
		Carryover  int     `json:"carryover"`
	}
	columnPayload struct {
		Column  models.Column   `json:"column"`
		Columns []models.Column `json:"columns"`
	}
	cycleDeletedPayload struct {
		Cycle    struct{ ID string } `json:"cycle"`
		IssueIDs []string            `json:"issue_ids"`
	}
	commentPayload struct {
		IssueID string `json:"issue_id"`
	}
)

// Add converts one event; events the report does not read are skipped.
func (c *Converter) Add(ev models.Event) error {
	base := planning.Change{Seq: ev.Seq, At: ev.At}
	switch {
	case ev.Type == models.EventIssueCreated || ev.Type == models.EventIssueUpdated ||
		ev.Type == models.EventIssueMoved || ev.Type == "issue.restored":
		var p issuePayload
		if err := decode(ev, &p); err != nil {
			return err
		}
		base.Issue = &planning.IssueState{ID: p.ID, Key: p.Key, Status: p.Status, AssigneeID: p.AssigneeID,
			Effort: p.Effort, CycleID: p.CycleID, Carryover: p.Carryover}
		c.Changes = append(c.Changes, base)
	case ev.Type == models.EventIssueDeleted:
		var p issuePayload
		if err := decode(ev, &p); err != nil {
			return err
		}
		base.IssueDeleted = p.ID
		c.Changes = append(c.Changes, base)
	case ev.Type == models.EventColumnDeleted:
		var p columnPayload
		if err := decode(ev, &p); err != nil {
			return err
		}
		base.ColumnDeleted = p.Column.Key
		c.Changes = append(c.Changes, base)
	case strings.HasPrefix(ev.Type, "column."):
		// Every column event carries the board's columns after it: the
		// changed one, and the others as they stand (harmless to repeat).
		var p columnPayload
		if err := decode(ev, &p); err != nil {
			return err
		}
		for _, col := range p.Columns {
			ch := base
			ch.Column = columnState(col)
			c.Changes = append(c.Changes, ch)
		}
	case ev.Type == models.EventCycleDeleted:
		var p cycleDeletedPayload
		if err := decode(ev, &p); err != nil {
			return err
		}
		for _, id := range p.IssueIDs {
			ch := base
			ch.Unplanned = id
			c.Changes = append(c.Changes, ch)
		}
	case strings.HasPrefix(ev.Type, "comment."):
		// Work on an issue without a change of its state: not stale.
		var p commentPayload
		if err := decode(ev, &p); err != nil {
			return err
		}
		if p.IssueID != "" {
			base.Touched = p.IssueID
			c.Changes = append(c.Changes, base)
		}
	}
	return nil
}

func decode(ev models.Event, v any) error {
	if err := json.Unmarshal(ev.Data, v); err != nil {
		return fmt.Errorf("event %d (%s) of project %s: %w", ev.Seq, ev.Type, ev.ProjectID, err)
	}
	return nil
}
