package transfer

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/corkboard/corkboard/models"
)

// Plan is a file read into what Corkboard will create, whatever its
// source: every string already cleaned to the limits of ordinary input,
// people named (by email when the source has one) but not yet matched.
type Plan struct {
	Source      string // what the notes about people say ("Trello", "the CSV file")
	Name        string
	Key         string
	Description string
	Settings    models.ProjectSettings // zero: the defaults
	Columns     []models.Column
	Members     []PlanMember
	Cycles      []PlanCycle
	Issues      []PlanIssue // in board order, column by column
	Warnings    []string
}

// Person is someone a file names.
type Person struct {
	Email string
	Name  string
}

func (p Person) empty() bool { return p.Email == "" && p.Name == "" }

func (p Person) String() string {
	switch {
	case p.Name != "" && p.Email != "":
		return p.Name + " <" + p.Email + ">"
	case p.Name != "":
		return p.Name
	}
	return p.Email
}

// PlanMember is a member a file lists, with the role it gives them.
type PlanMember struct {
	Person
	Role     models.Role
	Capacity *int
}

// PlanCycle is a cycle with its capacities by email.
type PlanCycle = models.TransferCycle

// PlanIssue is an issue to create.
type PlanIssue struct {
	Number      int64
	Title       string
	Description string
	Status      string
	Priority    string
	Assignee    Person
	Author      Person
	Labels      []string
	Effort      *int
	DueDate     *string
	CycleNumber *int64
	Carryover   int
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Comments    []PlanComment
}

// PlanComment is a comment to create.
type PlanComment struct {
	Author    Person
	Body      string
	CreatedAt time.Time
}

func (p *Plan) warn(format string, args ...any) {
	p.Warnings = append(p.Warnings, fmt.Sprintf(format, args...))
}

// Limits of ordinary input (models), applied while reading a file.
const (
	maxName        = 100
	maxTitle       = 200
	maxText        = 20000
	maxProjectText = 10000
	maxColumnName  = 50
	maxColumns     = 20
	maxLabels      = 20
	maxLabel       = 40
	maxEffort      = 1000
	maxEmail       = 254
	// maxNumber bounds an issue's or a cycle's number: the project's
	// counters continue after the largest, and one near the top of int64
	// would make every later creation fail.
	maxNumber = 1_000_000_000
)

// cleanLine makes s a one-line name: valid UTF-8, control characters as
// spaces, trimmed, at most max characters.
func cleanLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return clip(strings.TrimSpace(s), max)
}

// cleanText makes s storable text: valid UTF-8, no control characters but
// tab and line breaks, at most max characters.
func cleanText(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return clip(s, max)
}

func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max])
}

// cleanLabels cleans, de-duplicates (ignoring case) and bounds labels.
func cleanLabels(in []string) (out []string, dropped int) {
	seen := map[string]bool{}
	out = []string{}
	for _, l := range in {
		l = cleanLine(l, maxLabel)
		if l == "" || seen[strings.ToLower(l)] {
			continue
		}
		if len(out) == maxLabels {
			dropped++
			continue
		}
		seen[strings.ToLower(l)] = true
		out = append(out, l)
	}
	return out, dropped
}

// cleanEmail is an address as accounts store them, or "" when s is not
// one.
func cleanEmail(s string) string {
	s = models.NormalizeEmail(s)
	if len(s) < 3 || len(s) > maxEmail || !utf8.ValidString(s) || strings.ContainsAny(s, " \t\r\n\x00<>") ||
		!strings.Contains(s, "@") {
		return ""
	}
	return s
}

// validDate reports whether s is a calendar date like 2026-12-31.
func validDate(s string) bool {
	if len(s) != 10 {
		return false
	}
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// columnKey makes a column key (a-z, 0-9, _; 1 to 30) from a name, unique
// among taken; "list" when the name has no letters to make one from.
func columnKey(name string, taken map[string]bool) string {
	k := models.ColumnKeyFrom(name)
	if len(k) > 26 { // room for a suffix
		k = strings.TrimRight(k[:26], "_")
	}
	if k == "" {
		k = "list"
	}
	key := k
	for n := 2; taken[key]; n++ {
		key = fmt.Sprintf("%s_%d", k, n)
	}
	taken[key] = true
	return key
}

// guessCategory reads a column's category from its name: lists named
// like "Done" are done, like "Doing" or "In review" started.
func guessCategory(name string) string {
	n := strings.ToLower(name)
	for _, w := range []string{"done", "complete", "closed", "finished", "shipped", "released"} {
		if strings.Contains(n, w) {
			return models.CategoryDone
		}
	}
	for _, w := range []string{"progress", "doing", "review", "started", "working", "testing"} {
		if strings.Contains(n, w) {
			return models.CategoryStarted
		}
	}
	return models.CategoryTodo
}

// deriveKey is a project key for name (models.DeriveKey), upper-cased.
func deriveKey(name string) string { return models.DeriveKey(name) }
