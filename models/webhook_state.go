package models

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// The deliverer's side of webhooks (app/webhooks): no member acts, so
// nothing here checks a role. Every change of a webhook's delivery state is
// conditional on the cursor it started from, so an attempt that raced a
// redelivery (or another instance that took over) changes nothing.

// DueWebhooks lists active webhooks with events after their cursor whose
// next attempt is due at now, the longest waiting first.
func (s *Store) DueWebhooks(ctx context.Context, now time.Time, limit int) ([]WebhookTarget, error) {
	var rows []webhookRow
	err := s.read(ctx).Table("webhooks").Select("webhooks.*").
		Joins("JOIN projects ON projects.id = webhooks.project_id").
		Where("webhooks.active = ? AND webhooks.delivered_seq < projects.seq", true).
		Where("webhooks.next_attempt_at IS NULL OR webhooks.next_attempt_at <= ?", now.UTC()).
		Order("webhooks.updated_at, webhooks.id").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]WebhookTarget, len(rows))
	for i, r := range rows {
		out[i] = r.target()
	}
	return out, nil
}

// WebhookTarget reads a webhook as the deliverer needs it, secret included.
func (s *Store) WebhookTarget(ctx context.Context, webhookID string) (WebhookTarget, error) {
	var r webhookRow
	if uuid.Validate(webhookID) != nil {
		return WebhookTarget{}, ErrNotFound
	}
	if err := s.read(ctx).Where("id = ?", webhookID).Take(&r).Error; err != nil {
		return WebhookTarget{}, translate(err)
	}
	return r.target(), nil
}

// NextRetainedSeq is the first seq after after still in the project's log
// (0: none), for a cursor whose next events were pruned.
func (s *Store) NextRetainedSeq(ctx context.Context, projectID string, after int64) (int64, error) {
	var seq int64
	err := s.read(ctx).Table("events").Select("COALESCE(MIN(seq), 0)").
		Where("project_id = ? AND seq > ?", projectID, after).Scan(&seq).Error
	return seq, translate(err)
}

// WebhookOutcome is the result of one step of a webhook's delivery, taken
// from cursor From: either the cursor moves on to Delivered (the event
// was delivered, or the events up to it were filtered out or pruned), or
// the attempt failed and the next one waits until NextAt — or, with
// Disable set, the webhook is turned off for that reason.
type WebhookOutcome struct {
	WebhookID    string
	From         int64
	Delivered    int64 // > From: the new cursor
	Attempt      int
	NextAt       time.Time
	FailingSince time.Time
	Disable      string
	Delivery     *WebhookDelivery // the attempt to record, if one was made
}

// FinishWebhookStep records a delivery and moves the webhook's state, in
// one transaction. It reports false when the webhook is gone or its cursor
// is no longer From (a redelivery moved it, another instance settled it).
func (s *Store) FinishWebhookStep(ctx context.Context, o WebhookOutcome) (bool, error) {
	var ok bool
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now().UTC()
		set := map[string]any{"updated_at": now}
		if o.Delivered > o.From {
			set["delivered_seq"], set["attempt"], set["next_attempt_at"], set["failing_since"] = o.Delivered, 0, nil, nil
		} else {
			set["attempt"], set["next_attempt_at"], set["failing_since"] = o.Attempt, o.NextAt.UTC(), o.FailingSince.UTC()
			if o.Disable != "" {
				set["active"], set["disabled_reason"] = false, o.Disable
			}
		}
		q := tx.Model(&webhookRow{}).Where("id = ? AND delivered_seq = ?", o.WebhookID, o.From)
		if o.Delivered <= o.From { // a failure counts only while active: a pause meanwhile starts afresh
			q = q.Where("active = ?", true)
		}
		res := q.Updates(set)
		if res.Error != nil {
			return res.Error
		}
		ok = res.RowsAffected == 1
		if d := o.Delivery; d != nil {
			// Recorded even when the state moved on: it was sent.
			return tx.Exec(`INSERT INTO webhook_deliveries (id, webhook_id, message_id, event_seq, event_type, attempt,
				status_code, error, duration_ms, at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM webhooks WHERE id = ?)`,
				uuid.NewString(), o.WebhookID, d.MessageID, d.EventSeq, d.EventType, d.Attempt, d.StatusCode,
				d.Error, d.DurationMS, d.At.UTC(), o.WebhookID).Error
		}
		return nil
	})
	return ok, translate(err)
}

// PruneWebhookDeliveries keeps the newest keep deliveries of a webhook.
func (s *Store) PruneWebhookDeliveries(ctx context.Context, webhookID string, keep int) error {
	return translate(s.write(ctx).Exec(`DELETE FROM webhook_deliveries WHERE webhook_id = ? AND at <
		(SELECT at FROM webhook_deliveries WHERE webhook_id = ? ORDER BY at DESC LIMIT 1 OFFSET ?)`,
		webhookID, webhookID, keep-1).Error)
}

// ProjectOwners lists the owners of a project (to tell them a webhook was
// turned off).
func (s *Store) ProjectOwners(ctx context.Context, projectID string) ([]User, error) {
	var rows []userRow
	err := s.read(ctx).Table("users").Select("users.*").Joins("JOIN members ON members.user_id = users.id").
		Where("members.project_id = ? AND members.role = ?", projectID, RoleOwner).Order("users.email").Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]User, len(rows))
	for i, r := range rows {
		out[i] = r.view()
	}
	return out, nil
}
