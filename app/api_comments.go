package app

import (
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Comments on an issue: list, post, edit (its author) and delete (its
// author or an owner).

type commentRequest struct {
	Body string `json:"body"`
}

func (s *Server) apiListComments(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	limit, err := queryLimit(c, 0, 200)
	if err != nil {
		return err
	}
	page, err := s.store.ListComments(c.UserContext(), user.ID, c.Params("pid"), c.Params("iid"), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(list[models.Comment]{Items: page.Items, NextCursor: page.NextCursor})
}

func (s *Server) apiCreateComment(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req commentRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	cm, ev, err := s.store.CreateComment(c.UserContext(), user, c.Params("pid"), c.Params("iid"), req.Body)
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.Status(fiber.StatusCreated).JSON(cm)
}

func (s *Server) apiUpdateComment(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req models.CommentPatch
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	cm, ev, err := s.store.UpdateComment(c.UserContext(), user, c.Params("pid"), c.Params("iid"), c.Params("cid"), req)
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.JSON(cm)
}

func (s *Server) apiDeleteComment(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	ev, err := s.store.DeleteComment(c.UserContext(), user, c.Params("pid"), c.Params("iid"), c.Params("cid"))
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.SendStatus(fiber.StatusNoContent)
}
