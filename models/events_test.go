package models_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/corkboard/corkboard/models"
)

// TestEventsForEveryChange: each kind of change appends exactly one event,
// with the next seq, its type, its actor, and a payload that decodes to the
// resource the call returned.
func TestEventsForEveryChange(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		var issue models.Issue
		steps := []struct {
			typ   string
			actor models.User
			// do makes the change and returns the event the call returned and
			// what the event's payload must be.
			do func() (models.Event, any, error)
		}{
			{models.EventProjectUpdated, f.owner, func() (models.Event, any, error) {
				p, ev, err := s.UpdateProject(ctx, f.owner, f.p.ID, models.ProjectPatch{Name: ptr("Renamed")})
				p.Role = "" // events go to every member: no role in them
				return ev, p, err
			}},
			{models.EventMemberAdded, f.owner, func() (models.Event, any, error) {
				m, ev, err := s.AddMember(ctx, f.owner, f.p.ID, f.outsider.Email, models.RoleViewer)
				return ev, m, err
			}},
			{models.EventMemberUpdated, f.owner, func() (models.Event, any, error) {
				m, ev, err := s.UpdateMember(ctx, f.owner, f.p.ID, f.outsider.ID, models.RoleEditor)
				return ev, m, err
			}},
			{models.EventMemberRemoved, f.owner, func() (models.Event, any, error) {
				m, ev, err := s.RemoveMember(ctx, f.owner, f.p.ID, f.outsider.ID)
				return ev, m, err
			}},
			{models.EventMemberRemoved, f.viewer, func() (models.Event, any, error) {
				m, ev, err := s.RemoveMember(ctx, f.viewer, f.p.ID, f.viewer.ID)
				return ev, m, err
			}},
			{models.EventColumnCreated, f.owner, func() (models.Event, any, error) {
				c, ev, err := s.AddColumn(ctx, f.owner, f.p.ID, models.ColumnInput{Name: "QA", WIPLimit: ptr(2)})
				return ev, c, err
			}},
			{models.EventColumnUpdated, f.owner, func() (models.Event, any, error) {
				c, ev, err := s.UpdateColumn(ctx, f.owner, f.p.ID, "qa", models.ColumnPatch{WIPLimit: models.Null[int]()})
				return ev, c, err
			}},
			{models.EventColumnsReordered, f.owner, func() (models.Event, any, error) {
				c, ev, err := s.ReorderColumns(ctx, f.owner, f.p.ID, []string{"qa", "open", "in_progress", "done"})
				return ev, c, err
			}},
			{models.EventColumnDeleted, f.owner, func() (models.Event, any, error) {
				c, ev, err := s.DeleteColumn(ctx, f.owner, f.p.ID, "qa")
				return ev, c, err
			}},
			{models.EventIssueCreated, f.editor, func() (ev models.Event, _ any, err error) {
				issue, ev, err = s.CreateIssue(ctx, f.editor, f.p.ID, models.IssueInput{Title: "card", Labels: []string{"x"}})
				return ev, issue, err
			}},
			{models.EventIssueUpdated, f.editor, func() (ev models.Event, _ any, err error) {
				issue, ev, err = s.UpdateIssue(ctx, f.editor, f.p.ID, issue.ID, models.IssuePatch{Title: ptr("card 2"), Version: issue.Version})
				return ev, issue, err
			}},
			{models.EventIssueMoved, f.owner, func() (ev models.Event, _ any, err error) {
				issue, ev, err = s.MoveIssue(ctx, f.owner, f.p.ID, issue.ID, models.MoveInput{Status: "done"})
				return ev, issue, err
			}},
			{models.EventIssueDeleted, f.editor, func() (models.Event, any, error) {
				was := f.getIssue(issue.ID) // the payload is the issue as it was
				ev, err := s.DeleteIssue(ctx, f.editor, f.p.ID, issue.ID)
				return ev, was, err
			}},
		}
		for _, st := range steps {
			seq := f.seq()
			returned, want, err := st.do()
			if err != nil {
				t.Fatalf("%s: %v", st.typ, err)
			}
			logged := f.events(seq)
			if len(logged) != 1 {
				t.Fatalf("%s wrote %d events, want 1", st.typ, len(logged))
			}
			ev := logged[0]
			if ev.Seq != seq+1 || ev.Type != st.typ || ev.ProjectID != f.p.ID ||
				ev.Actor != (models.Actor{ID: st.actor.ID, Name: st.actor.DisplayName}) || ev.At.IsZero() {
				t.Errorf("%s: logged %s, want seq %d by %s", st.typ, describe(ev), seq+1, st.actor.DisplayName)
			}
			if f.seq() != seq+1 {
				t.Errorf("%s: project seq %d, want %d", st.typ, f.seq(), seq+1)
			}
			if returned.Seq != ev.Seq || returned.Type != ev.Type || returned.Actor != ev.Actor ||
				!sameJSON(t, returned.Data, ev.Data) {
				t.Errorf("%s: the call returned %s but the log holds %s", st.typ, describe(returned), describe(ev))
			}
			decoded := reflect.New(reflect.TypeOf(want))
			if err := json.Unmarshal(ev.Data, decoded.Interface()); err != nil {
				t.Errorf("%s: payload %s does not decode to %T: %v", st.typ, ev.Data, want, err)
			}
			if !sameJSON(t, decoded.Elem().Interface(), want) {
				t.Errorf("%s: payload\n %s\nwant\n %+v", st.typ, ev.Data, want)
			}
		}
		// The issue payloads carry the id and version of the issue returned.
		for _, ev := range f.events(0) {
			var is models.Issue
			if ev.Type == models.EventIssueMoved {
				if err := json.Unmarshal(ev.Data, &is); err != nil || is.ID != issue.ID || is.Version != 3 || is.Status != "done" {
					t.Errorf("issue.moved payload %s", ev.Data)
				}
			}
		}
	})
}

// describe prints an event with its payload as text.
func describe(ev models.Event) string {
	return fmt.Sprintf("{%s seq %d project %s actor %s/%q data %s}", ev.Type, ev.Seq, ev.ProjectID, ev.Actor.ID, ev.Actor.Name, ev.Data)
}

func TestEventsSincePaging(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		for range 10 {
			f.issue("card", "")
		}
		const last = 12 // two member.added, ten issue.created
		for _, limit := range []int{1, 4, 5, 12, 13} {
			var seqs []int64
			since := int64(0)
			for pages := 0; ; pages++ {
				page, err := s.EventsSince(ctx, f.viewer.ID, f.p.ID, since, limit)
				if err != nil {
					t.Fatal(err)
				}
				if page.Seq != last || len(page.Items) > limit || pages > last {
					t.Fatalf("limit %d: page %+v", limit, page)
				}
				for _, ev := range page.Items {
					seqs = append(seqs, ev.Seq)
				}
				if !page.HasMore {
					break
				}
				if len(page.Items) != limit {
					t.Fatalf("limit %d: a short page (%d) says HasMore", limit, len(page.Items))
				}
				since = page.Items[len(page.Items)-1].Seq
			}
			if len(seqs) != last {
				t.Fatalf("limit %d: walked %v", limit, seqs)
			}
			for i, seq := range seqs {
				if seq != int64(i+1) {
					t.Fatalf("limit %d: walked %v, want 1..%d", limit, seqs, last)
				}
			}
		}
		for _, c := range []struct {
			since       int64
			limit, want int
			more        bool
		}{
			{last, 10, 0, false},
			{last - 1, 1, 1, false},
			{last - 2, 1, 1, true},
			{0, 0, last, false},    // 0: the default limit
			{0, 5000, last, false}, // capped, not refused
			{100, 10, 0, false},
		} {
			page, err := s.EventsSince(ctx, f.viewer.ID, f.p.ID, c.since, c.limit)
			if err != nil || len(page.Items) != c.want || page.HasMore != c.more || page.Seq != last {
				t.Errorf("EventsSince(%d, %d) = %d items, more %v, seq %d, %v; want %d, %v, %d",
					c.since, c.limit, len(page.Items), page.HasMore, page.Seq, err, c.want, c.more, last)
			}
		}
		_, err := s.EventsSince(ctx, f.outsider.ID, f.p.ID, 0, 10)
		wantErr(t, err, models.ErrNotFound)
	})
}

// TestFailedChangesWriteNoEvent: a refused change, whether refused before
// its transaction or inside it after the seq was taken, leaves no event and
// no gap: the next change gets the next seq.
func TestFailedChangesWriteNoEvent(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		f := newFixture(t, s)
		ctx := t.Context()
		is := f.issue("card", "open")
		done := f.issue("done card", "done")
		isInvalid := func(err error) bool { return invalidFields(err) != nil }
		isStale := func(err error) bool { var se *models.StaleError; return errors.As(err, &se) }
		isErr := func(target error) func(error) bool { return func(err error) bool { return errors.Is(err, target) } }
		cases := []struct {
			name string
			ok   func(error) bool
			do   func() error
		}{
			{"invalid input", isInvalid, func() error {
				_, _, err := s.CreateIssue(ctx, f.editor, f.p.ID, models.IssueInput{})
				return err
			}},
			{"unknown status (checked in the transaction)", isInvalid, func() error {
				_, _, err := s.CreateIssue(ctx, f.editor, f.p.ID, models.IssueInput{Title: "x", Status: "nope"})
				return err
			}},
			{"neighbour in another column", isInvalid, func() error {
				_, _, err := s.MoveIssue(ctx, f.editor, f.p.ID, is.ID, models.MoveInput{Status: "open", AfterID: &done.ID})
				return err
			}},
			{"unknown email", isInvalid, func() error {
				_, _, err := s.AddMember(ctx, f.owner, f.p.ID, "ghost@example.com", models.RoleViewer)
				return err
			}},
			{"last owner leaves", isInvalid, func() error {
				_, _, err := s.RemoveMember(ctx, f.owner, f.p.ID, f.owner.ID)
				return err
			}},
			{"non-empty column", isInvalid, func() error {
				_, _, err := s.DeleteColumn(ctx, f.owner, f.p.ID, "done")
				return err
			}},
			{"stale version", isStale, func() error {
				_, _, err := s.UpdateIssue(ctx, f.editor, f.p.ID, is.ID, models.IssuePatch{Title: ptr("x"), Version: 99})
				return err
			}},
			{"viewer creates", isErr(models.ErrForbidden), func() error {
				_, _, err := s.CreateIssue(ctx, f.viewer, f.p.ID, models.IssueInput{Title: "x"})
				return err
			}},
			{"editor renames the project", isErr(models.ErrForbidden), func() error {
				_, _, err := s.UpdateProject(ctx, f.editor, f.p.ID, models.ProjectPatch{Name: ptr("x")})
				return err
			}},
			{"editor adds a column", isErr(models.ErrForbidden), func() error {
				_, _, err := s.AddColumn(ctx, f.editor, f.p.ID, models.ColumnInput{Name: "QA"})
				return err
			}},
			{"unknown issue", isErr(models.ErrNotFound), func() error {
				_, _, err := s.MoveIssue(ctx, f.editor, f.p.ID, "00000000-0000-0000-0000-000000000000", models.MoveInput{Status: "done"})
				return err
			}},
			{"unknown column", isErr(models.ErrNotFound), func() error {
				_, _, err := s.UpdateColumn(ctx, f.owner, f.p.ID, "nope", models.ColumnPatch{Name: ptr("x")})
				return err
			}},
			{"duplicate member", isErr(models.ErrConflict), func() error {
				_, _, err := s.AddMember(ctx, f.owner, f.p.ID, f.viewer.Email, models.RoleViewer)
				return err
			}},
		}
		for _, c := range cases {
			seq := f.seq()
			if err := c.do(); !c.ok(err) {
				t.Errorf("%s: unexpected error %v", c.name, err)
			}
			if got := f.seq(); got != seq {
				t.Errorf("%s: seq %d -> %d", c.name, seq, got)
			}
			if evs := f.events(seq); len(evs) != 0 {
				t.Errorf("%s: wrote %d events, first %s", c.name, len(evs), describe(evs[0]))
			}
		}
		seq := f.seq()
		if _, ev, err := s.MoveIssue(ctx, f.editor, f.p.ID, is.ID, models.MoveInput{Status: "done"}); err != nil || ev.Seq != seq+1 {
			t.Fatalf("the next change: seq %d, %v; want %d", ev.Seq, err, seq+1)
		}
		for i, ev := range f.events(0) {
			if ev.Seq != int64(i+1) {
				t.Fatalf("log has a gap or duplicate at %d: seq %d", i, ev.Seq)
			}
		}
	})
}
