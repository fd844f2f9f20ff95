package app

import (
	"context"
	"encoding/json"
	"time"

	"github.com/corkboard/corkboard/models"
	"github.com/corkboard/corkboard/realtime"
	"github.com/gofiber/fiber/v2"
)

// Notifications: the caller's list and marking them read; watching an
// issue. The rules (who is told what) are app/notify's; the store writes
// the notifications in the transaction of the change that causes them.

type notificationList struct {
	Items       []models.Notification `json:"items"`
	NextCursor  string                `json:"next_cursor"`
	UnreadCount int64                 `json:"unread_count"`
}

func (s *Server) apiListNotifications(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	limit, err := queryLimit(c, 0, 100)
	if err != nil {
		return err
	}
	var unread bool
	switch c.Query("unread") {
	case "", "false":
	case "true":
		unread = true
	default:
		return fieldErrors(models.FieldError{Field: "unread", Message: "must be true or false"})
	}
	page, err := s.store.ListNotifications(c.UserContext(), user.ID, unread, c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(notificationList{Items: page.Items, NextCursor: page.NextCursor, UnreadCount: page.UnreadCount})
}

// readRequest marks some notifications read, or all of them.
type readRequest struct {
	IDs []string `json:"ids"`
	All bool     `json:"all"`
}

const maxReadIDs = 500

// apiReadNotifications answers 204 for ids that are not the caller's
// unread notifications too: marking read is idempotent (a retry, or a
// second tab, is not an error), and someone else's id must look exactly
// like an unknown one.
func (s *Server) apiReadNotifications(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req readRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	switch {
	case req.All && len(req.IDs) > 0:
		return fieldErrors(models.FieldError{Field: "ids", Message: "send ids or all, not both"})
	case !req.All && len(req.IDs) == 0:
		return fieldErrors(models.FieldError{Field: "ids", Message: "is required (or all: true)"})
	case len(req.IDs) > maxReadIDs:
		return fieldErrors(models.FieldError{Field: "ids", Message: "at most 500 at a time"})
	}
	if err := s.markRead(c, user.ID, req.IDs, req.All); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiWatch(c *fiber.Ctx) error   { return s.setWatching(c, true) }
func (s *Server) apiUnwatch(c *fiber.Ctx) error { return s.setWatching(c, false) }

func (s *Server) setWatching(c *fiber.Ctx, on bool) error {
	user, _ := currentUser(c)
	if err := s.store.SetWatching(c.UserContext(), user.ID, c.Params("pid"), c.Params("iid"), on); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// notificationFrame is the live frame of one notification (no seq: it is
// not in a project's log).
type notificationFrame struct {
	Type string              `json:"type"`
	Data models.Notification `json:"data"`
}

// readFrame tells the user's other tabs that notifications were marked
// read: ids (or all), and the unread count after, which they show as is.
type readFrame struct {
	Type string `json:"type"`
	Data struct {
		IDs         []string `json:"ids,omitempty"`
		All         bool     `json:"all,omitempty"`
		UnreadCount int64    `json:"unread_count"`
	} `json:"data"`
}

// typeNotificationRead is readFrame's type (README "Live board").
const typeNotificationRead = "notification.read"

// markRead marks userID's notifications read (the API and the pages) and,
// when that changed something, sends the read frame to every open socket
// of the user, on every instance, so each tab's bell drops too.
func (s *Server) markRead(c *fiber.Ctx, userID string, ids []string, all bool) error {
	n, err := s.store.MarkNotificationsRead(c.UserContext(), userID, ids, all)
	if err != nil || n == 0 || s.hub == nil {
		return err
	}
	f := readFrame{Type: typeNotificationRead}
	f.Data.All = all
	if !all {
		f.Data.IDs = ids // encoded below, before the handler returns
	}
	if f.Data.UnreadCount, err = s.store.UnreadCount(c.UserContext(), userID); err != nil {
		s.log.Warn("unread count after marking read", "request_id", requestID(c), "err", err)
		return nil // marked: only the other tabs' count waits for their next refresh
	}
	frame, err := json.Marshal(f)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s.hub.NotifyUser(ctx, userID, frame)
	return nil
}

// notified sends each new notification to every open socket of its
// recipient, on every instance (the store calls it after the change
// committed).
func (s *Server) notified(notes []models.Notification) {
	if s.hub == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, n := range notes {
		frame, err := json.Marshal(notificationFrame{Type: realtime.TypeNotification, Data: n})
		if err != nil {
			s.log.Error("encode notification", "err", err)
			continue
		}
		s.hub.NotifyUser(ctx, n.UserID, frame)
	}
}
