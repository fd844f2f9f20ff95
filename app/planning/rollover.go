package planning

import "time"

// Roll-over: once a cycle is completed, its unfinished issues move to the
// next cycle. The store moves them, one conditional change each; these
// are the date rules it and the server's loop apply.

// NextCycle is the index in startsOn of the cycle that follows a cycle
// ending on endsOn: the earliest one starting after that date; -1 when
// none does (the issues then leave cycles altogether).
func NextCycle(endsOn string, startsOn []string) int {
	next := -1
	for i, s := range startsOn {
		if s > endsOn && (next < 0 || s < startsOn[next]) {
			next = i
		}
	}
	return next
}

// RollOverDue reports whether a cycle ending on endsOn is due for
// roll-over at now: it is completed in the project's zone tz.
func RollOverDue(now time.Time, endsOn, tz string) bool {
	return Period{StartsOn: endsOn, EndsOn: endsOn}.State(Today(now, tz)) == StateCompleted
}

// LatestToday is the latest date it is anywhere at now (zones run up to
// UTC+14): only cycles ending before it can be completed in any project,
// so the loop looks no further.
func LatestToday(now time.Time) string {
	return now.UTC().Add(14 * time.Hour).Format(DateLayout)
}

// NextCycle is NextCycle, for the store.
func (Rules) NextCycle(endsOn string, startsOn []string) int { return NextCycle(endsOn, startsOn) }
