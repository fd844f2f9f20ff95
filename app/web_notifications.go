package app

import (
	"strings"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// The bell in the header and the notifications page. Without JavaScript
// the bell is a <details> dropdown of the latest notifications with a link
// to the page; static/js/notifications.js keeps its count live from the
// board socket's notification frames.

// bell is the header's part: the unread count and the latest few.
type bell struct {
	Unread int64
	Recent []models.Notification
}

const bellItems = 8

// bellOf reads the bell for a page; a failure leaves the header without
// it rather than failing the page.
func (s *Server) bellOf(c *fiber.Ctx, userID string) *bell {
	page, err := s.store.ListNotifications(c.UserContext(), userID, false, "", bellItems)
	if err != nil {
		s.log.Warn("reading the bell", "request_id", requestID(c), "err", err)
		return nil
	}
	return &bell{Unread: page.UnreadCount, Recent: page.Items}
}

func (s *Server) pageNotifications(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	unread := c.Query("unread") == "true"
	page, err := s.store.ListNotifications(c.UserContext(), user.ID, unread, c.Query("cursor"), 50)
	if err != nil {
		if _, ok := fieldMap(err); ok {
			return s.renderError(c, fiber.StatusNotFound, "", "")
		}
		return err
	}
	return s.render(c, fiber.StatusOK, "notifications", "Notifications", []crumb{{Label: "Notifications"}}, fiber.Map{
		"Items": page.Items, "Next": page.NextCursor, "UnreadOnly": unread, "Unread": page.UnreadCount})
}

// pageReadNotifications marks one (id) or all (all=1) read and goes back.
func (s *Server) pageReadNotifications(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	id := strings.TrimSpace(c.FormValue("id"))
	all := c.FormValue("all") == "1"
	if id == "" && !all {
		return s.back(c, "/notifications", false, "Nothing to mark read.")
	}
	if err := s.markRead(c, user.ID, []string{id}, all); err != nil {
		return err
	}
	msg := "Marked read."
	if all {
		msg = "All marked read."
	}
	return s.back(c, "/notifications", true, msg)
}

// pageAccountEmail sets email_notifications from the account page.
func (s *Server) pageAccountEmail(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	choice := c.FormValue("email_notifications")
	if _, err := s.store.UpdateProfile(c.UserContext(), user.ID, models.ProfilePatch{EmailNotifications: &choice}); err != nil {
		return s.pageError(c, "/settings#notifications", err)
	}
	return s.back(c, "/settings#notifications", true, emailChoiceSaved[choice])
}

var emailChoiceSaved = map[string]string{
	models.EmailOff:     "No notification e-mail will be sent.",
	models.EmailInstant: "Mentions and assignments will be e-mailed within a minute.",
	models.EmailDaily:   "You will get one digest e-mail a day.",
}

// The one-click turn-off link of notification mail. The GET shows a page
// with one button and the POST turns mail off: link scanners and mail
// previews fetch GETs, and must not change anyone's settings. The signed
// token (notify.OffToken) is the whole authority, no sign-in: it can only
// set that person's email_notifications to off. A tampered token: 404.
func (s *Server) pageMailOff(c *fiber.Ctx) error {
	if _, ok := s.mailOff.Verify(c.Query("t")); !ok {
		return s.renderError(c, fiber.StatusNotFound, "", "")
	}
	return s.render(c, fiber.StatusOK, "mail_off", "Stop notification e-mail", nil, fiber.Map{"Token": c.Query("t")})
}

func (s *Server) pageMailOffSubmit(c *fiber.Ctx) error {
	userID, ok := s.mailOff.Verify(c.FormValue("t"))
	if !ok {
		return s.renderError(c, fiber.StatusNotFound, "", "")
	}
	if err := s.store.SetEmailNotifications(c.UserContext(), userID, models.EmailOff); err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "mail_off", "Notification e-mail stopped", nil, fiber.Map{"Done": true})
}

// pageWatchIssue starts (on=1) or stops watching from the issue page.
func (s *Server) pageWatchIssue(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	on := c.FormValue("on") == "1"
	back := "/projects/" + c.Params("pid") + "/issues/" + c.Params("iid")
	if err := s.store.SetWatching(c.UserContext(), user.ID, c.Params("pid"), c.Params("iid"), on); err != nil {
		return err
	}
	if on {
		return s.back(c, back, true, "You are watching this issue: you will be told of comments and column changes.")
	}
	return s.back(c, back, true, "You stopped watching this issue.")
}
