package models

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Webhook is an outgoing webhook as its project's owners see it. The
// secret is not in it: it is shown once, at creation (NewWebhook).
type Webhook struct {
	ID             string     `json:"id"`
	ProjectID      string     `json:"project_id"`
	URL            string     `json:"url"`
	Events         []string   `json:"events"` // types or "prefix.*"; empty: every durable event
	Description    string     `json:"description"`
	Active         bool       `json:"active"`
	DisabledReason string     `json:"disabled_reason"`
	DeliveredSeq   int64      `json:"delivered_seq"` // every event up to this seq is delivered or filtered out
	Attempt        int        `json:"attempt"`       // failed attempts at the next event
	NextAttemptAt  *time.Time `json:"next_attempt_at"`
	FailingSince   *time.Time `json:"failing_since"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// NewWebhook is a webhook just created, with its secret.
type NewWebhook struct {
	Webhook
	Secret string `json:"secret"`
}

// WebhookTarget is what the deliverer needs: the webhook and its secret.
type WebhookTarget struct {
	Webhook
	Secret string
}

// WebhookInput creates a webhook; the app has checked URL and Events.
type WebhookInput struct {
	URL         string
	Events      []string
	Description string
	Secret      string
}

// WebhookPatch changes a webhook; nil fields stay as they are. Turning a
// webhook back on clears its failure state (it starts again where its
// cursor stands: nothing is skipped).
type WebhookPatch struct {
	URL         *string
	Events      *[]string
	Description *string
	Active      *bool
}

// WebhookDelivery is one attempt to deliver one event.
type WebhookDelivery struct {
	ID         string    `json:"id"`
	MessageID  string    `json:"message_id"`
	EventSeq   int64     `json:"event_seq"`
	EventType  string    `json:"event_type"`
	Attempt    int       `json:"attempt"`
	StatusCode int       `json:"status_code"` // 0: no answer
	Error      string    `json:"error"`
	DurationMS int64     `json:"duration_ms"`
	At         time.Time `json:"at"`
}

// WebhookDeliveryPage is a page of deliveries, newest first.
type WebhookDeliveryPage struct {
	Items      []WebhookDelivery
	NextCursor string
}

type webhookRow struct {
	ID             string
	ProjectID      string
	URL            string
	Events         string
	Description    string
	Secret         string
	Active         bool
	DisabledReason string
	DeliveredSeq   int64
	Attempt        int
	NextAttemptAt  *time.Time
	FailingSince   *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (webhookRow) TableName() string { return "webhooks" }

func (r webhookRow) target() WebhookTarget {
	var events []string
	_ = json.Unmarshal([]byte(r.Events), &events)
	if events == nil {
		events = []string{}
	}
	return WebhookTarget{Secret: r.Secret, Webhook: Webhook{ID: r.ID, ProjectID: r.ProjectID, URL: r.URL,
		Events: events, Description: r.Description, Active: r.Active, DisabledReason: r.DisabledReason,
		DeliveredSeq: r.DeliveredSeq, Attempt: r.Attempt, NextAttemptAt: utcPtr(r.NextAttemptAt),
		FailingSince: utcPtr(r.FailingSince), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

type webhookDeliveryRow struct {
	ID         string
	WebhookID  string
	MessageID  string
	EventSeq   int64
	EventType  string
	Attempt    int
	StatusCode int
	Error      string
	DurationMS int64 `gorm:"column:duration_ms"`
	At         time.Time
}

func (webhookDeliveryRow) TableName() string { return "webhook_deliveries" }

// MaxWebhooksPerProject bounds the webhooks of one project.
const MaxWebhooksPerProject = 20

// ownerOf checks that userID owns projectID: ErrNotFound when they are not
// a member, ErrForbidden when they are but not its owner.
func ownerOf(db *gorm.DB, projectID, userID string) error {
	role, err := memberRole(db, projectID, userID)
	if err != nil {
		return err
	}
	if !role.AtLeast(RoleOwner) {
		return ErrForbidden
	}
	return nil
}

func eventsJSON(events []string) string {
	if events == nil {
		events = []string{}
	}
	b, _ := json.Marshal(events)
	return string(b)
}

// ListWebhooks lists a project's webhooks, oldest first (owners).
func (s *Store) ListWebhooks(ctx context.Context, userID, projectID string) ([]Webhook, error) {
	db := s.read(ctx)
	if err := ownerOf(db, projectID, userID); err != nil {
		return nil, err
	}
	var rows []webhookRow
	if err := db.Where("project_id = ?", projectID).Order("created_at, id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]Webhook, len(rows))
	for i, r := range rows {
		out[i] = r.target().Webhook
	}
	return out, nil
}

// GetWebhook reads one webhook of a project (owners).
func (s *Store) GetWebhook(ctx context.Context, userID, projectID, webhookID string) (Webhook, error) {
	r, err := ownedWebhook(s.read(ctx), projectID, userID, webhookID)
	return r.target().Webhook, err
}

// ownedWebhook reads a webhook of a project that userID owns.
func ownedWebhook(db *gorm.DB, projectID, userID, webhookID string) (webhookRow, error) {
	if err := ownerOf(db, projectID, userID); err != nil {
		return webhookRow{}, err
	}
	return webhookOf(db, projectID, webhookID)
}

func webhookOf(db *gorm.DB, projectID, webhookID string) (webhookRow, error) {
	var r webhookRow
	if uuid.Validate(webhookID) != nil {
		return r, ErrNotFound
	}
	err := db.Where("id = ? AND project_id = ?", webhookID, projectID).Take(&r).Error
	return r, translate(err)
}

// CreateWebhook adds a webhook (owners). It starts at the project's
// current seq: it delivers what happens from now on.
func (s *Store) CreateWebhook(ctx context.Context, userID, projectID string, in WebhookInput) (NewWebhook, error) {
	var out NewWebhook
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := ownerOf(tx, projectID, userID); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&webhookRow{}).Where("project_id = ?", projectID).Count(&n).Error; err != nil {
			return err
		}
		if n >= MaxWebhooksPerProject {
			return invalid("url", "is one webhook too many: a project has at most 20")
		}
		var seq int64
		if err := tx.Table("projects").Select("seq").Where("id = ?", projectID).Scan(&seq).Error; err != nil {
			return err
		}
		now := s.now().UTC()
		r := webhookRow{ID: uuid.NewString(), ProjectID: projectID, URL: in.URL, Events: eventsJSON(in.Events),
			Description: in.Description, Secret: in.Secret, Active: true, DeliveredSeq: seq, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		out = NewWebhook{Webhook: r.target().Webhook, Secret: in.Secret}
		return nil
	})
	return out, translate(err)
}

// UpdateWebhook applies p (owners).
func (s *Store) UpdateWebhook(ctx context.Context, userID, projectID, webhookID string, p WebhookPatch) (Webhook, error) {
	var out Webhook
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r, err := ownedWebhook(tx, projectID, userID, webhookID)
		if err != nil {
			return err
		}
		set := map[string]any{"updated_at": s.now().UTC()}
		if p.URL != nil {
			set["url"] = *p.URL
		}
		if p.Events != nil {
			set["events"] = eventsJSON(*p.Events)
		}
		if p.Description != nil {
			set["description"] = *p.Description
		}
		if p.Active != nil {
			set["active"] = *p.Active
			if *p.Active && !r.Active {
				set["disabled_reason"], set["attempt"], set["next_attempt_at"], set["failing_since"] = "", 0, nil, nil
			}
		}
		if err := tx.Model(&webhookRow{}).Where("id = ?", r.ID).Updates(set).Error; err != nil {
			return err
		}
		r, err = webhookOf(tx, projectID, webhookID)
		out = r.target().Webhook
		return err
	})
	return out, translate(err)
}

// DeleteWebhook removes a webhook and its deliveries (owners).
func (s *Store) DeleteWebhook(ctx context.Context, userID, projectID, webhookID string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if _, err := ownedWebhook(tx, projectID, userID, webhookID); err != nil {
			return err
		}
		return tx.Where("id = ?", webhookID).Delete(&webhookRow{}).Error
	})
}

// RedeliverWebhook sends every event after since again, in order (owners):
// the cursor goes back to since (never forward: nothing is skipped) and
// any wait for a retry ends. since beyond the project's seq is a 422, as
// is one whose events are no longer retained.
func (s *Store) RedeliverWebhook(ctx context.Context, userID, projectID, webhookID string, since int64) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r, err := ownedWebhook(tx, projectID, userID, webhookID)
		if err != nil {
			return err
		}
		var seq int64
		if err := tx.Table("projects").Select("seq").Where("id = ?", projectID).Scan(&seq).Error; err != nil {
			return err
		}
		if since < 0 || since > seq {
			return invalid("since_seq", "must be between 0 and the project's seq")
		}
		if since < seq {
			var first int64
			if err := tx.Table("events").Select("COALESCE(MIN(seq), 0)").
				Where("project_id = ? AND seq > ?", projectID, since).Scan(&first).Error; err != nil {
				return err
			}
			if first != since+1 {
				return invalid("since_seq", "the events after it are no longer retained")
			}
		}
		return tx.Model(&webhookRow{}).Where("id = ?", r.ID).Updates(map[string]any{
			"delivered_seq": min(since, r.DeliveredSeq), "attempt": 0, "next_attempt_at": nil, "failing_since": nil,
			"updated_at": s.now().UTC()}).Error
	})
	return translate(err)
}

// ListWebhookDeliveries lists a webhook's recent deliveries, newest first
// (owners); limit 1..200, default 50.
func (s *Store) ListWebhookDeliveries(ctx context.Context, userID, projectID, webhookID, cursor string, limit int) (WebhookDeliveryPage, error) {
	db := s.read(ctx)
	if _, err := ownedWebhook(db, projectID, userID, webhookID); err != nil {
		return WebhookDeliveryPage{}, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := db.Where("webhook_id = ?", webhookID)
	if cursor != "" {
		at, id, err := decodeCommentCursor(cursor) // the same (time, id) pair, walked backwards
		if err != nil {
			return WebhookDeliveryPage{}, invalid("cursor", "is not a cursor this API gave out")
		}
		q = q.Where("at < ? OR (at = ? AND id < ?)", at, at, id)
	}
	var rows []webhookDeliveryRow
	if err := q.Order("at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return WebhookDeliveryPage{}, translate(err)
	}
	page := WebhookDeliveryPage{Items: make([]WebhookDelivery, 0, len(rows))}
	for i, r := range rows {
		if i == limit {
			last := rows[i-1]
			page.NextCursor = encodeCommentCursor(last.At, last.ID)
			break
		}
		page.Items = append(page.Items, WebhookDelivery{ID: r.ID, MessageID: r.MessageID, EventSeq: r.EventSeq,
			EventType: r.EventType, Attempt: r.Attempt, StatusCode: r.StatusCode, Error: r.Error,
			DurationMS: r.DurationMS, At: r.At.UTC()})
	}
	return page, nil
}
