package models

import "context"

// Watching an issue is a person's own choice, not a change to the project:
// it writes no event. The automatic watchers (author, assignee, commenters,
// the mentioned) are added by the changes themselves (notify_change.go);
// a person who stopped watching keeps a row with watching FALSE, so the
// next comment does not sign them up again.

// SetWatching starts (on) or stops watching an issue, for any member of
// its project.
func (s *Store) SetWatching(ctx context.Context, userID, projectID, issueID string, on bool) error {
	db := s.read(ctx)
	if _, err := memberRole(db, projectID, userID); err != nil {
		return err
	}
	if _, err := s.issue(db, projectID, issueID); err != nil {
		return err
	}
	return translate(s.write(ctx).Exec(`INSERT INTO issue_watchers (issue_id, user_id, watching) VALUES (?, ?, ?)
		ON CONFLICT (issue_id, user_id) DO UPDATE SET watching = excluded.watching`, issueID, userID, on).Error)
}

// Watching reports whether userID watches the issue (the caller has read
// the issue, so membership is settled).
func (s *Store) Watching(ctx context.Context, userID, issueID string) (bool, error) {
	var on []bool
	err := s.read(ctx).Raw(`SELECT watching FROM issue_watchers WHERE issue_id = ? AND user_id = ?`, issueID, userID).
		Scan(&on).Error
	return len(on) == 1 && on[0], translate(err)
}
