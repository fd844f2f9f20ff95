package models

import (
	"context"
	"database/sql"
	"errors"
)

// ReportSnapshot is a cycle report's replay of the project's log up to Seq
// (app/planning/cyclereport keeps it; the store does not read State).
// Params is what the replay depends on besides the log: a report whose
// params differ does not use it.
type ReportSnapshot struct {
	CycleID   string
	ProjectID string
	Params    string
	Seq       int64
	Final     bool   // no later event changes it
	State     string // JSON: numbers, ids and keys only
}

// ReportSnapshot reads the snapshot of a cycle of the project, without a
// membership check (the report checked it reading the cycle):
// ErrNotFound when there is none.
func (s *Store) ReportSnapshot(ctx context.Context, projectID, cycleID string) (ReportSnapshot, error) {
	var r ReportSnapshot
	err := s.read(ctx).Raw(`SELECT cycle_id, project_id, params, seq, final, state FROM report_snapshots
		WHERE project_id = ? AND cycle_id = ?`, projectID, cycleID).Row().
		Scan(&r.CycleID, &r.ProjectID, &r.Params, &r.Seq, &r.Final, &r.State)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return ReportSnapshot{}, ErrNotFound
		}
		return ReportSnapshot{}, translate(err)
	}
	return r, nil
}

// SaveReportSnapshot stores r unless the stored one has the same params
// and a seq at least as far: instances racing to save keep the furthest.
// A cycle deleted meanwhile is ErrNotFound (nothing stored).
func (s *Store) SaveReportSnapshot(ctx context.Context, r ReportSnapshot) error {
	res := s.write(ctx).Exec(`INSERT INTO report_snapshots (cycle_id, project_id, params, seq, final, state, updated_at)
		SELECT id, project_id, ?, ?, ?, ?, ? FROM cycles WHERE id = ? AND project_id = ?
		ON CONFLICT (cycle_id) DO UPDATE SET params = excluded.params, seq = excluded.seq,
			final = excluded.final, state = excluded.state, updated_at = excluded.updated_at
		WHERE report_snapshots.params <> excluded.params OR report_snapshots.seq < excluded.seq
			OR excluded.final AND NOT report_snapshots.final`,
		r.Params, r.Seq, r.Final, r.State, s.now(), r.CycleID, r.ProjectID)
	if res.Error != nil {
		return translate(res.Error)
	}
	return nil
}

// SnapshotRef names a stored snapshot and a member of its project, to
// read the cycle's report as (it is the same for every member).
type SnapshotRef struct {
	ProjectID, CycleID, UserID string
}

// ReportSnapshotsBehind lists the stored snapshots that are not final and
// behind their project's log: what a refresh before a prune brings up to
// date, so that the prune takes only events they no longer need.
func (s *Store) ReportSnapshotsBehind(ctx context.Context) ([]SnapshotRef, error) {
	var out []SnapshotRef
	rows, err := s.read(ctx).Raw(`SELECT r.project_id, r.cycle_id,
			(SELECT m.user_id FROM members m WHERE m.project_id = r.project_id ORDER BY m.user_id LIMIT 1)
		FROM report_snapshots r JOIN projects p ON p.id = r.project_id
		WHERE NOT r.final AND r.seq < p.seq ORDER BY r.project_id, r.cycle_id`).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var ref SnapshotRef
		var user sql.NullString
		if err := rows.Scan(&ref.ProjectID, &ref.CycleID, &user); err != nil {
			return nil, translate(err)
		}
		if user.Valid {
			ref.UserID = user.String
			out = append(out, ref)
		}
	}
	return out, translate(rows.Err())
}
