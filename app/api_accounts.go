package app

import (
	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Sign-up, sign-in, sign-out and the signed-in user (/api/v1/auth).

type registerRequest struct {
	Email       string `json:"email"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
	Handle      string `json:"handle"` // optional: absent or empty derives one from the email
}

func (s *Server) apiRegister(c *fiber.Ctx) error {
	var req registerRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	user, err := s.accounts.Register(c.UserContext(), accounts.Registration{Email: req.Email, Password: req.Password,
		DisplayName: req.DisplayName, Handle: req.Handle})
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
	in, err := s.accounts.Login(c.UserContext(), clientOf(c), req.Email, req.Password)
	if err != nil {
		return err
	}
	if in.PendingToken != "" {
		return c.JSON(pendingLogin{TwoFactorRequired: true, PendingToken: in.PendingToken})
	}
	if err := s.startSession(c, in.User); err != nil {
		return err
	}
	return c.JSON(in.User)
}

// pendingLogin is the login answer of an account with 2FA on: no session
// yet, a token for the second step instead.
type pendingLogin struct {
	TwoFactorRequired bool   `json:"two_factor_required"`
	PendingToken      string `json:"pending_token"`
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

// updateMeRequest changes the profile; absent fields stay. (DESIGN's
// email_notifications joins it with notifications.)
type updateMeRequest struct {
	DisplayName        models.Optional[string] `json:"display_name"`
	Handle             models.Optional[string] `json:"handle"`
	EmailNotifications models.Optional[string] `json:"email_notifications"`
}

func (s *Server) apiUpdateMe(c *fiber.Ctx) error {
	var req updateMeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	v := &models.ValidationError{}
	for _, f := range []struct {
		name string
		o    models.Optional[string]
	}{{"display_name", req.DisplayName}, {"handle", req.Handle}, {"email_notifications", req.EmailNotifications}} {
		if f.o.Set && f.o.Value == nil {
			v.Add(f.name, "may be left out but not null: it cannot be removed")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	user, _ := currentUser(c)
	updated, err := s.accounts.UpdateProfile(c.UserContext(), user, accounts.ProfileChange{
		DisplayName: req.DisplayName.Value, Handle: req.Handle.Value, EmailNotifications: req.EmailNotifications.Value})
	if err != nil {
		return err
	}
	return c.JSON(updated)
}

// --- password reset and unlock ---

type forgotPasswordRequest struct {
	Email string `json:"email"`
}

// forgotPasswordAnswer is the one answer to every reset request.
var forgotPasswordAnswer = fiber.Map{"status": "accepted",
	"detail": "If an account has this email, a link to reset its password is on its way; it works for 15 minutes."}

func (s *Server) apiForgotPassword(c *fiber.Ctx) error {
	var req forgotPasswordRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	s.accounts.RequestReset(clientOf(c), req.Email)
	return c.Status(fiber.StatusAccepted).JSON(forgotPasswordAnswer)
}

type resetPasswordRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

func (s *Server) apiResetPassword(c *fiber.Ctx) error {
	var req resetPasswordRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if _, err := s.resetPassword(c, req.Token, req.Password); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type unlockRequest struct {
	Token string `json:"token"`
}

func (s *Server) apiUnlock(c *fiber.Ctx) error {
	var req unlockRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.accounts.Unlock(c.UserContext(), clientOf(c), req.Token); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
