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
	var req cycleRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	cy, err := s.createCycle(c, models.CycleInput(req))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(cy)
}

func (s *Server) apiScheduleCycles(c *fiber.Ctx) error {
	var req scheduleRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	cs, err := s.scheduleCycles(c, planning.Schedule(req))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(list[models.Cycle]{Items: cs})
}

// createCycle checks a cycle's period and creates it (the API and the
// cycles page both come here).
func (s *Server) createCycle(c *fiber.Ctx, in models.CycleInput) (models.Cycle, error) {
	if err := planningInvalid(planning.Period{StartsOn: in.StartsOn, EndsOn: in.EndsOn}.Check()); err != nil {
		return models.Cycle{}, err
	}
	cs, err := s.saveCycles(c, []models.CycleInput{in})
	if err != nil {
		return models.Cycle{}, err
	}
	return cs[0], nil
}

// scheduleCycles checks a schedule and creates its cycles, all or none.
func (s *Server) scheduleCycles(c *fiber.Ctx, sched planning.Schedule) ([]models.Cycle, error) {
	if err := planningInvalid(sched.Check()); err != nil {
		return nil, err
	}
	var ins []models.CycleInput
	for _, p := range sched.Periods() {
		ins = append(ins, models.CycleInput{StartsOn: p.StartsOn, EndsOn: p.EndsOn})
	}
	return s.saveCycles(c, ins)
}

func (s *Server) saveCycles(c *fiber.Ctx, ins []models.CycleInput) ([]models.Cycle, error) {
	user, _ := currentUser(c)
	cs, ev, err := s.store.CreateCycles(c.UserContext(), user, c.Params("pid"), ins)
	if err != nil {
		return nil, err
	}
	s.announce(ev)
	return cs, nil
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
	out, err := s.updateCycle(c, cy.ID, in)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// updateCycle checks the cycle's new period and saves the whole of in.
func (s *Server) updateCycle(c *fiber.Ctx, cycleID string, in models.CycleInput) (models.Cycle, error) {
	if err := planningInvalid(planning.Period{StartsOn: in.StartsOn, EndsOn: in.EndsOn}.Check()); err != nil {
		return models.Cycle{}, err
	}
	user, _ := currentUser(c)
	out, ev, err := s.store.UpdateCycle(c.UserContext(), user, c.Params("pid"), cycleID, in)
	if err != nil {
		return models.Cycle{}, err
	}
	s.announce(ev)
	return out, nil
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
