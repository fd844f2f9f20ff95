package models

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Import jobs: one per uploaded file (app/transfer runs them). A job's
// project is written in several transactions (so a 5,000-card import does
// not hold the single SQLite writer for seconds), but it has no member
// until the last one: until then no query — every one is scoped by
// membership — can see it. A job that fails, or that a restart finds
// unfinished, deletes its project in the same transaction that marks it
// failed: an import leaves a whole project or none.

// Import statuses.
const (
	ImportQueued  = "queued"
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed"
)

// MaxImportWarnings bounds the warnings a job keeps (the last one says how
// many more there were).
const MaxImportWarnings = 500

// ImportJob is an import as its creator sees it.
type ImportJob struct {
	ID        string    `json:"id"`
	Source    string    `json:"source"`
	Status    string    `json:"status"`
	Progress  Progress  `json:"progress"`
	ProjectID *string   `json:"project_id"`
	Warnings  []string  `json:"warnings"`
	Error     string    `json:"error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Progress counts the items of an import written so far.
type Progress struct {
	Done  int `json:"done"`
	Total int `json:"total"`
}

type importRow struct {
	ID         string
	UserID     string
	Source     string
	Status     string
	DoneCount  int
	TotalCount int
	ProjectID  *string
	Warnings   string
	Error      string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

func (importRow) TableName() string { return "imports" }

func (r importRow) view() ImportJob {
	w := []string{}
	_ = json.Unmarshal([]byte(r.Warnings), &w)
	j := ImportJob{ID: r.ID, Source: r.Source, Status: r.Status, Progress: Progress{Done: r.DoneCount, Total: r.TotalCount},
		Warnings: w, Error: r.Error, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.Status == ImportDone { // before that the project is not the caller's to see
		j.ProjectID = r.ProjectID
	}
	return j
}

// CreateImport queues a job for userID.
func (s *Store) CreateImport(ctx context.Context, userID, source string) (ImportJob, error) {
	now := s.now()
	r := importRow{ID: uuid.NewString(), UserID: userID, Source: source, Status: ImportQueued, Warnings: "[]",
		CreatedAt: now, UpdatedAt: now}
	if err := translate(s.write(ctx).Create(&r).Error); err != nil {
		return ImportJob{}, err
	}
	return r.view(), nil
}

// GetImport loads a job of userID's (anyone else's is ErrNotFound).
func (s *Store) GetImport(ctx context.Context, userID, id string) (ImportJob, error) {
	if _, err := uuid.Parse(id); err != nil {
		return ImportJob{}, ErrNotFound
	}
	var r importRow
	if err := translate(s.read(ctx).Where("id = ? AND user_id = ?", id, userID).Take(&r).Error); err != nil {
		return ImportJob{}, err
	}
	return r.view(), nil
}

// ImportProgress records how far a running job is; it is also the job's
// heartbeat (updated_at), which FailUnfinishedImports reads.
func (s *Store) ImportProgress(ctx context.Context, id string, done, total int) error {
	return translate(s.write(ctx).Model(&importRow{}).Where("id = ? AND status = ?", id, ImportRunning).
		Updates(map[string]any{"done_count": done, "total_count": total, "updated_at": s.now()}).Error)
}

// FailImport marks a job failed with reason and deletes the project it
// was writing, in one transaction. A job already done is left alone.
func (s *Store) FailImport(ctx context.Context, id, reason string) error {
	return s.tx(ctx, func(tx *gorm.DB) error { return failImport(tx, id, reason, s.now()) })
}

func failImport(tx *gorm.DB, id, reason string, now time.Time) error {
	var r importRow
	if err := tx.Where("id = ?", id).Take(&r).Error; err != nil {
		return err
	}
	if r.Status == ImportDone || r.Status == ImportFailed {
		return nil
	}
	if r.ProjectID != nil {
		if err := tx.Where("id = ?", *r.ProjectID).Delete(&projectRow{}).Error; err != nil {
			return err
		}
	}
	return tx.Model(&importRow{}).Where("id = ?", id).Updates(map[string]any{"status": ImportFailed,
		"error": reason, "project_id": nil, "updated_at": now}).Error
}

// FailUnfinishedImports fails the jobs still queued or running whose
// heartbeat is older than before (zero: all of them — a single instance
// at start, where no other process can be running one), deleting their
// projects. It returns how many it failed.
func (s *Store) FailUnfinishedImports(ctx context.Context, before time.Time, reason string) (int, error) {
	var ids []string
	q := s.read(ctx).Model(&importRow{}).Where("status IN ?", []string{ImportQueued, ImportRunning})
	if !before.IsZero() {
		q = q.Where("updated_at < ?", before)
	}
	if err := q.Pluck("id", &ids).Error; err != nil {
		return 0, translate(err)
	}
	for _, id := range ids {
		if err := s.FailImport(ctx, id, reason); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

func warningsJSON(w []string) string {
	if len(w) > MaxImportWarnings {
		more := len(w) - MaxImportWarnings + 1
		w = append(w[:MaxImportWarnings-1:MaxImportWarnings-1], itoa(more)+" more warnings not shown")
	}
	if w == nil {
		w = []string{}
	}
	b, _ := json.Marshal(w)
	return string(b)
}
