package app

import (
	"html"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// TestWebhookSettingsPage: an owner adds a webhook on the settings page
// and sees its secret once; a bad URL is refused next to the field; the
// page lists deliveries; pause, redeliver and delete post back; editors
// do not see the section and cannot post to it.
func TestWebhookSettingsPage(t *testing.T) {
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", fastWebhooks)
	owner := ts.register("owner@example.com", "Owner")
	editor := ts.register("editor@example.com", "Editor")
	p := owner.newProject("Pages")
	owner.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": "editor@example.com", "role": "editor"}, nil)
	settings := "/projects/" + p.ID + "/settings"
	base := "/projects/" + p.ID + "/webhooks"

	res, body := owner.form(base, map[string]string{"url": "not a url", "events": "issue.*"})
	if res.StatusCode != 422 || !strings.Contains(string(body), "URL must be an absolute http or https URL") {
		t.Fatalf("bad url: %d", res.StatusCode)
	}
	r := newReceiver(t)
	res, body = owner.form(base, map[string]string{"url": r.srv.URL + "/hook", "events": "issue.created, comment.*", "description": "<b>CI</b>"})
	page := string(body)
	var hooks list[models.Webhook]
	owner.must(200, "GET", "/api/v1"+base, nil, &hooks)
	if res.StatusCode != 201 || len(hooks.Items) != 1 || !strings.Contains(page, "data-secret>whsec_") {
		t.Fatalf("create: %d, %d webhooks", res.StatusCode, len(hooks.Items))
	}
	if strings.Contains(page, "<b>CI</b>") || !strings.Contains(page, html.EscapeString("<b>CI</b>")) {
		t.Fatal("the description is not escaped")
	}
	w := hooks.Items[0]
	if strings.Join(w.Events, " ") != "issue.created comment.*" {
		t.Fatalf("events %v", w.Events)
	}
	r.mu.Lock()
	r.secret = page[strings.Index(page, "data-secret>")+len("data-secret>"):]
	r.secret = html.UnescapeString(r.secret[:strings.Index(r.secret, "<")])
	r.mu.Unlock()
	owner.newIssue(p.ID, "one")
	if m := r.waitMessages(1); m[0].Verified != nil {
		t.Fatalf("signed with another secret than the page showed: %v", m[0].Verified)
	}
	waitFor(t, "the delivery on the page", func() bool {
		_, page := owner.page(settings)
		return strings.Contains(page, "data-delivery") && !strings.Contains(page, "whsec_")
	})

	res, body = owner.form(base+"/"+w.ID+"/edit", map[string]string{"url": "ftp://nope", "events": "issue.*"})
	if res.StatusCode != 422 || !strings.Contains(string(body), "URL must be an absolute http or https URL") {
		t.Fatalf("edit with a bad url: %d", res.StatusCode)
	}
	res, _ = owner.form(base+"/"+w.ID+"/edit", map[string]string{"url": r.srv.URL + "/other", "events": "issue.*", "description": "CI"})
	owner.must(200, "GET", "/api/v1"+base+"/"+w.ID, nil, &w)
	if res.StatusCode != 303 || w.URL != r.srv.URL+"/other" || strings.Join(w.Events, ",") != "issue.*" || w.Description != "CI" {
		t.Fatalf("edit: %d, %+v", res.StatusCode, w)
	}
	if _, page := owner.page(settings); strings.Contains(page, "no value") {
		t.Fatal("the page shows <no value>")
	}
	res, _ = owner.form(base+"/"+w.ID, map[string]string{"active": "0"})
	if res.StatusCode != 303 {
		t.Fatalf("pause: %d", res.StatusCode)
	}
	owner.must(200, "GET", "/api/v1"+base+"/"+w.ID, nil, &w)
	if w.Active {
		t.Fatal("still active after pausing")
	}
	res, _ = owner.form(base+"/"+w.ID+"/redeliver", map[string]string{"since_seq": "x"})
	if res.StatusCode != 303 {
		t.Fatalf("redeliver: %d", res.StatusCode)
	}

	if _, page := editor.page(settings); strings.Contains(page, `id="webhooks"`) {
		t.Fatal("an editor sees the webhooks")
	}
	editor.form(base+"/"+w.ID+"/delete", nil)
	owner.must(200, "GET", "/api/v1"+base+"/"+w.ID, nil, nil) // still there
	res, _ = owner.form(base+"/"+w.ID+"/delete", nil)
	owner.must(200, "GET", "/api/v1"+base, nil, &hooks)
	if res.StatusCode != 303 || len(hooks.Items) != 0 {
		t.Fatalf("delete: %d, %d left", res.StatusCode, len(hooks.Items))
	}
}
