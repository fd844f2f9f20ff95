package planning

import (
	"testing"
	"time"
)

func TestNextCycle(t *testing.T) {
	starts := []string{"2026-12-16", "2026-11-18", "2026-12-02", "2026-11-04"}
	for _, tc := range []struct {
		endsOn string
		want   int
	}{
		{"2026-12-01", 2}, // the earliest after, whatever the order given
		{"2026-11-17", 1},
		{"2026-12-02", 0}, // starting on the end date is not after it
		{"2026-12-16", -1},
		{"2026-10-01", 3},
	} {
		if got := NextCycle(tc.endsOn, starts); got != tc.want {
			t.Errorf("NextCycle(%s) = %d, want %d", tc.endsOn, got, tc.want)
		}
	}
	if got := NextCycle("2026-12-01", nil); got != -1 {
		t.Errorf("no cycles: %d", got)
	}
}

func TestRollOverDue(t *testing.T) {
	// 2026-12-01 23:30 UTC is already 2026-12-02 in Auckland (UTC+13).
	now := time.Date(2026, 12, 1, 23, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		endsOn, tz string
		want       bool
	}{
		{"2026-12-01", "UTC", false}, // its last day
		{"2026-11-30", "UTC", true},
		{"2026-12-01", "Pacific/Auckland", true},
		{"2026-12-01", "not/a-zone", false}, // UTC
	} {
		if got := RollOverDue(now, tc.endsOn, tc.tz); got != tc.want {
			t.Errorf("RollOverDue(%s, %s) = %v, want %v", tc.endsOn, tc.tz, got, tc.want)
		}
	}
	// 2026-12-02 05:00 UTC is still 2026-12-01 in Los Angeles.
	if later := now.Add(5*time.Hour + 30*time.Minute); !RollOverDue(later, "2026-12-01", "UTC") ||
		RollOverDue(later, "2026-12-01", "America/Los_Angeles") {
		t.Errorf("a day's end is the project's zone's midnight")
	}
	if got := LatestToday(now); got != "2026-12-02" {
		t.Errorf("LatestToday = %s", got)
	}
	if got := LatestToday(time.Date(2026, 12, 1, 9, 59, 0, 0, time.UTC)); got != "2026-12-01" {
		t.Errorf("LatestToday before 10:00 UTC = %s", got)
	}
}
