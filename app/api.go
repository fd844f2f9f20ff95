package app

import (
	"context"
	"encoding/json"

	"github.com/corkboard/corkboard/models"
	"github.com/corkboard/corkboard/realtime"
	"github.com/gofiber/fiber/v2"
)

// Handlers of /api/v1: decode, validate, one call into the store, one
// response. Changes are announced to live viewers after they commit.

// --- accounts ---

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

// --- projects ---

type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func (s *Server) apiListProjects(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	ps, err := s.store.ListProjects(c.UserContext(), user.ID)
	if err != nil {
		return err
	}
	return c.JSON(list[models.Project]{Items: ps})
}

func (s *Server) apiCreateProject(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req models.ProjectInput
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, err := s.store.CreateProject(c.UserContext(), user, req)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(p)
}

func (s *Server) apiGetProject(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	p, err := s.store.GetProject(c.UserContext(), user.ID, c.Params("pid"))
	if err != nil {
		return err
	}
	return c.JSON(p)
}

func (s *Server) apiUpdateProject(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req models.ProjectPatch
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	p, ev, err := s.store.UpdateProject(c.UserContext(), user, c.Params("pid"), req)
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.JSON(p)
}

func (s *Server) apiDeleteProject(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	ev, err := s.store.DeleteProject(c.UserContext(), user, c.Params("pid"))
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.SendStatus(fiber.StatusNoContent)
}

// --- members ---

func (s *Server) apiListMembers(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	ms, err := s.store.ListMembers(c.UserContext(), user.ID, c.Params("pid"))
	if err != nil {
		return err
	}
	return c.JSON(list[models.Member]{Items: ms})
}

type addMemberRequest struct {
	Email string      `json:"email"`
	Role  models.Role `json:"role"`
}

func (s *Server) apiAddMember(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req addMemberRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	m, ev, err := s.store.AddMember(c.UserContext(), user, c.Params("pid"), req.Email, req.Role)
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.Status(fiber.StatusCreated).JSON(m)
}

type updateMemberRequest struct {
	Role models.Role `json:"role"`
}

func (s *Server) apiUpdateMember(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req updateMemberRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	m, ev, err := s.store.UpdateMember(c.UserContext(), user, c.Params("pid"), c.Params("uid"), req.Role)
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.JSON(m)
}

func (s *Server) apiRemoveMember(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	_, ev, err := s.store.RemoveMember(c.UserContext(), user, c.Params("pid"), c.Params("uid"))
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.SendStatus(fiber.StatusNoContent)
}

// --- columns ---

func (s *Server) apiAddColumn(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req models.ColumnInput
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	out, ev, err := s.store.AddColumn(c.UserContext(), user, c.Params("pid"), req)
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.Status(fiber.StatusCreated).JSON(out.Column)
}

func (s *Server) apiUpdateColumn(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req models.ColumnPatch
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	out, ev, err := s.store.UpdateColumn(c.UserContext(), user, c.Params("pid"), c.Params("key"), req)
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.JSON(out.Column)
}

func (s *Server) apiDeleteColumn(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	_, ev, err := s.store.DeleteColumn(c.UserContext(), user, c.Params("pid"), c.Params("key"))
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.SendStatus(fiber.StatusNoContent)
}

type reorderColumnsRequest struct {
	Keys []string `json:"keys"`
}

func (s *Server) apiReorderColumns(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req reorderColumnsRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	out, ev, err := s.store.ReorderColumns(c.UserContext(), user, c.Params("pid"), req.Keys)
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.JSON(list[models.Column]{Items: out.Columns})
}

// --- issues ---

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

func (s *Server) apiGetIssue(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	is, err := s.store.GetIssue(c.UserContext(), user.ID, c.Params("pid"), c.Params("iid"))
	if err != nil {
		return err
	}
	return c.JSON(is)
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

// --- events ---

type eventsResponse struct {
	Items   []models.Event `json:"items"`
	Seq     int64          `json:"seq"`
	HasMore bool           `json:"has_more"`
}

func (s *Server) apiEvents(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	since, err := querySince(c)
	if err != nil {
		return err
	}
	limit, err := queryLimit(c, 500, 1000)
	if err != nil {
		return err
	}
	page, err := s.store.EventsSince(c.UserContext(), user.ID, c.Params("pid"), since, limit)
	if err != nil {
		return err
	}
	return c.JSON(eventsResponse{Items: page.Items, Seq: page.Seq, HasMore: page.HasMore})
}

// announce hands committed events to the hub, encoded once. It runs only
// after the store's transaction has committed, so a rolled-back change is
// never announced. The hub publishes through the broker or, if the broker
// is down, delivers locally (Hub.Publish); either way the change is durable
// and viewers fill gaps from the event log, so nothing is returned.
func (s *Server) announce(events ...models.Event) {
	for _, ev := range events {
		payload, err := encodeEvent(ev)
		if err != nil {
			s.log.Error("encode event", "project_id", ev.ProjectID, "seq", ev.Seq, "err", err)
			continue
		}
		err = s.hub.Publish(context.Background(), ev.ProjectID, realtime.Message{Seq: ev.Seq, Type: ev.Type, Data: payload})
		s.metrics.publishedEvent(err)
	}
}

// encodeEvent is the one encoding of an event, for the broker, the socket
// and the log replay alike.
func encodeEvent(ev models.Event) ([]byte, error) { return json.Marshal(ev) }
