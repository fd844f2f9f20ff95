package app

import (
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// The trash: list (members), restore (editors), purge one or all (owners).

func (s *Server) apiListTrash(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	limit, err := queryLimit(c, 0, 200)
	if err != nil {
		return err
	}
	page, err := s.store.ListTrash(c.UserContext(), user.ID, c.Params("pid"), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(list[models.TrashedIssue]{Items: page.Items, NextCursor: page.NextCursor})
}

func (s *Server) apiRestoreIssue(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	is, ev, err := s.store.RestoreIssue(c.UserContext(), user, c.Params("pid"), c.Params("iid"))
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.JSON(is)
}

// apiPurgeTrash purges the issue :iid, or with no :iid the whole trash.
func (s *Server) apiPurgeTrash(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	ev, err := s.store.PurgeTrash(c.UserContext(), user, c.Params("pid"), c.Params("iid"))
	if err != nil {
		return err
	}
	if ev.Seq > 0 {
		s.announce(ev)
	}
	return c.SendStatus(fiber.StatusNoContent)
}
