package activity

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func issueJSON(t *testing.T, s state) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBuildTellsChanges: each update is compared with the state before it
// (comments in between change nothing), the changes are the DTO's values
// and the sentence uses names.
func TestBuildTellsChanges(t *testing.T) {
	bob, carol, cyc := "u-bob", "u-carol", "c-1"
	three, five := 3, 5
	due := "2026-12-24"
	names := Names{Columns: map[string]string{"open": "Open", "done": "Done"},
		People: map[string]string{bob: "Bob", carol: "Carol"}, Cycles: map[string]string{cyc: "Sprint 1"}}
	s0 := state{Title: "Fix it", Status: "open", Priority: "medium", Labels: []string{}}
	s1 := s0
	s1.Title, s1.Description = "Fix it now", "long text"
	s2 := s1
	s2.Status = "done"
	s3 := s2
	s3.AssigneeID, s3.Effort, s3.CycleID = &carol, &three, &cyc
	s4 := s3
	s4.AssigneeID, s4.Effort, s4.CycleID, s4.DueDate, s4.Labels, s4.Priority = nil, &five, nil, &due, []string{"bug", "ui"}, "high"
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ev := func(seq int64, typ string, data json.RawMessage) Event {
		return Event{Seq: seq, Type: typ, ActorID: bob, ActorName: "Bob", At: at, Data: data}
	}
	got := Build("CORK-3", nil, []Event{
		ev(1, "issue.created", issueJSON(t, s0)),
		ev(2, "issue.updated", issueJSON(t, s1)),
		ev(3, "comment.created", json.RawMessage(`{"id":"x","issue_id":"i","body":"secret"}`)),
		ev(4, "issue.moved", issueJSON(t, s2)),
		ev(5, "issue.updated", issueJSON(t, s3)),
		ev(6, "issue.updated", issueJSON(t, s4)),
		ev(7, "issue.moved", issueJSON(t, s4)),
		ev(8, "comment.deleted", json.RawMessage(`{"id":"x","issue_id":"i"}`)),
	}, names)
	want := []struct {
		text    string
		changes []Change
	}{
		{"Bob created CORK-3 in Open", []Change{}},
		{"Bob renamed CORK-3 from “Fix it” to “Fix it now” and changed its description",
			[]Change{{"title", "Fix it", "Fix it now"}, {"description", nil, nil}}},
		{"Bob commented on CORK-3", []Change{}},
		{"Bob moved CORK-3 from Open to Done", []Change{{"status", "open", "done"}}},
		{"Bob assigned CORK-3 to Carol, estimated it at 3 and put it in Sprint 1",
			[]Change{{"assignee", nil, carol}, {"effort", nil, 3}, {"cycle", nil, cyc}}},
		{"Bob changed the priority of CORK-3 from medium to high, unassigned Carol from it, set its labels to bug, ui, " +
			"changed its estimate from 3 to 5, set its due date to 2026-12-24 and took it out of Sprint 1",
			[]Change{{"priority", "medium", "high"}, {"assignee", carol, nil}, {"labels", []string{}, []string{"bug", "ui"}},
				{"effort", 3, 5}, {"due_date", nil, due}, {"cycle", cyc, nil}}},
		{"Bob moved CORK-3 within Done", []Change{}},
		{"Bob deleted a comment on CORK-3", []Change{}},
	}
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		if got[i].Text != w.text || !reflect.DeepEqual(got[i].Changes, w.changes) || got[i].Seq != int64(i+1) {
			t.Errorf("entry %d:\n got %q %#v\nwant %q %#v", i, got[i].Text, got[i].Changes, w.text, w.changes)
		}
	}
}

// TestBuildFromBefore: a page that starts mid-history is compared with the
// state the previous page left; unknown names are told generically.
func TestBuildFromBefore(t *testing.T) {
	gone := "u-gone"
	a := state{Title: "T", Status: "old", Priority: "low", AssigneeID: &gone, Labels: []string{}}
	b := a
	b.Status, b.AssigneeID = "open", nil
	got := Build("CORK-9", issueJSON(t, a), []Event{{Seq: 9, Type: "issue.updated", ActorName: "Ann", Data: issueJSON(t, b)}},
		Names{Columns: map[string]string{"open": "Open"}})
	if want := "Ann moved CORK-9 from old to Open and unassigned a former member from it"; got[0].Text != want {
		t.Fatalf("got %q, want %q", got[0].Text, want)
	}
}

// TestBuildRollOver: a roll-over (the system moving an unfinished issue to
// the next cycle) reads as one sentence.
func TestBuildRollOver(t *testing.T) {
	c1, c2 := "c-1", "c-2"
	a := state{Title: "T", Status: "open", Priority: "low", CycleID: &c1, Labels: []string{}}
	b := a
	b.CycleID, b.Carryover = &c2, 1
	c := b
	c.CycleID, c.Carryover = &c1, 2
	names := Names{Cycles: map[string]string{c1: "Sprint 1", c2: "Sprint 2"}}
	got := Build("CORK-3", issueJSON(t, a), []Event{{Seq: 1, Type: "issue.updated", ActorName: "Corkboard", Data: issueJSON(t, b)},
		{Seq: 2, Type: "issue.updated", ActorName: "Corkboard", Data: issueJSON(t, c)}}, names)
	for i, want := range []string{"Corkboard moved CORK-3 from Sprint 1 to Sprint 2 and carried it over to the next cycle",
		"Corkboard moved CORK-3 from Sprint 2 to Sprint 1 and carried it over to the next cycle (2 times now)"} {
		if got[i].Text != want {
			t.Errorf("entry %d: %q, want %q", i, got[i].Text, want)
		}
	}
}

func TestAgo(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{10 * time.Second, "just now"}, {time.Minute, "1 minute ago"}, {2*time.Minute + 5*time.Second, "2 minutes ago"},
		{3 * time.Hour, "3 hours ago"}, {49 * time.Hour, "2 days ago"}, {40 * 24 * time.Hour, "on 26 Oct 2026"}} {
		if got := Ago(now.Add(-c.d), now); got != c.want {
			t.Errorf("Ago(-%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
