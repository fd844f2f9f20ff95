package app

import (
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Sign-up, sign-in, sign-out and the signed-in user (/api/v1/auth).

type registerRequest struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
}

func (s *Server) apiRegister(c *fiber.Ctx) error {
	var req registerRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	user, err := s.register(c.UserContext(), req.Email, req.Password, req.DisplayName)
	if err != nil {
		return err
	}
	if err := s.startSession(c, user); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(user)
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *Server) apiLogin(c *fiber.Ctx) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	user, err := s.throttledLogin(c, req.Email, req.Password)
	if err != nil {
		return refuseLogin(c, err)
	}
	if done, err := s.secondFactorRequired(c, user); done || err != nil {
		return err
	}
	if err := s.startSession(c, user); err != nil {
		return err
	}
	return c.JSON(user)
}

func (s *Server) apiLogout(c *fiber.Ctx) error {
	if err := s.endSession(c); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// endSession deletes the caller's session row, so its token dies everywhere.
func (s *Server) endSession(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	if sess, ok := currentSession(c); ok {
		if err := s.store.DeleteSession(c.UserContext(), user.ID, sess.ID); err != nil && err != models.ErrNotFound {
			return err
		}
		s.sessionsEnded(sess.ID)
	}
	s.clearSessionCookie(c)
	return nil
}

func (s *Server) apiMe(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	return c.JSON(user)
}
