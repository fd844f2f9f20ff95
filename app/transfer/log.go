package transfer

import (
	"sort"
	"time"

	"github.com/corkboard/corkboard/models"
)

// sequence numbers the events an import writes: each issue's
// issue.created, at the time the file says it was created, and each
// comment's comment.created, at its own time (never before its issue's).
// A time after now is now. The events are numbered 1, 2, … in time order
// over the whole import, so the log reads as one written by hand: its seq
// and its times go up together (the cycle report's replay relies on it),
// and an issue's history starts when the issue did.
func sequence(issues []models.ImportIssue, now time.Time) {
	type ref struct {
		at      time.Time
		issue   int
		comment int // -1: the issue's creation
	}
	refs := make([]ref, 0, len(issues))
	for i := range issues {
		is := &issues[i]
		is.EventAt = earliest(is.CreatedAt, now)
		refs = append(refs, ref{at: is.EventAt, issue: i, comment: -1})
		for j := range is.Comments {
			c := &is.Comments[j]
			c.EventAt = earliest(c.CreatedAt, now)
			if c.EventAt.Before(is.EventAt) {
				c.EventAt = is.EventAt
			}
			refs = append(refs, ref{at: c.EventAt, issue: i, comment: j})
		}
	}
	// Stable: at equal times an issue's creation stays before its
	// comments, and the comments in their order.
	sort.SliceStable(refs, func(a, b int) bool { return refs[a].at.Before(refs[b].at) })
	for n, r := range refs {
		if r.comment < 0 {
			issues[r.issue].Seq = int64(n + 1)
		} else {
			issues[r.issue].Comments[r.comment].Seq = int64(n + 1)
		}
	}
}

func earliest(t, now time.Time) time.Time {
	if t.IsZero() || t.After(now) {
		return now
	}
	return t.UTC()
}
