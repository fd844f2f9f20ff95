package app

import (
	"strings"
	"testing"

	"github.com/corkboard/corkboard/models"
)

// TestBoardFormAddsToItsCycle: the board's new-issue form posts with the
// board's cycle filter, so an issue added while planning a cycle is in
// that cycle and the board comes back on it; on "all" or "no cycle" it is
// in none; a completed cycle refuses it with a message on the form.
func TestBoardFormAddsToItsCycle(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	pid := f.project.ID
	var next, done models.Cycle
	f.owner.must(201, "POST", "/api/v1/projects/"+pid+"/cycles", map[string]any{"starts_on": "2099-01-07", "ends_on": "2099-01-20"}, &next)
	f.owner.must(201, "POST", "/api/v1/projects/"+pid+"/cycles", map[string]any{"starts_on": "2020-01-01", "ends_on": "2020-01-14"}, &done)

	_, board := f.editor.page("/projects/" + pid + "?cycle=" + next.ID)
	if !strings.Contains(board, `action="/projects/`+pid+`/issues?cycle=`+next.ID+`"`) {
		t.Fatalf("the board of a cycle posts new issues without it")
	}
	add := func(cycle, title string) (string, models.Issue) {
		t.Helper()
		res, _ := f.editor.form("/projects/"+pid+"/issues?cycle="+cycle, map[string]string{"title": title, "status": "open"})
		if res.StatusCode != 303 {
			t.Fatalf("add on the board of %q: %d", cycle, res.StatusCode)
		}
		var page struct{ Items []models.Issue }
		f.editor.must(200, "GET", "/api/v1/projects/"+pid+"/issues?q="+title, nil, &page)
		if len(page.Items) != 1 {
			t.Fatalf("%s: %d issues", title, len(page.Items))
		}
		return res.Header.Get("Location"), page.Items[0]
	}
	if back, is := add(next.ID, "Planned"); deref(is.CycleID) != next.ID || back != "/projects/"+pid+"?cycle="+next.ID {
		t.Errorf("added on the cycle's board: cycle %s, back to %s", deref(is.CycleID), back)
	}
	for _, cycle := range []string{"all", "none"} {
		if back, is := add(cycle, "Loose"+cycle); is.CycleID != nil || back != "/projects/"+pid+"?cycle="+cycle {
			t.Errorf("added on the %s board: cycle %s, back to %s", cycle, deref(is.CycleID), back)
		}
	}

	before := f.seq()
	res, b := f.editor.form("/projects/"+pid+"/issues?cycle="+done.ID, map[string]string{"title": "Late", "status": "open"})
	if res.StatusCode != 422 || !strings.Contains(string(b), "data-new-issue-cycle-error") || !strings.Contains(string(b), `value="Late"`) || f.seq() != before {
		t.Errorf("added on a completed cycle's board: %d, message shown %v", res.StatusCode, strings.Contains(string(b), "data-new-issue-cycle-error"))
	}
}

// TestCardsShowCarryover: a card that rolled over says how many times.
func TestCardsShowCarryover(t *testing.T) {
	html := string(cardsHTML("p1", []models.Issue{{ID: "a", Key: "K-1", Title: "Slipped", Priority: "medium", Carryover: 2},
		{ID: "b", Key: "K-2", Title: "On time", Priority: "medium"}}, nil, true, "free"))
	slipped, onTime, _ := strings.Cut(html, `data-issue-id="b"`)
	if !strings.Contains(slipped, `<span class="kcarry" data-carryover="2" title="Carried over unfinished from 2 earlier cycle(s)">↻ 2</span>`) ||
		strings.Contains(onTime, "kcarry") {
		t.Fatalf("cards %s", html)
	}
}

// TestPanelEffortFollowsTheScale: on a project with a scale the card
// panel offers the scale's values (as the issue page does), keeping a
// value from before a scale change; the free scale stays a number field.
func TestPanelEffortFollowsTheScale(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	pid, is := f.project.ID, f.issues[0]
	panel := "/projects/" + pid + "/issues/" + is.ID + "/panel"
	if _, html := f.editor.page(panel); !strings.Contains(html, `<input id="kp-effort"`) {
		t.Fatalf("free scale: no number field")
	}
	f.editor.must(200, "PATCH", "/api/v1/projects/"+pid+"/issues/"+is.ID, map[string]any{"effort": 4, "version": is.Version}, nil)
	f.owner.must(200, "PATCH", "/api/v1/projects/"+pid, map[string]any{"estimate_scale": "tshirt"}, nil)
	_, html := f.editor.page(panel)
	_, sel, _ := strings.Cut(html, `<select id="kp-effort"`)
	sel, _, _ = strings.Cut(sel, "</select>")
	for _, want := range []string{`<option value="">No estimate</option>`, `<option value="1" >XS (1)</option>`, `<option value="8" >XL (8)</option>`,
		`<option value="4" selected>4 (not on the tshirt scale)</option>`} {
		if !strings.Contains(sel, want) {
			t.Errorf("the panel's estimate lacks %s: %s", want, sel)
		}
	}
	if _, html := f.viewer.page(panel); !strings.Contains(html, `data-field="effort" name="effort" disabled`) {
		t.Errorf("a viewer's estimate is not disabled")
	}
}
