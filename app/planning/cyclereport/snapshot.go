package cyclereport

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/models"
)

// SaveEvery is how many events a cycle's state may run ahead of its
// stored snapshot before a report saves it again: a report on an instance
// that kept nothing reads the snapshot and at most this many events.
const SaveEvery = 256

// replay is the report of in's cycle: picked up from the state this
// instance kept, else from the stored snapshot, else from the log's first
// event; then fed the events after it. The state it ends at is kept, and
// saved when it ran SaveEvery events past the stored one (or the stored
// one had other params, or there was none, or it became final).
//
// Exactness: a State is the replay of the log up to its Seq, and the log
// up to a seq never changes in what the report reads (events are appended;
// a purge's redaction touches titles and text only; a pruned event is one
// a State no longer needs, while a hole after its Seq is ErrPruned as
// before). What else the replay depends on is in params.
func (s Service) replay(ctx context.Context, projectID string, in planning.Input, lg logStart, save bool) (planning.Report, error) {
	params := lg.params
	if s.Scratch {
		conv := NewConverter(lg.columns)
		if _, err := readLog(ctx, s.Store, projectID, 0, conv); err != nil {
			return planning.Report{}, err
		}
		in.Changes = conv.Changes
		return planning.BuildReport(in), nil
	}
	e := s.History.entry(in.CycleID)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.params != params {
		e.params, e.st, e.saved = params, nil, -1
	}
	if e.st == nil {
		e.st, e.saved = s.load(ctx, projectID, in.CycleID, params)
	}
	st := e.st
	if st != nil && !planning.CanResume(in, st) {
		st = nil // it holds a change after this instance's now
	}
	wasFinal := st != nil && st.Final
	conv, since := NewConverter(lg.columns), int64(0)
	if st != nil {
		conv, since = &Converter{}, st.Seq
	}
	last := since
	if st == nil || !st.Final {
		var err error
		if last, err = readLog(ctx, s.Store, projectID, since, conv); err != nil {
			if errors.Is(err, ErrHistoryPruned) {
				s.History.drop(in.CycleID, e)
			}
			return planning.Report{}, err
		}
	}
	in.Resume, in.Changes = st, conv.Changes
	r, next, applied := planning.Replay(in)
	next.Seq = last
	if applied < len(conv.Changes) {
		// Stopped at a change stamped after now or after the cycle: the
		// next report reads again from its event.
		next.Seq = conv.Changes[applied].Seq - 1
	}
	if e.st != nil && next.Seq < e.st.Seq && !next.Final {
		// Replayed from the start on a clock behind the kept state's: keep
		// the one further on for the instances that can use it.
		return r, nil
	}
	e.st = &next
	s.History.grew(in.CycleID, e, len(next.Issues))
	if e.saved < 0 || next.Seq-e.saved >= SaveEvery || next.Final && !wasFinal || save && next.Seq > e.saved {
		s.save(ctx, projectID, in.CycleID, params, &next)
		e.saved = next.Seq
	}
	return r, nil
}

// Refresh brings every stored snapshot that is behind its project's log
// up to it, and answers how many it saved. The server runs it before each
// prune: a snapshot is exact only while the events after its seq are
// there, so refreshed ones stay usable after the prune, and their reports
// exact on every instance, as long as a refresh ran within the retention.
func (s Service) Refresh(ctx context.Context) (int, error) {
	s.History = nil // from the stored snapshots, whatever this instance kept
	refs, err := s.Store.ReportSnapshotsBehind(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ref := range refs {
		_, in, lg, err := s.Input(ctx, ref.UserID, ref.ProjectID, ref.CycleID)
		if err == nil {
			_, err = s.replay(ctx, ref.ProjectID, in, lg, true)
		}
		switch {
		case err == nil:
			n++
		case errors.Is(err, models.ErrNotFound), errors.Is(err, ErrHistoryPruned):
			// Deleted meanwhile, or already past saving.
		default:
			return n, err
		}
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
	}
	return n, nil
}

// load is the stored state of the cycle, if it was made with params, and
// its seq (-1: none usable).
func (s Service) load(ctx context.Context, projectID, cycleID, params string) (*planning.State, int64) {
	snap, err := s.Store.ReportSnapshot(ctx, projectID, cycleID)
	if err != nil {
		if !errors.Is(err, models.ErrNotFound) {
			s.logger().WarnContext(ctx, "cycle report: reading the snapshot", "cycle_id", cycleID, "err", err)
		}
		return nil, -1
	}
	if snap.Params != params {
		return nil, -1
	}
	var st planning.State
	if err := json.Unmarshal([]byte(snap.State), &st); err != nil || st.Seq != snap.Seq {
		s.logger().WarnContext(ctx, "cycle report: an unreadable snapshot is replaced", "cycle_id", cycleID, "err", err)
		return nil, -1
	}
	return &st, snap.Seq
}

// save stores st; a failure costs the next instance a longer read, never a
// wrong report, so it is logged and the report answered.
func (s Service) save(ctx context.Context, projectID, cycleID, params string, st *planning.State) {
	raw, err := json.Marshal(st)
	if err == nil {
		err = s.Store.SaveReportSnapshot(ctx, models.ReportSnapshot{CycleID: cycleID, ProjectID: projectID,
			Params: params, Seq: st.Seq, Final: st.Final, State: string(raw)})
	}
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		s.logger().WarnContext(ctx, "cycle report: saving the snapshot", "cycle_id", cycleID, "err", err)
	}
}

func (s Service) logger() *slog.Logger { return cmp.Or(s.Logger, slog.Default()) }
