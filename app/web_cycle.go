package app

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/app/planning/cyclereport"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// The cycles pages: the list of a project's cycles with the owner's forms
// to create one or schedule several, and a cycle's page (burn-up, load
// against capacity, health) with the owner's forms to edit it, delete it
// and set capacities for it. static/js/cycle.js keeps the cycle page live.

func cyclesPath(pid string) string     { return "/projects/" + pid + "/cycles" }
func cyclePath(pid, cid string) string { return cyclesPath(pid) + "/" + cid }
func (s *Server) pageCycles(c *fiber.Ctx) error {
	return s.renderCycles(c, fiber.StatusOK, "", nil, nil)
}

// renderCycles draws the cycles list; form ("create" or "schedule") is the
// refused form, which keeps the user's input and shows its errors.
func (s *Server) renderCycles(c *fiber.Ctx, status int, form string, values fiber.Map, errs map[string]string) error {
	user, _ := currentUser(c)
	p, err := s.store.GetProject(c.UserContext(), user.ID, c.Params("pid"))
	if err != nil {
		return err
	}
	page, err := s.store.ListCycles(c.UserContext(), user.ID, p.ID, c.Query("cursor"), 200)
	if _, bad := fieldMap(err); bad { // a mangled cursor in the address: the first page
		page, err = s.store.ListCycles(c.UserContext(), user.ID, p.ID, "", 200)
	}
	if err != nil {
		return err
	}
	forms := map[string]fiber.Map{
		"create":   {"starts_on": "", "ends_on": "", "name": "", "goal": ""},
		"schedule": {"starts_on": "", "length_days": "14", "cooldown_days": "0", "count": "4"},
	}
	allErrs := map[string]map[string]string{}
	if form != "" {
		forms[form], allErrs[form] = values, formErrors(errs, values)
	}
	return s.render(c, status, "cycles", p.Name+" cycles",
		[]crumb{{"Projects", "/projects"}, {p.Name, "/projects/" + p.ID}, {"Cycles", ""}},
		fiber.Map{"Project": p, "Cycles": page.Items, "Next": page.NextCursor, "Forms": forms, "Errors": allErrs})
}

// cyclesRefused re-renders a refused form with its field errors (422), or
// hands any other error to pageError (a role problem is a flash).
func (s *Server) cyclesRefused(c *fiber.Ctx, form string, values fiber.Map, err error) error {
	if fields, ok := fieldMap(err); ok {
		return s.renderCycles(c, fiber.StatusUnprocessableEntity, form, values, fields)
	}
	return s.pageError(c, cyclesPath(c.Params("pid")), err)
}

// formValues reads the named fields of a posted form (textareas with LF).
func formValues(c *fiber.Ctx, fields ...string) fiber.Map {
	out := fiber.Map{}
	for _, f := range fields {
		out[f] = textareaValue(c, f)
	}
	return out
}

// addChecks adds the rules' errors on fields that have none yet (a field
// that did not parse is not checked further).
func addChecks(v *models.ValidationError, errs []planning.FieldError) {
	for _, e := range errs {
		if !slices.ContainsFunc(v.Fields, func(f models.FieldError) bool { return f.Field == e.Field }) {
			v.Add(e.Field, e.Message)
		}
	}
}

// formInt reads a whole number from values[field], noting a field error.
func formInt(v *models.ValidationError, values fiber.Map, field string) int {
	n, err := strconv.Atoi(strings.TrimSpace(values[field].(string)))
	if err != nil {
		v.Add(field, "must be a whole number")
	}
	return n
}

func (s *Server) pageCreateCycle(c *fiber.Ctx) error {
	values := formValues(c, "starts_on", "ends_on", "name", "goal")
	str := func(k string) string { return values[k].(string) }
	cy, err := s.createCycle(c, models.CycleInput{StartsOn: strings.TrimSpace(str("starts_on")),
		EndsOn: strings.TrimSpace(str("ends_on")), Name: str("name"), Goal: str("goal")})
	if err != nil {
		return s.cyclesRefused(c, "create", values, err)
	}
	return s.back(c, cyclePath(cy.ProjectID, cy.ID), true, cy.Name+" created.")
}

func (s *Server) pageScheduleCycles(c *fiber.Ctx) error {
	values := formValues(c, "starts_on", "length_days", "cooldown_days", "count")
	v := &models.ValidationError{}
	sched := planning.Schedule{StartsOn: strings.TrimSpace(values["starts_on"].(string)), LengthDays: formInt(v, values, "length_days"),
		CooldownDays: formInt(v, values, "cooldown_days"), Count: formInt(v, values, "count")}
	addChecks(v, sched.Check())
	err := v.Err()
	var cs []models.Cycle
	if err == nil {
		cs, err = s.scheduleCycles(c, sched)
	}
	if err != nil {
		return s.cyclesRefused(c, "schedule", values, err)
	}
	return s.back(c, cyclesPath(c.Params("pid")), true, strconv.Itoa(len(cs))+" cycles scheduled.")
}

func (s *Server) pageCycle(c *fiber.Ctx) error { return s.renderCycle(c, fiber.StatusOK, "", nil, nil) }

// renderCycle draws a cycle's page from its report; form is the refused
// owner form ("cycle" or "capacity:<uid>"), shown with the user's input.
func (s *Server) renderCycle(c *fiber.Ctx, status int, form string, values fiber.Map, errs map[string]string) error {
	user, _ := currentUser(c)
	ctx, pid, cid := c.UserContext(), c.Params("pid"), c.Params("cid")
	p, err := s.store.GetProject(ctx, user.ID, pid)
	if err != nil {
		return err
	}
	data := fiber.Map{"Project": p}
	r, err := s.reports.Report(ctx, user.ID, pid, cid)
	switch {
	case errors.Is(err, cyclereport.ErrHistoryPruned):
		if r.Cycle, err = s.store.GetCycle(ctx, user.ID, pid, cid); err != nil {
			return err
		}
		data["Pruned"] = true
	case err != nil:
		return err
	default:
		data["Report"], data["Chart"], data["Bars"] = r, burnupChart(r), reportBars(r)
		data["HealthBadge"] = healthBadge(r.Health.Status)
	}
	cy := r.Cycle
	data["Cycle"] = cy
	data["DaysTotal"] = planning.Period{StartsOn: cy.StartsOn, EndsOn: cy.EndsOn}.Days()
	forms := map[string]fiber.Map{"cycle": {"name": cy.Name, "goal": cy.Goal, "starts_on": cy.StartsOn, "ends_on": cy.EndsOn}}
	if p.Role == models.RoleOwner {
		members, err := s.store.ListMembers(ctx, user.ID, pid)
		if err != nil {
			return err
		}
		if err := s.capacityForms(c, user.ID, cy.ID, members, forms); err != nil {
			return err
		}
		data["Members"] = members
	}
	allErrs := map[string]map[string]string{}
	if form != "" {
		forms[form], allErrs[form] = values, formErrors(errs, values)
	}
	data["Forms"], data["Errors"] = forms, allErrs
	return s.render(c, status, "cycle", cy.Name+" · "+p.Name,
		[]crumb{{"Projects", "/projects"}, {p.Name, "/projects/" + p.ID}, {"Cycles", cyclesPath(p.ID)}, {cy.Name, ""}}, data)
}

// capacityForms fills the owner's per-member capacity forms with the
// cycle's overrides ("" where the member's own capacity applies).
func (s *Server) capacityForms(c *fiber.Ctx, userID, cycleID string, members []models.Member, forms map[string]fiber.Map) error {
	caps, err := s.store.CycleCapacities(c.UserContext(), userID, c.Params("pid"), cycleID)
	if err != nil {
		return err
	}
	for _, m := range members {
		forms["capacity:"+m.UserID] = fiber.Map{"points": ""}
	}
	for _, cp := range caps {
		if cp.Points != nil {
			forms["capacity:"+cp.UserID] = fiber.Map{"points": strconv.Itoa(*cp.Points)}
		}
	}
	return nil
}

// cycleRefused is cyclesRefused for the cycle page's forms.
func (s *Server) cycleRefused(c *fiber.Ctx, form string, values fiber.Map, err error) error {
	if fields, ok := fieldMap(err); ok {
		return s.renderCycle(c, fiber.StatusUnprocessableEntity, form, values, fields)
	}
	return s.pageError(c, cyclePath(c.Params("pid"), c.Params("cid")), err)
}

func (s *Server) pageUpdateCycle(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	cy, err := s.store.GetCycle(c.UserContext(), user.ID, c.Params("pid"), c.Params("cid"))
	if err != nil {
		return err
	}
	values := formValues(c, "name", "goal", "starts_on", "ends_on")
	str := func(k string) string { return values[k].(string) }
	out, err := s.updateCycle(c, cy.ID, models.CycleInput{StartsOn: strings.TrimSpace(str("starts_on")),
		EndsOn: strings.TrimSpace(str("ends_on")), Name: str("name"), Goal: str("goal")})
	if err != nil {
		return s.cycleRefused(c, "cycle", values, err)
	}
	return s.back(c, cyclePath(cy.ProjectID, cy.ID), true, out.Name+" saved.")
}

func (s *Server) pageDeleteCycle(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	pid := c.Params("pid")
	ev, err := s.store.DeleteCycle(c.UserContext(), user, pid, c.Params("cid"))
	if err != nil {
		return s.pageError(c, cyclePath(pid, c.Params("cid")), err)
	}
	s.announce(ev)
	return s.back(c, cyclesPath(pid), true, "Cycle deleted: its issues are in no cycle now.")
}

// pageSetCycleCapacity sets (or, left empty, removes) a member's capacity
// for this cycle.
func (s *Server) pageSetCycleCapacity(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	uid := c.Params("uid")
	values := formValues(c, "points")
	var points *int
	var err error
	if raw := strings.TrimSpace(values["points"].(string)); raw != "" {
		v := &models.ValidationError{}
		n := formInt(v, values, "points")
		points, err = &n, v.Err()
	}
	var ev models.Event
	if err == nil {
		_, ev, err = s.store.SetCycleCapacity(c.UserContext(), user, c.Params("pid"), c.Params("cid"), uid, points)
	}
	if err != nil {
		return s.cycleRefused(c, "capacity:"+uid, values, err)
	}
	s.announce(ev)
	return s.back(c, cyclePath(c.Params("pid"), c.Params("cid")), true, "Capacity saved.")
}
