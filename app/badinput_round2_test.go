package app

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/models"
)

// TestBadInputRoundTwo sends malformed input to every route added in the
// second round (webhooks, imports, export, notifications, watch, trash,
// move with a version, comments, a cycle's report), on both databases.
// Each answer is a 4xx problem+json with a detail (never a 500), and
// neither the project nor the other project changes (their seq stays).
func TestBadInputRoundTwo(t *testing.T) {
	forEachDatabaseURL(t, func(t *testing.T, url string) {
		ts := newTestServerWith(t, url, "http://localhost:3000", fastWebhooks)
		f := newFixture(ts)
		r := newReceiver(t)
		hook := f.owner.webhookOn(f.project.ID, r, nil)
		is := f.issues[0]
		var cm models.Comment
		f.owner.must(201, "POST", f.path("/issues/"+is.ID+"/comments"), map[string]string{"body": "Hello"}, &cm)
		// A second project of the same owner: its ids must not reach
		// through the first project's paths.
		g := newFixture(ts)
		ghook := g.owner.webhookOn(g.project.ID, r, nil)
		var gcm models.Comment
		g.owner.must(201, "POST", g.path("/issues/"+g.issues[0].ID+"/comments"), map[string]string{"body": "Theirs"}, &gcm)
		gcy := g.cycle("2026-11-18", "2026-12-01")
		g.owner.must(204, "DELETE", g.path("/issues/"+g.issues[1].ID), nil, nil) // in g's trash

		huge := "99999999999999999999999999"
		nul := "00000000-0000-0000-0000-000000000000"
		p := "/api/v1/projects/" + f.project.ID
		iss := p + "/issues/" + is.ID
		wh := p + "/webhooks/" + hook.ID
		type tc struct {
			name, method, path, body, ctype string
		}
		cases := []tc{
			// Webhooks.
			{"webhook malformed json", "POST", p + "/webhooks", `{"url":`, ""},
			{"webhook not an object", "POST", p + "/webhooks", `["x"]`, ""},
			{"webhook empty body", "POST", p + "/webhooks", ``, "application/json"},
			{"webhook url wrong type", "POST", p + "/webhooks", `{"url":5}`, ""},
			{"webhook events wrong type", "POST", p + "/webhooks", `{"url":"https://example.com/h","events":"issue.*"}`, ""},
			{"webhook events not text", "POST", p + "/webhooks", `{"url":"https://example.com/h","events":[1]}`, ""},
			{"webhook unknown event", "POST", p + "/webhooks", `{"url":"https://example.com/h","events":["nope.*"]}`, ""},
			{"webhook unknown field", "POST", p + "/webhooks", `{"url":"https://example.com/h","secret":"mine"}`, ""},
			{"webhook NUL in url", "POST", p + "/webhooks", `{"url":"https://exa\u0000mple.com/h"}`, ""},
			{"webhook not a url", "POST", p + "/webhooks", `{"url":"::::"}`, ""},
			{"webhook huge url", "POST", p + "/webhooks", `{"url":"https://example.com/` + strings.Repeat("a", 5000) + `"}`, ""},
			{"webhook form body", "POST", p + "/webhooks", `url=https://example.com/h`, "application/x-www-form-urlencoded"},
			{"webhook text body", "POST", p + "/webhooks", `{"url":"https://example.com/h"}`, "text/plain"},
			{"webhook patch active wrong type", "PATCH", wh, `{"active":"yes"}`, ""},
			{"webhook patch unknown field", "PATCH", wh, `{"name":"x"}`, ""},
			{"webhook patch malformed", "PATCH", wh, `{`, ""},
			{"webhook id not uuid", "GET", p + "/webhooks/not-a-uuid", ``, ""},
			{"webhook id raw bytes", "PATCH", p + "/webhooks/%FF%00", `{"active":false}`, ""},
			{"webhook id unknown", "DELETE", p + "/webhooks/" + nul, ``, ""},
			{"webhook of other project get", "GET", p + "/webhooks/" + ghook.ID, ``, ""},
			{"webhook of other project patch", "PATCH", p + "/webhooks/" + ghook.ID, `{"active":false}`, ""},
			{"webhook of other project delete", "DELETE", p + "/webhooks/" + ghook.ID, ``, ""},
			{"webhook of other project deliveries", "GET", p + "/webhooks/" + ghook.ID + "/deliveries", ``, ""},
			{"webhook of other project redeliver", "POST", p + "/webhooks/" + ghook.ID + "/redeliver", `{"since_seq":0}`, ""},
			{"deliveries negative limit", "GET", wh + "/deliveries?limit=-1", ``, ""},
			{"deliveries huge limit", "GET", wh + "/deliveries?limit=" + huge, ``, ""},
			{"deliveries limit not a number", "GET", wh + "/deliveries?limit=ten", ``, ""},
			{"deliveries garbage cursor", "GET", wh + "/deliveries?cursor=!!%00", ``, ""},
			{"deliveries base64 garbage cursor", "GET", wh + "/deliveries?cursor=eHl6", ``, ""},
			{"redeliver missing since", "POST", wh + "/redeliver", `{}`, ""},
			{"redeliver negative since", "POST", wh + "/redeliver", `{"since_seq":-1}`, ""},
			{"redeliver huge since", "POST", wh + "/redeliver", `{"since_seq":` + huge + `}`, ""},
			{"redeliver since wrong type", "POST", wh + "/redeliver", `{"since_seq":"1"}`, ""},
			{"redeliver float since", "POST", wh + "/redeliver", `{"since_seq":1.5}`, ""},
			{"redeliver unknown field", "POST", wh + "/redeliver", `{"since_seq":0,"all":true}`, ""},
			{"redeliver empty body", "POST", wh + "/redeliver", ``, "application/json"},
			// Export.
			{"export bad format", "GET", p + "/export?format=xml", ``, ""},
			{"export NUL format", "GET", p + "/export?format=%00", ``, ""},
			{"export project not uuid", "GET", "/api/v1/projects/not-a-uuid/export", ``, ""},
			{"export unknown project", "GET", "/api/v1/projects/" + nul + "/export", ``, ""},
			// Imports.
			{"import json body", "POST", "/api/v1/imports", `{"source":"csv"}`, ""},
			{"import empty body", "POST", "/api/v1/imports", ``, "multipart/form-data; boundary=x"},
			{"import broken multipart", "POST", "/api/v1/imports", "--x\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nabc", "multipart/form-data; boundary=x"},
			{"import multipart without boundary", "POST", "/api/v1/imports", "abc", "multipart/form-data"},
			{"import form urlencoded", "POST", "/api/v1/imports", "source=csv&name=x", "application/x-www-form-urlencoded"},
			{"import id not uuid", "GET", "/api/v1/imports/not-a-uuid", ``, ""},
			{"import id raw bytes", "GET", "/api/v1/imports/%FF%00", ``, ""},
			{"import id unknown", "GET", "/api/v1/imports/" + nul, ``, ""},
			// Notifications.
			{"notifications negative limit", "GET", "/api/v1/notifications?limit=-5", ``, ""},
			{"notifications huge limit", "GET", "/api/v1/notifications?limit=" + huge, ``, ""},
			{"notifications garbage cursor", "GET", "/api/v1/notifications?cursor=%FF%FE", ``, ""},
			{"notifications base64 cursor", "GET", "/api/v1/notifications?cursor=bjpub3QtYS11dWlk", ``, ""},
			{"notifications bad unread", "GET", "/api/v1/notifications?unread=yes", ``, ""},
			{"read malformed", "POST", "/api/v1/notifications/read", `{"ids":`, ""},
			{"read empty body", "POST", "/api/v1/notifications/read", ``, "application/json"},
			{"read nothing", "POST", "/api/v1/notifications/read", `{}`, ""},
			{"read ids wrong type", "POST", "/api/v1/notifications/read", `{"ids":"all"}`, ""},
			{"read ids of numbers", "POST", "/api/v1/notifications/read", `{"ids":[1,2]}`, ""},
			{"read all wrong type", "POST", "/api/v1/notifications/read", `{"all":"true"}`, ""},
			{"read both", "POST", "/api/v1/notifications/read", `{"all":true,"ids":["` + nul + `"]}`, ""},
			{"read unknown field", "POST", "/api/v1/notifications/read", `{"all":true,"everyone":true}`, ""},
			{"read too many", "POST", "/api/v1/notifications/read", `{"ids":[` + strings.TrimSuffix(strings.Repeat(`"x",`, 501), ",") + `]}`, ""},
			{"read text body", "POST", "/api/v1/notifications/read", `{"all":true}`, "text/plain"},
			// Watch.
			{"watch issue not uuid", "PUT", p + "/issues/not-a-uuid/watch", ``, ""},
			{"watch unknown issue", "PUT", p + "/issues/" + nul + "/watch", ``, ""},
			{"watch issue of other project", "PUT", p + "/issues/" + g.issues[0].ID + "/watch", ``, ""},
			{"unwatch issue of other project", "DELETE", p + "/issues/" + g.issues[0].ID + "/watch", ``, ""},
			// Trash.
			{"trash negative limit", "GET", p + "/trash?limit=-1", ``, ""},
			{"trash huge limit", "GET", p + "/trash?limit=" + huge, ``, ""},
			{"trash garbage cursor", "GET", p + "/trash?cursor=%00%01", ``, ""},
			{"trash base64 cursor", "GET", p + "/trash?cursor=eyJ4IjoxfQ", ``, ""},
			{"restore not uuid", "POST", p + "/issues/not-a-uuid/restore", ``, ""},
			{"restore unknown", "POST", p + "/issues/" + nul + "/restore", ``, ""},
			{"restore live issue", "POST", iss + "/restore", ``, ""},
			{"restore other project's trashed issue", "POST", p + "/issues/" + g.issues[1].ID + "/restore", ``, ""},
			{"purge not uuid", "DELETE", p + "/trash/not-a-uuid", ``, ""},
			{"purge raw bytes", "DELETE", p + "/trash/%FF", ``, ""},
			{"purge unknown", "DELETE", p + "/trash/" + nul, ``, ""},
			{"purge live issue", "DELETE", p + "/trash/" + is.ID, ``, ""},
			{"purge other project's trashed issue", "DELETE", p + "/trash/" + g.issues[1].ID, ``, ""},
			// Move with a version.
			{"move version wrong type", "POST", iss + "/move", `{"status":"done","version":"1"}`, ""},
			{"move version negative", "POST", iss + "/move", `{"status":"done","version":-1}`, ""},
			{"move version huge", "POST", iss + "/move", `{"status":"done","version":` + huge + `}`, ""},
			{"move version float", "POST", iss + "/move", `{"status":"done","version":1.5}`, ""},
			{"move version stale", "POST", iss + "/move", fmt.Sprintf(`{"status":"done","version":%d}`, is.Version+7), ""},
			{"move malformed", "POST", iss + "/move", `{"status":"done"`, ""},
			{"move text body", "POST", iss + "/move", `{"status":"done"}`, "text/plain"},
			{"move issue of other project", "POST", p + "/issues/" + g.issues[0].ID + "/move", `{"status":"done"}`, ""},
			// Comments.
			{"comment malformed", "POST", iss + "/comments", `{"body":`, ""},
			{"comment empty body", "POST", iss + "/comments", ``, "application/json"},
			{"comment body wrong type", "POST", iss + "/comments", `{"body":["x"]}`, ""},
			{"comment unknown field", "POST", iss + "/comments", `{"body":"x","author_id":"` + nul + `"}`, ""},
			{"comment blank", "POST", iss + "/comments", `{"body":"   "}`, ""},
			{"comment NUL", "POST", iss + "/comments", `{"body":"a\u0000b"}`, ""},
			{"comment huge", "POST", iss + "/comments", `{"body":"` + strings.Repeat("x", 70000) + `"}`, ""},
			{"comment form body", "POST", iss + "/comments", `body=x`, "application/x-www-form-urlencoded"},
			{"comment on issue not uuid", "POST", p + "/issues/xyz/comments", `{"body":"x"}`, ""},
			{"comment on other project's issue", "POST", p + "/issues/" + g.issues[0].ID + "/comments", `{"body":"x"}`, ""},
			{"comments list negative limit", "GET", iss + "/comments?limit=-1", ``, ""},
			{"comments list huge limit", "GET", iss + "/comments?limit=" + huge, ``, ""},
			{"comments list garbage cursor", "GET", iss + "/comments?cursor=%FF", ``, ""},
			{"comments list base64 cursor", "GET", iss + "/comments?cursor=eHl6", ``, ""},
			{"comment edit without version", "PATCH", iss + "/comments/" + cm.ID, `{"body":"y"}`, ""},
			{"comment edit version wrong type", "PATCH", iss + "/comments/" + cm.ID, `{"body":"y","version":"1"}`, ""},
			{"comment edit version huge", "PATCH", iss + "/comments/" + cm.ID, `{"body":"y","version":` + huge + `}`, ""},
			{"comment edit unknown field", "PATCH", iss + "/comments/" + cm.ID, `{"body":"y","version":1,"pinned":true}`, ""},
			{"comment edit id not uuid", "PATCH", iss + "/comments/nope", `{"body":"y","version":1}`, ""},
			{"comment delete id raw bytes", "DELETE", iss + "/comments/%FF%00", ``, ""},
			{"comment of other project edit", "PATCH", p + "/issues/" + g.issues[0].ID + "/comments/" + gcm.ID, `{"body":"y","version":1}`, ""},
			{"comment of other project via own issue", "PATCH", iss + "/comments/" + gcm.ID, `{"body":"y","version":1}`, ""},
			{"comment of other project delete", "DELETE", iss + "/comments/" + gcm.ID, ``, ""},
			{"comment on other issue of project", "DELETE", p + "/issues/" + f.issues[1].ID + "/comments/" + cm.ID, ``, ""},
			// A cycle's report.
			{"report cycle not uuid", "GET", p + "/cycles/not-a-uuid/report", ``, ""},
			{"report cycle raw bytes", "GET", p + "/cycles/%FF%00/report", ``, ""},
			{"report unknown cycle", "GET", p + "/cycles/" + nul + "/report", ``, ""},
			{"report other project's cycle", "GET", p + "/cycles/" + gcy.ID + "/report", ``, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before, gbefore := f.seq(), g.seq()
				req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
				switch {
				case c.ctype != "":
					req.Header.Set("Content-Type", c.ctype)
				case c.body != "":
					req.Header.Set("Content-Type", "application/json")
				}
				req.Header.Set("Cookie", ts.sessionCookieName()+"="+f.owner.cookie)
				res, b := f.owner.send(req)
				if res.StatusCode < 400 || res.StatusCode > 499 {
					t.Fatalf("%s %s: status %d, want 4xx: %.300s", c.method, c.path, res.StatusCode, b)
				}
				var pr problem
				if err := json.Unmarshal(b, &pr); err != nil || res.Header.Get("Content-Type") != "application/problem+json" ||
					pr.Status != res.StatusCode || pr.Detail == "" {
					t.Fatalf("not a problem with a detail: %s %.300s", res.Header.Get("Content-Type"), b)
				}
				if after := f.seq(); after != before {
					t.Fatalf("refused request changed the project: seq %d -> %d", before, after)
				}
				if after := g.seq(); after != gbefore {
					t.Fatalf("refused request changed the other project: seq %d -> %d", gbefore, after)
				}
			})
		}
	})
}

// TestBadInputRoundTwoPages sends the second round's page forms and
// fragments malformed values and other projects' ids: never a 5xx, a
// 404 for what the caller cannot see, and nothing changes.
func TestBadInputRoundTwoPages(t *testing.T) {
	forEachDatabaseURL(t, func(t *testing.T, url string) {
		ts := newTestServerWith(t, url, "http://localhost:3000", fastWebhooks)
		f, g := newFixture(ts), newFixture(ts)
		r := newReceiver(t)
		hook := f.owner.webhookOn(f.project.ID, r, nil)
		ghook := g.owner.webhookOn(g.project.ID, r, nil)
		is := f.issues[0]
		var cm, gcm models.Comment
		f.owner.must(201, "POST", f.path("/issues/"+is.ID+"/comments"), map[string]string{"body": "Hello"}, &cm)
		g.owner.must(201, "POST", g.path("/issues/"+g.issues[0].ID+"/comments"), map[string]string{"body": "Theirs"}, &gcm)
		gcy := g.cycle("2026-11-18", "2026-12-01")
		g.owner.must(204, "DELETE", g.path("/issues/"+g.issues[1].ID), nil, nil)
		gjob := g.owner.startImport("csv", "Theirs", []byte("title\nOne\n"))
		g.owner.waitImport(gjob)
		huge := "99999999999999999999999999"
		p := "/projects/" + f.project.ID
		iss := p + "/issues/" + is.ID
		posts := []struct {
			name, path string
			form       map[string]string
		}{
			{"webhook bad url", p + "/webhooks", map[string]string{"url": "::::", "events": "nope.*"}},
			{"webhook NUL url", p + "/webhooks", map[string]string{"url": "https://a\x00b.example/h"}},
			{"webhook update not uuid", p + "/webhooks/not-a-uuid", map[string]string{"active": "0"}},
			{"webhook edit not uuid", p + "/webhooks/%FF/edit", map[string]string{"url": "https://example.com/h"}},
			{"webhook redeliver garbage since", p + "/webhooks/" + hook.ID + "/redeliver", map[string]string{"since_seq": "abc"}},
			{"webhook redeliver negative since", p + "/webhooks/" + hook.ID + "/redeliver", map[string]string{"since_seq": "-1"}},
			{"webhook redeliver huge since", p + "/webhooks/" + hook.ID + "/redeliver", map[string]string{"since_seq": huge}},
			{"webhook of other project update", p + "/webhooks/" + ghook.ID, map[string]string{"active": "0"}},
			{"webhook of other project edit", p + "/webhooks/" + ghook.ID + "/edit", map[string]string{"url": "https://example.com/h"}},
			{"webhook of other project delete", p + "/webhooks/" + ghook.ID + "/delete", nil},
			{"webhook of other project redeliver", p + "/webhooks/" + ghook.ID + "/redeliver", map[string]string{"since_seq": "0"}},
			{"restore not uuid", p + "/trash/not-a-uuid/restore", nil},
			{"restore other project's", p + "/trash/" + g.issues[1].ID + "/restore", nil},
			{"purge not uuid", p + "/trash/%FF%00/purge", nil},
			{"purge other project's", p + "/trash/" + g.issues[1].ID + "/purge", nil},
			{"watch not uuid", p + "/issues/not-a-uuid/watch", map[string]string{"on": "1"}},
			{"watch other project's", p + "/issues/" + g.issues[0].ID + "/watch", map[string]string{"on": "1"}},
			{"comment blank", iss + "/comments", map[string]string{"body": "  "}},
			{"comment NUL", iss + "/comments", map[string]string{"body": "a\x00b"}},
			{"comment huge", iss + "/comments", map[string]string{"body": strings.Repeat("x", 70000)}},
			{"comment on other project's issue", p + "/issues/" + g.issues[0].ID + "/comments", map[string]string{"body": "x"}},
			{"comment edit garbage version", iss + "/comments/" + cm.ID, map[string]string{"body": "y", "version": "abc"}},
			{"comment edit huge version", iss + "/comments/" + cm.ID, map[string]string{"body": "y", "version": huge}},
			{"comment edit not uuid", iss + "/comments/%FF", map[string]string{"body": "y", "version": "1"}},
			{"comment edit other project's", iss + "/comments/" + gcm.ID, map[string]string{"body": "y", "version": "1"}},
			{"comment delete other project's", iss + "/comments/" + gcm.ID + "/delete", nil},
			{"read garbage id", "/notifications/read", map[string]string{"id": "%FF\x00"}},
			{"read huge id", "/notifications/read", map[string]string{"id": strings.Repeat("a", 5000)}},
			{"import not multipart", "/imports", map[string]string{"source": "csv", "name": "x"}},
		}
		for _, c := range posts {
			t.Run(c.name, func(t *testing.T) {
				before, gbefore := f.seq(), g.seq()
				res, b := f.owner.form(c.path, c.form)
				if res.StatusCode >= 500 {
					t.Fatalf("POST %s: %d %.300s", c.path, res.StatusCode, b)
				}
				if after := f.seq(); after != before {
					t.Fatalf("refused form changed the project: seq %d -> %d", before, after)
				}
				if after := g.seq(); after != gbefore {
					t.Fatalf("refused form changed the other project: seq %d -> %d", gbefore, after)
				}
			})
		}
		// Pages and fragments of what the caller cannot see: 404.
		for _, path := range []string{
			"/imports/not-a-uuid", "/imports/%FF%00", "/imports/" + gjob,
			p + "/cycles/not-a-uuid", p + "/cycles/" + gcy.ID,
			iss + "/comments/not-a-uuid", iss + "/comments/" + gcm.ID,
			p + "/issues/" + g.issues[0].ID + "/comments/" + gcm.ID,
			p + "/issues/" + g.issues[0].ID + "/panel", p + "/issues/not-a-uuid/panel",
			p + "/issues/" + g.issues[0].ID + "/activity",
			"/projects/" + g.project.ID + "/trash", "/projects/" + g.project.ID + "/cycles",
		} {
			if code, body := f.owner.page(path); code != 404 {
				t.Errorf("GET %s: %d, want 404 (%.200s)", path, code, body)
			}
		}
		// Mangled addresses of pages the caller can see: never a 5xx.
		for _, path := range []string{
			p + "/trash?cursor=%FF%00", p + "/trash?cursor=eHl6", "/notifications?cursor=%00", "/notifications?cursor=bjp4",
			p + "/cycles?cursor=%FF", iss + "/activity?cursor=%FF", iss + "/panel?cursor=zz",
		} {
			if code, body := f.owner.page(path); code >= 500 {
				t.Errorf("GET %s: %d (%.200s)", path, code, body)
			}
		}
	})
}
