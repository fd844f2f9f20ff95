package app

import (
	"strings"
	"testing"

	"github.com/corkboard/corkboard/models"
)

// notes is c's notifications (query: "" or "?unread=true&limit=…").
func notes(c *client, query string) notificationList {
	c.ts.t.Helper()
	var out notificationList
	c.must(200, "GET", "/api/v1/notifications"+query, nil, &out)
	return out
}

// kinds lists a page's kinds, newest first.
func kinds(l notificationList) []string {
	out := []string{}
	for _, n := range l.Items {
		out = append(out, n.Kind)
	}
	return out
}

func sameKinds(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func (f *fixture) watching(c *client, iid string) bool {
	f.ts.t.Helper()
	var is issueForCaller
	c.must(200, "GET", f.path("/issues/"+iid), nil, &is)
	return is.Watching
}

// TestNotificationRules walks the rules through the API: assignment,
// mentions of members (and of outsiders, which do nothing and answer the
// same), comments and column changes to watchers, never the actor, an
// edit that mentions someone again tells nobody again, watching stops and
// starts, and nothing of a project the person left.
func TestNotificationRules(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		f := newFixture(ts)
		var is models.Issue
		f.owner.must(201, "POST", f.path("/issues"), map[string]any{"title": "Watched", "assignee_id": f.editor.user.ID}, &is)
		if got := kinds(notes(f.editor, "")); !sameKinds(got, "assigned") {
			t.Fatalf("assignee was told %v, want [assigned]", got)
		}
		if got := notes(f.owner, ""); len(got.Items) != 0 || got.UnreadCount != 0 {
			t.Fatalf("the actor was told of their own change: %+v", got)
		}
		if !f.watching(f.owner, is.ID) || !f.watching(f.editor, is.ID) || f.watching(f.viewer, is.ID) {
			t.Fatal("author and assignee should watch, the viewer not")
		}

		// A comment mentioning a member and an outsider: the outsider gets
		// nothing, and the answer is the same as for an unknown handle.
		var cm models.Comment
		f.editor.must(201, "POST", f.commentsPath(is.ID), map[string]string{"body": "@nobody-at-all look"}, nil)
		f.editor.must(201, "POST", f.commentsPath(is.ID), map[string]string{
			"body": "@" + f.viewer.user.Handle + " and @" + f.outsider.user.Handle + " look"}, &cm)
		vn := notes(f.viewer, "")
		if !sameKinds(kinds(vn), "mention") || vn.Items[0].CommentID == nil || *vn.Items[0].CommentID != cm.ID ||
			vn.Items[0].Actor.ID != f.editor.user.ID || vn.Items[0].Issue.ID != is.ID || vn.Items[0].Project.ID != f.project.ID ||
			vn.Items[0].Issue.Key != is.Key || vn.UnreadCount != 1 {
			t.Fatalf("viewer's mention: %+v", vn)
		}
		if got := notes(f.outsider, ""); len(got.Items) != 0 {
			t.Fatalf("an outsider was told of a project they are not in: %+v", got)
		}
		if got := kinds(notes(f.owner, "")); !sameKinds(got, "comment", "comment") {
			t.Fatalf("the author (watching) was told %v, want two comments", got)
		}
		if got := kinds(notes(f.editor, "")); !sameKinds(got, "assigned") {
			t.Fatalf("the commenter was told of their own comments: %v", got)
		}

		// An edit that keeps the mention tells nobody again; one that adds
		// a member tells that member once.
		cm2 := cm
		f.editor.must(200, "PATCH", f.commentsPath(is.ID, cm.ID), map[string]any{
			"body": cm.Body + " please", "version": cm.Version}, &cm2)
		if got := notes(f.viewer, ""); len(got.Items) != 1 {
			t.Fatalf("re-saving a mention told again: %v", kinds(got))
		}
		f.editor.must(200, "PATCH", f.commentsPath(is.ID, cm.ID), map[string]any{
			"body": cm2.Body + " @" + f.spare.user.Handle, "version": cm2.Version}, nil)
		if got := kinds(notes(f.spare, "")); !sameKinds(got, "mention") {
			t.Fatalf("spare, added to a comment: %v", got)
		}
		// A mention in a description, in any case.
		var cur models.Issue
		f.owner.must(200, "GET", f.path("/issues/"+f.issues[0].ID), nil, &cur)
		f.owner.must(200, "PATCH", f.path("/issues/"+f.issues[0].ID), map[string]any{
			"description": "ask @" + toUpper(f.viewer.user.Handle) + ".", "version": cur.Version}, nil)
		if got := kinds(notes(f.viewer, "")); !sameKinds(got, "mention", "mention") {
			t.Fatalf("viewer after a description mention: %v", got)
		}

		// A column change tells the watchers but the mover.
		f.viewer.must(204, "DELETE", f.path("/issues/"+is.ID+"/watch"), nil, nil)
		if f.watching(f.viewer, is.ID) {
			t.Fatal("still watching after DELETE watch")
		}
		f.owner.must(200, "POST", f.path("/issues/"+is.ID+"/move"), map[string]string{"status": "done"}, nil)
		if got := kinds(notes(f.editor, "")); !sameKinds(got, "status", "assigned") {
			t.Fatalf("assignee after a move: %v", got)
		}
		if got := kinds(notes(f.spare, "")); !sameKinds(got, "status", "mention") {
			t.Fatalf("spare (mentioned, so watching) after a move: %v", got)
		}
		if got := notes(f.viewer, ""); len(got.Items) != 2 {
			t.Fatalf("viewer stopped watching but was told of the move: %v", kinds(got))
		}
		// PUT starts again (twice is fine).
		f.owner.must(200, "POST", f.path("/issues/"+is.ID+"/move"), map[string]string{"status": "open"}, nil)
		f.viewer.must(204, "PUT", f.path("/issues/"+is.ID+"/watch"), nil, nil)
		f.viewer.must(204, "PUT", f.path("/issues/"+is.ID+"/watch"), nil, nil)
		if !f.watching(f.viewer, is.ID) {
			t.Fatal("not watching after PUT watch")
		}
		f.owner.must(200, "POST", f.path("/issues/"+is.ID+"/move"), map[string]string{"status": "done"}, nil)
		if got := kinds(notes(f.viewer, "")); !sameKinds(got, "status", "mention", "mention") {
			t.Fatalf("viewer watching again: %v", got)
		}
		f.outsider.must(404, "PUT", f.path("/issues/"+is.ID+"/watch"), nil, nil)

		// Leaving the project hides its notifications and stops new ones.
		f.viewer.must(204, "DELETE", f.path("/members/"+f.viewer.user.ID), nil, nil)
		f.owner.must(200, "POST", f.path("/issues/"+is.ID+"/move"), map[string]string{"status": "open"}, nil)
		f.editor.must(201, "POST", f.commentsPath(is.ID), map[string]string{"body": "@" + f.viewer.user.Handle}, nil)
		if got := notes(f.viewer, ""); len(got.Items) != 0 || got.UnreadCount != 0 {
			t.Fatalf("notifications of a project left: %+v", got)
		}
		// Rejoining shows the old ones (hidden, not deleted), nothing new.
		f.owner.must(201, "POST", f.path("/members"), map[string]string{"email": f.viewer.user.Email, "role": "viewer"}, nil)
		if got := notes(f.viewer, ""); len(got.Items) != 3 {
			t.Fatalf("after rejoining: %v", kinds(got))
		}
	})
}

func toUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 32
		}
	}
	return string(b)
}

// TestNotificationsReadAndPages: pages newest first with a cursor, the
// unread filter and count, marking one and all read, unknown and foreign
// ids ignored (204), bad bodies 422.
func TestNotificationsReadAndPages(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		f := newFixture(ts)
		for i := range 3 {
			f.owner.must(201, "POST", f.commentsPath(f.issues[i%2].ID), map[string]string{
				"body": "hey @" + f.editor.user.Handle}, nil)
		}
		all := notes(f.editor, "")
		if len(all.Items) != 3 || all.UnreadCount != 3 {
			t.Fatalf("three mentions: %+v", all)
		}
		p1 := notes(f.editor, "?limit=2")
		p2 := notes(f.editor, "?limit=2&cursor="+p1.NextCursor)
		if len(p1.Items) != 2 || p1.NextCursor == "" || len(p2.Items) != 1 || p2.NextCursor != "" ||
			p1.Items[0].ID != all.Items[0].ID || p2.Items[0].ID != all.Items[2].ID {
			t.Fatalf("pages: %+v / %+v", p1, p2)
		}
		if !all.Items[0].At.After(all.Items[2].At) && all.Items[0].ID <= all.Items[2].ID {
			t.Fatal("not newest first")
		}

		// Someone else's id and an unknown one are ignored.
		f.editor.must(201, "POST", f.commentsPath(f.issues[0].ID), map[string]string{"body": "@" + f.viewer.user.Handle}, nil)
		theirs := notes(f.viewer, "").Items[0].ID
		f.editor.must(204, "POST", "/api/v1/notifications/read", map[string]any{
			"ids": []string{all.Items[1].ID, theirs, "0190f1b2-7c3d-7a4e-8b5f-6c7d8e9f0a1c", "junk"}}, nil)
		if v := notes(f.viewer, ""); v.UnreadCount != 1 || v.Items[0].ReadAt != nil {
			t.Fatalf("someone else's read marked the viewer's: %+v", v)
		}
		un := notes(f.editor, "?unread=true")
		if un.UnreadCount != 2 || len(un.Items) != 2 || un.Items[0].ID != all.Items[0].ID || un.Items[1].ID != all.Items[2].ID {
			t.Fatalf("after reading one: %+v", un)
		}
		if got := notes(f.editor, ""); got.Items[1].ReadAt == nil || got.Items[0].ReadAt != nil {
			t.Fatalf("read_at: %+v", got.Items)
		}
		for _, bad := range []any{map[string]any{}, map[string]any{"ids": []string{}},
			map[string]any{"ids": []string{all.Items[0].ID}, "all": true}} {
			f.editor.must(422, "POST", "/api/v1/notifications/read", bad, nil)
		}
		f.editor.must(422, "GET", "/api/v1/notifications?unread=maybe", nil, nil)
		f.editor.must(422, "GET", "/api/v1/notifications?cursor=nonsense", nil, nil)
		f.editor.must(204, "POST", "/api/v1/notifications/read", map[string]any{"all": true}, nil)
		if got := notes(f.editor, "?unread=true"); len(got.Items) != 0 || got.UnreadCount != 0 {
			t.Fatalf("after reading all: %+v", got)
		}
		f.viewer.must(200, "GET", "/api/v1/notifications", nil, nil)
		ts.anon().must(401, "GET", "/api/v1/notifications", nil, nil)
	})
}

// TestEmailNotificationsSetting: instant by default, changed by PATCH
// /auth/me, anything else 422.
func TestEmailNotificationsSetting(t *testing.T) {
	ts := newTestServer(t)
	c := ts.register("mailset@example.com", "Mail")
	if c.user.EmailNotifications != "instant" {
		t.Fatalf("default %q", c.user.EmailNotifications)
	}
	var u models.User
	c.must(200, "PATCH", "/api/v1/auth/me", map[string]string{"email_notifications": "daily"}, &u)
	c.must(200, "GET", "/api/v1/auth/me", nil, &u)
	if u.EmailNotifications != "daily" {
		t.Fatalf("after PATCH: %q", u.EmailNotifications)
	}
	c.must(422, "PATCH", "/api/v1/auth/me", map[string]string{"email_notifications": "weekly"}, nil)
	c.must(422, "PATCH", "/api/v1/auth/me", map[string]any{"email_notifications": nil}, nil)
	c.must(200, "GET", "/api/v1/auth/me", nil, &u)
	if u.EmailNotifications != "daily" {
		t.Fatalf("a refused PATCH changed it: %q", u.EmailNotifications)
	}
}

// TestOverCapacityNotification: under the warn policy, the change that
// takes someone's load in a cycle past their capacity tells them once
// (over_capacity, besides assigned); more load while already over tells
// nothing more; their own change tells them nothing.
func TestOverCapacityNotification(t *testing.T) {
	planningFixture(t, func(t *testing.T, f *fixture, _ *testClock) {
		c := f.cycle("2026-11-18", "2026-12-01")
		ed := f.editor.user.ID
		f.owner.must(200, "PATCH", f.path("/members/"+ed), map[string]any{"capacity": 5}, nil)
		mk := func(by *client, effort int) {
			by.must(201, "POST", f.path("/issues"), map[string]any{"title": "Work", "assignee_id": ed, "effort": effort,
				"cycle_id": c.ID}, nil)
		}
		mk(f.owner, 3)
		mk(f.owner, 2) // 5 of 5: not over
		if got := kinds(notes(f.editor, "")); !sameKinds(got, "assigned", "assigned") {
			t.Fatalf("at capacity: %v", got)
		}
		mk(f.owner, 1) // 6 of 5
		if got := kinds(notes(f.editor, "")); !sameKinds(got, "assigned", "over_capacity", "assigned", "assigned") &&
			!sameKinds(got, "over_capacity", "assigned", "assigned", "assigned") {
			t.Fatalf("past capacity: %v", got)
		}
		mk(f.owner, 1) // 7 of 5: already over
		mk(f.editor, 8)
		n := notes(f.editor, "")
		over := 0
		for _, it := range n.Items {
			if it.Kind == models.NotifyOverCapacity {
				over++
			}
		}
		if over != 1 || len(n.Items) != 5 {
			t.Fatalf("after more load: %v", kinds(n))
		}
	})
}

// TestNotificationPages: the bell and the page show notifications as text
// (a title with markup stays text), "Mark read" and "Mark all read" work
// without JavaScript, the issue page's Watch button toggles, and the
// account page sets the mail choice.
func TestNotificationPages(t *testing.T) {
	ts := newTestServer(t)
	f := newFixture(ts)
	var is models.Issue
	f.owner.must(201, "POST", f.path("/issues"), map[string]any{"title": `<img src=x onerror=alert(1)>`,
		"assignee_id": f.editor.user.ID}, &is)
	f.owner.must(201, "POST", f.commentsPath(is.ID), map[string]string{"body": "@" + f.editor.user.Handle}, nil)
	for _, path := range []string{"/projects", "/notifications"} {
		status, page := f.editor.page(path)
		if status != 200 || !strings.Contains(page, `data-unread-count="2"`) ||
			!strings.Contains(page, "Owner assigned you "+is.Key) || strings.Contains(page, "<img src=x") ||
			!strings.Contains(page, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Fatalf("%s: %d\n%s", path, status, page)
		}
	}
	first := notes(f.editor, "").Items[0]
	f.editor.form("/notifications/read", map[string]string{"id": first.ID})
	if got := notes(f.editor, ""); got.UnreadCount != 1 || got.Items[0].ReadAt == nil {
		t.Fatalf("after Mark read: %+v", got)
	}
	f.editor.form("/notifications/read", map[string]string{"all": "1"})
	if got := notes(f.editor, ""); got.UnreadCount != 0 {
		t.Fatalf("after Mark all read: %+v", got)
	}
	if _, page := f.editor.page("/projects/" + f.project.ID + "/issues/" + is.ID); !strings.Contains(page, "Stop watching") {
		t.Fatal("the assignee's issue page offers no Stop watching")
	}
	f.editor.form("/projects/"+f.project.ID+"/issues/"+is.ID+"/watch", map[string]string{"on": "0"})
	if f.watching(f.editor, is.ID) {
		t.Fatal("still watching after the page's Stop watching")
	}
	f.viewer.form("/projects/"+f.project.ID+"/issues/"+is.ID+"/watch", map[string]string{"on": "1"})
	if !f.watching(f.viewer, is.ID) {
		t.Fatal("the viewer's Watch did not take")
	}
	f.editor.form("/settings/notifications", map[string]string{"email_notifications": "daily"})
	var u models.User
	f.editor.must(200, "GET", "/api/v1/auth/me", nil, &u)
	if u.EmailNotifications != "daily" {
		t.Fatalf("account page choice: %q", u.EmailNotifications)
	}
	if res, _ := f.editor.form("/settings/notifications", map[string]string{"email_notifications": "weekly"}); res.StatusCode != 303 {
		t.Fatalf("a bad choice: %d", res.StatusCode)
	}
}

// TestNotificationsOfTrashedIssues: an issue in the trash hides its
// notifications (list and count) and restoring shows them again.
func TestNotificationsOfTrashedIssues(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		f := newFixture(ts)
		iid := f.issues[0].ID
		f.owner.must(201, "POST", f.commentsPath(iid), map[string]string{"body": "@" + f.editor.user.Handle}, nil)
		if got := notes(f.editor, ""); got.UnreadCount != 1 {
			t.Fatalf("before: %+v", got)
		}
		f.owner.must(204, "DELETE", f.path("/issues/"+iid), nil, nil)
		if got := notes(f.editor, ""); got.UnreadCount != 0 || len(got.Items) != 0 {
			t.Fatalf("in the trash: %+v", got)
		}
		f.editor.must(404, "PUT", f.path("/issues/"+iid+"/watch"), nil, nil)
		f.owner.must(200, "POST", f.path("/issues/"+iid+"/restore"), nil, nil)
		if got := notes(f.editor, ""); got.UnreadCount != 1 || len(got.Items) != 1 {
			t.Fatalf("restored: %+v", got)
		}
	})
}
