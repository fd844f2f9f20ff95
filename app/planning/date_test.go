package planning_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/corkboard/corkboard/app/planning"
)

func TestReadDate(t *testing.T) {
	for _, s := range []string{"", "2026-02-30", "2026-2-03", "2026-02-03T00:00:00Z", "03/02/2026", "2026-13-01", " 2026-02-03"} {
		if _, err := planning.ReadDate(s); !errors.Is(err, planning.ErrBadDate) {
			t.Errorf("ReadDate(%q): %v, want ErrBadDate", s, err)
		}
	}
	d, err := planning.ReadDate("2028-02-29")
	if err != nil || d.String() != "2028-02-29" {
		t.Fatalf("leap day: %v %v", d, err)
	}
	var v struct{ D planning.Date }
	if err := json.Unmarshal([]byte(`{"D":"2026-03-02"}`), &v); err != nil || v.D.String() != "2026-03-02" {
		t.Fatalf("JSON: %v %v", v.D, err)
	}
	if b, _ := json.Marshal(v); string(b) != `{"D":"2026-03-02"}` {
		t.Fatalf("JSON out: %s", b)
	}
	if json.Unmarshal([]byte(`{"D":"2026-02-30"}`), &v) == nil {
		t.Fatal("JSON took a date the calendar does not have")
	}
}

func TestDateArithmetic(t *testing.T) {
	d := date(t, "2026-02-27")
	cases := []struct {
		n    int
		want string
	}{{0, "2026-02-27"}, {2, "2026-03-01"}, {-58, "2025-12-31"}, {366, "2027-02-28"}}
	for _, tc := range cases {
		if got := d.AddDays(tc.n); got.String() != tc.want || d.DaysUntil(got) != tc.n {
			t.Errorf("AddDays(%d) = %v (DaysUntil %d), want %s", tc.n, got, d.DaysUntil(got), tc.want)
		}
	}
	// Across the spring change in Berlin a day has 23 hours, still one day.
	if n := date(t, "2026-03-28").DaysThrough(date(t, "2026-03-30")); n != 3 {
		t.Errorf("Days = %d, want 3", n)
	}
	if n := date(t, "2026-03-28").DaysThrough(date(t, "2026-03-20")); n != 0 {
		t.Errorf("Days of a backwards period = %d, want 0", n)
	}
	if !d.Before(d.AddDays(1)) || !d.AddDays(40).After(d) || d.Compare(d) != 0 {
		t.Error("Compare")
	}
}
