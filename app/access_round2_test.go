package app

import (
	"net/http"
	"net/http/httptest"
	"net/url"
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

// TestCrossSiteRoundTwoForms: the second round's page forms, each one a
// post that would succeed from the same origin, are refused (403) when a
// browser says another site sent them, and change nothing.
func TestCrossSiteRoundTwoForms(t *testing.T) {
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", fastWebhooks)
	r := newReceiver(t)
	f := newFixture(ts)
	hook := f.owner.webhookOn(f.project.ID, r, nil)
	trashed := f.owner.newIssue(f.project.ID, "Binned")
	f.owner.must(204, "DELETE", f.path("/issues/"+trashed.ID), nil, nil)
	var cm models.Comment
	iss := "/projects/" + f.project.ID + "/issues/" + f.issues[0].ID
	f.owner.must(201, "POST", f.path("/issues/"+f.issues[0].ID+"/comments"), map[string]string{"body": "Mine"}, &cm)
	p := "/projects/" + f.project.ID
	forms := []struct {
		path string
		form map[string]string
	}{
		{p + "/webhooks", map[string]string{"url": r.srv.URL + "/other"}},
		{p + "/webhooks/" + hook.ID, map[string]string{"active": "0"}},
		{p + "/webhooks/" + hook.ID + "/edit", map[string]string{"url": r.srv.URL + "/moved"}},
		{p + "/webhooks/" + hook.ID + "/redeliver", map[string]string{"since_seq": "0"}},
		{p + "/webhooks/" + hook.ID + "/delete", nil},
		{p + "/trash/" + trashed.ID + "/restore", nil},
		{p + "/trash/" + trashed.ID + "/purge", nil},
		{p + "/trash/purge", nil},
		{iss + "/watch", map[string]string{"on": "0"}},
		{iss + "/comments", map[string]string{"body": "Injected"}},
		{iss + "/comments/" + cm.ID, map[string]string{"body": "Defaced", "version": "1"}},
		{iss + "/comments/" + cm.ID + "/delete", nil},
		{"/notifications/read", map[string]string{"all": "1"}},
		{"/settings/notifications", map[string]string{"email_notifications": "off"}},
	}
	before := f.seq()
	for _, site := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
		for _, fm := range forms {
			parts := []string{}
			for k, v := range fm.form {
				parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
			}
			req := httptest.NewRequest("POST", fm.path, strings.NewReader(strings.Join(parts, "&")))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: ts.sessionCookieName(), Value: f.owner.cookie})
			for k, v := range site {
				req.Header.Set(k, v)
			}
			if res, b := f.owner.send(req); res.StatusCode != 403 {
				t.Errorf("POST %s with %v: %d %.200s, want 403", fm.path, site, res.StatusCode, b)
			}
		}
	}
	if after := f.seq(); after != before {
		t.Fatalf("cross-site forms changed the project: seq %d -> %d", before, after)
	}
	if w := f.owner.waitWebhook(f.project.ID, hook.ID, "webhook", func(models.Webhook) bool { return true }); !w.Active ||
		w.URL != r.srv.URL+"/hook" {
		t.Fatalf("cross-site forms changed the webhook: %+v", w)
	}
	var trash list[models.TrashedIssue]
	f.owner.must(200, "GET", f.path("/trash"), nil, &trash)
	if len(trash.Items) != 1 {
		t.Fatalf("cross-site forms changed the trash: %+v", trash.Items)
	}
	// The same forms from the same origin do get through (the guard, not
	// the form, refused them above).
	if res, b := f.owner.form(p+"/trash/"+trashed.ID+"/restore", nil); res.StatusCode >= 400 || f.seq() == before {
		t.Fatalf("same-origin restore: %d %.200s", res.StatusCode, b)
	}
}

// TestWebhookSecretNotStored: the answer that shows a new webhook's secret
// (the API's 201 and the settings page after the form) is never kept by a
// cache, like the other secrets shown once (tokens, 2FA setup).
func TestWebhookSecretNotStored(t *testing.T) {
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", fastWebhooks)
	r := newReceiver(t)
	f := newFixture(ts)
	res, b := f.owner.do("POST", f.path("/webhooks"), map[string]string{"url": r.srv.URL + "/h"})
	if res.StatusCode != 201 || !strings.Contains(string(b), `"secret"`) {
		t.Fatalf("create: %d %s", res.StatusCode, b)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("API answer with the secret: Cache-Control %q, want no-store", cc)
	}
	res, b = f.owner.form("/projects/"+f.project.ID+"/webhooks", map[string]string{"url": r.srv.URL + "/p"})
	if res.StatusCode != 201 || !strings.Contains(string(b), "data-secret") {
		t.Fatalf("create from the page: %d %.300s", res.StatusCode, b)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("page with the secret: Cache-Control %q, want no-store", cc)
	}
}
