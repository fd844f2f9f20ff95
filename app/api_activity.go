package app

import (
	"context"
	"time"

	"github.com/corkboard/corkboard/app/activity"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// An issue's activity: its events told in words (app/activity), oldest
// first like its comments, so a page reads as the issue's story.

type activityEntry struct {
	Seq     int64             `json:"seq"`
	Type    string            `json:"type"`
	Actor   models.Actor      `json:"actor"`
	At      time.Time         `json:"at"`
	Changes []activity.Change `json:"changes"`
	Text    string            `json:"text"`
}

func (s *Server) apiIssueActivity(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	limit, err := queryLimit(c, 0, 200)
	if err != nil {
		return err
	}
	entries, _, next, err := s.issueActivity(c.UserContext(), user.ID, c.Params("pid"), c.Params("iid"), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	items := make([]activityEntry, len(entries))
	for i, e := range entries {
		items[i] = activityEntry{Seq: e.Seq, Type: e.Type, Actor: models.Actor{ID: e.ActorID, Name: e.ActorName},
			At: e.At.UTC(), Changes: e.Changes, Text: e.Text}
	}
	return c.JSON(list[activityEntry]{Items: items, NextCursor: next})
}

// issueActivity reads a page of the issue's events and the names they
// need, and tells them; the API and the issue page share it.
func (s *Server) issueActivity(ctx context.Context, userID, projectID, issueID, cursor string, limit int) ([]activity.Entry, models.Issue, string, error) {
	h, err := s.store.IssueEvents(ctx, userID, projectID, issueID, cursor, limit)
	if err != nil {
		return nil, models.Issue{}, "", err
	}
	events := make([]activity.Event, len(h.Items))
	for i, ev := range h.Items {
		events[i] = activity.Event{Seq: ev.Seq, Type: ev.Type, ActorID: ev.Actor.ID, ActorName: ev.Actor.Name, At: ev.At, Data: ev.Data}
	}
	people, err := s.store.UserNames(ctx, activity.People(h.Before, events))
	if err != nil {
		return nil, models.Issue{}, "", err
	}
	names := activity.Names{Columns: h.Columns, People: people, Cycles: h.Cycles}
	return activity.Build(h.Issue.Key, h.Before, events, names), h.Issue, h.NextCursor, nil
}
