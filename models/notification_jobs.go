package models

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// What the periodic jobs of notifications read and write: due_soon (once
// per issue and due date, whoever runs it: the dedupe key), and the mail
// of notifications (each notification mailed once: mailed_at is claimed
// before the mail goes out).

// DueIssue is an assigned issue with a due date, and its project's zone.
type DueIssue struct {
	IssueID, ProjectID, AssigneeID, DueDate, Timezone string
}

// DueIssuesBetween lists assigned issues due from first to last
// (YYYY-MM-DD) whose assignee is still a member; the job keeps those due
// tomorrow in their project's zone.
func (s *Store) DueIssuesBetween(ctx context.Context, first, last string) ([]DueIssue, error) {
	var out []DueIssue
	err := s.read(ctx).Raw(`SELECT i.id AS issue_id, i.project_id, i.assignee_id, i.due_date, p.timezone
		FROM issues i JOIN projects p ON p.id = i.project_id
		JOIN members m ON m.project_id = i.project_id AND m.user_id = i.assignee_id
		WHERE i.due_date BETWEEN ? AND ? AND i.assignee_id IS NOT NULL AND i.deleted_at IS NULL`, first, last).Scan(&out).Error
	return out, translate(err)
}

// NotifyDueSoon tells the issue's assignee it is due tomorrow, once per
// issue and due date (a second call, on any instance, writes nothing and
// returns ok false). The notification goes to OnNotify like a change's.
func (s *Store) NotifyDueSoon(ctx context.Context, d DueIssue) (Notification, bool, error) {
	key := "due_soon:" + d.IssueID + ":" + d.DueDate
	var n Notification
	var ok bool
	err := s.write(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		n, ok, err = insertNotification(tx, notificationRow{ID: uuid.Must(uuid.NewV7()).String(), UserID: d.AssigneeID,
			ProjectID: d.ProjectID, IssueID: d.IssueID, Kind: NotifyDueSoon, ActorID: SystemActorID,
			ActorName: SystemActorName, Dedupe: &key, CreatedAt: s.now()})
		return err
	})
	if err != nil {
		return Notification{}, false, translate(err)
	}
	if ok && s.onNotify != nil {
		s.onNotify([]Notification{n})
	}
	return n, ok, nil
}

// MailBatch is one person's notifications for one mail.
type MailBatch struct {
	User  User
	Items []Notification
}

// mailKinds are what instant mail carries.
var mailKinds = []string{NotifyMention, NotifyAssigned}

// InstantMailDue lists, per person who wants instant mail, their unread
// unmailed mentions and assignments, for those whose oldest such one was
// made at or before due: what came in since it joins the same mail.
func (s *Store) InstantMailDue(ctx context.Context, due time.Time) ([]MailBatch, error) {
	return s.mailBatches(ctx, `AND n.kind IN ? AND u.email_notifications = 'instant'
		AND n.user_id IN (SELECT user_id FROM notifications WHERE mailed_at IS NULL AND read_at IS NULL
			AND kind IN ? AND created_at <= ?)`, mailKinds, mailKinds, due)
}

// DigestDue claims the digest sent on day (YYYY-MM-DD, UTC) of every
// person who wants a daily one and has not had it, and lists their unread
// unmailed notifications made from since to before (the day's start). The
// claim is the users row's digest_on: one instance, one run, one digest a
// day.
func (s *Store) DigestDue(ctx context.Context, day string, since, before time.Time) ([]MailBatch, error) {
	var ids []string
	if err := s.read(ctx).Raw(`SELECT id FROM users WHERE email_notifications = 'daily'
		AND (digest_on IS NULL OR digest_on < ?)
		AND id IN (SELECT user_id FROM notifications WHERE mailed_at IS NULL AND read_at IS NULL
			AND created_at > ? AND created_at < ?)`,
		day, since, before).Scan(&ids).Error; err != nil {
		return nil, translate(err)
	}
	var mine []string
	for _, id := range ids {
		res := s.write(ctx).Exec(`UPDATE users SET digest_on = ? WHERE id = ? AND (digest_on IS NULL OR digest_on < ?)`, day, id, day)
		if res.Error != nil {
			return nil, translate(res.Error)
		}
		s.sessions.forgetUser(id) // (digest_on is not in a cached User; the rule is kept anyway)
		if res.RowsAffected == 1 {
			mine = append(mine, id)
		}
	}
	if len(mine) == 0 {
		return nil, nil
	}
	return s.mailBatches(ctx, `AND n.user_id IN ? AND n.created_at > ? AND n.created_at < ?`, mine, since, before)
}

// mailBatches reads unread, unmailed notifications (of projects the
// person is still in) matching where, grouped by person.
func (s *Store) mailBatches(ctx context.Context, where string, args ...any) ([]MailBatch, error) {
	items, err := scanNotifications(s.read(ctx), `JOIN users u ON u.id = n.user_id
		WHERE n.mailed_at IS NULL AND n.read_at IS NULL `+where+` ORDER BY n.user_id, n.id LIMIT 2000`, args...)
	if err != nil {
		return nil, translate(err)
	}
	var out []MailBatch
	for _, n := range items {
		if len(out) == 0 || out[len(out)-1].User.ID != n.UserID {
			u, err := s.UserByID(ctx, n.UserID)
			if err != nil {
				return nil, err
			}
			out = append(out, MailBatch{User: u})
		}
		out[len(out)-1].Items = append(out[len(out)-1].Items, n)
	}
	return out, nil
}

// ClaimMailed marks ids mailed at `at` and returns those this call
// claimed (not mailed meanwhile by anyone else): only they go in the mail.
func (s *Store) ClaimMailed(ctx context.Context, ids []string, at time.Time) ([]string, error) {
	var claimed []string
	at = at.UTC().Truncate(time.Microsecond) // as PostgreSQL keeps it, for UnclaimMailed
	err := s.write(ctx).Raw(`UPDATE notifications SET mailed_at = ? WHERE id IN ? AND mailed_at IS NULL RETURNING id`,
		at, ids).Scan(&claimed).Error
	return claimed, translate(err)
}

// UnclaimMailed gives back a claim whose mail failed, for the next run.
func (s *Store) UnclaimMailed(ctx context.Context, ids []string, at time.Time) error {
	at = at.UTC().Truncate(time.Microsecond)
	return translate(s.write(ctx).Exec(`UPDATE notifications SET mailed_at = NULL WHERE id IN ? AND mailed_at = ?`,
		ids, at).Error)
}

// SetEmailNotifications changes only a person's mail setting (the signed
// turn-off link: no session).
func (s *Store) SetEmailNotifications(ctx context.Context, userID, choice string) error {
	_, err := s.UpdateProfile(ctx, userID, ProfilePatch{EmailNotifications: &choice})
	return err
}
