package accounts

import (
	"testing"
	"time"
)

func TestRecentlyAuthenticated(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		authAt time.Time
		want   bool
	}{
		{"never recorded", time.Time{}, false},
		{"just now", now, true},
		{"a second short of the window", now.Add(-ReauthWindow + time.Second), true},
		{"exactly the window ago", now.Add(-ReauthWindow), false},
		{"an hour ago", now.Add(-time.Hour), false},
		{"a little ahead (another instance's clock)", now.Add(2 * time.Second), true},
		{"far ahead", now.Add(ReauthWindow), false},
		{"same instant in another zone", now.In(time.FixedZone("UTC+2", 2*3600)), true},
	} {
		if got := RecentlyAuthenticated(tc.authAt, now); got != tc.want {
			t.Errorf("%s: RecentlyAuthenticated(%v, %v) = %v, want %v", tc.name, tc.authAt, now, got, tc.want)
		}
	}
	if ReauthWindow != 10*time.Minute {
		t.Errorf("ReauthWindow = %v; DESIGN.md says 10 minutes", ReauthWindow)
	}
}
