package app

import (
	"strings"
	"testing"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// TestAccessMatrixRoundTwo is TestAccessMatrix for the second round's
// project routes (webhooks, trash, export, a cycle's report, comment edits,
// a move with a version): for an outsider, a viewer, an editor and an
// owner, the status each gets; every refusal is a problem and changes
// nothing (the project's seq stays).
func TestAccessMatrixRoundTwo(t *testing.T) {
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", fastWebhooks)
	r := newReceiver(t)
	type setup struct {
		f       *fixture
		hook    models.NewWebhook
		trashed models.Issue
		cycle   models.Cycle
		comment models.Comment
	}
	routes := []struct {
		method, path string
		body         func(s setup) any
		// want: outsider, viewer, editor, owner.
		want [4]int
	}{
		{"GET", "/webhooks", nil, [4]int{404, 403, 403, 200}},
		{"POST", "/webhooks", func(setup) any { return map[string]string{"url": r.srv.URL + "/h"} }, [4]int{404, 403, 403, 201}},
		{"GET", "/webhooks/{hook}", nil, [4]int{404, 403, 403, 200}},
		{"PATCH", "/webhooks/{hook}", func(setup) any { return map[string]bool{"active": false} }, [4]int{404, 403, 403, 200}},
		{"DELETE", "/webhooks/{hook}", nil, [4]int{404, 403, 403, 204}},
		{"GET", "/webhooks/{hook}/deliveries", nil, [4]int{404, 403, 403, 200}},
		{"POST", "/webhooks/{hook}/redeliver", func(setup) any { return map[string]int{"since_seq": 0} }, [4]int{404, 403, 403, 202}},
		{"GET", "/trash", nil, [4]int{404, 200, 200, 200}},
		{"POST", "/issues/{trashed}/restore", nil, [4]int{404, 403, 200, 200}},
		{"DELETE", "/trash/{trashed}", nil, [4]int{404, 403, 403, 204}},
		{"DELETE", "/trash", nil, [4]int{404, 403, 403, 204}},
		{"GET", "/export?format=json", nil, [4]int{404, 200, 200, 200}},
		{"GET", "/export?format=csv", nil, [4]int{404, 200, 200, 200}},
		{"GET", "/cycles/{cycle}/report", nil, [4]int{404, 200, 200, 200}},
		{"PATCH", "{issue}/comments/{comment}", func(s setup) any { return map[string]any{"body": "Edited", "version": s.comment.Version} },
			[4]int{404, 403, 200, 403}},
		{"DELETE", "{issue}/comments/{comment}", nil, [4]int{404, 403, 204, 204}},
		{"POST", "{issue}/move", func(s setup) any {
			return map[string]any{"status": "done", "version": s.f.issues[0].Version}
		}, [4]int{404, 403, 200, 200}},
	}
	for _, rt := range routes {
		for i, who := range []string{"outsider", "viewer", "editor", "owner"} {
			t.Run(rt.method+" "+rt.path+" as "+who, func(t *testing.T) {
				s := setup{f: newFixture(ts)}
				f := s.f
				s.hook = f.owner.webhookOn(f.project.ID, r, nil)
				s.trashed = f.owner.newIssue(f.project.ID, "Binned")
				f.owner.must(204, "DELETE", f.path("/issues/"+s.trashed.ID), nil, nil)
				s.cycle = f.cycle("2026-11-18", "2026-12-01")
				f.editor.must(201, "POST", f.path("/issues/"+f.issues[0].ID+"/comments"), map[string]string{"body": "Mine"}, &s.comment)
				c := [4]*client{f.outsider, f.viewer, f.editor, f.owner}[i]
				p := strings.NewReplacer("{hook}", s.hook.ID, "{trashed}", s.trashed.ID, "{cycle}", s.cycle.ID,
					"{issue}", "/issues/"+f.issues[0].ID, "{comment}", s.comment.ID).Replace(rt.path)
				var body any
				if rt.body != nil {
					body = rt.body(s)
				}
				before := f.seq()
				res, b := c.do(rt.method, f.path(p), body)
				if res.StatusCode != rt.want[i] {
					t.Fatalf("%s %s as %s: %d, want %d (%.300s)", rt.method, p, who, res.StatusCode, rt.want[i], b)
				}
				if rt.want[i] >= 400 {
					var pr problem
					mustJSON(t, b, &pr)
					if res.Header.Get("Content-Type") != "application/problem+json" || pr.Detail == "" {
						t.Errorf("refusal is not a problem with a detail: %s %s", res.Header.Get("Content-Type"), b)
					}
					if after := f.seq(); after != before {
						t.Errorf("refused request changed the project: seq %d -> %d", before, after)
					}
				}
			})
		}
	}
}
