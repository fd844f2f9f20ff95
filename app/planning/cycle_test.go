package planning

import (
	"reflect"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	for _, ok := range []string{"2026-01-07", "2024-02-29"} {
		if _, good := ParseDate(ok); !good {
			t.Errorf("ParseDate(%q) refused", ok)
		}
	}
	for _, bad := range []string{"", "2026-1-7", "2026-02-30", "2025-02-29", "07/01/2026", "2026-01-07T00:00:00Z", "tomorrow"} {
		if _, good := ParseDate(bad); good {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
}

func TestPeriodCheck(t *testing.T) {
	fields := func(p Period) []string {
		out := []string{}
		for _, f := range p.Check() {
			out = append(out, f.Field)
		}
		return out
	}
	cases := []struct {
		p    Period
		want []string
	}{
		{Period{"2026-01-07", "2026-01-07"}, []string{}},          // one day
		{Period{"2026-01-07", "2026-03-03"}, []string{}},          // 56 days
		{Period{"2026-01-07", "2026-03-04"}, []string{"ends_on"}}, // 57 days
		{Period{"2026-01-07", "2026-01-06"}, []string{"ends_on"}},
		{Period{"2026-13-01", "2026-01-06"}, []string{"starts_on"}},
		{Period{"soon", "later"}, []string{"starts_on", "ends_on"}},
	}
	for _, tc := range cases {
		if got := fields(tc.p); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v: fields %v, want %v", tc.p, got, tc.want)
		}
	}
	if d := (Period{"2026-03-28", "2026-03-30"}).Days(); d != 3 {
		t.Errorf("days across a DST change = %d, want 3", d)
	}
}

func TestOverlaps(t *testing.T) {
	a := Period{"2026-01-07", "2026-01-20"}
	cases := []struct {
		b    Period
		want bool
	}{
		{Period{"2026-01-21", "2026-02-03"}, false}, // the day after
		{Period{"2026-01-20", "2026-02-03"}, true},  // shares the last day
		{Period{"2025-12-20", "2026-01-07"}, true},  // shares the first day
		{Period{"2026-01-10", "2026-01-11"}, true},  // inside
		{Period{"2025-12-01", "2026-02-01"}, true},  // around
		{Period{"2025-12-01", "2026-01-06"}, false}, // before
	}
	for _, tc := range cases {
		if got := a.Overlaps(tc.b); got != tc.want || tc.b.Overlaps(a) != tc.want {
			t.Errorf("%+v overlaps %+v = %v, want %v (both ways)", a, tc.b, got, tc.want)
		}
	}
}

func TestStateFollowsTheProjectsDate(t *testing.T) {
	p := Period{"2026-01-07", "2026-01-20"}
	for today, want := range map[string]string{"2026-01-06": StateUpcoming, "2026-01-07": StateActive,
		"2026-01-20": StateActive, "2026-01-21": StateCompleted} {
		if got := p.State(today); got != want {
			t.Errorf("state on %s = %s, want %s", today, got, want)
		}
	}
	// 23:30 UTC on the 20th is already the 21st in Tokyo and still the
	// 20th in New York.
	now := time.Date(2026, 1, 20, 23, 30, 0, 0, time.UTC)
	r := Rules{Now: func() time.Time { return now }}
	if got := r.CycleState(p.StartsOn, p.EndsOn, "Asia/Tokyo"); got != StateCompleted {
		t.Errorf("Tokyo: %s, want completed", got)
	}
	if got := r.CycleState(p.StartsOn, p.EndsOn, "America/New_York"); got != StateActive {
		t.Errorf("New York: %s, want active", got)
	}
	if got := Today(now, "not a zone"); got != "2026-01-20" {
		t.Errorf("Today in an unknown zone = %s, want the UTC date", got)
	}
}

func TestSchedule(t *testing.T) {
	s := Schedule{StartsOn: "2026-01-07", LengthDays: 14, CooldownDays: 0, Count: 3}
	want := []Period{{"2026-01-07", "2026-01-20"}, {"2026-01-21", "2026-02-03"}, {"2026-02-04", "2026-02-17"}}
	if got := s.Periods(); !reflect.DeepEqual(got, want) {
		t.Errorf("periods %v, want %v", got, want)
	}
	s.CooldownDays, s.Count = 2, 2
	want = []Period{{"2026-01-07", "2026-01-20"}, {"2026-01-23", "2026-02-05"}}
	if got := s.Periods(); !reflect.DeepEqual(got, want) {
		t.Errorf("with cooldown: periods %v, want %v", got, want)
	}
	for _, bad := range []Schedule{
		{StartsOn: "2026-02-30", LengthDays: 14, Count: 1},
		{StartsOn: "2026-01-07", LengthDays: 0, Count: 1},
		{StartsOn: "2026-01-07", LengthDays: 57, Count: 1},
		{StartsOn: "2026-01-07", LengthDays: 14, CooldownDays: 15, Count: 1},
		{StartsOn: "2026-01-07", LengthDays: 14, CooldownDays: -1, Count: 1},
		{StartsOn: "2026-01-07", LengthDays: 14, Count: 0},
		{StartsOn: "2026-01-07", LengthDays: 14, Count: 13},
	} {
		if len(bad.Check()) != 1 || bad.Periods() != nil {
			t.Errorf("%+v: want exactly one field error and no periods, got %v", bad, bad.Check())
		}
	}
}
