package models

import (
	"github.com/google/uuid"
)

// Notifications are written by the change that causes them, in its
// transaction: a change that rolls back tells nobody, a committed one has
// told everyone it should, once, whichever instance made it. Who is told
// is app/notify's rule (NotifyRules); this file gathers the facts it
// needs and writes its answer. After the commit the store hands the new
// notifications to Options.OnNotify (the live frame).

// NotifyRules decide who is told of a change and who starts watching its
// issue (app/notify.Rules; models may not import it: app passes it in).
type NotifyRules interface {
	// Mentioned is the handles (lower-case) newText mentions that oldText
	// did not.
	Mentioned(oldText, newText string) []string
	// Plan says who watches and who is told what.
	Plan(f NotifyFacts) NotifyPlan
}

// NotifyFacts are what a change did to an issue, for NotifyRules.Plan.
// User ids; "" for none.
type NotifyFacts struct {
	ActorID      string
	Created      bool     // the issue was created (its author is the actor)
	OldAssignee  string   // before the change
	NewAssignee  string   // after it
	StatusMoved  bool     // it changed column
	Commented    bool     // a comment was added
	Mentioned    []string // members the change's text newly mentions
	Watchers     []string // watching the issue before the change
	Unwatched    []string // who chose to stop watching it
	OverCapacity string   // whose load in a cycle this change took past capacity
}

// NotifyPlan is NotifyRules' answer: Watch start watching (unless they
// chose not to), each of Notify is told.
type NotifyPlan struct {
	Watch  []string
	Notify []NotifyRecipient
}

// NotifyRecipient is one notification to write.
type NotifyRecipient struct {
	UserID string
	Kind   string
}

// notifyIssue applies the rules to what the change did to issue: oldText
// and newText are the description or comment body before and after (for
// mentions), commentID the comment the change wrote (nil if none).
func (c *change) notifyIssue(issue issueRow, f NotifyFacts, oldText, newText string, commentID *string) error {
	rules := c.s.notify
	if rules == nil {
		return nil
	}
	f.ActorID = c.actor.ID
	handles := rules.Mentioned(oldText, newText)
	if !f.Created && !f.StatusMoved && !f.Commented && f.OldAssignee == f.NewAssignee && len(handles) == 0 &&
		f.OverCapacity == "" {
		return nil // nothing anyone is told of: no query on the move path
	}
	if len(handles) > 0 {
		// Only members: a handle of anyone else does nothing, and the
		// change answers the same either way.
		if err := c.tx.Raw(`SELECT users.id FROM users JOIN members ON members.user_id = users.id
			WHERE members.project_id = ? AND users.handle IN ?`, c.project.ID, handles).Scan(&f.Mentioned).Error; err != nil {
			return err
		}
	}
	if w := c.watchers; w != nil { // read by the change already (issue_move_pg.go)
		f.Watchers, f.Unwatched = w.on, w.off
	} else if err := c.readWatchers(issue.ID, &f); err != nil {
		return err
	}
	plan := rules.Plan(f)
	for _, id := range plan.Watch {
		if err := c.tx.Exec(`INSERT INTO issue_watchers (issue_id, user_id, watching) VALUES (?, ?, TRUE)
			ON CONFLICT DO NOTHING`, issue.ID, id).Error; err != nil {
			return err
		}
	}
	if len(plan.Notify) == 0 {
		return nil
	}
	ids := make([]string, len(plan.Notify))
	for i, r := range plan.Notify {
		ids[i] = r.UserID
	}
	// Watchers who left the project are told nothing.
	var members []string
	if err := c.tx.Raw(`SELECT user_id FROM members WHERE project_id = ? AND user_id IN ?`, c.project.ID, ids).
		Scan(&members).Error; err != nil {
		return err
	}
	member := make(map[string]bool, len(members))
	for _, id := range members {
		member[id] = true
	}
	now := c.s.now()
	for _, r := range plan.Notify {
		if !member[r.UserID] || r.UserID == c.actor.ID {
			continue
		}
		n, ok, err := insertNotification(c.tx, notificationRow{ID: uuid.Must(uuid.NewV7()).String(), UserID: r.UserID,
			ProjectID: c.project.ID, IssueID: issue.ID, Kind: r.Kind, ActorID: c.actor.ID, ActorName: c.actor.DisplayName,
			CommentID: commentID, CreatedAt: now})
		if err != nil {
			return err
		}
		if ok {
			c.notes = append(c.notes, n)
		}
	}
	return nil
}

// watcherSet is who watches an issue (on) and who chose not to (off).
type watcherSet struct{ on, off []string }

// readWatchers fills f's Watchers and Unwatched from issue_watchers.
func (c *change) readWatchers(issueID string, f *NotifyFacts) error {
	rows, err := c.tx.Raw(`SELECT user_id, watching FROM issue_watchers WHERE issue_id = ?`, issueID).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var on bool
		if err := rows.Scan(&id, &on); err != nil {
			return err
		}
		if on {
			f.Watchers = append(f.Watchers, id)
		} else {
			f.Unwatched = append(f.Unwatched, id)
		}
	}
	return rows.Err()
}
