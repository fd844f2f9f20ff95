package webhooks

import (
	"slices"
	"strings"
	"time"
)

// Event filters: a webhook lists event types ("issue.moved") or families
// ("issue.*"); none means every durable event.

// families are the first parts of the log's event types (models.Event*).
var families = []string{"issue", "project", "member", "column", "cycle", "comment", "trash"}

// MaxFilters bounds a webhook's list of filters.
const MaxFilters = 50

// CheckFilters says what is wrong with a list of filters ("" if nothing).
func CheckFilters(events []string) string {
	if len(events) > MaxFilters {
		return "must list at most 50 event types"
	}
	for _, e := range events {
		family, rest, ok := strings.Cut(e, ".")
		if !ok || !slices.Contains(families, family) || rest == "" || len(e) > 64 ||
			(rest != "*" && strings.Trim(rest, "abcdefghijklmnopqrstuvwxyz_") != "") {
			return "must list event types such as issue.moved, or families such as issue.* (" +
				strings.Join(families, ", ") + ")"
		}
	}
	return ""
}

// Matches reports whether an event of type typ goes to a webhook with
// these filters.
func Matches(filters []string, typ string) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		if f == typ || (strings.HasSuffix(f, ".*") && strings.HasPrefix(typ, f[:len(f)-1])) {
			return true
		}
	}
	return false
}

// DefaultBackoff is the wait after the n-th failed attempt at an event
// (n from 1): 5 s, 30 s, 2 min, 10 min, 1 h, then hourly.
func DefaultBackoff(n int) time.Duration {
	steps := []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour}
	if n < 1 {
		n = 1
	}
	if n > len(steps) {
		return time.Hour
	}
	return steps[n-1]
}

// Families lists the event families a filter may name.
func Families() []string { return slices.Clone(families) }
