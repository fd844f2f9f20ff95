// Package webhooks is the outgoing webhooks' rules without HTTP handlers:
// what a webhook may point at (Guard), signing (Standard Webhooks), event
// filters, the retry schedule, and the Deliverer, which follows each
// webhook's cursor on its project's event log and sends the events in
// order, one at a time, at least once.
package webhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/corkboard/corkboard/kv"
	"github.com/corkboard/corkboard/models"
	"github.com/google/uuid"
)

// Store is what the Deliverer reads and writes (models.Store).
type Store interface {
	DueWebhooks(ctx context.Context, now time.Time, limit int) ([]models.WebhookTarget, error)
	WebhookTarget(ctx context.Context, webhookID string) (models.WebhookTarget, error)
	Log(ctx context.Context, projectID string, since int64, limit int) (models.EventPage, error)
	NextRetainedSeq(ctx context.Context, projectID string, after int64) (int64, error)
	FinishWebhookStep(ctx context.Context, o models.WebhookOutcome) (bool, error)
	PruneWebhookDeliveries(ctx context.Context, webhookID string, keep int) error
	ProjectOwners(ctx context.Context, projectID string) ([]models.User, error)
}

// Notifier tells a project's owners that a webhook was turned off. The
// app gives a MailNotifier; an in-app notification can be added beside it
// (Notifiers).
type Notifier interface {
	WebhookDisabled(ctx context.Context, owners []models.User, w models.Webhook, reason string) error
}

// Options tune the Deliverer; zero values take the defaults.
type Options struct {
	Timeout        time.Duration             // one attempt, connection to the end of the answer: 10 s
	LeaseTTL       time.Duration             // how long an instance holds a webhook unrenewed: 20 s
	Poll           time.Duration             // how often each instance looks for due webhooks: 1 s
	FailFor        time.Duration             // failing this long turns a webhook off: 24 h
	Backoff        func(n int) time.Duration // the wait after the n-th failure: DefaultBackoff
	Concurrency    int                       // webhooks delivered at once by one instance: 16
	KeepDeliveries int                       // deliveries kept per webhook: 200
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.FailFor <= 0 {
		o.FailFor = 24 * time.Hour
	}
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.KeepDeliveries <= 0 {
		o.KeepDeliveries = 200
	}
	return o
}

// DefaultLeaseTTL is WEBHOOK_LEASE_TTL's default: with a poll of a second,
// a dead instance's webhooks are taken over within about 21 s.
const DefaultLeaseTTL = 20 * time.Second

// Deliverer sends webhooks. Each instance runs one; across instances a
// webhook is delivered by whichever holds its lease in kv, so by one at a
// time, and one that dies is replaced once its lease lapses (LeaseTTL
// plus a Poll). Its cursor and retry state are in the database, so the
// next holder goes on from the last event settled: nothing is skipped,
// and an event whose answer was lost with the instance is sent again.
type Deliverer struct {
	store    Store
	kv       kv.Store
	guard    Guard
	notifier Notifier
	now      func() time.Time
	log      *slog.Logger
	opts     Options
	client   *http.Client
	member   string // this instance in the lease sets

	mu      sync.Mutex
	running map[string]bool // webhooks this instance is delivering
	wg      sync.WaitGroup
	wake    chan struct{}
}

// NewDeliverer builds a Deliverer; Run starts it.
func NewDeliverer(store Store, kvs kv.Store, guard Guard, notifier Notifier, now func() time.Time,
	log *slog.Logger, opts Options) *Deliverer {
	opts = opts.withDefaults()
	d := &Deliverer{store: store, kv: kvs, guard: guard, notifier: notifier, now: now, log: log, opts: opts,
		member: uuid.NewString(), running: map[string]bool{}, wake: make(chan struct{}, 1)}
	d.client = &http.Client{
		Timeout: opts.Timeout,
		Transport: &http.Transport{
			Proxy:                 nil, // a proxy would be dialled instead of the checked address
			DialContext:           guard.DialContext,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   opts.Timeout,
			ResponseHeaderTimeout: opts.Timeout,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return d
}

// Guard is the address rule the Deliverer connects under.
func (d *Deliverer) Guard() Guard { return d.guard }

// Wake asks for a look at due webhooks now rather than at the next poll.
// It never blocks.
func (d *Deliverer) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run looks for due webhooks every Poll (or on Wake) until stop is closed,
// then waits for the deliveries in flight to end (they are cancelled).
func (d *Deliverer) Run(stop <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer func() {
		cancel()
		d.wg.Wait()
	}()
	t := time.NewTicker(d.opts.Poll)
	defer t.Stop()
	for {
		last := time.Now()
		d.startDue(ctx)
		select {
		case <-stop:
			return
		case <-t.C:
		case <-d.wake:
			// However often changes nudge it, one look per wakeGap.
			select {
			case <-stop:
				return
			case <-time.After(wakeGap - time.Since(last)):
			}
		}
	}
}

// startDue starts a run for every due webhook this instance can lease,
// up to Concurrency at once.
func (d *Deliverer) startDue(ctx context.Context) {
	due, err := d.store.DueWebhooks(ctx, d.now(), 4*d.opts.Concurrency)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("webhooks: listing due webhooks", "err", err)
		}
		return
	}
	for _, w := range due {
		d.mu.Lock()
		busy := d.running[w.ID] || len(d.running) >= d.opts.Concurrency
		d.mu.Unlock()
		if busy {
			continue
		}
		won, err := d.kv.Acquire(ctx, leaseKey(w.ID), d.member, 1, d.opts.LeaseTTL)
		if err != nil || !won {
			continue
		}
		d.mu.Lock()
		d.running[w.ID] = true
		d.mu.Unlock()
		d.wg.Add(1)
		go d.run(ctx, w.ID)
	}
}

// wakeGap is the least time between two looks for due webhooks.
const wakeGap = 20 * time.Millisecond

func leaseKey(webhookID string) string { return "webhook:" + webhookID }

// run delivers one webhook while it has due events and this instance
// keeps its lease, renewing the lease meanwhile.
func (d *Deliverer) run(parent context.Context, id string) {
	defer d.wg.Done()
	ctx, cancel := context.WithCancel(parent)
	renewed := make(chan struct{})
	go func() { // renews the lease; losing it cancels the run
		defer close(renewed)
		t := time.NewTicker(d.opts.LeaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if won, err := d.kv.Acquire(ctx, leaseKey(id), d.member, 1, d.opts.LeaseTTL); err == nil && !won {
					d.log.Warn("webhooks: lost the lease of a webhook", "webhook", id)
					cancel()
					return
				}
			}
		}
	}()
	defer func() {
		cancel()
		<-renewed
		// Released before the webhook leaves running: a run started here
		// after that holds a lease of its own.
		rctx, rcancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer rcancel()
		if err := d.kv.Release(rctx, leaseKey(id), d.member); err != nil {
			d.log.Debug("webhooks: releasing a lease", "err", err) // it lapses by itself
		}
		d.mu.Lock()
		delete(d.running, id)
		d.mu.Unlock()
	}()
	for steps := 0; ctx.Err() == nil; steps++ {
		more, err := d.step(ctx, id)
		if err != nil && ctx.Err() == nil {
			d.log.Warn("webhooks: delivering", "webhook", id, "err", err)
		}
		if !more || err != nil {
			break
		}
		if steps%d.opts.KeepDeliveries == d.opts.KeepDeliveries-1 {
			_ = d.store.PruneWebhookDeliveries(ctx, id, d.opts.KeepDeliveries)
		}
	}
	_ = d.store.PruneWebhookDeliveries(ctx, id, d.opts.KeepDeliveries)
}

// step settles the next event after the webhook's cursor: it skips what
// the filters leave out (and what was pruned), or makes one attempt at the
// next event that matches. It reports whether there may be more to do now.
func (d *Deliverer) step(ctx context.Context, id string) (bool, error) {
	w, err := d.store.WebhookTarget(ctx, id)
	if errors.Is(err, models.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !w.Active || (w.NextAttemptAt != nil && w.NextAttemptAt.After(d.now())) {
		return false, nil
	}
	page, err := d.store.Log(ctx, w.ProjectID, w.DeliveredSeq, 100)
	if errors.Is(err, models.ErrPruned) {
		return d.skipPruned(ctx, w)
	}
	if err != nil || len(page.Items) == 0 {
		return false, err
	}
	// The page is worked through while every step settles as expected;
	// anything else (a failure, a redelivery or pause meanwhile, a lost
	// lease) ends the step, and the next reads the state again.
	for _, ev := range page.Items {
		if !Matches(w.Events, ev.Type) {
			continue
		}
		if ev.Seq > w.DeliveredSeq+1 { // settle the filtered ones before it first
			ok, err := d.store.FinishWebhookStep(ctx, models.WebhookOutcome{WebhookID: id,
				From: w.DeliveredSeq, Delivered: ev.Seq - 1})
			if err != nil || !ok {
				return ok, err
			}
			w.DeliveredSeq = ev.Seq - 1
		}
		if ok, err := d.attempt(ctx, w, ev); err != nil || !ok {
			return false, err
		}
		w.DeliveredSeq, w.Attempt, w.FailingSince = ev.Seq, 0, nil
	}
	last := page.Items[len(page.Items)-1].Seq
	if last == w.DeliveredSeq {
		return page.HasMore, nil
	}
	ok, err := d.store.FinishWebhookStep(ctx, models.WebhookOutcome{WebhookID: id, From: w.DeliveredSeq, Delivered: last})
	return ok && page.HasMore, err
}

// skipPruned moves the cursor past events no longer in the log and
// records why, so the owners see the hole.
func (d *Deliverer) skipPruned(ctx context.Context, w models.WebhookTarget) (bool, error) {
	next, err := d.store.NextRetainedSeq(ctx, w.ProjectID, w.DeliveredSeq)
	if err != nil || next == 0 {
		return false, err
	}
	_, err = d.store.FinishWebhookStep(ctx, models.WebhookOutcome{WebhookID: w.ID, From: w.DeliveredSeq,
		Delivered: next - 1, Delivery: &models.WebhookDelivery{EventSeq: w.DeliveredSeq + 1, EventType: "",
			Error: fmt.Sprintf("events %d to %d were pruned from the log before they could be delivered",
				w.DeliveredSeq+1, next-1), At: d.now()}})
	return err == nil, err
}
