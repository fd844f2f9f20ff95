package planning_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/planning"
)

// TestReplayResume: a report resumed from the State an earlier report
// left (stored as JSON and read back, as the store keeps it) equals the
// report replayed from the log's first change, whatever change the earlier
// report stopped at, before, during and after the cycle, and once the
// cycle is over the state is final.
func TestReplayResume(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		in := generate(300, 6000, seed)
		first, last := in.Changes[0].At, in.Changes[len(in.Changes)-1].At
		// Changes after the cycle's end, which its report never counts.
		end := in.EndsOn.AddDays(1).Start(in.Location)
		for i := range 3 {
			c := in.Changes[len(in.Changes)-100+i]
			c.Seq, c.At = int64(len(in.Changes)+1), end.Add(time.Duration(i)*time.Hour)
			in.Changes = append(in.Changes, c)
		}
		for _, now := range []time.Time{last, end.Add(24 * time.Hour)} {
			whole := in
			whole.Now = now
			want := planning.BuildReport(whole)
			for k := 1; k < len(in.Changes); k += 397 {
				// An earlier report, when change k was the latest.
				early := in
				early.Now = in.Changes[k].At
				_, st, applied := planning.Replay(early)
				if k < len(in.Changes)-3 && applied != k+1 {
					t.Fatalf("seed %d: the report at change %d applied %d changes", seed, k, applied)
				}
				raw, err := json.Marshal(st)
				if err != nil {
					t.Fatal(err)
				}
				var back planning.State
				if err := json.Unmarshal(raw, &back); err != nil {
					t.Fatal(err)
				}
				later := whole
				later.Resume, later.Changes = &back, in.Changes[applied:]
				if !planning.CanResume(later, &back) {
					t.Fatalf("seed %d: cannot resume at change %d", seed, k)
				}
				got, st2, _ := planning.Replay(later)
				if !reflect.DeepEqual(got, want) {
					gj, _ := json.Marshal(got)
					wj, _ := json.Marshal(want)
					t.Fatalf("seed %d, now %s, resumed after change %d:\n got %s\nwant %s", seed, now, k, gj, wj)
				}
				if st2.Final != now.After(end) {
					t.Fatalf("seed %d: final %v with now %s", seed, st2.Final, now)
				}
				// A final state ignores any change after it.
				if st2.Final {
					again := whole
					again.Resume, again.Changes = &st2, in.Changes
					if got := planning.BuildReport(again); !reflect.DeepEqual(got, want) {
						t.Fatalf("seed %d: a final state took more changes: %+v", seed, got.Totals)
					}
				}
			}
		}
		// A state holding a change after now cannot be resumed (an instance
		// whose clock is behind the one that saved it).
		_, st, _ := planning.Replay(in)
		behind := in
		behind.Now = first.Add(time.Hour)
		if planning.CanResume(behind, &st) {
			t.Fatalf("seed %d: resumed a state from after now", seed)
		}
	}
}

// TestReplayUnplanned: a cycle.deleted's issue leaves the replayed cycle
// as if it had been moved out of it.
func TestReplayUnplanned(t *testing.T) {
	in := generate(200, 3000, 4)
	in.Now = in.Changes[len(in.Changes)-1].At
	lastOf, exists := map[string]planning.IssueState{}, map[string]bool{}
	for _, c := range in.Changes {
		switch {
		case c.Issue != nil:
			lastOf[c.Issue.ID], exists[c.Issue.ID] = *c.Issue, true
		case c.IssueDeleted != "":
			exists[c.IssueDeleted] = false
		}
	}
	var id string
	for k, s := range lastOf {
		if exists[k] && s.CycleID != nil && *s.CycleID == in.CycleID && (id == "" || k < id) {
			id = k
		}
	}
	last := lastOf[id]
	at := in.Now.Add(-time.Second)
	out := last
	out.CycleID = nil
	moved, unplanned := in, in
	moved.Changes = append(in.Changes[:len(in.Changes):len(in.Changes)], planning.Change{At: at, Issue: &out})
	unplanned.Changes = append(in.Changes[:len(in.Changes):len(in.Changes)], planning.Change{At: at, Unplanned: id})
	a, b := planning.BuildReport(moved), planning.BuildReport(unplanned)
	if !reflect.DeepEqual(a, b) || a.Totals.Removed == 0 {
		t.Fatalf("moved out %+v, unplanned %+v", a.Totals, b.Totals)
	}
}
