package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// The writes of an import (import_job.go says how they stay atomic). The
// caller (app/transfer) has cleaned every value; each is checked again
// here with the rules of the ordinary changes, and a value that fails
// them fails the import (it is a bug of the cleaning, never half-written).

// ImportProject is what an import creates before its issues: the project,
// its columns and cycles.
type ImportProject struct {
	Name        string
	Key         string
	Description string
	Settings    ProjectSettings // zero fields: the defaults
	Columns     []Column
	Cycles      []TransferCycle // capacities by user id
}

// ImportIssue is an issue to write, with its comments. CycleNumber names
// one of ImportProject.Cycles; Rank orders it in its column. Its creation
// is the issue.created event Seq of the project's log, by Actor at EventAt
// (each comment likewise a comment.created): the caller numbers the
// events of the whole import so that seq and time go up together, as in
// a log written by hand.
type ImportIssue struct {
	Seq         int64
	EventAt     time.Time
	Actor       User
	Number      int64
	Title       string
	Description string
	Status      string
	Priority    string
	AssigneeID  *string
	AuthorID    *string
	Labels      []string
	Effort      *int
	DueDate     *string
	CycleNumber *int64
	Carryover   int
	Rank        string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Comments    []ImportComment
}

// ImportComment is a comment of an ImportIssue.
type ImportComment struct {
	Seq       int64
	EventAt   time.Time
	Author    User
	Body      string
	CreatedAt time.Time
}

// ImportMember is a member an import adds (matched by email).
type ImportMember struct {
	UserID   string
	Role     Role
	Capacity *int
}

// UsersByEmail finds the accounts of the given addresses (normalized),
// keyed by normalized email; unknown addresses are absent.
func (s *Store) UsersByEmail(ctx context.Context, emails []string) (map[string]User, error) {
	out := map[string]User{}
	for start := 0; start < len(emails); start += 500 {
		chunk := emails[start:min(start+500, len(emails))]
		norm := make([]string, len(chunk))
		for i, e := range chunk {
			norm[i] = NormalizeEmail(e)
		}
		var rows []userRow
		if err := s.read(ctx).Where("email IN ?", norm).Find(&rows).Error; err != nil {
			return nil, translate(err)
		}
		for _, r := range rows {
			out[r.Email] = r.view()
		}
	}
	return out, nil
}

// StartImport creates the job's project (no members yet), its columns and
// cycles, and marks the job running with total items to write. It returns
// the project id and the cycles' ids by number.
func (s *Store) StartImport(ctx context.Context, jobID string, p ImportProject, total int) (string, map[int64]string, error) {
	v := &ValidationError{}
	validateName(v, "name", p.Name, maxProjectName)
	validateKey(v, p.Key)
	validateDescriptionText(v, "description", p.Description, maxDescription)
	for _, c := range p.Columns {
		validateName(v, "columns.name", c.Name, 50)
		if !columnKeyPattern.MatchString(c.Key) {
			v.Add("columns.key", "is not a column key: "+c.Key)
		}
		validateCategory(v, c.Category)
		validateWIP(v, c.WIPLimit)
	}
	if len(p.Columns) == 0 || len(p.Columns) > maxColumns {
		v.Add("columns", "must be 1 to "+itoa(maxColumns))
	}
	for i := range p.Cycles {
		in := CycleInput{Name: p.Cycles[i].Name, Goal: p.Cycles[i].Goal, StartsOn: p.Cycles[i].StartsOn, EndsOn: p.Cycles[i].EndsOn}
		in.validate(v)
		for _, pts := range p.Cycles[i].Capacities {
			validateCapacity(v, "cycles.capacities", &pts)
		}
	}
	if err := v.Err(); err != nil {
		return "", nil, fmt.Errorf("import: %w", err)
	}
	settings := defaultSettings()
	if p.Settings.EstimateScale != "" {
		settings = p.Settings
	}
	now := s.now()
	row := projectRow{ID: uuid.NewString(), Key: p.Key, Name: strings.TrimSpace(p.Name), Description: p.Description,
		CreatedAt: now, UpdatedAt: now, ProjectSettings: settings}
	cols := make([]columnRow, len(p.Columns))
	for i, c := range p.Columns {
		cols[i] = columnRow{ID: uuid.NewString(), ProjectID: row.ID, Key: c.Key, Name: c.Name, Position: i,
			WIPLimit: c.WIPLimit, Category: c.Category}
	}
	// The board is written without column events: the log starts from it.
	initial, _ := json.Marshal(columnViews(cols))
	row.InitialColumns = string(initial)
	cycleIDs := map[int64]string{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := tx.Create(&cols).Error; err != nil {
			return err
		}
		for _, c := range p.Cycles {
			cr := cycleRow{ID: uuid.NewString(), ProjectID: row.ID, Number: c.Number, Name: c.Name, StartsOn: c.StartsOn,
				EndsOn: c.EndsOn, Goal: c.Goal, CreatedAt: now, UpdatedAt: now}
			// A completed cycle arrives as it was left: its issues do not
			// roll over again here (the file says where they are).
			if s.cycleState(cr, settings.Timezone) == cycleCompleted {
				cr.RolledOverAt = &now
			}
			if err := tx.Create(&cr).Error; err != nil {
				return err
			}
			cycleIDs[c.Number] = cr.ID
			for uid, pts := range c.Capacities {
				if err := tx.Create(&cycleCapacityRow{CycleID: cr.ID, UserID: uid, Points: pts}).Error; err != nil {
					return err
				}
			}
		}
		res := tx.Model(&importRow{}).Where("id = ? AND status = ?", jobID, ImportQueued).Updates(map[string]any{
			"status": ImportRunning, "project_id": row.ID, "total_count": total, "updated_at": now})
		if res.Error == nil && res.RowsAffected == 0 {
			return ErrNotFound
		}
		return res.Error
	})
	if err != nil {
		return "", nil, err
	}
	return row.ID, cycleIDs, nil
}

// ImportIssues writes a batch of issues with their comments, and the
// events of their creation, in one transaction, and records done as the
// job's progress.
func (s *Store) ImportIssues(ctx context.Context, jobID, projectID, projectKey string, cycleIDs map[int64]string, batch []ImportIssue, done, total int) error {
	rows := make([]issueRow, 0, len(batch))
	var comments []commentRow
	events := make([]importEventRow, 0, len(batch))
	v := &ValidationError{}
	for _, in := range batch {
		validateTitle(v, in.Title)
		validateDescription(v, in.Description)
		if !validPriority(in.Priority) {
			v.Add("priority", "must be one of low, medium, high, urgent")
		}
		labels := cleanLabels(v, in.Labels)
		validateEffort(v, in.Effort)
		validateDueDate(v, in.DueDate)
		lb, _ := json.Marshal(labels)
		r := issueRow{ID: uuid.NewString(), ProjectID: projectID, Number: in.Number, Title: strings.TrimSpace(in.Title),
			Description: in.Description, Status: in.Status, Priority: in.Priority, AssigneeID: in.AssigneeID,
			AuthorID: in.AuthorID, Labels: string(lb), Effort: in.Effort, DueDate: in.DueDate, Rank: in.Rank,
			Version: 1, CreatedAt: in.CreatedAt.UTC(), UpdatedAt: in.UpdatedAt.UTC(), Carryover: in.Carryover,
			CommentCount: int64(len(in.Comments))}
		if in.CycleNumber != nil {
			id, ok := cycleIDs[*in.CycleNumber]
			if !ok {
				v.Add("cycle", "no cycle "+itoa(int(*in.CycleNumber)))
			}
			r.CycleID = &id
		}
		if in.Seq < 1 {
			v.Add("seq", "the issue's creation has no place in the log")
		}
		// As it was created: its comments follow as events of their own.
		created := r
		created.CommentCount = 0
		events = append(events, importEvent(projectID, in.Seq, EventIssueCreated, in.Actor, in.EventAt, r.ID,
			created.view(projectKey)))
		for _, c := range in.Comments {
			validateCommentBody(v, c.Body)
			cr := commentRow{ID: uuid.NewString(), ProjectID: projectID, IssueID: r.ID,
				AuthorID: c.Author.ID, Body: c.Body, Version: 1, CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.CreatedAt.UTC()}
			comments = append(comments, cr)
			events = append(events, importEvent(projectID, c.Seq, EventCommentCreated, c.Author, c.EventAt, r.ID,
				Comment{ID: cr.ID, IssueID: r.ID, Author: CommentAuthor{ID: c.Author.ID, Name: c.Author.DisplayName,
					Handle: c.Author.Handle}, Body: cr.Body, Version: 1, CreatedAt: cr.CreatedAt, UpdatedAt: cr.UpdatedAt}))
		}
		rows = append(rows, r)
		if len(v.Fields) > 0 {
			return fmt.Errorf("import: issue %d: %w", in.Number, v.Err())
		}
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		if len(rows) > 0 {
			if err := tx.CreateInBatches(&rows, 200).Error; err != nil {
				return err
			}
		}
		if len(comments) > 0 {
			if err := tx.CreateInBatches(&comments, 200).Error; err != nil {
				return err
			}
		}
		if len(events) > 0 {
			if err := tx.CreateInBatches(&events, 200).Error; err != nil {
				return err
			}
		}
		res := tx.Model(&importRow{}).Where("id = ? AND status = ?", jobID, ImportRunning).
			Updates(map[string]any{"done_count": done, "total_count": total, "updated_at": s.now()})
		if res.Error == nil && res.RowsAffected == 0 {
			return ErrNotFound // failed meanwhile (a sweep): write nothing more
		}
		return res.Error
	})
}

// FinishImport makes the project visible: it adds the owner and the
// matched members, sets the counters past the numbers used, and marks the
// job done with its warnings, in one transaction.
func (s *Store) FinishImport(ctx context.Context, jobID, projectID, ownerID string, members []ImportMember, warnings []string) error {
	now := s.now()
	return s.tx(ctx, func(tx *gorm.DB) error {
		rows := []memberRow{{ProjectID: projectID, UserID: ownerID, Role: RoleOwner, CreatedAt: now}}
		for _, m := range members {
			if m.UserID == ownerID {
				rows[0].Capacity = m.Capacity
				continue
			}
			if !m.Role.Valid() {
				return fmt.Errorf("import: role %q", m.Role)
			}
			rows = append(rows, memberRow{ProjectID: projectID, UserID: m.UserID, Role: m.Role, CreatedAt: now, Capacity: m.Capacity})
		}
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE projects SET
			issue_counter = (SELECT COALESCE(MAX(number), 0) FROM issues WHERE project_id = ?),
			cycle_counter = (SELECT COALESCE(MAX(number), 0) FROM cycles WHERE project_id = ?),
			seq = (SELECT COALESCE(MAX(seq), 0) FROM events WHERE project_id = ?)
			WHERE id = ?`, projectID, projectID, projectID, projectID).Error; err != nil {
			return err
		}
		res := tx.Model(&importRow{}).Where("id = ? AND status = ? AND project_id = ?", jobID, ImportRunning, projectID).
			Updates(map[string]any{"status": ImportDone, "warnings": warningsJSON(warnings), "updated_at": now,
				"done_count": gorm.Expr("total_count")})
		if res.Error == nil && res.RowsAffected == 0 {
			return ErrNotFound
		}
		return res.Error
	})
}

func validateDescriptionText(v *ValidationError, field, s string, max int) {
	if len([]rune(s)) > max || !validText(s) {
		v.Add(field, "must be at most "+itoa(max)+" characters of text")
	}
}

// importEventRow is an event an import writes, linked to its issue (the
// issue's activity: PruneEvents keeps it while the issue exists).
type importEventRow struct {
	Event   eventRow `gorm:"embedded"`
	IssueID *string
}

func (importEventRow) TableName() string { return "events" }

func importEvent(projectID string, seq int64, typ string, actor User, at time.Time, issueID string, data any) importEventRow {
	payload, _ := json.Marshal(data) // DTOs of plain values: no error
	return importEventRow{Event: eventRow{ProjectID: projectID, Seq: seq, Type: typ, ActorID: actor.ID,
		ActorName: actor.DisplayName, Payload: string(payload), CreatedAt: at.UTC()}, IssueID: &issueID}
}
