package app

import (
	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Cycles and capacities (README "Planning"). The date rules are
// app/planning's and are checked here, before the store; the store checks
// what must hold under concurrent changes (no overlap, loads) in the change.

type cycleRequest struct {
	StartsOn string `json:"starts_on"`
	EndsOn   string `json:"ends_on"`
	Name     string `json:"name"`
	Goal     string `json:"goal"`
}

type cyclePatch struct {
	StartsOn *string `json:"starts_on"`
	EndsOn   *string `json:"ends_on"`
	Name     *string `json:"name"`
	Goal     *string `json:"goal"`
}

type scheduleRequest struct {
	StartsOn     string `json:"starts_on"`
	LengthDays   int    `json:"length_days"`
	CooldownDays int    `json:"cooldown_days"`
	Count        int    `json:"count"`
}

type capacityRequest struct {
	Points models.Optional[int] `json:"points"`
}

// planningInvalid is the planning rules' field errors as a 422 (nil when
// there are none).
func planningInvalid(errs []planning.FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	fields := make([]models.FieldError, len(errs))
	for i, e := range errs {
		fields[i] = models.FieldError{Field: e.Field, Message: e.Message}
	}
	return fieldErrors(fields...)
}

func (s *Server) apiListCycles(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	limit, err := queryLimit(c, 0, 200)
	if err != nil {
		return err
	}
	page, err := s.store.ListCycles(c.UserContext(), user.ID, c.Params("pid"), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(list[models.Cycle]{Items: page.Items, NextCursor: page.NextCursor})
}

func (s *Server) apiCreateCycle(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req cycleRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := planningInvalid(planning.Period{StartsOn: req.StartsOn, EndsOn: req.EndsOn}.Check()); err != nil {
		return err
	}
	cs, ev, err := s.store.CreateCycles(c.UserContext(), user, c.Params("pid"), []models.CycleInput{models.CycleInput(req)})
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.Status(fiber.StatusCreated).JSON(cs[0])
}

func (s *Server) apiScheduleCycles(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req scheduleRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	sched := planning.Schedule(req)
	if err := planningInvalid(sched.Check()); err != nil {
		return err
	}
	var ins []models.CycleInput
	for _, p := range sched.Periods() {
		ins = append(ins, models.CycleInput{StartsOn: p.StartsOn, EndsOn: p.EndsOn})
	}
	cs, ev, err := s.store.CreateCycles(c.UserContext(), user, c.Params("pid"), ins)
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.Status(fiber.StatusCreated).JSON(list[models.Cycle]{Items: cs})
}

func (s *Server) apiGetCycle(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	cy, err := s.store.GetCycle(c.UserContext(), user.ID, c.Params("pid"), c.Params("cid"))
	if err != nil {
		return err
	}
	return c.JSON(cy)
}

// apiUpdateCycle merges the patch into the cycle as read and hands the
// store the whole result, checked: a concurrent edit can then only be
// overwritten, never combined into dates nobody checked.
func (s *Server) apiUpdateCycle(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req cyclePatch
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	cy, err := s.store.GetCycle(c.UserContext(), user.ID, c.Params("pid"), c.Params("cid"))
	if err != nil {
		return err
	}
	in := models.CycleInput{StartsOn: cy.StartsOn, EndsOn: cy.EndsOn, Name: cy.Name, Goal: cy.Goal}
	for dst, v := range map[*string]*string{&in.StartsOn: req.StartsOn, &in.EndsOn: req.EndsOn, &in.Name: req.Name, &in.Goal: req.Goal} {
		if v != nil {
			*dst = *v
		}
	}
	if err := planningInvalid(planning.Period{StartsOn: in.StartsOn, EndsOn: in.EndsOn}.Check()); err != nil {
		return err
	}
	out, ev, err := s.store.UpdateCycle(c.UserContext(), user, c.Params("pid"), cy.ID, in)
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.JSON(out)
}

func (s *Server) apiDeleteCycle(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	ev, err := s.store.DeleteCycle(c.UserContext(), user, c.Params("pid"), c.Params("cid"))
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiSetCycleCapacity(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req capacityRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if !req.Points.Set {
		return fieldErrors(models.FieldError{Field: "points", Message: "is required: a number of points, or null to remove the override"})
	}
	out, ev, err := s.store.SetCycleCapacity(c.UserContext(), user, c.Params("pid"), c.Params("cid"), c.Params("uid"), req.Points.Value)
	if err != nil {
		return err
	}
	s.announce(ev)
	return c.JSON(out)
}

// apiCycleReport is a cycle's burn-up, load and health, computed from the
// project's event log (app/planning/cyclereport; 410 once the log's start
// was pruned and this instance had not read it before).
func (s *Server) apiCycleReport(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	r, err := s.reports.Report(c.UserContext(), user.ID, c.Params("pid"), c.Params("cid"))
	if err != nil {
		return err
	}
	return c.JSON(r)
}
