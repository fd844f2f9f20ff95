package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/corkboard/corkboard/models"
)

// maxAnswer is how much of an answer is read (and thrown away, so the
// connection can be reused); the rest is not waited for.
const maxAnswer = 16 << 10

// UserAgent names Corkboard to receivers.
const UserAgent = "Corkboard-Webhooks/1"

// attempt sends ev to w once and records the outcome: the cursor moves on
// after a 2xx; otherwise the next attempt waits by the backoff, and after
// FailFor of failures the webhook is turned off and its owners told.
func (d *Deliverer) attempt(ctx context.Context, w models.WebhookTarget, ev models.Event) (bool, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return false, err
	}
	msgID := MessageID(w.ID, ev.Seq)
	start := d.now()
	status, sendErr := d.send(ctx, w, msgID, start, body)
	if ctx.Err() != nil {
		return false, nil // stopping, or the lease is lost: the next holder sends it again
	}
	delivery := &models.WebhookDelivery{MessageID: msgID, EventSeq: ev.Seq, EventType: ev.Type, Attempt: w.Attempt + 1,
		StatusCode: status, DurationMS: time.Since(start).Milliseconds(), At: start}
	out := models.WebhookOutcome{WebhookID: w.ID, From: w.DeliveredSeq, Delivery: delivery}
	if sendErr == nil {
		out.Delivered = ev.Seq
		ok, err := d.store.FinishWebhookStep(ctx, out)
		return ok, err
	}
	delivery.Error = sendErr.Error()
	now := d.now()
	out.Attempt = w.Attempt + 1
	out.NextAt = now.Add(d.opts.Backoff(out.Attempt))
	out.FailingSince = now
	if w.FailingSince != nil {
		out.FailingSince = *w.FailingSince
	}
	if now.Sub(out.FailingSince) >= d.opts.FailFor {
		out.Disable = fmt.Sprintf("deliveries failed for %s (since %s); the last error: %s",
			d.opts.FailFor, out.FailingSince.UTC().Format(time.RFC3339), delivery.Error)
	}
	ok, err := d.store.FinishWebhookStep(ctx, out)
	if err == nil && ok && out.Disable != "" {
		d.notify(ctx, w.Webhook, out.Disable)
	}
	return false, err
}

// send POSTs one message and returns the answer's status; an error for
// anything but a 2xx.
func (d *Deliverer) send(ctx context.Context, w models.WebhookTarget, msgID string, at time.Time, body []byte) (int, error) {
	sig, err := Sign(w.Secret, msgID, at, body)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	res, err := d.client.Do(req)
	if err != nil {
		return 0, describe(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxAnswer))
	res.Body.Close()
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return res.StatusCode, nil
	case res.StatusCode >= 300 && res.StatusCode < 400:
		return res.StatusCode, fmt.Errorf("answered %d: redirects are not followed (Location: %.200s)",
			res.StatusCode, res.Header.Get("Location"))
	}
	return res.StatusCode, fmt.Errorf("answered %d", res.StatusCode)
}

// describe words a transport error for the owners, without Go's wrapping
// of the method and URL.
func describe(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("no answer within the timeout")
		}
		err = ue.Err
	}
	if errors.Is(err, ErrBlockedAddress) {
		return errors.New("refused: the host resolves to a loopback, private or link-local address")
	}
	return err
}

// notify tells the owners a webhook was turned off; failing to is logged.
func (d *Deliverer) notify(ctx context.Context, w models.Webhook, reason string) {
	d.log.Warn("webhooks: turned a webhook off", "webhook", w.ID, "project", w.ProjectID, "reason", reason)
	if d.notifier == nil {
		return
	}
	owners, err := d.store.ProjectOwners(ctx, w.ProjectID)
	if err == nil {
		err = d.notifier.WebhookDisabled(ctx, owners, w, reason)
	}
	if err != nil {
		d.log.Warn("webhooks: telling the owners a webhook was turned off", "webhook", w.ID, "err", err)
	}
}
