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
	ExportHead(ctx context.Context, userID, projectID string) (models.ExportHead, error)
	ExportIssues(ctx context.Context, userID, projectID, status string, after models.ExportCursor, limit int,
		withComments bool) ([]models.ExportIssue, models.ExportCursor, error)
}

// exportPage is how many issues an export holds at once.
const exportPage = 500

// Export is one project's export, opened (and access checked) before
// anything is written, so a caller who may not see the project gets an
// error and not half a file.
type Export struct {
	store     ExportStore
	userID    string
	projectID string
	head      models.ExportHead
}

// OpenExport reads the head of a project userID is a member of
// (models.ErrNotFound otherwise).
func OpenExport(ctx context.Context, store ExportStore, userID, projectID string) (*Export, error) {
	h, err := store.ExportHead(ctx, userID, projectID)
	if err != nil {
		return nil, err
	}
	return &Export{store: store, userID: userID, projectID: projectID, head: h}, nil
}

// Key is the project's key (for the file name).
func (e *Export) Key() string { return e.head.Project.Key }

// each calls fn for every issue in board order: column by column, a page
// at a time along the board index.
func (e *Export) each(ctx context.Context, comments bool, fn func(models.ExportIssue) error) error {
	for _, col := range e.head.Project.Columns {
		var cur models.ExportCursor
		for {
			page, next, err := e.store.ExportIssues(ctx, e.userID, e.projectID, col.Key, cur, exportPage, comments)
			if err != nil {
				return err
			}
			for _, is := range page {
				if err := fn(is); err != nil {
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
	p := e.head.Project
	head := Document{Format: Format, ExportedAt: exportedAt.UTC().Truncate(time.Second),
		Project: DocProject{Key: p.Key, Name: p.Name, Description: p.Description, Timezone: p.Timezone,
			EstimateScale: p.EstimateScale, UnestimatedEffort: p.UnestimatedEffort, CapacityPolicy: p.CapacityPolicy},
		Columns: []DocColumn{}, Members: []DocMember{}, Cycles: []DocCycle{}}
	for _, c := range p.Columns {
		head.Columns = append(head.Columns, DocColumn{Key: c.Key, Name: c.Name, Category: c.Category, WIPLimit: c.WIPLimit})
	}
	members := append([]models.Member(nil), e.head.Members...)
	sort.Slice(members, func(i, j int) bool { return members[i].Email < members[j].Email })
	for _, m := range members {
		head.Members = append(head.Members, DocMember{Email: m.Email, DisplayName: m.DisplayName, Handle: m.Handle,
			Role: string(m.Role), Capacity: m.Capacity})
	}
	for _, c := range e.head.Cycles {
		dc := DocCycle{Number: c.Number, Name: c.Name, StartsOn: c.StartsOn, EndsOn: c.EndsOn, Goal: c.Goal,
			Capacities: []DocCapacity{}}
		for email, pts := range c.Capacities {
			dc.Capacities = append(dc.Capacities, DocCapacity{Email: email, Points: pts})
		}
		sort.Slice(dc.Capacities, func(i, j int) bool { return dc.Capacities[i].Email < dc.Capacities[j].Email })
		head.Cycles = append(head.Cycles, dc)
	}
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	// The head without its empty issues, then the issues one by one.
	b = b[:len(b)-len(`"issues":null}`)]
	bw.Write(b)
	bw.WriteString(`"issues":[`)
	first := true
	err = e.each(ctx, true, func(is models.ExportIssue) error {
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
	key := e.head.Project.Key
	err := e.each(ctx, false, func(is models.ExportIssue) error {
		effort, due := "", ""
		if is.Effort != nil {
			effort = strconv.Itoa(*is.Effort)
		}
		if is.DueDate != nil {
			due = *is.DueDate
		}
		return cw.Write([]string{key + "-" + strconv.FormatInt(is.Number, 10), is.Title, is.Status, is.Priority,
			is.AssigneeEmail, strings.Join(is.Labels, ", "), effort, due, is.CycleName,
			is.CreatedAt.UTC().Format(time.RFC3339), is.UpdatedAt.UTC().Format(time.RFC3339), is.Description})
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
