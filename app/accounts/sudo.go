package accounts

import "time"

// ReauthWindow is how long a session may make sensitive changes (create
// API tokens, turn two-factor authentication on or off, new backup codes,
// a new password) after the password, or a second-factor code, was last
// entered on it. Past it the session still works for everything else, but
// must re-authenticate first ("sudo mode").
const ReauthWindow = 10 * time.Minute

// RecentlyAuthenticated reports whether a session whose credentials were
// last entered at authAt may make a sensitive change at now: less than
// ReauthWindow ago. A zero authAt (never recorded, as for sessions from
// before the record existed) is not recent. An authAt in the future is
// recent only within the window too (a little clock skew between
// instances, not a clock set far ahead).
func RecentlyAuthenticated(authAt, now time.Time) bool {
	if authAt.IsZero() {
		return false
	}
	d := now.Sub(authAt)
	return d < ReauthWindow && d > -ReauthWindow
}
