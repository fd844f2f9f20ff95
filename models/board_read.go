package models

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattn/go-sqlite3"
)

// Reading a whole board (issue #16: 10,000 cards). On SQLite the driver
// costs about three cgo calls, an interface conversion and an allocation
// per column read, and a time.Parse per timestamp: for 19 columns that was
// three quarters of a 10,000-card GET /board. So on SQLite printf packs
// each row into one text value, every column as "<bytes>:<text>" ("-1:"
// for NULL), and group_concat joins them: the board comes back as one
// value, cut up here without copying. SQLite's ORDER BY sorted those whole
// rows (a third of the query); they are sorted here instead, by the same
// bytewise order. PostgreSQL (pgx, binary protocol) keeps the plain scan,
// which is also the fallback should the packed read fail (a row that does
// not parse, a board beyond SQLite's maximum string length).
// TestBoardPackedMatchesScan checks both readers give equal issues.

// boardColumns are the issue columns a board reads, in Issue's order.
var boardColumns = []string{"id", "project_id", "number", "title", "description", "status", "priority",
	"assignee_id", "author_id", "labels", "effort", "due_date", "rank", "version", "created_at", "updated_at",
	"cycle_id", "carryover", "comment_count"}

const boardWhere = ` FROM issues WHERE project_id = ? AND deleted_at IS NULL`

// nullableColumns are the board's columns that may be NULL.
var nullableColumns = map[string]bool{"assignee_id": true, "author_id": true, "effort": true, "due_date": true, "cycle_id": true}

// packedColumns are those the packed read has SQLite print: all but
// project_id, which the query's condition fixes.
var packedColumns = slices.DeleteFunc(slices.Clone(boardColumns), func(c string) bool { return c == "project_id" })

var (
	boardScanSQL   = "SELECT " + strings.Join(boardColumns, ", ") + boardWhere + " ORDER BY rank, id"
	boardPackedSQL = "SELECT count(*), ifnull(group_concat(" + packedPrintf(packedColumns) + ", ''), '')" + boardWhere
)

// packedPrintf is an expression printing cols as one text value, each as its
// length in bytes, a colon and its text; NULL as length -1.
func packedPrintf(cols []string) string {
	format, args := make([]string, len(cols)), make([]string, 0, 2*len(cols))
	for i, c := range cols {
		format[i] = "%d:%s"
		length := "octet_length(" + c + ")"
		if nullableColumns[c] {
			length = "ifnull(" + length + ", -1)"
		}
		args = append(args, length, c)
	}
	return "printf('" + strings.Join(format, "") + "', " + strings.Join(args, ", ") + ")"
}

// Board loads a project and all its issues, in board order (rank, then id).
func (s *Store) Board(ctx context.Context, userID, projectID string) (Project, []Issue, error) {
	p, err := s.GetProject(ctx, userID, projectID)
	if err != nil {
		return Project{}, nil, err
	}
	var issues []Issue
	if s.dialect == "sqlite" {
		if issues, err = s.boardPacked(ctx, p); err != nil && ctx.Err() == nil {
			s.log.Warn("board: the packed read failed; reading column by column", "project", p.ID, "err", err)
			issues, err = s.boardScan(ctx, p)
		}
	} else {
		issues, err = s.boardScan(ctx, p)
	}
	if err != nil {
		return Project{}, nil, translate(err)
	}
	return p, issues, nil
}

// boardScan reads the issues column by column (PostgreSQL; on SQLite the
// reference the packed reader is tested against).
func (s *Store) boardScan(ctx context.Context, p Project) ([]Issue, error) {
	// Scanned by hand: GORM's reflection was a third of a 1,000-card load.
	rows, err := s.read(ctx).Raw(boardScanSQL, p.ID).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Issue{}
	for rows.Next() {
		var r issueRow
		if err := rows.Scan(&r.ID, &r.ProjectID, &r.Number, &r.Title, &r.Description, &r.Status, &r.Priority,
			&r.AssigneeID, &r.AuthorID, &r.Labels, &r.Effort, &r.DueDate, &r.Rank, &r.Version, &r.CreatedAt, &r.UpdatedAt,
			&r.CycleID, &r.Carryover, &r.CommentCount); err != nil {
			return nil, err
		}
		out = append(out, r.view(p.Key))
	}
	return out, rows.Err()
}

// boardPacked reads the issues of p on SQLite: their count and their
// packed rows concatenated (group_concat), one value for the whole board,
// so the driver's per-row costs (a cgo step, a copy, an interface, a Scan)
// are paid once. It sorts them into board order (SQLite's rank, id).
func (s *Store) boardPacked(ctx context.Context, p Project) ([]Issue, error) {
	var (
		n     int
		whole string
	)
	if err := s.read(ctx).Raw(boardPackedSQL, p.ID).Row().Scan(&n, &whole); err != nil {
		return nil, err
	}
	// Every text field of every issue points into whole.
	issues := make([]Issue, n)
	r := &packedRow{rest: whole}
	var a boardAlloc
	for i := range issues {
		issues[i] = a.issue(r, p)
	}
	if r.err == nil && r.rest != "" {
		r.fail("trailing bytes")
	}
	if r.err != nil {
		return nil, r.err
	}
	setKeys(issues, p.Key)
	return boardOrder(issues), nil
}

// boardOrder sorts issues by rank, then id, comparing bytes (SQLite's
// BINARY collation): an index is sorted, then the issues are moved into
// place along the permutation's cycles (no second slice of issues).
func boardOrder(issues []Issue) []Issue {
	idx := make([]int32, len(issues))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		if c := strings.Compare(issues[a].Rank, issues[b].Rank); c != 0 {
			return c
		}
		return strings.Compare(issues[a].ID, issues[b].ID)
	})
	// Position i takes issues[idx[i]]; a visited position is marked -1.
	for i := range idx {
		if idx[i] < 0 || int(idx[i]) == i {
			continue
		}
		held := issues[i]
		j := i
		for {
			k := int(idx[j])
			idx[j] = -1
			if k == i {
				issues[j] = held
				break
			}
			issues[j] = issues[k]
			j = k
		}
	}
	return issues
}

// errPacked is a packed row that does not parse: a bug here, not bad data.
type errPacked string

func (e errPacked) Error() string { return "models: packed board row: " + string(e) }

// boardAlloc hands out the small values issues point to (optional ids and
// numbers, label lists, keys) from shared slabs: a few allocations per
// hundred issues instead of several per issue.
type boardAlloc struct {
	strs   []string
	ints   []int
	labels []string
}

func (a *boardAlloc) str(v string) *string {
	if len(a.strs) == cap(a.strs) {
		a.strs = make([]string, 0, 256)
	}
	a.strs = append(a.strs, v)
	return &a.strs[len(a.strs)-1]
}

func (a *boardAlloc) int(v int) *int {
	if len(a.ints) == cap(a.ints) {
		a.ints = make([]int, 0, 256)
	}
	a.ints = append(a.ints, v)
	return &a.ints[len(a.ints)-1]
}

// packedRow cuts a packed row into its fields; the first problem sticks.
type packedRow struct {
	rest string
	err  error
}

// next is the next field; null reports NULL.
func (r *packedRow) next() (v string, null bool) {
	if r.err != nil {
		return "", true
	}
	if strings.HasPrefix(r.rest, "-1:") {
		r.rest = r.rest[3:]
		return "", true
	}
	colon := strings.IndexByte(r.rest, ':')
	if colon < 0 {
		r.fail("no field length")
		return "", true
	}
	n, err := strconv.Atoi(r.rest[:colon])
	if err != nil || n < 0 || n > len(r.rest)-colon-1 {
		r.fail("bad field length")
		return "", true
	}
	v, r.rest = r.rest[colon+1:colon+1+n], r.rest[colon+1+n:]
	return v, false
}

func (r *packedRow) fail(why string) {
	if r.err == nil {
		r.err = errPacked(why)
	}
}

func (r *packedRow) text() string {
	v, _ := r.next()
	return v
}

func (r *packedRow) number(v string) int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		r.fail("bad integer " + strconv.Quote(v))
	}
	return n
}

func (r *packedRow) int64() int64 {
	if v, null := r.next(); !null {
		return r.number(v)
	}
	return 0
}

func (r *packedRow) optString(a *boardAlloc) *string {
	if v, null := r.next(); !null {
		return a.str(v)
	}
	return nil
}

func (r *packedRow) optInt(a *boardAlloc) *int {
	if v, null := r.next(); !null {
		return a.int(int(r.number(v)))
	}
	return nil
}

func (r *packedRow) time() time.Time {
	v, _ := r.next()
	return sqliteTime(v)
}

// issue parses the next packed row of r (packedColumns' order) into an
// issue of p.
func (a *boardAlloc) issue(r *packedRow, p Project) Issue {
	var is Issue
	is.ID = r.text()
	is.ProjectID = p.ID // the query's own condition
	is.Number = r.int64()
	is.Title = r.text()
	is.Description = r.text()
	is.Status = r.text()
	is.Priority = r.text()
	is.AssigneeID = r.optString(a)
	is.AuthorID = r.optString(a)
	is.Labels = a.parseLabels(r.text())
	is.Effort = r.optInt(a)
	is.DueDate = r.optString(a)
	is.Rank = r.text()
	is.Version = r.int64()
	is.CreatedAt = r.time()
	is.UpdatedAt = r.time()
	is.CycleID = r.optString(a)
	is.Carryover = int(r.int64())
	is.CommentCount = r.int64()
	return is
}

// setKeys gives each issue its key ("CORK-42"), all of them cut from one
// string.
func setKeys(issues []Issue, projectKey string) {
	buf := make([]byte, 0, len(issues)*(len(projectKey)+8))
	for _, is := range issues {
		buf = append(buf, projectKey...)
		buf = append(buf, '-')
		buf = strconv.AppendInt(buf, is.Number, 10)
	}
	keys := string(buf)
	for i := range issues {
		n := len(projectKey) + 1 + digits(issues[i].Number)
		issues[i].Key, keys = keys[:n], keys[n:]
	}
}

// digits is the length of n in decimal.
func digits(n int64) int {
	d := 1
	if n < 0 {
		d, n = 2, -n
	}
	for ; n >= 10; n /= 10 {
		d++
	}
	return d
}

// parseLabels decodes the labels column (a JSON array of strings) as
// issueRow.view does. Labels as encoding/json writes them with nothing to
// unescape are cut out of the text; anything else goes to encoding/json.
func (a *boardAlloc) parseLabels(v string) []string {
	if v == "[]" || v == "" {
		return []string{}
	}
	if len(v) < 4 || !strings.HasPrefix(v, `["`) || !strings.HasSuffix(v, `"]`) || !plainJSON(v) {
		return jsonLabels(v)
	}
	if cap(a.labels)-len(a.labels) < maxLabels {
		a.labels = make([]string, 0, 1024)
	}
	start := len(a.labels)
	for inner := v[2 : len(v)-2]; ; {
		if len(a.labels)-start == maxLabels {
			a.labels = a.labels[:start]
			return jsonLabels(v)
		}
		i := strings.IndexByte(inner, '"')
		if i < 0 {
			a.labels = append(a.labels, inner)
			break
		}
		// Between two labels only `","` may stand (encoding/json writes no spaces).
		if !strings.HasPrefix(inner[i:], `","`) {
			a.labels = a.labels[:start]
			return jsonLabels(v)
		}
		a.labels = append(a.labels, inner[:i])
		inner = inner[i+3:]
	}
	return a.labels[start:len(a.labels):len(a.labels)]
}

// plainJSON: valid UTF-8 with no escapes and no control characters, so a
// JSON string of it means its bytes.
func plainJSON(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] == '\\' {
			return false
		}
	}
	return utf8.ValidString(v)
}

func jsonLabels(v string) []string {
	labels := []string{}
	_ = json.Unmarshal([]byte(v), &labels)
	return labels
}

// sqliteTime reads a stored timestamp as the SQLite driver does
// (SQLiteRows.Next: a trailing Z dropped, then SQLiteTimestampFormats in
// UTC, the zero time if none fits). The driver writes the first format;
// that shape in UTC is parsed here without time.Parse.
func sqliteTime(v string) time.Time {
	v = strings.TrimSuffix(v, "Z")
	if t, ok := fastUTCTime(v); ok {
		return t
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil { // stored as an INTEGER
		if n > 1e12 || n < -1e12 {
			return time.Unix(0, n*int64(time.Millisecond)).UTC()
		}
		return time.Unix(n, 0).UTC()
	}
	for _, format := range sqlite3.SQLiteTimestampFormats {
		if t, err := time.ParseInLocation(format, v, time.UTC); err == nil {
			return t
		}
	}
	return time.Time{}
}

// fastUTCTime parses "2006-01-02 15:04:05[.fraction][+00:00]"; ok is false
// for anything else (left to time.Parse).
func fastUTCTime(v string) (time.Time, bool) {
	v = strings.TrimSuffix(v, "+00:00")
	if len(v) < 19 || v[4] != '-' || v[7] != '-' || v[10] != ' ' || v[13] != ':' || v[16] != ':' {
		return time.Time{}, false
	}
	num := func(s string) int {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return -1
			}
			n = n*10 + int(s[i]-'0')
		}
		return n
	}
	y, mo, d, h, mi, s := num(v[0:4]), num(v[5:7]), num(v[8:10]), num(v[11:13]), num(v[14:16]), num(v[17:19])
	ns := 0
	if frac := v[19:]; frac != "" {
		if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
			return time.Time{}, false
		}
		if ns = num(frac[1:]); ns < 0 {
			return time.Time{}, false
		}
		for i := len(frac) - 1; i < 9; i++ {
			ns *= 10
		}
	}
	if y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC)
	if t.Day() != d { // February 30th and the like: time.Parse refuses them
		return time.Time{}, false
	}
	return t, true
}
