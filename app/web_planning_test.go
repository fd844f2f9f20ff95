package app

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
)

// Planning on the board page, server-rendered: the cycle filter (default
// the active cycle), estimates on cards, column points and the capacity
// bars with their hooks.

// activeDates is a period around today (the test server runs on the real
// clock), so a cycle with them is active.
func activeDates() (string, string) {
	now := time.Now().UTC()
	return now.AddDate(0, 0, -1).Format(time.DateOnly), now.AddDate(0, 0, 6).Format(time.DateOnly)
}

// planningBoard: a t-shirt project with an active cycle holding two of the
// editor's issues (L and unestimated: load 5 + 1 = 6 against capacity 3),
// an upcoming cycle, and the fixture's two issues in no cycle.
func planningBoard(t *testing.T) (*fixture, models.Cycle, models.Cycle, []models.Issue) {
	f := newFixture(newTestServer(t))
	f.owner.must(200, "PATCH", f.path(""), map[string]any{"estimate_scale": "tshirt"}, nil)
	starts, ends := activeDates()
	active := f.cycle(starts, ends)
	next := time.Now().UTC().AddDate(0, 0, 10).Format(time.DateOnly)
	upcoming := f.cycle(next, next)
	f.owner.must(200, "PATCH", f.path("/members/"+f.editor.user.ID), map[string]any{"capacity": 3}, nil)
	var a, b models.Issue
	f.owner.must(201, "POST", f.path("/issues"), map[string]any{"title": "Planned large", "effort": 5,
		"cycle_id": active.ID, "assignee_id": f.editor.user.ID}, &a)
	f.owner.must(201, "POST", f.path("/issues"), map[string]any{"title": "Planned unestimated",
		"cycle_id": active.ID, "assignee_id": f.editor.user.ID}, &b)
	return f, active, upcoming, []models.Issue{a, b}
}

var cardIDs = regexp.MustCompile(`<li class="kcard" data-issue-id="([^"]+)"`)

func shownIDs(body string) []string {
	var out []string
	for _, m := range cardIDs.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func capacityBarTag(t *testing.T, body, uid string) string {
	t.Helper()
	i := strings.Index(body, `data-capacity-user="`+uid+`"`)
	if i < 0 {
		t.Fatalf("no capacity bar for %s", uid)
	}
	start := strings.LastIndex(body[:i], "<li")
	return body[start : i+strings.Index(body[i:], ">")+1]
}

func TestBoardPlanningPage(t *testing.T) {
	f, active, upcoming, planned := planningBoard(t)
	board := "/projects/" + f.project.ID

	// No parameter: the active cycle, its two cards, bars for every member.
	_, body := f.viewer.page(board)
	if ids := shownIDs(body); len(ids) != 2 || !strings.Contains(strings.Join(ids, " "), planned[0].ID) || !strings.Contains(strings.Join(ids, " "), planned[1].ID) {
		t.Fatalf("default board shows %v, want the active cycle's two issues", ids)
	}
	if !strings.Contains(body, `<option value="`+active.ID+`" data-state="active" selected>`) {
		t.Errorf("the active cycle is not the selected filter")
	}
	bar := capacityBarTag(t, body, f.editor.user.ID)
	for _, want := range []string{`class="kcap kcap-over"`, `data-load="6"`, `data-capacity="3"`} {
		if !strings.Contains(bar, want) {
			t.Errorf("editor's bar %s lacks %s", bar, want)
		}
	}
	if bar := capacityBarTag(t, body, f.owner.user.ID); !strings.Contains(bar, `kcap-nolimit`) ||
		!strings.Contains(bar, `data-load="0" data-capacity=""`) {
		t.Errorf("owner's bar (no capacity) %s", bar)
	}
	if !strings.Contains(body, `<span class="kest" title="Estimate">L</span>`) {
		t.Errorf("the effort 5 card does not show L on the t-shirt scale")
	}
	open := body[strings.Index(body, `data-status="open"`):]
	open = open[:strings.Index(open, "</header>")]
	if !strings.Contains(open, ">6 pts</span>") || !strings.Contains(open, "unestimated card counting as 1") {
		t.Errorf("open column header: %s", open)
	}

	// all / none / another cycle.
	_, body = f.viewer.page(board + "?cycle=all")
	if n := len(shownIDs(body)); n != 4 || strings.Contains(body, "data-capacity-bars") {
		t.Errorf("cycle=all: %d cards (want 4), bars shown: %v", n, strings.Contains(body, "data-capacity-bars"))
	}
	_, body = f.viewer.page(board + "?cycle=none")
	if ids := shownIDs(body); len(ids) != 2 || strings.Contains(body, planned[0].ID) {
		t.Errorf("cycle=none shows %v", ids)
	}
	_, body = f.viewer.page(board + "?cycle=" + upcoming.ID)
	if n := len(shownIDs(body)); n != 0 || !strings.Contains(capacityBarTag(t, body, f.editor.user.ID), `data-load="0"`) {
		t.Errorf("upcoming cycle: %d cards, editor bar %s", n, capacityBarTag(t, body, f.editor.user.ID))
	}
	_, list := f.viewer.page(board + "?view=list&cycle=none")
	if strings.Contains(list, "Planned large") || !strings.Contains(list, "First") {
		t.Errorf("list with cycle=none shows the wrong issues")
	}
	_, list = f.viewer.page(board + "?view=list")
	if !strings.Contains(list, "Planned large") || strings.Contains(list, ">First<") {
		t.Errorf("list defaults to the active cycle")
	}

	// A cycle override replaces the member's capacity.
	f.owner.must(200, "PUT", f.path("/cycles/"+active.ID+"/capacity/"+f.editor.user.ID), map[string]any{"points": 10}, nil)
	_, body = f.viewer.page(board)
	if bar := capacityBarTag(t, body, f.editor.user.ID); strings.Contains(bar, "kcap-over") || !strings.Contains(bar, `data-capacity="10"`) {
		t.Errorf("after an override of 10: %s", bar)
	}
}
