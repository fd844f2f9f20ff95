package app

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
	"github.com/corkboard/corkboard/realtime"
)

// waitLong waits for cond up to within, failing the test after.
func waitLong(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestClusterWebhookOrder: 100 quick changes made through two instances
// (PostgreSQL + Redis) reach the receiver in seq order, each once, one
// at a time, whichever instance holds the webhook.
func TestClusterWebhookOrder(t *testing.T) {
	nodes := newClusterWith(t, 2, testdb.Postgres(t), testRedisURL(t), realtime.Options{}, fastWebhooks)
	owner := nodes[0].register("owner@example.com", "Owner")
	p := owner.newProject("Order")
	r := newReceiver(t)
	var inflight, most atomic.Int32
	r.answer = func(int, *http.Request) int {
		if n := inflight.Add(1); n > most.Load() {
			most.Store(n)
		}
		time.Sleep(time.Millisecond) // some work, so that overlapping requests would show
		inflight.Add(-1)
		return 200
	}
	w := owner.webhookOn(p.ID, r, nil)
	const changes = 100
	var wg sync.WaitGroup
	errs := make(chan error, changes)
	for i, node := range nodes {
		c := owner.on(node)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range changes / len(nodes) {
				res, body := c.do("POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": fmt.Sprintf("n%d-%d", i, j)})
				if res.StatusCode != 201 {
					errs <- fmt.Errorf("create on node %d: %d %s", i, res.StatusCode, body)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitLong(t, "100 deliveries", 60*time.Second, func() bool { return len(r.messages()) >= changes })
	got := r.messages()
	if len(got) != changes {
		t.Fatalf("%d messages for %d changes", len(got), changes)
	}
	for i, m := range got {
		if m.Event.Seq != w.DeliveredSeq+1+int64(i) || m.Verified != nil {
			t.Fatalf("message %d: seq %d (verified: %v), want %d", i, m.Event.Seq, m.Verified, w.DeliveredSeq+1+int64(i))
		}
	}
	if most.Load() != 1 {
		t.Fatalf("%d requests at once", most.Load())
	}
}

// TestClusterWebhookTakeover: instance A is killed (SIGKILL) while its
// receiver is still answering A's request; instance B sends the same
// event again (the same webhook-id) within 30 s, then the rest in order:
// nothing skipped. The lease is shortened to 5 s (WEBHOOK_LEASE_TTL; the
// default 20 s gave a takeover after 20 s in this test).
func TestClusterWebhookTakeover(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL": testdb.Postgres(t), "REDIS_URL": testRedisURL(t), "REDIS_PREFIX": "cbhook:" + randomHex(6) + ":",
		"JWT_SECRET": "cluster-test-secret-cluster-test-secret", "RATE_LIMIT_PER_MINUTE": "100000",
		"WEBHOOK_ALLOW_PRIVATE": "1", "WEBHOOK_LEASE_TTL": "5s",
	}
	a := startProcesses(t, 1, env)[0]
	owner := registerOver(t, a.base, "owner@example.com", "Owner")
	var proj models.Project
	owner.call(a.base, 201, "POST", "/api/v1/projects", map[string]string{"name": "Takeover"}, &proj)
	r := newReceiver(t)
	first := make(chan struct{})
	r.answer = func(n int, req *http.Request) int {
		if n == 1 {
			close(first)
			<-req.Context().Done() // A's request: never answered; A dies meanwhile
		}
		return 200
	}
	var w models.NewWebhook
	owner.call(a.base, 201, "POST", "/api/v1/projects/"+proj.ID+"/webhooks", map[string]any{"url": r.srv.URL + "/hook"}, &w)
	r.mu.Lock()
	r.secret = w.Secret
	r.mu.Unlock()
	const events = 5
	for i := range events {
		owner.call(a.base, 201, "POST", "/api/v1/projects/"+proj.ID+"/issues", map[string]string{"title": "card " + strconv.Itoa(i)}, nil)
	}
	select {
	case <-first:
	case <-time.After(30 * time.Second):
		t.Fatal("A never delivered")
	}
	startProcesses(t, 1, env)
	killed := time.Now()
	a.kill()
	waitLong(t, "B to take over", 40*time.Second, func() bool { return len(r.messages()) >= 2 })
	took := time.Since(killed)
	got := r.messages()
	if got[1].ID != got[0].ID {
		t.Fatalf("after the takeover: %s (seq %d), want %s again", got[1].ID, got[1].Event.Seq, got[0].ID)
	}
	if took > 30*time.Second { // the contract; about the lease plus a poll here
		t.Fatalf("B took over after %s", took)
	}
	t.Logf("B took over %s after A was killed", took.Round(100*time.Millisecond))
	waitLong(t, "the rest", 30*time.Second, func() bool { return len(r.messages()) >= events+1 })
	got = r.messages()
	for i, m := range got[1:] {
		if m.Event.Seq != w.DeliveredSeq+1+int64(i) || m.Verified != nil {
			t.Fatalf("message %d after the takeover: seq %d, want %d", i, m.Event.Seq, w.DeliveredSeq+1+int64(i))
		}
	}
}
