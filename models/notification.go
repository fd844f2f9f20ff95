package models

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Notification kinds (DESIGN "Conversation").
const (
	NotifyMention      = "mention"
	NotifyAssigned     = "assigned"
	NotifyComment      = "comment"
	NotifyStatus       = "status"
	NotifyDueSoon      = "due_soon"
	NotifyOverCapacity = "over_capacity"
)

// Notification is one thing a person was told, in the shape the API, the
// bell and the live frame use. UserID (the recipient) stays inside.
type Notification struct {
	ID        string            `json:"id"`
	UserID    string            `json:"-"`
	Kind      string            `json:"kind"`
	Project   NotifiedProject   `json:"project"`
	Issue     NotifiedIssue     `json:"issue"`
	Actor     NotificationActor `json:"actor"`
	CommentID *string           `json:"comment_id,omitempty"`
	At        time.Time         `json:"at"`
	ReadAt    *time.Time        `json:"read_at"`
}

// NotifiedProject, NotifiedIssue and NotificationActor are the parts of a
// notification that name what it is about and who did it.
type NotifiedProject struct {
	ID   string `json:"id"`
	Key  string `json:"key"`
	Name string `json:"name"`
}

type NotifiedIssue struct {
	ID    string `json:"id"`
	Key   string `json:"key"`
	Title string `json:"title"`
}

type NotificationActor struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// NotificationPage is one page of a person's notifications, newest first.
type NotificationPage struct {
	Items       []Notification
	NextCursor  string
	UnreadCount int64
}

type notificationRow struct {
	ID        string
	UserID    string
	ProjectID string
	IssueID   string
	Kind      string
	ActorID   string
	ActorName string
	CommentID *string
	Dedupe    *string
	CreatedAt time.Time
	ReadAt    *time.Time
	MailedAt  *time.Time
}

func (notificationRow) TableName() string { return "notifications" }

// notificationSelect reads notifications with what they name. Joining
// members keeps out those of projects the person has left, and the issue
// those of issues in the trash: they are hidden, not deleted, so
// rejoining or restoring shows them again (a purge deletes them).
const notificationSelect = `SELECT n.id, n.user_id, n.kind, p.id, p.key, p.name, i.id, i.number, i.title,
	n.actor_id, n.actor_name, n.comment_id, n.created_at, n.read_at
	FROM notifications n
	JOIN members m ON m.project_id = n.project_id AND m.user_id = n.user_id
	JOIN projects p ON p.id = n.project_id
	JOIN issues i ON i.id = n.issue_id AND i.deleted_at IS NULL`

func scanNotifications(db *gorm.DB, where string, args ...any) ([]Notification, error) {
	rows, err := db.Raw(notificationSelect+" "+where, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Notification{}
	for rows.Next() {
		var n Notification
		var number int64
		if err := rows.Scan(&n.ID, &n.UserID, &n.Kind, &n.Project.ID, &n.Project.Key, &n.Project.Name, &n.Issue.ID,
			&number, &n.Issue.Title, &n.Actor.ID, &n.Actor.Name, &n.CommentID, &n.At, &n.ReadAt); err != nil {
			return nil, err
		}
		n.Issue.Key = fmt.Sprintf("%s-%d", n.Project.Key, number)
		n.At = n.At.UTC()
		if n.ReadAt != nil {
			t := n.ReadAt.UTC()
			n.ReadAt = &t
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ListNotifications lists userID's notifications newest first, limit
// (1..100, default 30) at a time, only unread ones if unread, with the
// count of unread ones.
func (s *Store) ListNotifications(ctx context.Context, userID string, unread bool, cursor string, limit int) (NotificationPage, error) {
	if limit <= 0 || limit > 100 {
		limit = 30
	}
	db := s.read(ctx)
	where := "WHERE n.user_id = ?"
	args := []any{userID}
	if unread {
		where += " AND n.read_at IS NULL"
	}
	if cursor != "" {
		id, err := decodeNotificationCursor(cursor)
		if err != nil {
			return NotificationPage{}, invalid("cursor", "is not a cursor this API gave out")
		}
		where += " AND n.id < ?"
		args = append(args, id)
	}
	items, err := scanNotifications(db, where+fmt.Sprintf(" ORDER BY n.id DESC LIMIT %d", limit+1), args...)
	if err != nil {
		return NotificationPage{}, translate(err)
	}
	page := NotificationPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextCursor = encodeNotificationCursor(page.Items[limit-1].ID)
	}
	page.UnreadCount, err = s.UnreadCount(ctx, userID)
	return page, err
}

// UnreadCount is the number on the bell.
func (s *Store) UnreadCount(ctx context.Context, userID string) (int64, error) {
	var n int64
	err := s.read(ctx).Raw(`SELECT COUNT(*) FROM notifications n
		JOIN members m ON m.project_id = n.project_id AND m.user_id = n.user_id
		JOIN issues i ON i.id = n.issue_id AND i.deleted_at IS NULL
		WHERE n.user_id = ? AND n.read_at IS NULL`, userID).Scan(&n).Error
	return n, translate(err)
}

// MarkNotificationsRead marks userID's notifications ids (all of them if
// all) read. Ids that are not the user's unread notifications are ignored:
// marking read is idempotent, and a stranger's id is indistinguishable
// from an unknown one. It returns how many it marked (0: nothing changed).
func (s *Store) MarkNotificationsRead(ctx context.Context, userID string, ids []string, all bool) (int64, error) {
	db := s.write(ctx).Model(&notificationRow{}).Where("user_id = ? AND read_at IS NULL", userID)
	if !all {
		valid := make([]string, 0, len(ids))
		for _, id := range ids {
			if uuid.Validate(id) == nil {
				valid = append(valid, id)
			}
		}
		if len(valid) == 0 {
			return 0, nil
		}
		db = db.Where("id IN ?", valid)
	}
	res := db.Update("read_at", s.now())
	return res.RowsAffected, translate(res.Error)
}

// Notifications are keyed by UUIDv7, so the id orders them by time.
func encodeNotificationCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("n:" + id))
}

func decodeNotificationCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), "n:") || uuid.Validate(string(b[2:])) != nil {
		return "", ErrNotFound
	}
	return string(b[2:]), nil
}

// insertNotification writes one notification and returns it as read back.
// A dedupe key already used for the user writes nothing (ok false).
func insertNotification(tx *gorm.DB, row notificationRow) (Notification, bool, error) {
	res := tx.Exec(`INSERT INTO notifications (id, user_id, project_id, issue_id, kind, actor_id, actor_name, comment_id,
		dedupe, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		row.ID, row.UserID, row.ProjectID, row.IssueID, row.Kind, row.ActorID, row.ActorName, row.CommentID,
		row.Dedupe, row.CreatedAt)
	if res.Error != nil || res.RowsAffected == 0 {
		return Notification{}, false, res.Error
	}
	items, err := scanNotifications(tx, "WHERE n.id = ?", row.ID)
	if err != nil || len(items) == 0 {
		return Notification{}, false, err
	}
	return items[0], true, nil
}
