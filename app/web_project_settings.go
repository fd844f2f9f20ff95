package app

import (
	"slices"
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Project settings pages: the project itself, members and columns. Every
// action posts, redirects back with a flash, and leaves roles to the store.

func (s *Server) settingsPath(c *fiber.Ctx) string {
	return "/projects/" + c.Params("pid") + "/settings"
}

func (s *Server) pageProjectSettings(c *fiber.Ctx) error {
	return s.renderSettings(c, fiber.StatusOK, "", nil, nil)
}

// renderSettings draws the project settings. Every form starts from the
// project as stored, except the refused one (form: "project", "member",
// "column" for a new one, or "column:<key>"), which keeps the user's input
// and shows its errors.
func (s *Server) renderSettings(c *fiber.Ctx, status int, form string, values fiber.Map, errs map[string]string) error {
	user, _ := currentUser(c)
	p, err := s.store.GetProject(c.UserContext(), user.ID, c.Params("pid"))
	if err != nil {
		return err
	}
	members, err := s.store.ListMembers(c.UserContext(), user.ID, p.ID)
	if err != nil {
		return err
	}
	forms := map[string]fiber.Map{
		"project": {"name": p.Name, "key": p.Key, "description": p.Description},
		"member":  {"email": "", "role": string(models.RoleEditor)},
		"column":  {"name": "", "wip_limit": "", "category": models.CategoryTodo},
		"planning": {"estimate_scale": p.EstimateScale, "unestimated_effort": strconv.Itoa(p.UnestimatedEffort),
			"timezone": p.Timezone, "capacity_policy": p.CapacityPolicy},
	}
	for _, col := range p.Columns {
		wip := ""
		if col.WIPLimit != nil {
			wip = strconv.Itoa(*col.WIPLimit)
		}
		forms["column:"+col.Key] = fiber.Map{"name": col.Name, "wip_limit": wip, "category": col.Category}
	}
	for _, m := range members {
		capacity := ""
		if m.Capacity != nil {
			capacity = strconv.Itoa(*m.Capacity)
		}
		forms["member:"+m.UserID] = fiber.Map{"role": string(m.Role), "capacity": capacity}
	}
	allErrs := map[string]map[string]string{}
	if form != "" {
		forms[form], allErrs[form] = values, formErrors(errs, values)
	}
	return s.render(c, status, "project_settings", p.Name+" settings",
		[]crumb{{"Projects", "/projects"}, {p.Name, "/projects/" + p.ID}, {"Settings", ""}},
		fiber.Map{"Project": p, "Members": members, "Me": user.ID, "Forms": forms, "Errors": allErrs,
			"Webhooks": s.webhookSettings(c, p)}) // web_webhooks.go
}

// formErrors keeps the errors of fields the form shows (they appear next
// to them) and gathers the others under "" (shown above the form), e.g. a
// derived column key that collides.
func formErrors(errs map[string]string, values fiber.Map) map[string]string {
	out := map[string]string{}
	var other []string
	for f, msg := range errs {
		if _, shown := values[f]; shown {
			out[f] = msg
		} else {
			other = append(other, humanField(f)+": "+msg+".")
		}
	}
	slices.Sort(other)
	out[""] = strings.Join(other, " ")
	return out
}

// settingsRefused re-renders the settings with a form's field errors (422),
// or hands any other error to pageError.
func (s *Server) settingsRefused(c *fiber.Ctx, form string, values fiber.Map, err error) error {
	if fields, ok := fieldMap(err); ok {
		return s.renderSettings(c, fiber.StatusUnprocessableEntity, form, values, fields)
	}
	return s.pageError(c, s.settingsPath(c), err)
}

func (s *Server) pageUpdateProject(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	name, desc, key := c.FormValue("name"), textareaValue(c, "description"), c.FormValue("key")
	_, ev, err := s.store.UpdateProject(c.UserContext(), user, c.Params("pid"), models.ProjectPatch{Name: &name, Description: &desc, Key: &key})
	if err != nil {
		return s.settingsRefused(c, "project", fiber.Map{"name": name, "key": key, "description": desc}, err)
	}
	s.announce(ev)
	return s.back(c, s.settingsPath(c), true, "Project saved.")
}

func (s *Server) pageDeleteProject(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	p, err := s.store.GetProject(c.UserContext(), user.ID, c.Params("pid"))
	if err != nil {
		return err
	}
	if strings.TrimSpace(strings.ToUpper(c.FormValue("confirm"))) != p.Key {
		return s.back(c, s.settingsPath(c), false, "Type the project key "+p.Key+" to confirm the deletion.")
	}
	ev, err := s.store.DeleteProject(c.UserContext(), user, p.ID)
	if err != nil {
		return s.pageError(c, s.settingsPath(c), err)
	}
	s.announce(ev)
	return s.back(c, "/projects", true, "Project "+p.Name+" deleted.")
}

func (s *Server) pageAddMember(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	email, role := c.FormValue("email"), c.FormValue("role")
	m, ev, err := s.store.AddMember(c.UserContext(), user, c.Params("pid"), email, models.Role(role))
	if isConflict(err) {
		err = fieldErrors(models.FieldError{Field: "email", Message: "is already a member of this project"})
	}
	if err != nil {
		return s.settingsRefused(c, "member", fiber.Map{"email": email, "role": role}, err)
	}
	s.announce(ev)
	return s.back(c, s.settingsPath(c), true, m.DisplayName+" added as "+string(m.Role)+".")
}

// pageUpdateMember sets a member's role and, when the form has the field,
// their capacity (points per cycle; empty: none), in one change.
func (s *Server) pageUpdateMember(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	uid := c.Params("uid")
	role := models.Role(c.FormValue("role"))
	values := fiber.Map{"role": string(role), "capacity": c.FormValue("capacity")}
	patch := models.MemberPatch{Role: &role}
	var err error
	if c.Request().PostArgs().Has("capacity") {
		patch.Capacity.Set = true
		if raw := strings.TrimSpace(c.FormValue("capacity")); raw != "" {
			v := &models.ValidationError{}
			n := formInt(v, values, "capacity")
			patch.Capacity.Value, err = &n, v.Err()
		}
	}
	var m models.Member
	var ev models.Event
	if err == nil {
		m, ev, err = s.store.PatchMember(c.UserContext(), user, c.Params("pid"), uid, patch)
	}
	if err != nil {
		return s.settingsRefused(c, "member:"+uid, values, err)
	}
	s.announce(ev)
	return s.back(c, s.settingsPath(c), true, m.DisplayName+" saved: "+string(m.Role)+", "+capacityText(m.Capacity)+".")
}

func capacityText(p *int) string {
	if p == nil {
		return "no capacity set"
	}
	return "capacity " + strconv.Itoa(*p) + " points per cycle"
}

// pageUpdatePlanning saves the project's planning settings (all four, as
// the form sends them), checked by app/planning's rules first.
func (s *Server) pageUpdatePlanning(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	values := formValues(c, "estimate_scale", "unestimated_effort", "timezone", "capacity_policy")
	str := func(k string) *string { v := strings.TrimSpace(values[k].(string)); return &v }
	v := &models.ValidationError{}
	unestimated := formInt(v, values, "unestimated_effort")
	settings := planning.Settings{EstimateScale: str("estimate_scale"), UnestimatedEffort: &unestimated,
		Timezone: str("timezone"), CapacityPolicy: str("capacity_policy")}
	addChecks(v, settings.Check())
	err := v.Err()
	var ev models.Event
	if err == nil {
		_, ev, err = s.store.UpdateProject(c.UserContext(), user, c.Params("pid"), models.ProjectPatch{
			EstimateScale: settings.EstimateScale, UnestimatedEffort: settings.UnestimatedEffort,
			Timezone: settings.Timezone, CapacityPolicy: settings.CapacityPolicy})
	}
	if err != nil {
		return s.settingsRefused(c, "planning", values, err)
	}
	s.announce(ev)
	return s.back(c, s.settingsPath(c), true, "Planning settings saved.")
}

func (s *Server) pageRemoveMember(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	m, ev, err := s.store.RemoveMember(c.UserContext(), user, c.Params("pid"), c.Params("uid"))
	if err != nil {
		return s.pageError(c, s.settingsPath(c), err)
	}
	s.announce(ev)
	if m.UserID == user.ID {
		return s.back(c, "/projects", true, "You left the project.")
	}
	return s.back(c, s.settingsPath(c), true, m.DisplayName+" removed.")
}

// wipFromForm reads an optional WIP limit ("" = none).
func wipFromForm(v string) (*int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, fieldErrors(models.FieldError{Field: "wip_limit", Message: "must be a whole number"})
	}
	return &n, nil
}

func (s *Server) pageAddColumn(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	name, wipRaw, category := c.FormValue("name"), c.FormValue("wip_limit"), c.FormValue("category")
	values := fiber.Map{"name": name, "wip_limit": wipRaw, "category": category}
	wip, err := wipFromForm(wipRaw)
	if err != nil {
		return s.settingsRefused(c, "column", values, err)
	}
	out, ev, err := s.store.AddColumn(c.UserContext(), user, c.Params("pid"),
		models.ColumnInput{Name: name, Key: c.FormValue("key"), WIPLimit: wip, Category: category})
	if err != nil {
		return s.settingsRefused(c, "column", values, err)
	}
	s.announce(ev)
	return s.back(c, s.settingsPath(c), true, "Column "+out.Column.Name+" added.")
}

func (s *Server) pageUpdateColumn(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	name, wipRaw, category := c.FormValue("name"), c.FormValue("wip_limit"), c.FormValue("category")
	form, values := "column:"+c.Params("key"), fiber.Map{"name": name, "wip_limit": wipRaw, "category": category}
	wip, err := wipFromForm(wipRaw)
	if err != nil {
		return s.settingsRefused(c, form, values, err)
	}
	patch := models.ColumnPatch{Name: &name, WIPLimit: models.Optional[int]{Set: true, Value: wip}}
	if category != "" { // a form from before categories keeps the column's
		patch.Category = &category
	}
	_, ev, err := s.store.UpdateColumn(c.UserContext(), user, c.Params("pid"), c.Params("key"), patch)
	if err != nil {
		return s.settingsRefused(c, form, values, err)
	}
	s.announce(ev)
	return s.back(c, s.settingsPath(c), true, "Column saved.")
}

func (s *Server) pageDeleteColumn(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	_, ev, err := s.store.DeleteColumn(c.UserContext(), user, c.Params("pid"), c.Params("key"))
	if err != nil {
		return s.pageError(c, s.settingsPath(c), err)
	}
	s.announce(ev)
	return s.back(c, s.settingsPath(c), true, "Column deleted.")
}

// pageMoveColumn moves a column one place left (dir=up) or right (dir=down).
func (s *Server) pageMoveColumn(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	p, err := s.store.GetProject(c.UserContext(), user.ID, c.Params("pid"))
	if err != nil {
		return err
	}
	keys := make([]string, len(p.Columns))
	at := -1
	for i, col := range p.Columns {
		keys[i] = col.Key
		if col.Key == c.Params("key") {
			at = i
		}
	}
	to := at - 1
	if c.FormValue("dir") == "down" {
		to = at + 1
	}
	if at < 0 || to < 0 || to >= len(keys) {
		return s.back(c, s.settingsPath(c), false, "That column cannot move further.")
	}
	keys[at], keys[to] = keys[to], keys[at]
	_, ev, err := s.store.ReorderColumns(c.UserContext(), user, p.ID, keys)
	if err != nil {
		return s.pageError(c, s.settingsPath(c), err)
	}
	s.announce(ev)
	return s.back(c, s.settingsPath(c), true, "Columns reordered.")
}
