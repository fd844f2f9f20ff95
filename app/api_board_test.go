package app

import (
	"slices"
	"testing"

	"github.com/corkboard/corkboard/models"
)

// TestBoardEndpoint: a viewer gets the whole board in one read (project with
// its seq and columns, every issue in board order, the members); the seq is
// the log's latest, so a live client can carry on from it.
func TestBoardEndpoint(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		f := newFixture(ts)
		var third models.Issue
		f.owner.must(201, "POST", f.path("/issues"), map[string]string{"title": "Third"}, &third)
		// Third goes to the top of "open", Second to "done": board order is
		// no longer creation order.
		f.owner.must(200, "POST", f.path("/issues/"+third.ID+"/move"), map[string]any{"status": "open", "before_id": f.issues[0].ID}, nil)
		f.owner.must(200, "POST", f.path("/issues/"+f.issues[1].ID+"/move"), map[string]any{"status": "done"}, nil)

		var got boardResponse
		f.viewer.must(200, "GET", f.path("/board"), nil, &got)
		if got.Project.ID != f.project.ID || got.Project.Role != models.RoleViewer || len(got.Project.Columns) != 3 {
			t.Fatalf("project %+v", got.Project)
		}
		var events eventsResponse
		f.owner.must(200, "GET", f.path("/events"), nil, &events)
		if got.Project.Seq == 0 || got.Project.Seq != events.Seq {
			t.Fatalf("board seq %d, event log seq %d", got.Project.Seq, events.Seq)
		}
		if len(got.Issues) != 3 {
			t.Fatalf("issues %+v", got.Issues)
		}
		if !slices.IsSortedFunc(got.Issues, func(a, b models.Issue) int {
			if a.Rank != b.Rank {
				if a.Rank < b.Rank {
					return -1
				}
				return 1
			}
			if a.ID < b.ID {
				return -1
			}
			return 1
		}) {
			t.Fatalf("issues not in rank, id order: %+v", got.Issues)
		}
		var open []string
		for _, is := range got.Issues {
			if is.Status == "open" {
				open = append(open, is.ID)
			}
			if is.Key == "" || is.Version == 0 {
				t.Fatalf("issue without key or version: %+v", is)
			}
		}
		if !slices.Equal(open, []string{third.ID, f.issues[0].ID}) {
			t.Fatalf("open column %v, want Third then First", open)
		}
		if len(got.Members) != 4 || !slices.ContainsFunc(got.Members, func(m models.Member) bool {
			return m.UserID == f.viewer.user.ID && m.Role == models.RoleViewer && m.DisplayName == "Viewer"
		}) {
			t.Fatalf("members %+v", got.Members)
		}
	})
}

// TestBoardEndpointHiddenFromOutsiders: a non-member cannot tell the
// project exists (404, like every project route); no session is 401.
func TestBoardEndpointHiddenFromOutsiders(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	f.outsider.must(404, "GET", f.path("/board"), nil, nil)
	f.outsider.must(404, "GET", "/api/v1/projects/00000000-0000-0000-0000-000000000000/board", nil, nil)
	ts.anon().must(401, "GET", f.path("/board"), nil, nil)
	// A member who is removed loses it at once.
	f.owner.must(204, "DELETE", f.path("/members/"+f.viewer.user.ID), nil, nil)
	f.viewer.must(404, "GET", f.path("/board"), nil, nil)
}

// TestMoveWithVersion: a move that names the version it read happens only
// if the issue is still at that version; otherwise 409 with the issue as it
// is now, and nothing moved (no row, no event). Undo relies on this.
func TestMoveWithVersion(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		f := newFixture(ts)
		is := f.issues[0]
		var moved models.Issue
		f.editor.must(200, "POST", f.path("/issues/"+is.ID+"/move"),
			map[string]any{"status": "done", "version": is.Version}, &moved)
		if moved.Status != "done" || moved.Version != is.Version+1 {
			t.Fatalf("moved %+v", moved)
		}
		// Someone edits it; a move with the version read before is refused.
		var edited models.Issue
		f.owner.must(200, "PATCH", f.path("/issues/"+is.ID), map[string]any{"title": "Renamed", "version": moved.Version}, &edited)
		seq := f.seq()
		res, b := f.editor.do("POST", f.path("/issues/"+is.ID+"/move"),
			map[string]any{"status": "open", "before_id": f.issues[1].ID, "version": moved.Version})
		var p struct {
			Type    string        `json:"type"`
			Current *models.Issue `json:"current"`
		}
		mustJSON(t, b, &p)
		if res.StatusCode != 409 || p.Type != "urn:corkboard:problem:stale-version" || p.Current == nil ||
			p.Current.Version != edited.Version || p.Current.Title != "Renamed" || p.Current.Status != "done" {
			t.Fatalf("stale move: %d %s", res.StatusCode, b)
		}
		var now models.Issue
		f.viewer.must(200, "GET", f.path("/issues/"+is.ID), nil, &now)
		if now.Status != "done" || now.Rank != edited.Rank || now.Version != edited.Version || f.seq() != seq {
			t.Fatalf("a refused move changed something: %+v, seq %d -> %d", now, seq, f.seq())
		}
		// Version 0 is not a version: 422 on the field.
		f.editor.must(422, "POST", f.path("/issues/"+is.ID+"/move"), map[string]any{"status": "open", "version": 0}, nil)
		// Without version the move happens whatever the version.
		f.editor.must(200, "POST", f.path("/issues/"+is.ID+"/move"), map[string]any{"status": "open"}, &moved)
		if moved.Status != "open" || moved.Version != edited.Version+1 {
			t.Fatalf("unversioned move %+v", moved)
		}
	})
}
