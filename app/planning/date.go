package planning

import (
	"errors"
	"fmt"
	"time"
)

// Date is a calendar date without a time or a zone: cycles start and end
// on dates, and a date becomes instants only in the project's time zone
// (Start). Its zero value is not a valid date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ErrBadDate: the text is not a YYYY-MM-DD date of the calendar.
var ErrBadDate = errors.New("not a date (YYYY-MM-DD)")

// ReadDate reads YYYY-MM-DD, refusing anything the calendar does not have
// (2026-02-30) and any other shape.
func ReadDate(s string) (Date, error) {
	if len(s) != 10 {
		return Date{}, ErrBadDate
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, ErrBadDate
	}
	return DateOf(t, time.UTC), nil
}

// DateOf is the date that t falls on in loc (nil: UTC).
func DateOf(t time.Time, loc *time.Location) Date {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	return Date{y, m, d}
}

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// MarshalText writes YYYY-MM-DD (also in JSON).
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD (also from JSON).
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ReadDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// noon in UTC: a day's arithmetic without zones or leap seconds.
func (d Date) noon() time.Time { return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC) }

// AddDays is the date n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date {
	y, m, dd := time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC).Date()
	return Date{y, m, dd}
}

// DaysUntil is the number of days from d to e (negative when e is before d).
func (d Date) DaysUntil(e Date) int {
	return int(e.noon().Sub(d.noon()) / (24 * time.Hour))
}

// Compare is -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.Year != e.Year:
		return cmpInt(d.Year, e.Year)
	case d.Month != e.Month:
		return cmpInt(int(d.Month), int(e.Month))
	default:
		return cmpInt(d.Day, e.Day)
	}
}

func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }
func (d Date) After(e Date) bool  { return d.Compare(e) > 0 }

// Start is the first instant of the date in loc (nil: UTC); the date ends
// where the next one starts, so a day across a DST change lasts 23 or 25
// hours.
func (d Date) Start(loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// DaysThrough is how many dates run from d to e, both included (0 when e
// is before d): a cycle's length.
func (d Date) DaysThrough(e Date) int {
	return max(0, d.DaysUntil(e)+1)
}
