package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/webhooks"
	"github.com/corkboard/corkboard/models"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// A receiver is a real HTTP server on loopback that webhooks are sent to.
// It checks every message with the Standard Webhooks library and records
// it; answer picks the status of each request (nil: 204).
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int, r *http.Request) int
	secret string
	// ignoreTimestamp: tests that move the server's clock sign with it.
	ignoreTimestamp bool
}

type received struct {
	ID, Timestamp, Signature string
	Event                    models.Event
	Body                     []byte
	Verified                 error
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	m := received{ID: req.Header.Get("webhook-id"), Timestamp: req.Header.Get("webhook-timestamp"),
		Signature: req.Header.Get("webhook-signature"), Body: body}
	mustJSON(r.t, body, &m.Event)
	r.mu.Lock()
	if r.secret != "" {
		wh, err := standardwebhooks.NewWebhook(r.secret)
		if err == nil && r.ignoreTimestamp {
			err = wh.VerifyIgnoringTimestamp(body, req.Header)
		} else if err == nil {
			err = wh.Verify(body, req.Header)
		}
		m.Verified = err
	}
	r.got = append(r.got, m)
	n, answer := len(r.got), r.answer
	r.mu.Unlock()
	status := http.StatusNoContent
	if answer != nil {
		status = answer(n, req)
	}
	w.WriteHeader(status)
}

// messages is a copy of what arrived so far.
func (r *receiver) messages() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// waitMessages waits until n messages arrived and returns them.
func (r *receiver) waitMessages(n int) []received {
	r.t.Helper()
	waitFor(r.t, "webhook messages", func() bool { return len(r.messages()) >= n })
	return r.messages()
}

// fastWebhooks are delivery timings for tests: quick polls, short
// timeouts and retries.
func fastWebhooks(cfg *Config) {
	cfg.WebhookAllowPrivate = true
	cfg.Webhooks = webhooks.Options{Poll: 20 * time.Millisecond, Timeout: 2 * time.Second, LeaseTTL: 3 * time.Second,
		Backoff: func(int) time.Duration { return 20 * time.Millisecond }}
}

// webhookOn creates a webhook to r's URL (path appended) on project pid.
func (c *client) webhookOn(pid string, r *receiver, events []string) models.NewWebhook {
	c.ts.t.Helper()
	var w models.NewWebhook
	body := map[string]any{"url": r.srv.URL + "/hook"}
	if events != nil {
		body["events"] = events
	}
	c.must(201, "POST", "/api/v1/projects/"+pid+"/webhooks", body, &w)
	r.mu.Lock()
	r.secret = w.Secret
	r.mu.Unlock()
	return w
}

// waitWebhook waits until the webhook (read as c) satisfies cond.
func (c *client) waitWebhook(pid, wid, what string, cond func(models.Webhook) bool) models.Webhook {
	c.ts.t.Helper()
	var w models.Webhook
	waitFor(c.ts.t, what, func() bool {
		w = models.Webhook{}
		c.must(200, "GET", "/api/v1/projects/"+pid+"/webhooks/"+wid, nil, &w)
		return cond(w)
	})
	return w
}

// deliveries lists a webhook's deliveries, newest first.
func (c *client) deliveries(pid, wid string) []models.WebhookDelivery {
	c.ts.t.Helper()
	var page list[models.WebhookDelivery]
	c.must(200, "GET", "/api/v1/projects/"+pid+"/webhooks/"+wid+"/deliveries?limit=200", nil, &page)
	return page.Items
}

// newIssue creates an issue titled title and returns it.
func (c *client) newIssue(pid, title string) models.Issue {
	c.ts.t.Helper()
	var is models.Issue
	c.must(201, "POST", "/api/v1/projects/"+pid+"/issues", map[string]string{"title": title}, &is)
	return is
}

// newProject creates a project and returns it.
func (c *client) newProject(name string) models.Project {
	c.ts.t.Helper()
	var p models.Project
	c.must(201, "POST", "/api/v1/projects", map[string]string{"name": name}, &p)
	return p
}

// rebindingResolver answers first with a public address, then with
// 127.0.0.1: DNS rebinding. The public address is never connected to.
type rebindingResolver struct {
	mu    sync.Mutex
	calls int
}

func (r *rebindingResolver) LookupNetIP(_ context.Context, _, _ string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.calls == 1 {
		return []netip.Addr{netip.MustParseAddr("203.0.113.10")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}
