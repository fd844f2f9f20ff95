package models

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"
)

// AuditEvent is one security event of an account: a login, a failure, a
// lock, an unlock, a reset, a password change, 2FA and token changes. It
// never holds a password, token or secret: Detail is small context only
// (a reason, a token's name).
type AuditEvent struct {
	ID        string         `json:"id"` // empty when recording: a new one (NewAuditID)
	UserID    string         `json:"-"`
	Type      string         `json:"type"`
	IP        string         `json:"ip"`
	UserAgent string         `json:"user_agent"`
	Detail    map[string]any `json:"detail"`
	At        time.Time      `json:"at"` // zero when recording: the store's clock
}

type auditRow struct {
	ID        string
	UserID    *string
	Type      string
	IP        string
	UserAgent string
	Detail    string
	CreatedAt time.Time
}

func (auditRow) TableName() string { return "audit_events" }

func (r auditRow) view() AuditEvent {
	ev := AuditEvent{ID: r.ID, Type: r.Type, IP: r.IP, UserAgent: r.UserAgent, At: r.CreatedAt, Detail: map[string]any{}}
	if r.UserID != nil {
		ev.UserID = *r.UserID
	}
	_ = json.Unmarshal([]byte(r.Detail), &ev.Detail) // written by Audit: always an object
	return ev
}

// AuditPage is one page of a user's audit log, newest first; NextCursor is
// empty on the last page.
type AuditPage struct {
	Items      []AuditEvent
	NextCursor string
}

const maxAuditDetail = 2000

// NewAuditID is the id of an event recorded later (in the background):
// taken when the event happens, it keeps the log in the order of events,
// not of writes.
func NewAuditID() string { return uuid.Must(uuid.NewV7()).String() }

// Audit records a security event. UserID may be empty for an event that
// belongs to no account; IP and user agent are cleaned like a session's.
func (s *Store) Audit(ctx context.Context, ev AuditEvent) error {
	if ev.Detail == nil {
		ev.Detail = map[string]any{}
	}
	detail, err := json.Marshal(ev.Detail)
	if err != nil {
		return err
	}
	if len(detail) > maxAuditDetail {
		detail = []byte(`{"truncated":true}`)
	}
	id := ev.ID
	if id == "" {
		id = NewAuditID()
	} else if uuid.Validate(id) != nil {
		return invalid("id", "is not an audit event id")
	}
	at := ev.At
	if at.IsZero() {
		at = s.now()
	}
	row := auditRow{ID: id, Type: printable(ev.Type, 64), IP: printable(ev.IP, 64),
		UserAgent: printable(ev.UserAgent, 300), Detail: string(detail), CreatedAt: at.UTC()}
	if ev.UserID != "" {
		row.UserID = &ev.UserID
	}
	return translate(s.write(ctx).Create(&row).Error)
}

// ListAudit lists a user's events newest first, limit (1..200, default 50)
// at a time; cursor is a NextCursor from an earlier page.
func (s *Store) ListAudit(ctx context.Context, userID, cursor string, limit int) (AuditPage, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	q := s.read(ctx).Where("user_id = ?", userID)
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		id := strings.TrimPrefix(string(b), "a:")
		if err != nil || !strings.HasPrefix(string(b), "a:") || uuid.Validate(id) != nil {
			return AuditPage{}, invalid("cursor", "is not a cursor this API gave out")
		}
		q = q.Where("id < ?", id)
	}
	var rows []auditRow
	if err := q.Order("id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
		return AuditPage{}, translate(err)
	}
	page := AuditPage{Items: []AuditEvent{}}
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextCursor = base64.RawURLEncoding.EncodeToString([]byte("a:" + rows[len(rows)-1].ID))
	}
	for _, r := range rows {
		page.Items = append(page.Items, r.view())
	}
	return page, nil
}
