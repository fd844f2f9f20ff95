package models

import (
	"context"
	"database/sql"
	"time"

	"gorm.io/gorm"
)

// The reads of an export (app/transfer writes the document): the small
// head of a project in one call, then its issues a page at a time in
// board order, so a project of any size streams in constant memory.

// ExportHead is a project's head: settings, columns, members, cycles.
type ExportHead struct {
	Project Project
	Members []Member
	Cycles  []TransferCycle // capacities by email
}

// TransferCycle is a cycle as it leaves in an export or arrives in an
// import, with its per-member capacities: keyed by email in an export, by
// user id in an import.
type TransferCycle struct {
	Number     int64
	Name       string
	StartsOn   string
	EndsOn     string
	Goal       string
	Capacities map[string]int
}

// ExportIssue is an issue with the emails of its people, its cycle's
// number and name, and its comments oldest first.
type ExportIssue struct {
	Issue
	AssigneeEmail string
	AuthorEmail   string
	CycleNumber   *int64
	CycleName     string
	Comments      []ExportComment
}

// ExportComment is a comment with its author's email.
type ExportComment struct {
	AuthorEmail string
	Body        string
	CreatedAt   time.Time
}

// ExportCursor is where the next page of a column's issues starts: after
// the issue at Rank, ID. The zero value starts at the top.
type ExportCursor struct {
	Rank string
	ID   string
}

// ExportSnapshot reads one project's export inside one read-only
// transaction on one connection, so the head and every page see the same
// moment (a card moved meanwhile is neither missed nor read twice). Close
// it when done.
type ExportSnapshot struct {
	s      *Store
	conn   *sql.Conn
	db     *gorm.DB
	userID string
	pid    string
	head   ExportHead
}

// OpenExportSnapshot begins the snapshot of a project userID is a member
// of (ErrNotFound otherwise) and reads its head.
func (s *Store) OpenExportSnapshot(ctx context.Context, userID, projectID string) (*ExportSnapshot, error) {
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, translate(err)
	}
	// The pool's own BEGIN would be IMMEDIATE on SQLite (_txlock), taking
	// the write lock for the whole export: a deferred one only reads.
	begin := "BEGIN DEFERRED"
	if s.dialect == "postgres" {
		begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	}
	if _, err := conn.ExecContext(ctx, begin); err != nil {
		conn.Close()
		return nil, translate(err)
	}
	// WithContext first: it gives the session a Statement of its own, so
	// binding it to conn leaves the store's pool alone.
	db := s.db.WithContext(ctx).Session(&gorm.Session{})
	db.Statement.ConnPool = conn
	snap := &ExportSnapshot{s: s, conn: conn, db: db, userID: userID, pid: projectID}
	if snap.head, err = s.exportHead(db.WithContext(ctx), userID, projectID); err != nil {
		snap.Close()
		return nil, err
	}
	return snap, nil
}

// Head is the project's head as the snapshot sees it.
func (x *ExportSnapshot) Head() ExportHead { return x.head }

// Close ends the snapshot's transaction and returns its connection.
func (x *ExportSnapshot) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := x.conn.ExecContext(ctx, "ROLLBACK")
	if cerr := x.conn.Close(); err == nil {
		err = cerr
	}
	return err
}

// exportHead reads the head of a project userID is a member of.
func (s *Store) exportHead(db *gorm.DB, userID, projectID string) (ExportHead, error) {
	role, err := memberRole(db, projectID, userID)
	if err != nil {
		return ExportHead{}, err
	}
	var row projectRow
	if err := translate(db.Where("id = ?", projectID).Take(&row).Error); err != nil {
		return ExportHead{}, err
	}
	cols, err := s.columnsOf(db, projectID)
	if err != nil {
		return ExportHead{}, err
	}
	p := row.view(role, cols[projectID])
	ms, err := s.membersOf(db, projectID, "")
	if err != nil {
		return ExportHead{}, err
	}
	var rows []cycleRow
	if err := db.Where("project_id = ?", projectID).Order("number").Find(&rows).Error; err != nil {
		return ExportHead{}, translate(err)
	}
	var caps []struct {
		CycleID string
		Email   string
		Points  int
	}
	if err := db.Table("cycle_capacities").Select("cycle_capacities.cycle_id, users.email, cycle_capacities.points").
		Joins("JOIN users ON users.id = cycle_capacities.user_id").
		Joins("JOIN cycles ON cycles.id = cycle_capacities.cycle_id").
		Where("cycles.project_id = ?", projectID).Scan(&caps).Error; err != nil {
		return ExportHead{}, translate(err)
	}
	byCycle := map[string]map[string]int{}
	for _, c := range caps {
		if byCycle[c.CycleID] == nil {
			byCycle[c.CycleID] = map[string]int{}
		}
		byCycle[c.CycleID][c.Email] = c.Points
	}
	h := ExportHead{Project: p, Members: ms, Cycles: make([]TransferCycle, len(rows))}
	for i, r := range rows {
		h.Cycles[i] = TransferCycle{Number: r.Number, Name: r.Name, StartsOn: r.StartsOn, EndsOn: r.EndsOn, Goal: r.Goal,
			Capacities: byCycle[r.ID]}
	}
	return h, nil
}

// exportIssueSelect reads a column's issues in board order with what an
// export names them by, a page at a time along the board index (project,
// status, rank, id). The trash is left out: an export carries what the
// board shows.
const exportIssueSelect = `SELECT i.id, i.project_id, i.number, i.title, i.description, i.status, i.priority,
	i.assignee_id, i.author_id, i.labels, i.effort, i.due_date, i.rank, i.version, i.created_at, i.updated_at,
	i.cycle_id, i.carryover, i.comment_count, COALESCE(a.email, ''), COALESCE(w.email, ''),
	c.number, COALESCE(c.name, '')
	FROM issues i
	LEFT JOIN users a ON a.id = i.assignee_id
	LEFT JOIN users w ON w.id = i.author_id
	LEFT JOIN cycles c ON c.id = i.cycle_id
	WHERE i.project_id = ? AND i.status = ? AND i.deleted_at IS NULL AND (i.rank, i.id) > (?, ?)
	ORDER BY i.rank, i.id LIMIT ?`

// Issues reads up to limit issues of column status after cursor, in board
// order; the returned cursor continues after them (a short page is the
// column's last).
func (x *ExportSnapshot) Issues(ctx context.Context, status string, after ExportCursor, limit int,
	withComments bool) ([]ExportIssue, ExportCursor, error) {
	db, projectID := x.db.WithContext(ctx), x.pid
	rows, err := db.Raw(exportIssueSelect, projectID, status, after.Rank, after.ID, limit).Rows()
	if err != nil {
		return nil, after, translate(err)
	}
	defer rows.Close()
	var out []ExportIssue
	ids := []string{}
	for rows.Next() {
		var r issueRow
		var e ExportIssue
		if err := rows.Scan(&r.ID, &r.ProjectID, &r.Number, &r.Title, &r.Description, &r.Status, &r.Priority,
			&r.AssigneeID, &r.AuthorID, &r.Labels, &r.Effort, &r.DueDate, &r.Rank, &r.Version, &r.CreatedAt,
			&r.UpdatedAt, &r.CycleID, &r.Carryover, &r.CommentCount, &e.AssigneeEmail, &e.AuthorEmail,
			&e.CycleNumber, &e.CycleName); err != nil {
			return nil, after, err
		}
		r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
		e.Issue = r.view("")
		after = ExportCursor{Rank: r.Rank, ID: r.ID}
		out = append(out, e)
		ids = append(ids, r.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, after, err
	}
	if withComments && len(ids) > 0 {
		byIssue, err := exportComments(db, projectID, ids)
		if err != nil {
			return nil, after, err
		}
		for i := range out {
			out[i].Comments = byIssue[out[i].ID]
		}
	}
	return out, after, nil
}

func exportComments(db *gorm.DB, projectID string, issueIDs []string) (map[string][]ExportComment, error) {
	rows, err := db.Raw(`SELECT c.issue_id, u.email, c.body, c.created_at FROM comments c
		JOIN users u ON u.id = c.author_id
		WHERE c.project_id = ? AND c.issue_id IN ? ORDER BY c.issue_id, c.created_at, c.id`, projectID, issueIDs).Rows()
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := map[string][]ExportComment{}
	for rows.Next() {
		var id string
		var c ExportComment
		if err := rows.Scan(&id, &c.AuthorEmail, &c.Body, &c.CreatedAt); err != nil {
			return nil, err
		}
		c.CreatedAt = c.CreatedAt.UTC()
		out[id] = append(out[id], c)
	}
	return out, rows.Err()
}
