package transfer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/models"
)

// FileError is a file that cannot be imported at all; its message says
// why, for the person who uploaded it.
type FileError struct{ msg string }

func (e *FileError) Error() string { return e.msg }

func fileError(format string, args ...any) error {
	return &FileError{msg: fmt.Sprintf(format, args...)}
}

func columnOf(key, name string) models.Column {
	return models.Column{Key: key, Name: name, Category: guessCategory(name)}
}

// csvFields are the columns a CSV import reads (matched by header name,
// ignoring case); others are ignored.
var csvFields = []string{"title", "description", "status", "priority", "assignee", "labels", "effort", "due_date"}

// ReadCSV reads a CSV file with a header row into a plan. The board
// starts with the default columns; a status that names none of them (by
// name or key, ignoring case) becomes a new column. A row that cannot be
// read is skipped with a warning naming its line.
func ReadCSV(data []byte) (*Plan, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 BOM (spreadsheets write one)
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // short and long rows are read; missing fields are empty
	header, err := r.Read()
	if err != nil {
		return nil, fileError("the file is not CSV with a header row: %v", err)
	}
	at := map[string]int{}
	p := &Plan{Source: "the CSV file"}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if _, dup := at[h]; !dup {
			at[h] = i
		}
	}
	if _, ok := at["title"]; !ok {
		return nil, fileError("the CSV header has no title column")
	}
	var ignored []string
	for _, h := range header {
		if !contains(csvFields, strings.ToLower(strings.TrimSpace(h))) {
			ignored = append(ignored, cleanLine(h, 40))
		}
	}
	if len(ignored) > 0 {
		p.warn("CSV columns ignored: %s", strings.Join(ignored, ", "))
	}
	taken := map[string]bool{}
	status := map[string]string{} // lower-case name or key -> column key
	for _, c := range models.DefaultColumns() {
		taken[c.Key] = true
		status[strings.ToLower(c.Key)], status[strings.ToLower(c.Name)] = c.Key, c.Key
		p.Columns = append(p.Columns, c)
	}
	var number int64
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			p.warn("line %d skipped: %v", pe.StartLine, pe.Err)
			continue
		}
		if err != nil {
			return nil, fileError("the CSV file cannot be read: %v", err)
		}
		line, _ := r.FieldPos(0) // a record has at least one field
		get := func(name string) string {
			if i, ok := at[name]; ok && i < len(rec) {
				return undefuse(rec[i])
			}
			return ""
		}
		pi, msg := csvIssue(p, get, status, taken)
		if msg != "" {
			p.warn("line %d skipped: %s", line, msg)
			continue
		}
		number++
		pi.Number = number
		p.Issues = append(p.Issues, pi)
	}
	// Board order: column by column, file order within a column.
	pos := map[string]int{}
	for i, c := range p.Columns {
		pos[c.Key] = i
	}
	sort.SliceStable(p.Issues, func(i, j int) bool { return pos[p.Issues[i].Status] < pos[p.Issues[j].Status] })
	return p, nil
}

func csvIssue(p *Plan, get func(string) string, status map[string]string, taken map[string]bool) (PlanIssue, string) {
	title := cleanLine(get("title"), maxTitle)
	if title == "" {
		return PlanIssue{}, "no title"
	}
	pi := PlanIssue{Title: title, Description: cleanText(get("description"), maxText), Priority: "medium"}
	if pr := strings.ToLower(strings.TrimSpace(get("priority"))); pr != "" {
		if !validPriority(pr) {
			return PlanIssue{}, fmt.Sprintf("priority %q is not low, medium, high or urgent", clip(cleanLine(pr, 20), 20))
		}
		pi.Priority = pr
	}
	if e := strings.TrimSpace(get("effort")); e != "" {
		n, err := strconv.Atoi(e)
		if err != nil || n < 0 || n > maxEffort {
			return PlanIssue{}, fmt.Sprintf("effort %q is not a number from 0 to %d", clip(cleanLine(e, 20), 20), maxEffort)
		}
		pi.Effort = &n
	}
	if d := strings.TrimSpace(get("due_date")); d != "" {
		if !validDate(d) {
			return PlanIssue{}, fmt.Sprintf("due_date %q is not a date like 2026-12-31", clip(cleanLine(d, 20), 20))
		}
		pi.DueDate = &d
	}
	if a := strings.TrimSpace(get("assignee")); a != "" {
		if email := cleanEmail(a); email != "" {
			pi.Assignee = Person{Email: email}
		} else {
			pi.Assignee = Person{Name: cleanLine(a, 80)}
		}
	}
	var dropped int
	if pi.Labels, dropped = cleanLabels(strings.Split(get("labels"), ",")); dropped > 0 {
		p.warn("%q: %d labels over %d dropped", clip(title, 60), dropped, maxLabels)
	}
	name := cleanLine(get("status"), maxColumnName)
	if name == "" {
		pi.Status = p.Columns[0].Key
		return pi, ""
	}
	key, ok := status[strings.ToLower(name)]
	if !ok {
		if len(p.Columns) == maxColumns {
			return PlanIssue{}, fmt.Sprintf("status %q would be column %d; a board has at most %d", name, maxColumns+1, maxColumns)
		}
		key = columnKey(name, taken)
		status[strings.ToLower(name)] = key
		p.Columns = append(p.Columns, columnOf(key, name))
	}
	pi.Status = key
	return pi, ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
