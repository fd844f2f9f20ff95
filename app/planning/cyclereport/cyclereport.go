// Package cyclereport reads what a cycle's report is computed from (the
// project's event log, its settings, its members' capacities) out of the
// store, and hands it to planning.Replay. It is the adapter between the
// pure rules of app/planning and models: no Fiber, no SQL here.
//
//   - cyclereport.go: Service, the report's settings and members.
//   - snapshot.go: the replay picked up from a stored planning.State (the
//     store's report_snapshots), so a report reads only the log after it.
//   - history.go: the states of the cycles reported lately, in memory.
//   - converter.go: the log's events as planning's Changes.
package cyclereport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	ReportSnapshot(ctx context.Context, projectID, cycleID string) (models.ReportSnapshot, error)
	SaveReportSnapshot(ctx context.Context, r models.ReportSnapshot) error
	ReportSnapshotsBehind(ctx context.Context) ([]models.SnapshotRef, error)
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
	History *History         // the cycles' states read lately; nil: read the stored one each time
	Logger  *slog.Logger     // a snapshot that could not be saved; nil: slog.Default()
	// Scratch replays the whole log, from its first event, and neither
	// reads nor saves a snapshot: what a cycle's first report costs, and
	// the reference the tests compare the snapshots with.
	Scratch bool
}

// pageSize is the most events one read of the log returns.
const pageSize = 1000

// Report is the report of cycle cycleID for userID, a member of the
// project (models.ErrNotFound otherwise, and for a cycle of another
// project).
func (s Service) Report(ctx context.Context, userID, projectID, cycleID string) (Report, error) {
	cy, in, lg, err := s.Input(ctx, userID, projectID, cycleID)
	if err != nil {
		return Report{}, err
	}
	r, err := s.replay(ctx, projectID, in, lg, false)
	if err != nil {
		return Report{}, err
	}
	if r.Health.Reasons == nil {
		r.Health.Reasons = []planning.Reason{}
	}
	return Report{Cycle: cy, Report: r}, nil
}

// logStart is what a replay of the project's log starts from besides its
// events: the params a stored state must have been made with to be
// resumed, and the columns the log starts with.
type logStart struct {
	params  string
	columns []models.Column
}

// Input reads the report's cycle and its Input but for the log (Changes),
// and where the log starts.
func (s Service) Input(ctx context.Context, userID, projectID, cycleID string) (models.Cycle, planning.Input, logStart, error) {
	cy, err := s.Store.GetCycle(ctx, userID, projectID, cycleID)
	if err != nil {
		return models.Cycle{}, planning.Input{}, logStart{}, err
	}
	p, err := s.Store.GetProject(ctx, userID, projectID)
	if err != nil {
		return models.Cycle{}, planning.Input{}, logStart{}, err
	}
	members, err := s.Store.ListMembers(ctx, userID, projectID)
	if err != nil {
		return models.Cycle{}, planning.Input{}, logStart{}, err
	}
	overrides, err := s.Store.CycleCapacities(ctx, userID, projectID, cy.ID)
	if err != nil {
		return models.Cycle{}, planning.Input{}, logStart{}, err
	}
	in := planning.Input{CycleID: cy.ID, Unestimated: p.UnestimatedEffort, Now: time.Now(),
		Capacities: make(map[string]*int, len(members)), Names: make(map[string]string, len(members))}
	if s.Now != nil {
		in.Now = s.Now()
	}
	if in.StartsOn, err = planning.ReadDate(cy.StartsOn); err != nil {
		return models.Cycle{}, planning.Input{}, logStart{}, fmt.Errorf("cycle %s starts_on %q: %w", cy.ID, cy.StartsOn, err)
	}
	if in.EndsOn, err = planning.ReadDate(cy.EndsOn); err != nil {
		return models.Cycle{}, planning.Input{}, logStart{}, fmt.Errorf("cycle %s ends_on %q: %w", cy.ID, cy.EndsOn, err)
	}
	if in.Location, err = time.LoadLocation(p.Timezone); err != nil {
		return models.Cycle{}, planning.Input{}, logStart{}, fmt.Errorf("project %s timezone %q: %w", p.ID, p.Timezone, err)
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
	// Everything a State depends on besides the log; v1 is its format.
	params := fmt.Sprintf("v1 cycle=%s starts_on=%s ends_on=%s tz=%s unestimated=%d",
		cy.ID, cy.StartsOn, cy.EndsOn, p.Timezone, p.UnestimatedEffort)
	return cy, in, logStart{params: params, columns: p.InitialColumns}, nil
}
