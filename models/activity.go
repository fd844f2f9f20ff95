package models

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
)

// IssueHistory is one page of the events about an issue (issue.* and
// comment.*), oldest first: the material of its activity. Before is the
// issue as the last issue.* event before the page left it (nil on the
// first page), so the page's first change can be told as a difference.
type IssueHistory struct {
	Issue      Issue // as it is now
	Before     json.RawMessage
	Items      []Event
	NextCursor string
	// The names the events' keys and ids stand for today: the project's
	// columns by key and its cycles by id.
	Columns map[string]string
	Cycles  map[string]string
}

// IssueEvents reads an issue's events oldest first, limit (1..200, default
// 50) at a time, for a member of the project. They are kept for as long as
// the issue exists (PruneEvents), so the history is whole.
func (s *Store) IssueEvents(ctx context.Context, userID, projectID, issueID, cursor string, limit int) (IssueHistory, error) {
	db := s.read(ctx)
	if _, err := memberRole(db, projectID, userID); err != nil {
		return IssueHistory{}, translate(err)
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	issue, err := s.issue(db, projectID, issueID)
	if err != nil {
		return IssueHistory{}, err
	}
	var after int64
	if cursor != "" {
		if after, err = decodeSeqCursor(cursor); err != nil {
			return IssueHistory{}, invalid("cursor", "is not a cursor this API gave out")
		}
	}
	// events_issue serves both reads: (issue_id, seq) ranges.
	var rows []eventRow
	if err := db.Where("issue_id = ? AND project_id = ? AND seq > ?", issueID, projectID, after).
		Order("seq").Limit(limit + 1).Find(&rows).Error; err != nil {
		return IssueHistory{}, translate(err)
	}
	h := IssueHistory{Issue: issue, Columns: map[string]string{}, Cycles: map[string]string{}}
	if len(rows) > limit {
		rows = rows[:limit]
		h.NextCursor = encodeSeqCursor(rows[limit-1].Seq)
	}
	if after > 0 {
		var prev []eventRow
		if err := db.Where("issue_id = ? AND project_id = ? AND seq <= ? AND type LIKE ?", issueID, projectID, after, "issue.%").
			Order("seq DESC").Limit(1).Find(&prev).Error; err != nil {
			return IssueHistory{}, translate(err)
		}
		if len(prev) == 1 {
			h.Before = json.RawMessage(prev[0].Payload)
		}
	}
	cols, err := s.columnsOf(db, projectID)
	if err != nil {
		return IssueHistory{}, err
	}
	for _, c := range cols[projectID] {
		h.Columns[c.Key] = c.Name
	}
	var cycles []struct{ ID, Name string }
	if err := db.Table("cycles").Select("id, name").Where("project_id = ?", projectID).Scan(&cycles).Error; err != nil {
		return IssueHistory{}, translate(err)
	}
	for _, c := range cycles {
		h.Cycles[c.ID] = c.Name
	}
	h.Items = make([]Event, len(rows))
	for i, r := range rows {
		h.Items[i] = r.view()
	}
	return h, nil
}

// A seq cursor is the last event's seq: the next page starts after it.
func encodeSeqCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("s:" + strconv.FormatInt(seq, 10)))
}

func decodeSeqCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), "s:") {
		return 0, ErrNotFound
	}
	n, err := strconv.ParseInt(string(b[2:]), 10, 64)
	if err != nil || n < 0 {
		return 0, ErrNotFound
	}
	return n, nil
}

// UserNames maps user ids to display names, for ids read from a project's
// own events (an assignee who has since left the project keeps a name).
func (s *Store) UserNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct{ ID, DisplayName string }
	if err := s.read(ctx).Table("users").Select("id, display_name").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
		return nil, translate(err)
	}
	for _, r := range rows {
		out[r.ID] = r.DisplayName
	}
	return out, nil
}
