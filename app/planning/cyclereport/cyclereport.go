// Package cyclereport reads what a cycle's report is computed from (the
// project's event log, its settings, its members' capacities) out of the
// store, and hands it to planning.BuildReport. It is the adapter between
// the pure rules of app/planning and models: no Fiber, no SQL here.
package cyclereport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/models"
)

// Store is what the report reads; *models.Store has it.
type Store interface {
	GetCycle(ctx context.Context, userID, projectID, cycleID string) (models.Cycle, error)
	GetProject(ctx context.Context, userID, projectID string) (models.Project, error)
	ListMembers(ctx context.Context, userID, projectID string) ([]models.Member, error)
	CycleCapacities(ctx context.Context, userID, projectID, cycleID string) ([]models.CycleCapacity, error)
	Log(ctx context.Context, projectID string, since int64, limit int) (models.EventPage, error)
}

var _ Store = (*models.Store)(nil)

// ErrHistoryPruned: the project's log no longer starts at its first event
// (EVENT_RETENTION pruned it), so no report computed from it would be
// exact. The API answers 410 rather than numbers that leave out every
// issue whose creation was pruned.
var ErrHistoryPruned = errors.New("the project's event log was pruned: the report cannot be computed exactly")

// Report is the API's answer: the cycle's DTO beside planning's report.
type Report struct {
	Cycle models.Cycle `json:"cycle"`
	planning.Report
}

// Service builds cycle reports on the server's clock.
type Service struct {
	Store   Store
	Now     func() time.Time // nil: time.Now
	History *History         // the logs read so far; nil: read the whole log each time
}

// pageSize is the most events one read of the log returns.
const pageSize = 1000

// Report is the report of cycle cycleID for userID, a member of the
// project (models.ErrNotFound otherwise, and for a cycle of another
// project).
func (s Service) Report(ctx context.Context, userID, projectID, cycleID string) (Report, error) {
	cy, in, err := s.Input(ctx, userID, projectID, cycleID)
	if err != nil {
		return Report{}, err
	}
	r := planning.BuildReport(in)
	if r.Health.Reasons == nil {
		r.Health.Reasons = []planning.Reason{}
	}
	return Report{Cycle: cy, Report: r}, nil
}

// Input reads everything the report of a cycle is computed from. It is
// Report without the computation (the benchmark times the two apart).
func (s Service) Input(ctx context.Context, userID, projectID, cycleID string) (models.Cycle, planning.Input, error) {
	cy, err := s.Store.GetCycle(ctx, userID, projectID, cycleID)
	if err != nil {
		return models.Cycle{}, planning.Input{}, err
	}
	p, err := s.Store.GetProject(ctx, userID, projectID)
	if err != nil {
		return models.Cycle{}, planning.Input{}, err
	}
	members, err := s.Store.ListMembers(ctx, userID, projectID)
	if err != nil {
		return models.Cycle{}, planning.Input{}, err
	}
	overrides, err := s.Store.CycleCapacities(ctx, userID, projectID, cy.ID)
	if err != nil {
		return models.Cycle{}, planning.Input{}, err
	}
	in := planning.Input{CycleID: cy.ID, Unestimated: p.UnestimatedEffort, Now: time.Now(),
		Capacities: make(map[string]*int, len(members)), Names: make(map[string]string, len(members))}
	if s.Now != nil {
		in.Now = s.Now()
	}
	if in.StartsOn, err = planning.ReadDate(cy.StartsOn); err != nil {
		return models.Cycle{}, planning.Input{}, fmt.Errorf("cycle %s starts_on %q: %w", cy.ID, cy.StartsOn, err)
	}
	if in.EndsOn, err = planning.ReadDate(cy.EndsOn); err != nil {
		return models.Cycle{}, planning.Input{}, fmt.Errorf("cycle %s ends_on %q: %w", cy.ID, cy.EndsOn, err)
	}
	if in.Location, err = time.LoadLocation(p.Timezone); err != nil {
		return models.Cycle{}, planning.Input{}, fmt.Errorf("project %s timezone %q: %w", p.ID, p.Timezone, err)
	}
	for _, m := range members {
		in.Capacities[m.UserID] = m.Capacity
		in.Names[m.UserID] = m.DisplayName
	}
	for _, o := range overrides {
		if _, member := in.Capacities[o.UserID]; member {
			in.Capacities[o.UserID] = o.Points
		}
	}
	if in.Changes, err = s.changes(ctx, projectID); err != nil {
		return models.Cycle{}, planning.Input{}, err
	}
	return cy, in, nil
}

// changes is the project's log as Changes: read whole, from its first
// event, or with a History only the events after those it kept.
func (s Service) changes(ctx context.Context, projectID string) ([]planning.Change, error) {
	if s.History == nil {
		conv := NewConverter()
		_, err := readLog(ctx, s.Store, projectID, 0, conv)
		return conv.Changes, err
	}
	pl := s.History.entry(projectID)
	pl.mu.Lock()
	defer pl.mu.Unlock()
	seq, err := readLog(ctx, s.Store, projectID, pl.seq, pl.conv)
	pl.seq = seq // what was read is kept, even when a later page failed
	if errors.Is(err, ErrHistoryPruned) {
		s.History.drop(projectID, pl)
	}
	if err != nil {
		return nil, err
	}
	s.History.grew(projectID, pl, len(pl.conv.Changes))
	// Later reads append past this length, never inside it.
	return pl.conv.Changes[:len(pl.conv.Changes):len(pl.conv.Changes)], nil
}

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
// Changes. It remembers each issue as it last was, so that a
// cycle.deleted (which names the issues it took out of the cycle) becomes
// one change per issue with its cycle_id null, as the store made it.
type Converter struct {
	Changes []planning.Change
	issues  map[string]planning.IssueState
}

// NewConverter starts with the columns every project is created with:
// creating a project writes no event.
func NewConverter() *Converter {
	c := &Converter{issues: map[string]planning.IssueState{}}
	for _, col := range models.DefaultColumns() {
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
	if c.issues == nil { // the zero Converter: no default columns
		c.issues = map[string]planning.IssueState{}
	}
	base := planning.Change{Seq: ev.Seq, At: ev.At}
	switch {
	case ev.Type == models.EventIssueCreated || ev.Type == models.EventIssueUpdated ||
		ev.Type == models.EventIssueMoved || ev.Type == "issue.restored":
		var p issuePayload
		if err := decode(ev, &p); err != nil {
			return err
		}
		st := planning.IssueState{ID: p.ID, Key: p.Key, Status: p.Status, AssigneeID: p.AssigneeID,
			Effort: p.Effort, CycleID: p.CycleID, Carryover: p.Carryover}
		c.issues[p.ID] = st
		base.Issue = &st
		c.Changes = append(c.Changes, base)
	case ev.Type == models.EventIssueDeleted:
		var p issuePayload
		if err := decode(ev, &p); err != nil {
			return err
		}
		delete(c.issues, p.ID)
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
			st, ok := c.issues[id]
			if !ok {
				continue
			}
			st.CycleID = nil
			c.issues[id] = st
			ch := base
			ch.Issue = &st
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
