package planning

import (
	"strconv"
	"time"
)

// DateLayout is how cycle dates are written: calendar dates, YYYY-MM-DD.
const DateLayout = "2006-01-02"

// Limits of cycles and of schedules.
const (
	MaxCycleDays    = 56
	MaxCooldownDays = 14
	MaxScheduled    = 12
)

// Cycle states: where today falls against a cycle's dates.
const (
	StateUpcoming  = "upcoming"
	StateActive    = "active"
	StateCompleted = "completed"
)

// FieldError is one invalid input field, named as in the API.
type FieldError struct {
	Field   string
	Message string
}

// ParseDate reads a calendar date written YYYY-MM-DD (exactly: no time,
// no other layout).
func ParseDate(s string) (time.Time, bool) {
	if len(s) != len(DateLayout) {
		return time.Time{}, false
	}
	d, err := time.Parse(DateLayout, s)
	return d, err == nil
}

// Period is a run of calendar dates, both ends inclusive.
type Period struct {
	StartsOn string
	EndsOn   string
}

// Days is the number of dates in p (1 for a one-day period); 0 when a
// date does not parse or the period ends before it starts.
func (p Period) Days() int {
	s, ok1 := ParseDate(p.StartsOn)
	e, ok2 := ParseDate(p.EndsOn)
	if !ok1 || !ok2 || e.Before(s) {
		return 0
	}
	return int(e.Sub(s).Hours()/24) + 1
}

// Check says what is wrong with p as a cycle: dates that are not dates,
// an end before the start, more than MaxCycleDays days.
func (p Period) Check() []FieldError {
	var out []FieldError
	s, ok1 := ParseDate(p.StartsOn)
	e, ok2 := ParseDate(p.EndsOn)
	if !ok1 {
		out = append(out, FieldError{"starts_on", "must be a date like 2026-12-31"})
	}
	if !ok2 {
		out = append(out, FieldError{"ends_on", "must be a date like 2026-12-31"})
	}
	if len(out) > 0 {
		return out
	}
	switch {
	case e.Before(s):
		out = append(out, FieldError{"ends_on", "must be on or after starts_on"})
	case p.Days() > MaxCycleDays:
		out = append(out, FieldError{"ends_on", "a cycle lasts at most " + strconv.Itoa(MaxCycleDays) + " days"})
	}
	return out
}

// Overlaps reports whether p and q share a date. Dates compare as text:
// YYYY-MM-DD sorts as time does.
func (p Period) Overlaps(q Period) bool {
	return p.StartsOn <= q.EndsOn && q.StartsOn <= p.EndsOn
}

// State is where today (YYYY-MM-DD) falls against p: before it upcoming,
// within it active, after it completed. Moving EndsOn into the past
// completes a cycle early.
func (p Period) State(today string) string {
	switch {
	case today < p.StartsOn:
		return StateUpcoming
	case today > p.EndsOn:
		return StateCompleted
	}
	return StateActive
}

// Today is the calendar date at now in the IANA zone tz (UTC when tz is
// not a zone: stored zones were checked when they were set).
func Today(now time.Time, tz string) string {
	loc, ok := Location(tz)
	if !ok {
		loc = time.UTC
	}
	return now.In(loc).Format(DateLayout)
}

// Schedule is count consecutive cycles of LengthDays each, the first on
// StartsOn, each next one starting CooldownDays after the previous one's
// end (0: the day after it).
type Schedule struct {
	StartsOn     string
	LengthDays   int
	CooldownDays int
	Count        int
}

// Check says what is wrong with s.
func (s Schedule) Check() []FieldError {
	var out []FieldError
	if _, ok := ParseDate(s.StartsOn); !ok {
		out = append(out, FieldError{"starts_on", "must be a date like 2026-12-31"})
	}
	if s.LengthDays < 1 || s.LengthDays > MaxCycleDays {
		out = append(out, FieldError{"length_days", "must be between 1 and " + strconv.Itoa(MaxCycleDays)})
	}
	if s.CooldownDays < 0 || s.CooldownDays > MaxCooldownDays {
		out = append(out, FieldError{"cooldown_days", "must be between 0 and " + strconv.Itoa(MaxCooldownDays)})
	}
	if s.Count < 1 || s.Count > MaxScheduled {
		out = append(out, FieldError{"count", "must be between 1 and " + strconv.Itoa(MaxScheduled)})
	}
	return out
}

// Periods are the schedule's cycles in order (nil when Check fails).
func (s Schedule) Periods() []Period {
	if len(s.Check()) > 0 {
		return nil
	}
	start, _ := ParseDate(s.StartsOn)
	out := make([]Period, s.Count)
	for i := range out {
		end := start.AddDate(0, 0, s.LengthDays-1)
		out[i] = Period{StartsOn: start.Format(DateLayout), EndsOn: end.Format(DateLayout)}
		start = end.AddDate(0, 0, 1+s.CooldownDays)
	}
	return out
}

// Rules are the planning rules the store applies inside a change (it
// declares them as models.PlanningRules, since models may not import this
// package), on the server's clock.
type Rules struct {
	Now func() time.Time // nil: time.Now
}

// CycleState is the state of the cycle from startsOn to endsOn today in tz.
func (r Rules) CycleState(startsOn, endsOn, tz string) string {
	now := time.Now()
	if r.Now != nil {
		now = r.Now()
	}
	return Period{StartsOn: startsOn, EndsOn: endsOn}.State(Today(now, tz))
}

// CheckEffort is CheckEffort.
func (Rules) CheckEffort(scale string, effort int) string { return CheckEffort(scale, effort) }
