package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/webhooks"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/internal/testsmtp"
	"github.com/corkboard/corkboard/models"
)

// TestWebhookDeliversSignedEvents: every change after the webhook was made
// arrives once, in seq order, as the envelope /events gives, signed by the
// Standard Webhooks rules (checked by their Go library) with the secret
// shown at creation; the secret is never shown again.
func TestWebhookDeliversSignedEvents(t *testing.T) {
	forEachDatabaseURL(t, func(t *testing.T, url string) {
		ts := newTestServerWith(t, url, "http://localhost:3000", fastWebhooks)
		owner := ts.register("owner@example.com", "Owner")
		p := owner.newProject("Hooks")
		owner.newIssue(p.ID, "before the webhook") // not delivered: it starts now
		r := newReceiver(t)
		w := owner.webhookOn(p.ID, r, nil)
		if !strings.HasPrefix(w.Secret, "whsec_") || !w.Active || len(w.Events) != 0 {
			t.Fatalf("created %+v", w)
		}
		is := owner.newIssue(p.ID, "first")
		owner.must(200, "POST", "/api/v1/projects/"+p.ID+"/issues/"+is.ID+"/move", map[string]string{"status": "in_progress"}, nil)
		owner.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues/"+is.ID+"/comments", map[string]string{"body": "hi"}, nil)
		got := r.waitMessages(3)
		var events eventsResponse
		owner.must(200, "GET", "/api/v1/projects/"+p.ID+"/events?since="+strconv.FormatInt(w.DeliveredSeq, 10), nil, &events)
		if len(got) != 3 || len(events.Items) != 3 {
			t.Fatalf("got %d messages, log has %d events", len(got), len(events.Items))
		}
		for i, m := range got {
			if m.Verified != nil {
				t.Fatalf("message %d: signature: %v", i, m.Verified)
			}
			want, _ := json.Marshal(events.Items[i])
			if string(m.Body) != string(want) {
				t.Fatalf("message %d:\n%s\nwant the log's\n%s", i, m.Body, want)
			}
			if m.ID != webhooks.MessageID(w.ID, m.Event.Seq) {
				t.Fatalf("message %d: webhook-id %q", i, m.ID)
			}
		}
		if got[0].Event.Type != "issue.created" || got[1].Event.Type != "issue.moved" || got[2].Event.Type != "comment.created" {
			t.Fatalf("types %s %s %s", got[0].Event.Type, got[1].Event.Type, got[2].Event.Type)
		}
		// A message signed with another secret fails the library's check.
		other, _ := webhooks.Sign(webhooks.NewSecret(), got[0].ID, time.Now(), got[0].Body)
		if other == got[0].Signature {
			t.Fatal("two secrets made one signature")
		}
		body := owner.must(200, "GET", "/api/v1/projects/"+p.ID+"/webhooks", nil, nil)
		if strings.Contains(string(body), w.Secret) || strings.Contains(string(body), "secret") {
			t.Fatalf("the list shows the secret: %s", body)
		}
		owner.waitWebhook(p.ID, w.ID, "the cursor at the last event", func(h models.Webhook) bool { return h.DeliveredSeq == events.Seq })
		ds := owner.deliveries(p.ID, w.ID)
		if len(ds) != 3 || ds[0].EventSeq != events.Seq || ds[0].StatusCode != 204 || ds[0].Error != "" || ds[0].Attempt != 1 {
			t.Fatalf("deliveries %+v", ds)
		}
	})
}

// TestWebhookFilters: only the listed types and families are sent; the
// cursor still passes the others.
func TestWebhookFilters(t *testing.T) {
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", fastWebhooks)
	owner := ts.register("owner@example.com", "Owner")
	p := owner.newProject("Filters")
	r := newReceiver(t)
	w := owner.webhookOn(p.ID, r, []string{"issue.moved", "comment.*"})
	is := owner.newIssue(p.ID, "one")
	owner.must(200, "POST", "/api/v1/projects/"+p.ID+"/issues/"+is.ID+"/move", map[string]string{"status": "done"}, nil)
	owner.must(200, "PATCH", "/api/v1/projects/"+p.ID+"/issues/"+is.ID, map[string]any{"title": "one!", "version": 2}, nil)
	owner.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues/"+is.ID+"/comments", map[string]string{"body": "a"}, nil)
	owner.newIssue(p.ID, "two")
	var proj models.Project
	owner.must(200, "GET", "/api/v1/projects/"+p.ID, nil, &proj)
	owner.waitWebhook(p.ID, w.ID, "the cursor past every event", func(h models.Webhook) bool { return h.DeliveredSeq == proj.Seq })
	var types []string
	for _, m := range r.messages() {
		types = append(types, m.Event.Type)
	}
	if strings.Join(types, " ") != "issue.moved comment.created" {
		t.Fatalf("delivered %v", types)
	}
	for _, bad := range [][]string{{"issue"}, {"nope.*"}, {"issue.Moved"}, {"*"}} {
		res, body := owner.do("PATCH", "/api/v1/projects/"+p.ID+"/webhooks/"+w.ID, map[string]any{"events": bad})
		if res.StatusCode != 422 || !strings.Contains(string(body), `"events"`) {
			t.Fatalf("events %v: %d %s", bad, res.StatusCode, body)
		}
	}
}

// TestWebhookRetriesWithTheSameID: failed attempts are retried with the
// same webhook-id until a 2xx, and each attempt is in the deliveries; the
// event after it waits for it (one at a time, in order).
func TestWebhookRetriesWithTheSameID(t *testing.T) {
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", fastWebhooks)
	owner := ts.register("owner@example.com", "Owner")
	p := owner.newProject("Retries")
	r := newReceiver(t)
	r.answer = func(n int, _ *http.Request) int {
		if n <= 2 {
			return 503
		}
		return 200
	}
	w := owner.webhookOn(p.ID, r, nil)
	owner.newIssue(p.ID, "one")
	owner.newIssue(p.ID, "two")
	got := r.waitMessages(4)
	if got[0].ID != got[1].ID || got[1].ID != got[2].ID || got[0].Event.Seq != got[2].Event.Seq {
		t.Fatalf("attempts at one event: ids %s %s %s", got[0].ID, got[1].ID, got[2].ID)
	}
	if got[3].Event.Seq != got[0].Event.Seq+1 || got[3].ID == got[0].ID {
		t.Fatalf("the next event: seq %d id %s", got[3].Event.Seq, got[3].ID)
	}
	owner.waitWebhook(p.ID, w.ID, "delivered", func(h models.Webhook) bool { return h.DeliveredSeq == got[3].Event.Seq })
	ds := owner.deliveries(p.ID, w.ID)
	if len(ds) != 4 || ds[3].StatusCode != 503 || ds[3].Attempt != 1 || ds[2].Attempt != 2 || ds[1].StatusCode != 200 ||
		ds[1].Attempt != 3 || ds[3].MessageID != ds[1].MessageID || ds[3].Error != "answered 503" {
		t.Fatalf("deliveries %+v", ds)
	}
}

// TestWebhookBackoffThenOff: on the server's clock, failed attempts wait
// 5 s, 30 s, 2 min, 10 min, 1 h, then hourly; after 24 hours of failure
// the webhook is turned off with a reason and its owners get an e-mail.
// Turning it back on delivers the same event (nothing skipped).
func TestWebhookBackoffThenOff(t *testing.T) {
	smtpURL, inbox := testsmtp.Start(t)
	var mu sync.Mutex
	now := time.Now().UTC().Truncate(time.Second)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", func(cfg *Config) {
		fastWebhooks(cfg)
		cfg.Webhooks.Backoff = nil // the real schedule
		cfg.Now, cfg.SMTPURL, cfg.SessionTTL = clock, smtpURL, 30*24*time.Hour
	})
	owner := ts.register("owner@example.com", "Owner")
	p := owner.newProject("Backoff")
	r := newReceiver(t)
	r.ignoreTimestamp = true // signed on the moved clock
	var failing atomic.Bool
	failing.Store(true)
	r.answer = func(int, *http.Request) int {
		if failing.Load() {
			return 500
		}
		return 200
	}
	w := owner.webhookOn(p.ID, r, nil)
	owner.newIssue(p.ID, "one")
	start := clock()
	waits := []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour, time.Hour, time.Hour}
	for i, wait := range waits {
		h := owner.waitWebhook(p.ID, w.ID, "attempt "+strconv.Itoa(i+1), func(h models.Webhook) bool { return h.Attempt == i+1 })
		if h.NextAttemptAt == nil || !h.NextAttemptAt.Equal(clock().Add(wait)) || !h.FailingSince.Equal(start) {
			t.Fatalf("after attempt %d at %s: next at %v, failing since %v; want a wait of %s", i+1, clock(), h.NextAttemptAt, h.FailingSince, wait)
		}
		advance(wait - time.Second) // not yet due
		if due, err := ts.store.DueWebhooks(t.Context(), clock(), 10); err != nil || len(due) != 0 {
			t.Fatalf("due a second early: %v %v", due, err)
		}
		advance(time.Second)
		ts.webhooks.Wake()
	}
	// 24 hours after the first failure, the next failure turns it off.
	advance(24*time.Hour - clock().Sub(start))
	ts.webhooks.Wake()
	h := owner.waitWebhook(p.ID, w.ID, "turned off", func(h models.Webhook) bool { return !h.Active })
	if !strings.Contains(h.DisabledReason, "24h0m0s") || !strings.Contains(h.DisabledReason, "answered 500") {
		t.Fatalf("reason %q", h.DisabledReason)
	}
	mail := testsmtp.Wait(t, inbox, "owner@example.com", 10*time.Second)
	if !strings.Contains(mail.Subject, "webhook was turned off") || !strings.Contains(mail.Body, r.srv.URL) {
		t.Fatalf("mail %q: %s", mail.Subject, mail.Body)
	}
	failing.Store(false)
	n := len(r.messages())
	owner.must(200, "PATCH", "/api/v1/projects/"+p.ID+"/webhooks/"+w.ID, map[string]any{"active": true}, nil)
	got := r.waitMessages(n + 1)
	if got[n].ID != got[0].ID {
		t.Fatalf("after turning it on: %s, want the failing event %s", got[n].ID, got[0].ID)
	}
	owner.waitWebhook(p.ID, w.ID, "delivered", func(h models.Webhook) bool { return h.Attempt == 0 && h.DisabledReason == "" && h.Active })
}

// TestWebhookRedirectsAndTimeouts: a 3xx is a failure and its Location is
// never requested; a receiver that does not answer within the timeout is a
// failure with no status.
func TestWebhookRedirectsAndTimeouts(t *testing.T) {
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", func(cfg *Config) {
		fastWebhooks(cfg)
		cfg.Webhooks.Timeout = 300 * time.Millisecond
		cfg.Webhooks.Backoff = func(int) time.Duration { return time.Hour } // one attempt each
	})
	owner := ts.register("owner@example.com", "Owner")
	p := owner.newProject("Redirects")
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Add(1) }))
	defer target.Close()
	redirecting := newReceiver(t)
	redirecting.answer = func(_ int, _ *http.Request) int { return http.StatusTemporaryRedirect }
	redirecting.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Location", target.URL+"/elsewhere")
		redirecting.serve(w, req)
	})
	release := make(chan struct{})
	defer close(release)
	silent := newReceiver(t)
	silent.answer = func(_ int, req *http.Request) int {
		select {
		case <-req.Context().Done():
		case <-release:
		}
		return 200
	}
	w1 := owner.webhookOn(p.ID, redirecting, nil)
	w2 := owner.webhookOn(p.ID, silent, nil)
	owner.newIssue(p.ID, "one")
	d1 := waitDelivery(owner, p.ID, w1.ID)
	if d1.StatusCode != 307 || !strings.Contains(d1.Error, "redirects are not followed") || followed.Load() != 0 {
		t.Fatalf("redirect: %+v, followed %d times", d1, followed.Load())
	}
	d2 := waitDelivery(owner, p.ID, w2.ID)
	if d2.StatusCode != 0 || d2.Error != "no answer within the timeout" || d2.DurationMS < 300 || d2.DurationMS > 5000 {
		t.Fatalf("timeout: %+v", d2)
	}
}

func waitDelivery(c *client, pid, wid string) models.WebhookDelivery {
	c.ts.t.Helper()
	var ds []models.WebhookDelivery
	waitFor(c.ts.t, "a delivery", func() bool { ds = c.deliveries(pid, wid); return len(ds) > 0 })
	return ds[0]
}

// TestWebhookRedeliver: redeliver {since_seq} sends every later event
// again, in order, with the ids of the first time; since_seq past the
// project's seq, or missing, is a 422.
func TestWebhookRedeliver(t *testing.T) {
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", fastWebhooks)
	owner := ts.register("owner@example.com", "Owner")
	p := owner.newProject("Redeliver")
	r := newReceiver(t)
	w := owner.webhookOn(p.ID, r, nil)
	for i := range 5 {
		owner.newIssue(p.ID, "issue "+strconv.Itoa(i))
	}
	first := r.waitMessages(5)
	since := first[1].Event.Seq
	owner.must(202, "POST", "/api/v1/projects/"+p.ID+"/webhooks/"+w.ID+"/redeliver", map[string]any{"since_seq": since}, nil)
	got := r.waitMessages(8)
	for i, m := range got[5:] {
		if m.Event.Seq != since+1+int64(i) || m.ID != first[2+i].ID || m.Verified != nil {
			t.Fatalf("redelivered %d: seq %d id %s", i, m.Event.Seq, m.ID)
		}
	}
	for _, body := range []map[string]any{{"since_seq": first[4].Event.Seq + 1}, {"since_seq": -1}, {}} {
		res, b := owner.do("POST", "/api/v1/projects/"+p.ID+"/webhooks/"+w.ID+"/redeliver", body)
		if res.StatusCode != 422 || !strings.Contains(string(b), "since_seq") {
			t.Fatalf("redeliver %v: %d %s", body, res.StatusCode, b)
		}
	}
}

// TestWebhookRefusesPrivateAddresses: without WEBHOOK_ALLOW_PRIVATE, URLs
// whose host is or resolves to a loopback, private or link-local address
// are refused on save (422 on url); a name that resolved to a public
// address when saved and to 127.0.0.1 when sent (DNS rebinding) is refused
// at connect time, and the receiver on loopback hears nothing.
func TestWebhookRefusesPrivateAddresses(t *testing.T) {
	resolver := &rebindingResolver{}
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", func(cfg *Config) {
		fastWebhooks(cfg)
		cfg.WebhookAllowPrivate = false
		cfg.WebhookResolver = resolver
		cfg.Webhooks.Backoff = func(int) time.Duration { return time.Hour }
	})
	owner := ts.register("owner@example.com", "Owner")
	p := owner.newProject("SSRF")
	for _, u := range []string{"http://127.0.0.1:8080/x", "http://[::1]/", "http://10.1.2.3/", "http://192.168.0.10/",
		"http://172.16.5.4/", "http://169.254.169.254/latest/meta-data", "http://[fe80::1]/", "http://0.0.0.0/",
		"http://100.64.0.1/", "http://[::ffff:127.0.0.1]/", "http://[fd00::1]/", "ftp://example.com/", "/relative",
		"http://user:pass@203.0.113.5/", "https://"} {
		res, body := owner.do("POST", "/api/v1/projects/"+p.ID+"/webhooks", map[string]any{"url": u})
		if res.StatusCode != 422 || !strings.Contains(string(body), `"field":"url"`) {
			t.Fatalf("%s: %d %s", u, res.StatusCode, body)
		}
	}
	r := newReceiver(t)
	_, port, _ := strings.Cut(strings.TrimPrefix(r.srv.URL, "http://"), ":")
	var w models.NewWebhook
	owner.must(201, "POST", "/api/v1/projects/"+p.ID+"/webhooks", map[string]any{"url": "http://rebind.test:" + port + "/hook"}, &w)
	owner.newIssue(p.ID, "one")
	d := waitDelivery(owner, p.ID, w.ID)
	if d.StatusCode != 0 || !strings.Contains(d.Error, "loopback, private or link-local") {
		t.Fatalf("delivery %+v", d)
	}
	if n := len(r.messages()); n != 0 || resolver.calls < 2 {
		t.Fatalf("the receiver on loopback got %d messages (resolver asked %d times)", n, resolver.calls)
	}
	// The same check guards a URL changed later.
	res, body := owner.do("PATCH", "/api/v1/projects/"+p.ID+"/webhooks/"+w.ID, map[string]any{"url": "http://localhost/"})
	if res.StatusCode != 422 {
		t.Fatalf("patch to localhost: %d %s", res.StatusCode, body)
	}
}

// TestWebhookAccess: owners only; editors get 403, strangers 404; bad
// ids 404; a paused webhook sends nothing and, turned on again, sends what
// happened meanwhile; deleting removes it.
func TestWebhookAccess(t *testing.T) {
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", fastWebhooks)
	owner := ts.register("owner@example.com", "Owner")
	editor := ts.register("editor@example.com", "Editor")
	stranger := ts.register("stranger@example.com", "Stranger")
	p := owner.newProject("Access")
	owner.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": "editor@example.com", "role": "editor"}, nil)
	r := newReceiver(t)
	w := owner.webhookOn(p.ID, r, nil)
	base := "/api/v1/projects/" + p.ID + "/webhooks"
	editor.must(403, "GET", base, nil, nil)
	editor.must(403, "POST", base, map[string]any{"url": r.srv.URL}, nil)
	editor.must(403, "DELETE", base+"/"+w.ID, nil, nil)
	stranger.must(404, "GET", base+"/"+w.ID, nil, nil)
	stranger.must(404, "GET", base+"/"+w.ID+"/deliveries", nil, nil)
	owner.must(404, "GET", base+"/not-a-uuid", nil, nil)
	owner.must(404, "GET", base+"/00000000-0000-0000-0000-000000000000/deliveries", nil, nil)
	owner.must(422, "POST", base, map[string]any{"events": []string{"issue.*"}}, nil)
	owner.must(422, "POST", base, map[string]any{"url": r.srv.URL, "description": strings.Repeat("x", 501)}, nil)
	owner.must(422, "POST", base, map[string]any{"url": r.srv.URL, "secret": "mine"}, nil)

	owner.must(200, "PATCH", base+"/"+w.ID, map[string]any{"active": false}, nil)
	paused := owner.newIssue(p.ID, "while paused")
	owner.must(200, "PATCH", base+"/"+w.ID, map[string]any{"active": true, "description": "back"}, nil)
	got := r.waitMessages(1)
	if got[0].Event.Type != "issue.created" || !strings.Contains(string(got[0].Body), paused.ID) {
		t.Fatalf("after the pause: %s", got[0].Body)
	}
	owner.must(204, "DELETE", base+"/"+w.ID, nil, nil)
	owner.must(404, "GET", base+"/"+w.ID, nil, nil)
	var hooks list[models.Webhook]
	owner.must(200, "GET", base, nil, &hooks)
	if len(hooks.Items) != 0 {
		t.Fatalf("after delete: %+v", hooks.Items)
	}
}
