package app

import (
	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Handlers of /api/v1 (one file per resource): decode, validate, one call
// into the store, one response. Changes are announced to live viewers after
// they commit (api_events.go).
//
// This file: projects, their members and their columns.

// --- projects ---

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
	if err := planningInvalid(planning.Settings{EstimateScale: req.EstimateScale, UnestimatedEffort: req.UnestimatedEffort,
		Timezone: req.Timezone, CapacityPolicy: req.CapacityPolicy}.Check()); err != nil {
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

// updateMemberRequest changes a role and/or a capacity (points per
// cycle; null: not set).
type updateMemberRequest struct {
	Role     *models.Role         `json:"role"`
	Capacity models.Optional[int] `json:"capacity"`
}

func (s *Server) apiUpdateMember(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req updateMemberRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Role == nil && !req.Capacity.Set {
		return fieldErrors(models.FieldError{Field: "role", Message: "send role and/or capacity"})
	}
	m, ev, err := s.store.PatchMember(c.UserContext(), user, c.Params("pid"), c.Params("uid"),
		models.MemberPatch{Role: req.Role, Capacity: req.Capacity})
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
