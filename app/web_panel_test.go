package app

import (
	"strings"
	"testing"

	"github.com/corkboard/corkboard/models"
)

// The card panel's fragments: rendered for the viewer (edit and delete
// forms only where they may), Markdown sanitised on the server, 404 for
// anyone outside the project; the board's cards carry comment counts.
func TestPanelFragments(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		alice := ts.register("alice@example.com", "Alice")
		bob := ts.register("bob@example.com", "Bob")
		eve := ts.register("eve@example.com", "Eve")
		var p models.Project
		alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Panel"}, &p)
		alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": bob.user.Email, "role": "viewer"}, nil)
		var is models.Issue
		alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]any{"title": "Card <b>one</b>", "description": "**desc**"}, &is)
		var cm models.Comment
		base := "/projects/" + p.ID + "/issues/" + is.ID
		alice.must(201, "POST", "/api/v1"+base+"/comments", map[string]string{"body": "**hi** <script>alert(1)</script> <img src=x onerror=alert(2)>"}, &cm)

		get := func(c *client, path string) (int, string) {
			res, body := c.do("GET", path, nil)
			return res.StatusCode, string(body)
		}
		code, html := get(alice, base+"/comments/"+cm.ID)
		if code != 200 || !strings.Contains(html, `data-comment-id="`+cm.ID+`"`) || !strings.Contains(html, "<strong>hi</strong>") {
			t.Fatalf("comment fragment: %d %s", code, html)
		}
		_, rendered, _ := strings.Cut(html, "data-comment-body>")
		rendered, _, _ = strings.Cut(rendered, "</div>")
		if strings.Contains(html, "<script") || strings.Contains(rendered, "onerror") {
			t.Fatalf("comment fragment not sanitised: %s", rendered)
		}
		if !strings.Contains(html, "data-comment-edit") || !strings.Contains(html, "data-comment-delete") || strings.Contains(html, "<html") {
			t.Fatalf("the author's fragment lacks its forms, or carries the layout: %s", html)
		}
		// Bob (a viewer) sees the comment, without forms.
		code, html = get(bob, base+"/comments/"+cm.ID)
		if code != 200 || strings.Contains(html, "data-comment-edit") || strings.Contains(html, "data-comment-delete") {
			t.Fatalf("viewer's comment fragment: %d %s", code, html)
		}
		code, html = get(alice, base+"/panel")
		for _, want := range []string{`data-panel-content="` + is.ID + `"`, `data-field="title"`, `value="Card &lt;b&gt;one&lt;/b&gt;"`,
			"<strong>desc</strong>", `data-field="cycle_id"`, `data-comment-id="` + cm.ID + `"`, "data-activity"} {
			if !strings.Contains(html, want) {
				t.Fatalf("panel fragment lacks %s: %d %s", want, code, html)
			}
		}
		code, html = get(bob, base+"/panel")
		if code != 200 || !strings.Contains(html, `data-field="title" name="title" value="Card &lt;b&gt;one&lt;/b&gt;" maxlength="200" readonly`) {
			t.Fatalf("viewer's panel should be read-only: %d %s", code, html)
		}
		code, html = get(alice, base+"/activity")
		if code != 200 || !strings.Contains(html, "data-activity-seq") {
			t.Fatalf("activity fragment: %d %s", code, html)
		}
		// Outside the project: 404 for every fragment, and nothing of it.
		for _, path := range []string{base + "/panel", base + "/activity", base + "/comments/" + cm.ID} {
			if code, html := get(eve, path); code != 404 || strings.Contains(html, "hi") && strings.Contains(html, cm.ID) {
				t.Fatalf("non-member %s: %d", path, code)
			}
		}
		if code, _ := get(alice, base+"/comments/not-a-uuid"); code != 404 {
			t.Fatalf("bad comment id: %d", code)
		}
		// The board: the card's count.
		code, html = get(alice, "/projects/"+p.ID)
		if code != 200 || !strings.Contains(html, `data-comment-count="1"`) || !strings.Contains(html, `<span class="kcomments" title="Comments">1</span>`) {
			t.Fatalf("board card comment count: %d", code)
		}
	})
}
