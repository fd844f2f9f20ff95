package app

import (
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Project settings pages: the project itself, members and columns. Every
// action posts, redirects back with a flash, and leaves roles to the store.

func (s *Server) settingsPath(c *fiber.Ctx) string {
	return "/projects/" + c.Params("pid") + "/settings"
}

func (s *Server) pageProjectSettings(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	p, err := s.store.GetProject(c.UserContext(), user.ID, c.Params("pid"))
	if err != nil {
		return err
	}
	members, err := s.store.ListMembers(c.UserContext(), user.ID, p.ID)
	if err != nil {
		return err
	}
	return s.render(c, 200, "project_settings", p.Name+" settings",
		[]crumb{{"Projects", "/projects"}, {p.Name, "/projects/" + p.ID}, {"Settings", ""}},
		fiber.Map{"Project": p, "Members": members, "Me": user.ID})
}

func (s *Server) pageUpdateProject(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	name, desc, key := c.FormValue("name"), c.FormValue("description"), c.FormValue("key")
	_, ev, err := s.store.UpdateProject(c.UserContext(), user, c.Params("pid"), models.ProjectPatch{Name: &name, Description: &desc, Key: &key})
	if err != nil {
		return s.pageError(c, s.settingsPath(c), err)
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
	m, ev, err := s.store.AddMember(c.UserContext(), user, c.Params("pid"), c.FormValue("email"), models.Role(c.FormValue("role")))
	if err != nil {
		return s.pageError(c, s.settingsPath(c), err)
	}
	s.announce(ev)
	return s.back(c, s.settingsPath(c), true, m.DisplayName+" added as "+string(m.Role)+".")
}

func (s *Server) pageUpdateMember(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	m, ev, err := s.store.UpdateMember(c.UserContext(), user, c.Params("pid"), c.Params("uid"), models.Role(c.FormValue("role")))
	if err != nil {
		return s.pageError(c, s.settingsPath(c), err)
	}
	s.announce(ev)
	return s.back(c, s.settingsPath(c), true, m.DisplayName+" is now "+string(m.Role)+".")
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
	wip, err := wipFromForm(c.FormValue("wip_limit"))
	if err != nil {
		return s.pageError(c, s.settingsPath(c), err)
	}
	out, ev, err := s.store.AddColumn(c.UserContext(), user, c.Params("pid"), models.ColumnInput{Name: c.FormValue("name"), Key: c.FormValue("key"), WIPLimit: wip})
	if err != nil {
		return s.pageError(c, s.settingsPath(c), err)
	}
	s.announce(ev)
	return s.back(c, s.settingsPath(c), true, "Column "+out.Column.Name+" added.")
}

func (s *Server) pageUpdateColumn(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	wip, err := wipFromForm(c.FormValue("wip_limit"))
	if err != nil {
		return s.pageError(c, s.settingsPath(c), err)
	}
	name := c.FormValue("name")
	_, ev, err := s.store.UpdateColumn(c.UserContext(), user, c.Params("pid"), c.Params("key"),
		models.ColumnPatch{Name: &name, WIPLimit: models.Optional[int]{Set: true, Value: wip}})
	if err != nil {
		return s.pageError(c, s.settingsPath(c), err)
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
