package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/models"
)

// TestBoardJSONMatchesMarshal: GET /board is written by hand
// (boardResponse.writeJSON, models.AppendIssueJSON) and must be exactly
// what encoding/json made of the same board before: the same bytes, with
// user text that JSON, HTML (the JSON may be put in a page) and JavaScript
// treat specially, every optional field set and not, and more issues than
// one 64 KB piece holds.
func TestBoardJSONMatchesMarshal(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		f := newFixture(ts)
		owner, err := ts.store.UserByID(t.Context(), f.owner.user.ID)
		if err != nil {
			t.Fatal(err)
		}
		cycles, _, err := ts.store.CreateCycles(t.Context(), owner, f.project.ID,
			[]models.CycleInput{{StartsOn: "2030-01-07", EndsOn: "2030-01-20", Name: "Sprint </script> & <b>"}})
		if err != nil {
			t.Fatal(err)
		}
		texts := []string{`"quotes" \back\slash`, "</script><script>alert(1)</script>", "a & b <i>", "ünï©ødé 日本語 🎉",
			"line\u2028sep\u2029para", "tab\tnew\nline\r\nend", "plain"}
		effort, due := 3, "2026-02-01"
		for i := 0; i < 150; i++ {
			text := texts[i%len(texts)]
			in := models.IssueInput{Title: fmt.Sprintf("Card %d %s", i, strings.Map(func(r rune) rune {
				if r < 0x20 || r == '\u2028' || r == '\u2029' {
					return ' '
				}
				return r
			}, text)), Description: strings.Repeat(text+" ", 60), Labels: []string{"<l>", "ü&"},
				Status: f.project.Columns[i%3].Key}
			if i%2 == 0 {
				in.AssigneeID, in.Effort, in.DueDate, in.CycleID = &owner.ID, &effort, &due, &cycles[0].ID
			}
			if _, _, err := ts.store.CreateIssue(t.Context(), owner, f.project.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		res, body := f.viewer.do("GET", f.path("/board"), nil)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET /board: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
		}
		var b boardResponse
		if b.Project, b.Issues, err = ts.store.Board(t.Context(), f.viewer.user.ID, f.project.ID); err != nil {
			t.Fatal(err)
		}
		if b.Members, err = ts.store.ListMembers(t.Context(), f.viewer.user.ID, f.project.ID); err != nil {
			t.Fatal(err)
		}
		if b.Cycles, b.Capacities, err = ts.store.PlanningBoard(t.Context(), f.viewer.user.ID, f.project.ID); err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) < 2*boardChunk || len(b.Issues) != 152 {
			t.Fatalf("%d bytes, %d issues: the board should span several pieces", len(want), len(b.Issues))
		}
		if !bytes.Equal(body, want) {
			i := 0
			for i < min(len(body), len(want)) && body[i] == want[i] {
				i++
			}
			t.Fatalf("GET /board differs from json.Marshal at byte %d of %d/%d:\ngot  %s\nwant %s", i, len(body), len(want),
				body[max(0, i-80):min(len(body), i+80)], want[max(0, i-80):min(len(want), i+80)])
		}
		for _, raw := range []string{"</script>", "<b>", "<i>", "&", "\u2028"} {
			if bytes.Contains(body, []byte(raw)) {
				t.Errorf("GET /board has %q unescaped: not safe to put in a page", raw)
			}
		}
	})
}

// TestBoardJSONRefusesWhatMarshalRefuses: a time json.Marshal cannot write
// makes writeJSON fail too (apiBoard then answers as json.Marshal does)
// rather than write something else.
func TestBoardJSONRefusesWhatMarshalRefuses(t *testing.T) {
	b := boardResponse{Issues: []models.Issue{{Labels: []string{}}}}
	b.Issues[0].CreatedAt = b.Issues[0].CreatedAt.AddDate(-2, 0, 0)
	if _, err := json.Marshal(b); err == nil {
		t.Fatal("json.Marshal took a year before 0: pick another bad time")
	}
	if err := b.writeJSON(func([]byte) {}); err == nil {
		t.Fatal("writeJSON wrote a time json.Marshal refuses")
	}
}
