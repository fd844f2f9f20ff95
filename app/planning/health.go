package planning

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The health of a cycle: a score from 0 to 100, a status, and the reasons
// that took points off, biggest first. docs/HEALTH.md says the same in
// plain words; keep the two in step.
//
//	score = 100 − pace − over_capacity − scope_creep − carried_over − stale − wip,
//	        clamped to 0..100
//
//	pace          (behind_pace)   elapsed = the cycle's days up to today (today
//	                              included, all of them once it has ended) ÷ its days;
//	                              ideal = scope × elapsed (the straight line from 0 to
//	                              the scope, read at the end of today);
//	                              penalty = round(110 × (ideal − completed) ÷ scope)
//	                              when completed is below ideal.
//	over_capacity (one per member whose load is above their capacity; none without one)
//	                              each = min(15, 5 + round(10 × (load − capacity) ÷ capacity))
//	                              (15 at capacity 0); all of them together at most 30.
//	scope_creep                   share = added ÷ (scope at the start + added);
//	                              penalty = min(20, round(40 × share)) when share > 10%.
//	carried_over                  penalty = min(15, round(30 × carried over ÷ scope)).
//	stale                         started issues of the cycle untouched for StaleAfter
//	                              (3 days): min(15, 3 per issue).
//	wip_exceeded  (one per column over its WIP limit, counting all of the project's
//	              issues in it, as the board's header does)
//	                              each = min(10, 5 + issues over the limit);
//	                              all of them together at most 15.
//
// A reason is listed when its penalty is at least 1. Reasons are ordered by
// penalty, biggest first; equal penalties in the order of the codes above,
// then by member (user id) or column (the log's order).
//
// Status: on_track at 70 or more, at_risk from 40 to 69, off_track below
// 40. A cycle whose issues are all completed has landed: its score is at
// least 70 (on_track), its reasons stay listed as lessons.
//
// The two guarantees follow: all completed → at least 70; an active cycle at
// 60% or more of its days with nothing completed out of a non-zero scope
// → pace ≥ round(110 × 0.6) = 66, so the score is at most 34 (off_track),
// and no other single reason can reach 66, so behind_pace is first.
const (
	OnTrackScore = 70 // at or above: on_track
	AtRiskScore  = 40 // at or above (and below OnTrackScore): at_risk; below: off_track

	PaceWeight = 110 // penalty for being the whole scope behind the ideal line

	OverCapacityBase    = 5  // any overload
	OverCapacityWeight  = 10 // plus this per 100% over capacity
	OverCapacityEach    = 15 // at most, per member
	OverCapacityTotal   = 30 // at most, all members
	ScopeCreepTolerance = 10 // percent of the scope that may be added without a penalty
	ScopeCreepWeight    = 40 // penalty for a cycle made entirely of added work
	ScopeCreepMax       = 20
	CarriedOverWeight   = 30 // penalty for a cycle made entirely of carried-over work
	CarriedOverMax      = 15
	StalePerIssue       = 3
	StaleMax            = 15
	WIPBase             = 5 // any column over its limit
	WIPEach             = 10
	WIPTotal            = 15
	StaleAfter          = 3 * 24 * time.Hour // a started issue untouched this long is stale
	staleKeysInMessage  = 5
)

// Statuses of a cycle's health.
const (
	OnTrack  = "on_track"
	AtRisk   = "at_risk"
	OffTrack = "off_track"
)

// Reason codes, in the order that breaks ties between equal penalties.
const (
	ReasonBehindPace   = "behind_pace"
	ReasonOverCapacity = "over_capacity"
	ReasonScopeCreep   = "scope_creep"
	ReasonCarriedOver  = "carried_over"
	ReasonStale        = "stale"
	ReasonWIPExceeded  = "wip_exceeded"
)

// Health is the verdict on a cycle.
type Health struct {
	Score   int      `json:"score"`
	Status  string   `json:"status"`
	Reasons []Reason `json:"reasons"`
}

// Reason is one thing that took points off the score. Penalty is how many
// (before the caps on a code's total); it orders the reasons.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	UserID  string `json:"user_id,omitempty"`
	Penalty int    `json:"-"`
}

// Facts are what the health is judged on, at the report's moment.
type Facts struct {
	DaysElapsed, DaysTotal int // the reported days, and the cycle's
	Scope, Completed       int // points
	ScopeAtStart, Added    int
	CarriedOver            int
	Issues                 int // the cycle's issues
	CompletedIssues        int // of them, in a done column
	Overloads              []Overload
	Stale                  []string // keys of the stale issues, in any order
	WIP                    []WIPExcess
}

// Overload is a member whose load is above their capacity.
type Overload struct {
	UserID, Name   string
	Load, Capacity int
}

// WIPExcess is a column holding more issues than its WIP limit.
type WIPExcess struct {
	Column        string // its name
	Issues, Limit int
}

// roundDiv is round(a ÷ b) for a ≥ 0, b > 0, halves up.
func roundDiv(a, b int) int { return (2*a + b) / (2 * b) }

// Assess applies the formula above.
func Assess(f Facts) Health {
	reasons := make([]Reason, 0, 4+len(f.Overloads)+len(f.WIP))
	total := 0

	// Pace: integer arithmetic, so every instance agrees to the point.
	if f.Scope > 0 && f.DaysTotal > 0 {
		elapsed := min(f.DaysElapsed, f.DaysTotal)
		// deficit ÷ scope = (scope×elapsed − completed×days) ÷ (scope×days)
		num := f.Scope*elapsed - f.Completed*f.DaysTotal
		if num > 0 {
			p := roundDiv(PaceWeight*num, f.Scope*f.DaysTotal)
			if p > 0 {
				reasons = append(reasons, Reason{Code: ReasonBehindPace, Penalty: p,
					Message: fmt.Sprintf("Behind pace: %d of %d points completed, where the ideal line is at %s; finish %s more or take work out of the cycle.",
						f.Completed, f.Scope, ideal(f.Scope*elapsed, f.DaysTotal), ideal(num, f.DaysTotal))})
				total += p
			}
		}
	}

	over := slices.Clone(f.Overloads)
	slices.SortFunc(over, func(a, b Overload) int { return cmp.Compare(a.UserID, b.UserID) })
	sum := 0
	for _, o := range over {
		p := OverCapacityEach
		if o.Capacity > 0 {
			p = min(OverCapacityEach, OverCapacityBase+roundDiv(OverCapacityWeight*(o.Load-o.Capacity), o.Capacity))
		}
		name := cmp.Or(o.Name, "A former member")
		reasons = append(reasons, Reason{Code: ReasonOverCapacity, UserID: o.UserID, Penalty: p,
			Message: fmt.Sprintf("%s is over capacity: %d points against %d; move %d to someone else or raise their capacity in this cycle.",
				name, o.Load, o.Capacity, o.Load-o.Capacity)})
		sum += p
	}
	total += min(sum, OverCapacityTotal)

	if base := f.ScopeAtStart + f.Added; f.Added > 0 && base > 0 && 100*f.Added > ScopeCreepTolerance*base {
		p := min(ScopeCreepMax, roundDiv(ScopeCreepWeight*f.Added, base))
		reasons = append(reasons, Reason{Code: ReasonScopeCreep, Penalty: p,
			Message: fmt.Sprintf("%d points were added after the cycle started (%d%% of its work); move what can wait to a later cycle.",
				f.Added, roundDiv(100*f.Added, base))})
		total += p
	}

	if f.CarriedOver > 0 && f.Scope > 0 {
		if p := min(CarriedOverMax, roundDiv(CarriedOverWeight*f.CarriedOver, f.Scope)); p > 0 {
			reasons = append(reasons, Reason{Code: ReasonCarriedOver, Penalty: p,
				Message: fmt.Sprintf("%d points were carried over from earlier cycles (%d%% of the scope).",
					f.CarriedOver, roundDiv(100*f.CarriedOver, f.Scope))})
			total += p
		}
	}

	if n := len(f.Stale); n > 0 {
		keys := slices.Clone(f.Stale)
		slices.Sort(keys)
		more := ""
		if len(keys) > staleKeysInMessage {
			more = fmt.Sprintf(" and %d more", len(keys)-staleKeysInMessage)
			keys = keys[:staleKeysInMessage]
		}
		p := min(StaleMax, StalePerIssue*n)
		issues := "issues"
		if n == 1 {
			issues = "issue"
		}
		reasons = append(reasons, Reason{Code: ReasonStale, Penalty: p,
			Message: fmt.Sprintf("%d started %s untouched for %d days or more: %s%s.",
				n, issues, int(StaleAfter/(24*time.Hour)), strings.Join(keys, ", "), more)})
		total += p
	}

	sum = 0
	for _, w := range f.WIP {
		p := min(WIPEach, WIPBase+w.Issues-w.Limit)
		reasons = append(reasons, Reason{Code: ReasonWIPExceeded, Penalty: p,
			Message: fmt.Sprintf("%s holds %d issues, over its WIP limit of %d; finish or move %d.", w.Column, w.Issues, w.Limit, w.Issues-w.Limit)})
		sum += p
	}
	total += min(sum, WIPTotal)

	score := max(0, 100-total)
	if f.Issues > 0 && f.CompletedIssues == f.Issues {
		score = max(score, OnTrackScore)
	}
	// Biggest first; the list was built in code order, so a stable sort
	// breaks ties by code, then member or column.
	slices.SortStableFunc(reasons, func(a, b Reason) int { return cmp.Compare(b.Penalty, a.Penalty) })
	return Health{Score: score, Status: status(score), Reasons: reasons}
}

func status(score int) string {
	switch {
	case score >= OnTrackScore:
		return OnTrack
	case score >= AtRiskScore:
		return AtRisk
	}
	return OffTrack
}

// ideal writes num ÷ den points with at most one decimal.
func ideal(num, den int) string {
	tenths := roundDiv(10*num, den)
	if tenths%10 == 0 {
		return strconv.Itoa(tenths / 10)
	}
	return fmt.Sprintf("%d.%d", tenths/10, tenths%10)
}
