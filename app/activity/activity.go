// Package activity tells an issue's history: it turns the events
// from the log (issue.* carrying the whole issue after the change,
// comment.* naming it) into entries with field-level changes and a
// sentence in words ("Bob moved CORK-3 from Open to Done"). It has no HTTP
// or SQL: the app reads the events and the names (columns, people,
// cycles) and passes them in as plain values.
package activity

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Event is one event of the history, as the log holds it.
type Event struct {
	Seq       int64
	Type      string
	ActorID   string
	ActorName string
	At        time.Time
	Data      json.RawMessage
}

// Names turn the ids and keys the events hold into what people read.
// A missing entry (a column, member or cycle since deleted) is told in
// generic words.
type Names struct {
	Columns map[string]string // status key -> column name
	People  map[string]string // user id -> display name
	Cycles  map[string]string // cycle id -> cycle name
}

// Change is one field's difference between two consecutive states of the
// issue, in the values of the issue DTO (a status key, an assignee id, a
// cycle id). A description's text is not repeated: From and To are nil.
type Change struct {
	Field string `json:"field"`
	From  any    `json:"from"`
	To    any    `json:"to"`
}

// Entry is one event of the history, told.
type Entry struct {
	Seq       int64
	Type      string
	ActorID   string
	ActorName string
	At        time.Time
	Changes   []Change
	Text      string // the sentence, actor first
}

// state is the part of the issue DTO the history tells.
type state struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Status      string   `json:"status"`
	Priority    string   `json:"priority"`
	AssigneeID  *string  `json:"assignee_id"`
	Labels      []string `json:"labels"`
	Effort      *int     `json:"effort"`
	DueDate     *string  `json:"due_date"`
	CycleID     *string  `json:"cycle_id"`
	Carryover   int      `json:"carryover"`
}

// Build tells events (oldest first) of the issue called key. before is
// the issue as the last issue event before them left it (nil when the
// events start at the creation): each issue event is compared
// with the state before it; comment events are told without their body
// and leave the state as it was.
func Build(key string, before json.RawMessage, events []Event, names Names) []Entry {
	var prev *state
	if len(before) > 0 {
		var s state
		if json.Unmarshal(before, &s) == nil {
			prev = &s
		}
	}
	out := make([]Entry, 0, len(events))
	for _, ev := range events {
		e := Entry{Seq: ev.Seq, Type: ev.Type, ActorID: ev.ActorID, ActorName: ev.ActorName, At: ev.At, Changes: []Change{}}
		actor := ev.ActorName
		if actor == "" {
			actor = "Someone"
		}
		switch {
		case ev.Type == "comment.created":
			e.Text = actor + " commented on " + key
		case ev.Type == "comment.updated":
			e.Text = actor + " edited a comment on " + key
		case ev.Type == "comment.deleted":
			e.Text = actor + " deleted a comment on " + key
		case strings.HasPrefix(ev.Type, "issue."):
			var cur state
			if err := json.Unmarshal(ev.Data, &cur); err != nil {
				e.Text = actor + " changed " + key
				break
			}
			switch ev.Type {
			case "issue.created":
				e.Text = actor + " created " + key + " in " + names.column(cur.Status)
			case "issue.deleted":
				e.Text = actor + " deleted " + key
			case "issue.restored":
				e.Text = actor + " restored " + key + " to " + names.column(cur.Status)
			default:
				if prev != nil {
					e.Changes = diff(*prev, cur)
				}
				e.Text = actor + " " + names.tell(key, ev.Type, cur, e.Changes)
			}
			prev = &cur
		default:
			e.Text = actor + " changed " + key
		}
		out = append(out, e)
	}
	return out
}

// diff lists the fields that differ between two states, in a fixed order.
func diff(a, b state) []Change {
	out := []Change{}
	add := func(field string, from, to any) { out = append(out, Change{Field: field, From: from, To: to}) }
	if a.Title != b.Title {
		add("title", a.Title, b.Title)
	}
	if a.Description != b.Description {
		add("description", nil, nil)
	}
	if a.Status != b.Status {
		add("status", a.Status, b.Status)
	}
	if a.Priority != b.Priority {
		add("priority", a.Priority, b.Priority)
	}
	if !sameStr(a.AssigneeID, b.AssigneeID) {
		add("assignee", ptr(a.AssigneeID), ptr(b.AssigneeID))
	}
	if !slices.Equal(a.Labels, b.Labels) {
		add("labels", labels(a.Labels), labels(b.Labels))
	}
	if !sameInt(a.Effort, b.Effort) {
		add("effort", ptr(a.Effort), ptr(b.Effort))
	}
	if !sameStr(a.DueDate, b.DueDate) {
		add("due_date", ptr(a.DueDate), ptr(b.DueDate))
	}
	if !sameStr(a.CycleID, b.CycleID) {
		add("cycle", ptr(a.CycleID), ptr(b.CycleID))
	}
	if a.Carryover != b.Carryover {
		add("carryover", a.Carryover, b.Carryover)
	}
	return out
}

// tell says what an update or move did, after the actor: the first
// clause names the issue, the ones after say "it".
func (n Names) tell(key, typ string, cur state, changes []Change) string {
	if len(changes) == 0 {
		if typ == "issue.moved" {
			return "moved " + key + " within " + n.column(cur.Status)
		}
		return "edited " + key
	}
	clauses := make([]string, 0, len(changes))
	for i, c := range changes {
		obj, of := key, " of "+key
		if i > 0 {
			obj, of = "it", ""
		}
		clauses = append(clauses, n.clause(c, obj, of))
	}
	if len(clauses) == 1 {
		return clauses[0]
	}
	return strings.Join(clauses[:len(clauses)-1], ", ") + " and " + clauses[len(clauses)-1]
}

// clause tells one change; obj is the issue (or "it"), of is " of KEY" for
// possessives (or "" after the first clause, where "its" reads better).
func (n Names) clause(c Change, obj, of string) string {
	its := func(what string) string {
		if of == "" {
			return "its " + what
		}
		return "the " + what + of
	}
	switch c.Field {
	case "title":
		return fmt.Sprintf("renamed %s from “%s” to “%s”", obj, c.From, c.To)
	case "description":
		return "changed " + its("description")
	case "status":
		return "moved " + obj + " from " + n.column(c.From.(string)) + " to " + n.column(c.To.(string))
	case "priority":
		return fmt.Sprintf("changed %s from %s to %s", its("priority"), c.From, c.To)
	case "assignee":
		if c.To == nil {
			return "unassigned " + n.person(c.From) + " from " + obj
		}
		return "assigned " + obj + " to " + n.person(c.To)
	case "labels":
		if len(c.To.([]string)) == 0 {
			return "removed " + its("labels")
		}
		return "set " + its("labels") + " to " + strings.Join(c.To.([]string), ", ")
	case "effort":
		switch {
		case c.To == nil:
			return "removed " + its("estimate")
		case c.From == nil:
			return fmt.Sprintf("estimated %s at %d", obj, c.To)
		}
		return fmt.Sprintf("changed %s from %d to %d", its("estimate"), c.From, c.To)
	case "due_date":
		switch {
		case c.To == nil:
			return "removed " + its("due date")
		case c.From == nil:
			return fmt.Sprintf("set %s to %s", its("due date"), c.To)
		}
		return fmt.Sprintf("changed %s from %s to %s", its("due date"), c.From, c.To)
	case "cycle":
		switch {
		case c.To == nil:
			return "took " + obj + " out of " + n.cycle(c.From)
		case c.From == nil:
			return "put " + obj + " in " + n.cycle(c.To)
		}
		return "moved " + obj + " from " + n.cycle(c.From) + " to " + n.cycle(c.To)
	case "carryover":
		from, _ := c.From.(int)
		n, _ := c.To.(int)
		if n < from {
			return fmt.Sprintf("changed %s from %d to %d", its("carry-over count"), from, n)
		}
		if n > 1 {
			return "carried " + obj + " over to the next cycle (" + strconv.Itoa(n) + " times now)"
		}
		return "carried " + obj + " over to the next cycle"
	}
	return "changed " + its(c.Field)
}

func (n Names) column(key string) string {
	if name, ok := n.Columns[key]; ok {
		return name
	}
	return key // a column deleted since: its key is all there is
}

func (n Names) person(id any) string {
	if s, ok := id.(string); ok {
		if name, ok := n.People[s]; ok {
			return name
		}
	}
	return "a former member"
}

func (n Names) cycle(id any) string {
	if s, ok := id.(string); ok {
		if name, ok := n.Cycles[s]; ok {
			return name
		}
	}
	return "a deleted cycle"
}

// Ago says how long before now at was, in the words a page shows beside
// the absolute time ("just now", "2 minutes ago", "3 days ago"); past a
// month it is the date.
func Ago(at, now time.Time) string {
	d := now.Sub(at)
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one + " ago"
		}
		return strconv.FormatInt(n, 10) + " " + one + "s ago"
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return unit(int64(d/time.Minute), "minute")
	case d < 24*time.Hour:
		return unit(int64(d/time.Hour), "hour")
	case d < 30*24*time.Hour:
		return unit(int64(d/(24*time.Hour)), "day")
	}
	return "on " + at.UTC().Format("2 Jan 2006")
}

func sameStr(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }
func sameInt(a, b *int) bool    { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// ptr is a pointer's value, or an untyped nil (JSON null) for none.
func ptr[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func labels(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// People lists the user ids the events (and before) name as assignees,
// once each, for the caller to look their names up.
func People(before json.RawMessage, events []Event) []string {
	seen := map[string]bool{}
	out := []string{}
	add := func(data json.RawMessage) {
		var s struct {
			AssigneeID *string `json:"assignee_id"`
		}
		if json.Unmarshal(data, &s) == nil && s.AssigneeID != nil && !seen[*s.AssigneeID] {
			seen[*s.AssigneeID] = true
			out = append(out, *s.AssigneeID)
		}
	}
	if len(before) > 0 {
		add(before)
	}
	for _, ev := range events {
		if strings.HasPrefix(ev.Type, "issue.") {
			add(ev.Data)
		}
	}
	return out
}
