// Package planning: estimates, cycles, capacity and health, without HTTP
// or SQL. The app's API and page handlers adapt what they read (the
// project's settings, its members and its event log) into the plain
// values here and write the answer; nothing in this package imports
// Fiber, GORM, models or app.
//
//   - scale.go: estimate scales, capacity policies, the planning settings
//     and time zones, checked.
//   - cycle.go: cycle periods over YYYY-MM-DD strings (checks, overlaps,
//     state from today's date), schedules, and the Rules the store applies.
//   - date.go: Date, a calendar date that becomes instants only in the
//     project's time zone.
//   - report.go: BuildReport, a cycle's report computed in one pass over
//     the event log (Input, Change): totals, one point per day at the end
//     of each day in the project's time zone, members' load against
//     capacity. Exact for any past day and the same on every instance.
//   - state.go: State, a report's replay stopped after some change, which
//     a later report resumes (Replay, Input.Resume) with only the changes
//     after it, to the same answer as a replay from the first.
//   - rollover.go: which cycle is next after a completed one, and when a
//     cycle is due for roll-over (its unfinished issues move on).
//   - health.go: Assess, the health score, status and reasons from the
//     report's Facts; the formula is its comment and docs/HEALTH.md.
//
// The sub-package cyclereport is the adapter that reads a report's Input
// from the store (the event log, settings, capacities) and keeps each
// cycle's State (in the store and in memory); it may import models, this
// package may not.
package planning
