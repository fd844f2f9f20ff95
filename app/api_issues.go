package app

import (
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Issues: list, create, read, update, delete and move.

func (s *Server) apiListIssues(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	f := models.IssueFilter{Status: c.Query("status"), AssigneeID: c.Query("assignee"), Query: c.Query("q"),
		Cursor: c.Query("cursor")}
	var err error
	if f.Limit, err = queryLimit(c, 0, 200); err != nil {
		return err
	}
	page, err := s.store.ListIssues(c.UserContext(), user.ID, c.Params("pid"), f)
	if err != nil {
		return err
	}
	return c.JSON(list[models.Issue]{Items: page.Items, NextCursor: page.NextCursor})
}

func (s *Server) apiCreateIssue(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req models.IssueInput
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	is, ev, err := s.store.CreateIssue(c.UserContext(), user, c.Params("pid"), req)
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.Status(fiber.StatusCreated).JSON(is)
}

// issueForCaller is one issue as its reader sees it: whether they watch it.
type issueForCaller struct {
	models.Issue
	Watching bool `json:"watching"`
}

func (s *Server) apiGetIssue(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	is, err := s.store.GetIssue(c.UserContext(), user.ID, c.Params("pid"), c.Params("iid"))
	if err != nil {
		return err
	}
	watching, err := s.store.Watching(c.UserContext(), user.ID, is.ID)
	if err != nil {
		return err
	}
	return c.JSON(issueForCaller{Issue: is, Watching: watching})
}

func (s *Server) apiUpdateIssue(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req models.IssuePatch
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	is, ev, err := s.store.UpdateIssue(c.UserContext(), user, c.Params("pid"), c.Params("iid"), req)
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.JSON(is)
}

func (s *Server) apiDeleteIssue(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	ev, err := s.store.DeleteIssue(c.UserContext(), user, c.Params("pid"), c.Params("iid"))
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiMoveIssue(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req models.MoveInput
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	_, ev, err := s.store.MoveIssue(c.UserContext(), user, c.Params("pid"), c.Params("iid"), req)
	if err != nil {
		return err
	}
	s.announce(ev)
	// The event's data is the issue after the move, encoded once already.
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(ev.Data)
}
