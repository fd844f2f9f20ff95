package app

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/transfer"
	"github.com/corkboard/corkboard/models"
)

// An imported project's log: each issue's creation and each comment is an
// event, at the time the file gives, numbered in time order; the issue's
// history starts with its creation; a cycle's report counts the imported
// issues from their columns' categories (columns that are not the default
// ones); and the next change continues the log.
func TestImportWritesTheLog(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		alice := ts.register("alice@example.com", "Alice")
		bob := ts.register("bob@example.com", "Bob")
		now := time.Now().UTC() // once: the file's times and the expected ones must not fall in different seconds
		day := func(d int) string { return now.AddDate(0, 0, d).Format(time.DateOnly) }
		at := func(d int) time.Time { return now.AddDate(0, 0, d).Truncate(time.Second) }
		eff := func(n int) *int { return &n }
		cycle := int64(1)
		email := "bob@example.com"
		doc := transfer.Document{Format: transfer.Format,
			Project: transfer.DocProject{Key: "LOG", Name: "Logged", Timezone: "UTC", EstimateScale: "free",
				UnestimatedEffort: 1, CapacityPolicy: "warn"},
			Columns: []transfer.DocColumn{{Key: "ideas", Name: "Ideas", Category: "todo"},
				{Key: "making", Name: "Making", Category: "started"}, {Key: "shipped", Name: "Shipped", Category: "done"}},
			Members: []transfer.DocMember{{Email: email, Role: "editor"}},
			Cycles:  []transfer.DocCycle{{Number: 1, Name: "Now", StartsOn: day(-3), EndsOn: day(4)}},
			Issues: []transfer.DocIssue{
				{Number: 1, Title: "Idea", Status: "ideas", Priority: "low", Effort: eff(2), CycleNumber: &cycle,
					CreatedAt: at(-10), UpdatedAt: at(-10)},
				{Number: 2, Title: "Making it", Status: "making", Priority: "medium", Effort: eff(3), CycleNumber: &cycle,
					AuthorEmail: &email, CreatedAt: at(-8), UpdatedAt: at(-2),
					Comments: []transfer.DocComment{{AuthorEmail: email, Body: "On it", CreatedAt: at(-2)}}},
				{Number: 3, Title: "Shipped it", Status: "shipped", Priority: "high", Effort: eff(5), CycleNumber: &cycle,
					CreatedAt: at(-9), UpdatedAt: at(-1)},
			}}
		data, _ := json.Marshal(doc)
		job := alice.waitImport(alice.startImport("corkboard", "", data))
		if job.Status != models.ImportDone {
			t.Fatalf("import: %+v", job)
		}
		pid := *job.ProjectID
		var evs eventsResponse
		alice.must(200, "GET", "/api/v1/projects/"+pid+"/events?since=0", nil, &evs)
		// Created 10, 9 and 8 days ago, then the comment 2 days ago.
		want := []struct {
			typ, actor string
			at         time.Time
		}{{"issue.created", alice.user.ID, at(-10)}, {"issue.created", alice.user.ID, at(-9)},
			{"issue.created", bob.user.ID, at(-8)}, {"comment.created", bob.user.ID, at(-2)}}
		if len(evs.Items) != len(want) || evs.Seq != int64(len(want)) {
			t.Fatalf("the log of the import: seq %d, %+v", evs.Seq, evs.Items)
		}
		for i, w := range want {
			e := evs.Items[i]
			if e.Seq != int64(i+1) || e.Type != w.typ || e.Actor.ID != w.actor || !e.At.Equal(w.at) {
				t.Errorf("event %d: %d %s by %s at %s; want %s by %s at %s", i, e.Seq, e.Type, e.Actor.ID, e.At, w.typ, w.actor, w.at)
			}
		}
		var issues list[models.Issue]
		alice.must(200, "GET", "/api/v1/projects/"+pid+"/issues?limit=100", nil, &issues)
		var making models.Issue
		for _, is := range issues.Items {
			if is.Number == 2 {
				making = is
			}
		}
		var hist list[activityEntry]
		alice.must(200, "GET", "/api/v1/projects/"+pid+"/issues/"+making.ID+"/activity", nil, &hist)
		if len(hist.Items) != 2 || hist.Items[0].Type != "issue.created" || hist.Items[1].Type != "comment.created" {
			t.Fatalf("the issue's history: %+v", hist.Items)
		}

		var cycles list[models.Cycle]
		alice.must(200, "GET", "/api/v1/projects/"+pid+"/cycles", nil, &cycles)
		var rep struct {
			Totals struct{ Scope, Started, Completed, Added int }
		}
		alice.must(200, "GET", "/api/v1/projects/"+pid+"/cycles/"+cycles.Items[0].ID+"/report", nil, &rep)
		if rep.Totals.Scope != 10 || rep.Totals.Started != 3 || rep.Totals.Completed != 5 || rep.Totals.Added != 0 {
			t.Fatalf("the imported cycle's report: %+v", rep.Totals)
		}

		var next models.Issue
		alice.must(201, "POST", "/api/v1/projects/"+pid+"/issues", map[string]string{"title": "After"}, &next)
		alice.must(200, "GET", "/api/v1/projects/"+pid+"/events?since=4", nil, &evs)
		if len(evs.Items) != 1 || evs.Items[0].Seq != 5 || evs.Items[0].Type != "issue.created" {
			t.Fatalf("the log after the import: %+v", evs.Items)
		}
	})
}

// The JSON export is valid and round-trips at the edges: a project without
// issues, columns without issues, an issue's carryover, a member's and a
// cycle's capacities, and comments and titles with every kind of character.
func TestExportEdges(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		alice := ts.register("alice@example.com", "Alice")
		var empty models.Project
		alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Empty"}, &empty)
		first := alice.export(empty.ID, "json")
		if !json.Valid(first) || !strings.Contains(string(first), `"issues":[]`) {
			t.Fatalf("the export of a project without issues: %s", first)
		}
		job := alice.waitImport(alice.startImport("corkboard", "", first))
		if job.Status != models.ImportDone || !reflect.DeepEqual(comparable(t, alice.export(*job.ProjectID, "json")), comparable(t, first)) {
			t.Fatalf("an empty project's round trip: %+v", job)
		}

		odd := "quote \" backslash \\ </script><b>&amp;</b> ' \u2028\u2029 tab\t crlf\r\n emoji 😀 ℵ \uFFFD end"
		eff, cyc, capa, email := 3, int64(1), 8, "alice@example.com"
		doc := transfer.Document{Format: transfer.Format,
			Project: transfer.DocProject{Key: "EDGE", Name: "Edges " + odd[:19], Description: odd, Timezone: "UTC",
				EstimateScale: "free", UnestimatedEffort: 1, CapacityPolicy: "warn"},
			Columns: []transfer.DocColumn{{Key: "todo", Name: "To do", Category: "todo"},
				{Key: "idle", Name: "Nobody here", Category: "started"}, {Key: "done", Name: "Done", Category: "done"}},
			Members: []transfer.DocMember{{Email: email, DisplayName: "Alice", Handle: "alice", Role: "owner", Capacity: &capa}},
			Cycles: []transfer.DocCycle{{Number: 1, Name: "One", StartsOn: "2099-02-01", EndsOn: "2099-02-14", Goal: odd,
				Capacities: []transfer.DocCapacity{{Email: email, Points: 5}}}},
			Issues: []transfer.DocIssue{{Number: 4, Title: "Odd " + odd[:30], Description: odd, Status: "done",
				Priority: "urgent", Labels: []string{"ü", "a,b"}, Effort: &eff, CycleNumber: &cyc, Carryover: 2,
				AuthorEmail: &email, AssigneeEmail: &email,
				CreatedAt: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), UpdatedAt: time.Date(2024, 2, 3, 4, 5, 6, 0, time.UTC),
				Comments: []transfer.DocComment{{AuthorEmail: email, Body: odd, CreatedAt: time.Date(2024, 1, 5, 0, 0, 0, 0, time.UTC)}}}}}
		data, _ := json.Marshal(doc)
		job = alice.waitImport(alice.startImport("corkboard", "", data))
		if job.Status != models.ImportDone || len(job.Warnings) != 0 {
			t.Fatalf("import: %+v", job)
		}
		out := alice.export(*job.ProjectID, "json")
		if !json.Valid(out) {
			t.Fatalf("invalid JSON: %s", out)
		}
		got := comparable(t, out)
		doc.Members[0].Handle = got.Members[0].Handle // the account's, not the file's
		doc.Members[0].DisplayName = got.Members[0].DisplayName
		if !reflect.DeepEqual(got, doc) {
			t.Fatalf("round trip differs:\nin  %s\nout %s", data, out)
		}
	})
}

// The people of a Trello board who have an account here, matched by
// email, become editors: a board member who only comments, and a comment's
// author who is no longer on the board. A member without an account is
// named in the warnings; nobody else joins.
func TestImportTrelloPeopleJoin(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.register("alice@example.com", "Alice")
	bob := ts.register("bob@example.com", "Bob")
	carol := ts.register("carol@example.com", "Carol")
	ts.register("eve@example.com", "Eve") // not in the file
	board := `{"name":"People","lists":[{"id":"l","name":"To do","pos":1}],
		"members":[{"id":"mb","fullName":"Bob B","email":"BOB@example.com"},{"id":"md","fullName":"Dan D","email":"dan@example.com"}],
		"cards":[{"id":"5f5e1000aaaaaaaaaaaa0401","idShort":1,"name":"Card","idList":"l","pos":1}],
		"actions":[{"type":"commentCard","date":"2024-01-01T00:00:00Z","idMemberCreator":"mb","data":{"text":"From Bob","card":{"id":"5f5e1000aaaaaaaaaaaa0401"}}},
		{"type":"commentCard","date":"2024-01-02T00:00:00Z","idMemberCreator":"mc","memberCreator":{"id":"mc","fullName":"Carol C","email":"carol@example.com"},
		 "data":{"text":"From Carol","card":{"id":"5f5e1000aaaaaaaaaaaa0401"}}}]}`
	job := alice.waitImport(alice.startImport("trello", "", []byte(board)))
	if job.Status != models.ImportDone || !slices.Contains(job.Warnings, "Dan D <dan@example.com> has no account here: kept as text (1 mentions)") {
		t.Fatalf("import: %+v", job)
	}
	var members list[models.Member]
	alice.must(200, "GET", "/api/v1/projects/"+*job.ProjectID+"/members", nil, &members)
	roles := map[string]models.Role{}
	for _, m := range members.Items {
		roles[m.UserID] = m.Role
	}
	want := map[string]models.Role{alice.user.ID: "owner", bob.user.ID: "editor", carol.user.ID: "editor"}
	if !reflect.DeepEqual(roles, want) {
		t.Fatalf("members %v, want %v", roles, want)
	}
}
