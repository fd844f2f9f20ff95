package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/models"
	"github.com/corkboard/corkboard/realtime"
)

// commentsPath is the comments collection of issue iid, or one comment.
func (f *fixture) commentsPath(iid string, cid ...string) string {
	p := f.path("/issues/" + iid + "/comments")
	if len(cid) > 0 {
		p += "/" + cid[0]
	}
	return p
}

// commentCounts is an issue's comment_count in GET issue, the list and the
// board, as c sees them.
func (f *fixture) commentCounts(c *client, iid string) [3]int {
	f.ts.t.Helper()
	var out [3]int
	var is models.Issue
	c.must(200, "GET", f.path("/issues/"+iid), nil, &is)
	out[0] = int(is.CommentCount)
	var page list[models.Issue]
	c.must(200, "GET", f.path("/issues?limit=200"), nil, &page)
	for _, it := range page.Items {
		if it.ID == iid {
			out[1] = int(it.CommentCount)
		}
	}
	var b boardResponse
	c.must(200, "GET", f.path("/board"), nil, &b)
	for _, it := range b.Issues {
		if it.ID == iid {
			out[2] = int(it.CommentCount)
		}
	}
	return out
}

// staleComment is a 409 problem's current comment.
type staleComment struct {
	Status  int             `json:"status"`
	Current *models.Comment `json:"current"`
}

// TestCommentsAPI walks every comment route with each role: editors post,
// anyone in the project reads (oldest first, in pages), the author edits
// with the version (stale: 409 with the current comment), the author or an
// owner deletes; others get 403, outsiders 404, and comment_count follows
// in GET issue, the list and the board.
func TestCommentsAPI(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		f := newFixture(ts)
		iid := f.issues[0].ID
		var c models.Comment
		f.editor.must(201, "POST", f.commentsPath(iid), map[string]string{"body": "**hello** <b>there</b>"}, &c)
		if c.IssueID != iid || c.Author.ID != f.editor.user.ID || c.Author.Name != "Editor" || c.Author.Handle == "" || c.Author.Handle != f.editor.user.Handle ||
			c.Body != "**hello** <b>there</b>" || c.Version != 1 {
			t.Fatalf("created %+v", c)
		}
		if got := f.commentCounts(f.viewer, iid); got != [3]int{1, 1, 1} {
			t.Fatalf("comment_count in GET/list/board %v, want 1", got)
		}
		if got := f.commentCounts(f.viewer, f.issues[1].ID); got != [3]int{} {
			t.Fatalf("the other issue's comment_count %v, want 0", got)
		}

		// Pages, oldest first.
		ids := []string{c.ID}
		for i := range 4 {
			var more models.Comment
			f.owner.must(201, "POST", f.commentsPath(iid), map[string]string{"body": fmt.Sprint("reply ", i)}, &more)
			ids = append(ids, more.ID)
		}
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("pages never end")
			}
			var page list[models.Comment]
			f.viewer.must(200, "GET", f.commentsPath(iid)+"?limit=2&cursor="+cursor, nil, &page)
			if len(page.Items) > 2 {
				t.Fatalf("page of %d", len(page.Items))
			}
			for _, it := range page.Items {
				got = append(got, it.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if strings.Join(got, ",") != strings.Join(ids, ",") {
			t.Fatalf("paged %v, want %v", got, ids)
		}

		// Edits: the author only; a stale version is 409 with the current one.
		f.owner.must(403, "PATCH", f.commentsPath(iid, c.ID), map[string]any{"body": "owner's", "version": 1}, nil)
		f.spare.must(403, "PATCH", f.commentsPath(iid, c.ID), map[string]any{"body": "spare's", "version": 1}, nil)
		f.viewer.must(403, "PATCH", f.commentsPath(iid, c.ID), map[string]any{"body": "viewer's", "version": 1}, nil)
		var up models.Comment
		f.editor.must(200, "PATCH", f.commentsPath(iid, c.ID), map[string]any{"body": "edited", "version": 1}, &up)
		if up.Version != 2 || up.Body != "edited" || up.ID != c.ID {
			t.Fatalf("edited %+v", up)
		}
		var stale staleComment
		f.editor.must(409, "PATCH", f.commentsPath(iid, c.ID), map[string]any{"body": "late", "version": 1}, &stale)
		if stale.Current == nil || stale.Current.Version != 2 || stale.Current.Body != "edited" || stale.Current.ID != c.ID {
			t.Fatalf("409 current %+v", stale.Current)
		}

		// Deletes: not another editor, not a viewer; an owner or the author.
		f.spare.must(403, "DELETE", f.commentsPath(iid, c.ID), nil, nil)
		f.viewer.must(403, "DELETE", f.commentsPath(iid, c.ID), nil, nil)
		f.owner.must(204, "DELETE", f.commentsPath(iid, c.ID), nil, nil)
		var mine models.Comment
		f.spare.must(201, "POST", f.commentsPath(iid), map[string]string{"body": "mine"}, &mine)
		f.spare.must(204, "DELETE", f.commentsPath(iid, mine.ID), nil, nil)
		f.spare.must(404, "DELETE", f.commentsPath(iid, mine.ID), nil, nil)
		if got := f.commentCounts(f.owner, iid); got != [3]int{4, 4, 4} {
			t.Fatalf("comment_count after two deletes %v, want 4", got)
		}

		// Viewers read but do not post; outsiders see nothing at all.
		f.viewer.must(403, "POST", f.commentsPath(iid), map[string]string{"body": "may I?"}, nil)
		before := f.seq()
		for _, r := range []struct{ method, path string }{
			{"GET", f.commentsPath(iid)}, {"POST", f.commentsPath(iid)},
			{"PATCH", f.commentsPath(iid, ids[1])}, {"DELETE", f.commentsPath(iid, ids[1])},
		} {
			var body any
			if r.method == "POST" || r.method == "PATCH" {
				body = map[string]any{"body": "intruder", "version": 1}
				if r.method == "POST" {
					body = map[string]any{"body": "intruder"}
				}
			}
			res, b := f.outsider.do(r.method, r.path, body)
			if res.StatusCode != 404 {
				t.Fatalf("outsider %s: %d %s", r.method, res.StatusCode, b)
			}
		}
		if f.seq() != before {
			t.Fatalf("refused requests changed the project")
		}

		// Deleting the issue hides its comments; purging it deletes them.
		f.owner.must(204, "DELETE", f.path("/issues/"+iid), nil, nil)
		f.owner.must(404, "GET", f.commentsPath(iid), nil, nil)
		f.owner.must(204, "DELETE", f.path("/trash/"+iid), nil, nil)
		var n int
		err := rawDB(t, ts).QueryRow("SELECT count(*) FROM comments WHERE issue_id = $1", iid).Scan(&n)
		if err != nil || n != 0 {
			t.Fatalf("%d comments left after deleting their issue (%v)", n, err)
		}
	})
}

// TestCommentValidation: bad bodies, versions, cursors and ids are clear
// 4xx problems that change nothing.
func TestCommentValidation(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		f := newFixture(ts)
		iid := f.issues[0].ID
		var c models.Comment
		f.editor.must(201, "POST", f.commentsPath(iid), map[string]string{"body": "keep"}, &c)
		cp := f.commentsPath(iid, c.ID)
		cases := []struct {
			name, method, path string
			body               any
			status             int
			field              string
		}{
			{"empty", "POST", f.commentsPath(iid), map[string]any{"body": ""}, 422, "body"},
			{"blank", "POST", f.commentsPath(iid), map[string]any{"body": " \n "}, 422, "body"},
			{"missing", "POST", f.commentsPath(iid), map[string]any{}, 422, "body"},
			{"too long", "POST", f.commentsPath(iid), map[string]any{"body": strings.Repeat("é", 20001)}, 422, "body"},
			{"NUL", "POST", f.commentsPath(iid), map[string]any{"body": "a\x00b"}, 422, "body"},
			{"control", "POST", f.commentsPath(iid), map[string]any{"body": "a\x07b"}, 422, "body"},
			{"wrong type", "POST", f.commentsPath(iid), map[string]any{"body": 5}, 422, "body"},
			{"unknown field", "POST", f.commentsPath(iid), map[string]any{"body": "a", "author_id": f.owner.user.ID}, 422, "author_id"},
			{"malformed", "POST", f.commentsPath(iid), `{"body":`, 400, ""},
			{"edit empty", "PATCH", cp, map[string]any{"body": "", "version": 1}, 422, "body"},
			{"edit too long", "PATCH", cp, map[string]any{"body": strings.Repeat("x", 20001), "version": 1}, 422, "body"},
			{"edit without version", "PATCH", cp, map[string]any{"body": "x"}, 422, "version"},
			{"bad cursor", "GET", f.commentsPath(iid) + "?cursor=!!", nil, 422, "cursor"},
			{"bad limit", "GET", f.commentsPath(iid) + "?limit=0", nil, 422, "limit"},
			{"unknown issue", "POST", f.commentsPath("00000000-0000-0000-0000-000000000000"), map[string]any{"body": "a"}, 404, ""},
			{"malformed issue id", "GET", f.commentsPath("nope"), nil, 404, ""},
			{"unknown comment", "PATCH", f.commentsPath(iid, "00000000-0000-0000-0000-000000000000"), map[string]any{"body": "a", "version": 1}, 404, ""},
			{"malformed comment id", "DELETE", f.commentsPath(iid, "%FF"), nil, 404, ""},
			{"comment of another issue", "DELETE", f.commentsPath(f.issues[1].ID, c.ID), nil, 404, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				before := f.seq()
				res, b := f.editor.do(tc.method, tc.path, tc.body)
				if res.StatusCode != tc.status {
					t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, b)
				}
				var p problem
				mustJSON(t, b, &p)
				if res.Header.Get("Content-Type") != "application/problem+json" || p.Status != tc.status {
					t.Fatalf("not a problem document: %s", b)
				}
				if tc.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != tc.field) {
					t.Fatalf("field errors %+v, want %q", p.Errors, tc.field)
				}
				if f.seq() != before {
					t.Fatalf("refused request changed the project")
				}
			})
		}
		var page list[models.Comment]
		f.viewer.must(200, "GET", f.commentsPath(iid), nil, &page)
		if len(page.Items) != 1 || page.Items[0].Body != "keep" || page.Items[0].Version != 1 {
			t.Fatalf("comments after refusals %+v", page.Items)
		}
	})
}

// TestCommentEventsLive: comment.created, comment.updated (the comment)
// and comment.deleted ({id, issue_id}) reach an open board socket and are
// in /events; an issue event after them carries the comment_count.
func TestCommentEventsLive(t *testing.T) {
	forEachDatabaseURL(t, func(t *testing.T, url string) {
		ls := newLiveServer(t, url, realtime.Options{})
		a, p, issues := ls.board("comments-live@example.com", 1)
		watcher := ls.register("watcher@example.com", "Watcher")
		a.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": watcher.user.Email, "role": "viewer"}, nil)
		start := int64(2) // the issue and the member
		conn := ls.mustDial(watcher, p.ID, start)
		if h := next(t, conn); h.Type != "hello" || h.Seq != start {
			t.Fatalf("hello %+v", h)
		}
		base := "/api/v1/projects/" + p.ID + "/issues/" + issues[0].ID
		var c, up models.Comment
		a.must(201, "POST", base+"/comments", map[string]string{"body": "live"}, &c)
		a.must(200, "PATCH", base+"/comments/"+c.ID, map[string]any{"body": "live, edited", "version": 1}, &up)
		var second models.Comment
		a.must(201, "POST", base+"/comments", map[string]string{"body": "stays"}, &second)
		a.must(204, "DELETE", base+"/comments/"+c.ID, nil, nil)
		var moved models.Issue
		a.must(200, "POST", base+"/move", map[string]string{"status": "done"}, &moved)

		type want struct {
			typ  string
			data any
		}
		wants := []want{
			{"comment.created", c}, {"comment.updated", up}, {"comment.created", second},
			{"comment.deleted", map[string]string{"id": c.ID, "issue_id": issues[0].ID}}, {"issue.moved", moved},
		}
		var evs eventsResponse
		watcher.must(200, "GET", fmt.Sprintf("/api/v1/projects/%s/events?since=%d", p.ID, start), nil, &evs)
		if len(evs.Items) != len(wants) {
			t.Fatalf("%d events, want %d", len(evs.Items), len(wants))
		}
		for i, w := range wants {
			fr := next(t, conn)
			wantData, _ := json.Marshal(w.data)
			if fr.Type != w.typ || fr.Seq != start+int64(i)+1 || !sameJSONBytes(fr.Data, wantData) {
				t.Fatalf("frame %d: %s seq %d %s, want %s %s", i, fr.Type, fr.Seq, fr.Data, w.typ, wantData)
			}
			if ev := evs.Items[i]; ev.Type != w.typ || ev.Seq != fr.Seq || !sameJSONBytes(ev.Data, wantData) {
				t.Fatalf("/events %d: %s %s, want %s %s", i, ev.Type, ev.Data, w.typ, wantData)
			}
		}
		if moved.CommentCount != 1 {
			t.Fatalf("issue.moved carries comment_count %d, want 1", moved.CommentCount)
		}
	})
}

// inertTag finds a tag with an event handler attribute or an attribute
// whose URL is javascript: (the pages quote every attribute value with ").
var inertTag = regexp.MustCompile(`(?i)<[a-z][a-z0-9]*(\s+[a-z-]+(="[^"]*")?)*\s+(on[a-z]+=|(href|src|action|formaction)="\s*javascript:)`)

func sameJSONBytes(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// TestCommentsOnIssuePage: the issue page lists comments (author, time,
// rendered Markdown, data-comment-id), and its forms add, edit and delete
// without JavaScript, with errors beside the field and the 409 comparison.
func TestCommentsOnIssuePage(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	is := f.issues[0]
	page := "/projects/" + f.project.ID + "/issues/" + is.ID
	var c models.Comment
	f.editor.must(201, "POST", f.commentsPath(is.ID), map[string]string{"body": "**bold** reply"}, &c)

	_, body := f.viewer.page(page)
	if !strings.Contains(body, `data-comment-id="`+c.ID+`"`) || !strings.Contains(body, "<strong>bold</strong> reply") ||
		!strings.Contains(body, "Editor") {
		t.Fatalf("viewer's page does not show the comment: %s", body)
	}
	if strings.Contains(body, `action="`+page+`/comments"`) || strings.Contains(body, "/comments/"+c.ID) {
		t.Errorf("a viewer is offered forms to comment, edit or delete")
	}
	// Another editor may comment but not edit or delete someone else's.
	_, body = f.spare.page(page)
	if !strings.Contains(body, `action="`+page+`/comments"`) || strings.Contains(body, "/comments/"+c.ID) {
		t.Errorf("another editor: comment form missing, or edit/delete offered")
	}
	// The owner may delete it but not edit it.
	_, body = f.owner.page(page)
	if !strings.Contains(body, `action="`+page+`/comments/`+c.ID+`/delete"`) || strings.Contains(body, `action="`+page+`/comments/`+c.ID+`"`) {
		t.Errorf("owner: delete missing, or edit offered")
	}
	// The author may do both.
	_, body = f.editor.page(page)
	if !strings.Contains(body, `action="`+page+`/comments/`+c.ID+`/delete"`) || !strings.Contains(body, `action="`+page+`/comments/`+c.ID+`"`) {
		t.Errorf("author: edit or delete missing")
	}

	// Add through the form.
	res, _ := f.spare.form(page+"/comments", map[string]string{"body": "from the form"})
	if res.StatusCode != 303 || !strings.HasPrefix(res.Header.Get("Location"), page) {
		t.Fatalf("add: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	var list1 list[models.Comment]
	f.owner.must(200, "GET", f.commentsPath(is.ID), nil, &list1)
	if len(list1.Items) != 2 || list1.Items[1].Body != "from the form" {
		t.Fatalf("after the form %+v", list1.Items)
	}
	// An empty comment: 422 with the error beside the field; nothing added.
	res, b := f.spare.form(page+"/comments", map[string]string{"body": "  "})
	if res.StatusCode != 422 || !regexp.MustCompile(`(?s)name="body".{0,400}Comment is required`).Match(b) {
		t.Fatalf("empty comment: %d %s", res.StatusCode, b)
	}
	// A viewer posting is refused with a message.
	res, _ = f.viewer.form(page+"/comments", map[string]string{"body": "viewer"})
	if res.StatusCode != 303 || !strings.Contains(flashOf(res), "does not allow") {
		t.Fatalf("viewer post: %d %q", res.StatusCode, flashOf(res))
	}

	// Edit through the form; a stale form shows both versions, keeps the text.
	res, _ = f.editor.form(page+"/comments/"+c.ID, map[string]string{"body": "edited on the page", "version": "1"})
	if res.StatusCode != 303 {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	res, b = f.editor.form(page+"/comments/"+c.ID, map[string]string{"body": "my stale text", "version": "1"})
	if res.StatusCode != 409 || !strings.Contains(string(b), "my stale text") || !strings.Contains(string(b), "edited on the page") ||
		!strings.Contains(string(b), `name="version" value="2"`) {
		t.Fatalf("stale edit: %d %s", res.StatusCode, b)
	}
	res, b = f.editor.form(page+"/comments/"+c.ID, map[string]string{"body": "", "version": "2"})
	if res.StatusCode != 422 || !strings.Contains(string(b), "Comment is required") {
		t.Fatalf("empty edit: %d", res.StatusCode)
	}
	// Someone else's edit: refused with a message.
	res, _ = f.owner.form(page+"/comments/"+c.ID, map[string]string{"body": "owner's", "version": "2"})
	if res.StatusCode != 303 || !strings.Contains(flashOf(res), "does not allow") {
		t.Fatalf("owner edit: %d %q", res.StatusCode, flashOf(res))
	}
	var now list[models.Comment]
	f.owner.must(200, "GET", f.commentsPath(is.ID), nil, &now)
	if now.Items[0].Body != "edited on the page" || now.Items[0].Version != 2 {
		t.Fatalf("comment after the page edits %+v", now.Items[0])
	}
	// Delete through the form (the owner, someone else's comment).
	res, _ = f.owner.form(page+"/comments/"+c.ID+"/delete", nil)
	if res.StatusCode != 303 {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	f.owner.must(200, "GET", f.commentsPath(is.ID), nil, &now)
	if len(now.Items) != 1 {
		t.Fatalf("after the delete %+v", now.Items)
	}
	res, _ = f.outsider.form(page+"/comments/"+now.Items[0].ID+"/delete", nil)
	if res.StatusCode != 404 {
		t.Fatalf("outsider delete: %d", res.StatusCode)
	}
}

// TestCommentsAreRenderedInert: the XSS corpus of the description tests,
// as comment bodies and as the author's name, renders inert on the page,
// while Markdown still renders.
func TestCommentsAreRenderedInert(t *testing.T) {
	f, is := xssFixture(t)
	hostile := f.ts.register("hostile-commenter@example.com", "H "+xss1)
	f.owner.must(201, "POST", f.path("/members"), map[string]string{"email": hostile.user.Email, "role": "editor"}, nil)
	bodies := []string{
		"D " + xss2 + "\n\n" + xss1 + " [x](javascript:alert(1))",
		"**bold** and *em*\n\n- one\n- two\n\n<script>alert(1)</script>\n\n[bad](javascript:alert(1)) [good](https://example.com)",
		"<a href=\"javascript:alert(1)\">a</a> <iframe src=\"https://evil.example\"></iframe> <svg onload=alert(1)></svg>\n\n" +
			"![img](javascript:alert(1)) <div style=\"background:url(javascript:alert(1))\">s</div>",
	}
	var ids []string
	for _, body := range bodies {
		var c models.Comment
		hostile.must(201, "POST", f.commentsPath(is.ID), map[string]string{"body": body}, &c)
		ids = append(ids, c.ID)
	}
	for _, c := range []*client{f.owner, hostile, f.viewer} {
		status, page := c.page("/projects/" + f.project.ID + "/issues/" + is.ID)
		if status != http.StatusOK {
			t.Fatalf("issue page: %d", status)
		}
		for _, id := range ids {
			if !strings.Contains(page, `data-comment-id="`+id+`"`) {
				t.Fatalf("comment %s not on the page", id)
			}
		}
		// (The author's edit box holds the raw text, escaped: what must
		// not appear is markup.)
		for _, raw := range []string{xss1, "<script>alert", `<img src=x onerror`, "<iframe", "<svg", `style="background`} {
			if strings.Contains(page, raw) {
				t.Errorf("issue page contains raw %q", raw)
			}
		}
		if m := inertTag.FindString(page); m != "" {
			t.Errorf("issue page has a tag with a handler or a javascript: URL: %s", m)
		}
		for _, want := range []string{"<strong>bold</strong>", "<em>em</em>", "<li>one</li>", `href="https://example.com"`,
			"H &lt;script&gt;alert(1)&lt;/script&gt;"} {
			if !strings.Contains(page, want) {
				t.Errorf("issue page lacks %q", want)
			}
		}
	}
}
