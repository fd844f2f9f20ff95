package planning

import (
	"strings"
	"testing"
)

func TestCheckEffort(t *testing.T) {
	cases := []struct {
		scale  string
		effort int
		ok     bool
	}{
		{ScaleFree, 0, true}, {ScaleFree, 1000, true}, {ScaleFree, 1001, false}, {ScaleFree, -1, false},
		{ScaleFibonacci, 0, true}, {ScaleFibonacci, 13, true}, {ScaleFibonacci, 4, false}, {ScaleFibonacci, 34, false},
		{ScaleLinear, 1, true}, {ScaleLinear, 5, true}, {ScaleLinear, 0, false}, {ScaleLinear, 6, false},
		{ScaleExponential, 16, true}, {ScaleExponential, 3, false},
		{ScaleTShirt, 8, true}, {ScaleTShirt, 4, false},
	}
	for _, tc := range cases {
		if got := CheckEffort(tc.scale, tc.effort) == ""; got != tc.ok {
			t.Errorf("CheckEffort(%s, %d) ok = %v, want %v", tc.scale, tc.effort, got, tc.ok)
		}
	}
	if msg := CheckEffort(ScaleTShirt, 4); !strings.Contains(msg, "3 (M)") {
		t.Errorf("t-shirt message %q does not name the sizes", msg)
	}
}

func TestScalesAndPolicies(t *testing.T) {
	for _, s := range Scales() {
		if !ValidScale(s) {
			t.Errorf("%s not valid", s)
		}
	}
	for _, bad := range []string{"", "Free", "points"} {
		if ValidScale(bad) {
			t.Errorf("ValidScale(%q)", bad)
		}
	}
	if !ValidPolicy("warn") || !ValidPolicy("block") || ValidPolicy("deny") {
		t.Error("policies")
	}
	if EffortLabel(ScaleTShirt, 5) != "L" || EffortLabel(ScaleFibonacci, 5) != "5" || EffortLabel(ScaleTShirt, 4) != "4" {
		t.Error("labels")
	}
}

func TestLocation(t *testing.T) {
	for _, ok := range []string{"UTC", "Europe/Paris", "America/Argentina/Buenos_Aires", "Etc/GMT+5", "Asia/Kolkata"} {
		if _, good := Location(ok); !good {
			t.Errorf("Location(%q) refused", ok)
		}
	}
	for _, bad := range []string{"", "Local", "Mars/Olympus", "../etc/passwd", "/etc/localtime", "Europe/../UTC", strings.Repeat("A", 65)} {
		if _, good := Location(bad); good {
			t.Errorf("Location(%q) accepted", bad)
		}
	}
}

func TestSettingsCheck(t *testing.T) {
	s, n, bad := func(v string) *string { return &v }, func(v int) *int { return &v }, Settings{}
	if got := (Settings{EstimateScale: s("tshirt"), UnestimatedEffort: n(21), Timezone: s("Europe/Paris"), CapacityPolicy: s("block")}).Check(); len(got) != 0 {
		t.Errorf("valid settings refused: %v", got)
	}
	bad = Settings{EstimateScale: s("points"), UnestimatedEffort: n(22), Timezone: s("Mars/Olympus"), CapacityPolicy: s("deny")}
	got := []string{}
	for _, f := range bad.Check() {
		got = append(got, f.Field)
	}
	if strings.Join(got, ",") != "estimate_scale,unestimated_effort,timezone,capacity_policy" {
		t.Errorf("fields %v", got)
	}
	if len((Settings{UnestimatedEffort: n(-1)}).Check()) != 1 || len((Settings{}).Check()) != 0 {
		t.Error("bounds")
	}
}
