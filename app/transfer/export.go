package transfer

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/corkboard/corkboard/models"
)

// ExportStore is what an export reads (models.Store).
type ExportStore interface {
	GetProject(ctx context.Context, userID, projectID string) (models.Project, error)
	OpenExportSnapshot(ctx context.Context, userID, projectID string) (*models.ExportSnapshot, error)
}

// exportPage is how many issues an export holds at once.
const exportPage = 500

// Export is one project's export, opened (and access checked) before
// anything is written, so a caller who may not see the project gets an
// error and not half a file. Writing it reads one snapshot of the project.
type Export struct {
	store     ExportStore
	userID    string
	projectID string
	key       string
}

// OpenExport checks that userID is a member of the project
// (models.ErrNotFound otherwise).
func OpenExport(ctx context.Context, store ExportStore, userID, projectID string) (*Export, error) {
	p, err := store.GetProject(ctx, userID, projectID)
	if err != nil {
		return nil, err
	}
	return &Export{store: store, userID: userID, projectID: projectID, key: p.Key}, nil
}

// Key is the project's key (for the file name).
func (e *Export) Key() string { return e.key }

// read opens the snapshot, and calls head with its head and then each for
// every issue in board order: column by column, a page at a time along the
// board index.
func (e *Export) read(ctx context.Context, comments bool, head func(models.ExportHead) error,
	each func(models.ExportIssue) error) error {
	snap, err := e.store.OpenExportSnapshot(ctx, e.userID, e.projectID)
	if err != nil {
		return err
	}
	defer snap.Close()
	h := snap.Head()
	if err := head(h); err != nil {
		return err
	}
	for _, col := range h.Project.Columns {
		var cur models.ExportCursor
		for {
			page, next, err := snap.Issues(ctx, col.Key, cur, exportPage, comments)
			if err != nil {
				return err
			}
			for _, is := range page {
				if err := each(is); err != nil {
					return err
				}
			}
			if len(page) < exportPage {
				break
			}
			cur = next
		}
	}
	return nil
}

// WriteJSON writes the JSON document, stamped exportedAt.
func (e *Export) WriteJSON(ctx context.Context, w io.Writer, exportedAt time.Time) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	first := true
	err := e.read(ctx, true, func(h models.ExportHead) error {
		b, err := json.Marshal(docHead(h, exportedAt))
		if err != nil {
			return err
		}
		// The head without its empty issues, then the issues one by one.
		bw.Write(b[:len(b)-len(`"issues":null}`)])
		_, err = bw.WriteString(`"issues":[`)
		return err
	}, func(is models.ExportIssue) error {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		b, err := json.Marshal(docIssue(is))
		if err != nil {
			return err
		}
		_, err = bw.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}

// docHead is the document without its issues.
func docHead(h models.ExportHead, exportedAt time.Time) Document {
	p := h.Project
	head := Document{Format: Format, ExportedAt: exportedAt.UTC().Truncate(time.Second),
		Project: DocProject{Key: p.Key, Name: p.Name, Description: p.Description, Timezone: p.Timezone,
			EstimateScale: p.EstimateScale, UnestimatedEffort: p.UnestimatedEffort, CapacityPolicy: p.CapacityPolicy},
		Columns: []DocColumn{}, Members: []DocMember{}, Cycles: []DocCycle{}}
	for _, c := range p.Columns {
		head.Columns = append(head.Columns, DocColumn{Key: c.Key, Name: c.Name, Category: c.Category, WIPLimit: c.WIPLimit})
	}
	members := append([]models.Member(nil), h.Members...)
	sort.Slice(members, func(i, j int) bool { return members[i].Email < members[j].Email })
	for _, m := range members {
		head.Members = append(head.Members, DocMember{Email: m.Email, DisplayName: m.DisplayName, Handle: m.Handle,
			Role: string(m.Role), Capacity: m.Capacity})
	}
	for _, c := range h.Cycles {
		dc := DocCycle{Number: c.Number, Name: c.Name, StartsOn: c.StartsOn, EndsOn: c.EndsOn, Goal: c.Goal,
			Capacities: []DocCapacity{}}
		for email, pts := range c.Capacities {
			dc.Capacities = append(dc.Capacities, DocCapacity{Email: email, Points: pts})
		}
		sort.Slice(dc.Capacities, func(i, j int) bool { return dc.Capacities[i].Email < dc.Capacities[j].Email })
		head.Cycles = append(head.Cycles, dc)
	}
	return head
}

func docIssue(is models.ExportIssue) DocIssue {
	d := DocIssue{Number: is.Number, Title: is.Title, Description: is.Description, Status: is.Status,
		Priority: is.Priority, Labels: is.Labels, Effort: is.Effort, DueDate: is.DueDate, CycleNumber: is.CycleNumber,
		Carryover: is.Carryover, CreatedAt: is.CreatedAt, UpdatedAt: is.UpdatedAt, Comments: []DocComment{}}
	if is.AssigneeEmail != "" {
		d.AssigneeEmail = &is.AssigneeEmail
	}
	if is.AuthorEmail != "" {
		d.AuthorEmail = &is.AuthorEmail
	}
	for _, c := range is.Comments {
		d.Comments = append(d.Comments, DocComment{AuthorEmail: c.AuthorEmail, Body: c.Body, CreatedAt: c.CreatedAt})
	}
	return d
}

// WriteCSV writes the CSV export (RFC 4180: CRLF, quotes doubled).
func (e *Export) WriteCSV(ctx context.Context, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	key := e.key
	err := e.read(ctx, false, func(h models.ExportHead) error { key = h.Project.Key; return nil }, func(is models.ExportIssue) error {
		effort, due := "", ""
		if is.Effort != nil {
			effort = strconv.Itoa(*is.Effort)
		}
		if is.DueDate != nil {
			due = *is.DueDate
		}
		return cw.Write([]string{key + "-" + strconv.FormatInt(is.Number, 10), defuse(is.Title), is.Status, is.Priority,
			defuse(is.AssigneeEmail), defuse(strings.Join(is.Labels, ", ")), effort, due, defuse(is.CycleName),
			is.CreatedAt.UTC().Format(time.RFC3339), is.UpdatedAt.UTC().Format(time.RFC3339), defuse(is.Description)})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// formulaStart are the first characters that make a spreadsheet read a
// cell as a formula ("=HYPERLINK(…)" in a title would run when the file is
// opened: CSV injection).
const formulaStart = "=+-@\t\r"

// defuse makes a cell of user text inert in a spreadsheet by putting an
// apostrophe before a formula's first character, as OWASP advises; the CSV
// importer takes it off again (undefuse), so our own file round-trips.
func defuse(s string) string {
	if s != "" && strings.IndexByte(formulaStart, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// undefuse undoes defuse: an apostrophe before a formula's first character.
func undefuse(s string) string {
	if len(s) >= 2 && s[0] == '\'' && strings.IndexByte(formulaStart, s[1]) >= 0 {
		return s[1:]
	}
	return s
}
