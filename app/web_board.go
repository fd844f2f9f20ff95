package app

import (
	"html/template"
	"slices"
	"strings"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// The projects list, a new project, and the board page (board and list
// views, filters, sorting).

func (s *Server) pageProjects(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	ps, err := s.store.ListProjects(c.UserContext(), user.ID)
	if err != nil {
		return err
	}
	return s.render(c, 200, "projects", "Projects", []crumb{{"Projects", ""}}, fiber.Map{"Projects": ps})
}

func (s *Server) pageNewProject(c *fiber.Ctx) error {
	return s.render(c, 200, "project_new", "New project", []crumb{{"Projects", "/projects"}, {"New", ""}},
		fiber.Map{"Form": fiber.Map{}, "Errors": map[string]string{}})
}

func (s *Server) pageCreateProject(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	in := models.ProjectInput{Name: c.FormValue("name"), Description: textareaValue(c, "description"), Key: c.FormValue("key")}
	p, err := s.store.CreateProject(c.UserContext(), user, in)
	if fields, ok := fieldMap(err); ok {
		return s.render(c, fiber.StatusUnprocessableEntity, "project_new", "New project",
			[]crumb{{"Projects", "/projects"}, {"New", ""}},
			fiber.Map{"Form": fiber.Map{"name": in.Name, "description": in.Description, "key": in.Key}, "Errors": fields})
	}
	if err != nil {
		return err
	}
	return s.back(c, "/projects/"+p.ID, true, "Project created. Add issues below, and members in Settings.")
}

// boardColumn is a column with its cards, for the board template.
type boardColumn struct {
	models.Column
	Issues []models.Issue
	Cards  template.HTML
	Total  int // cards in the column, filtered out or not
	Hidden int // cards the filter leaves out (the JS count adds them)
	Over   bool
}

func (s *Server) pageBoard(c *fiber.Ctx) error {
	return s.renderBoard(c, fiber.StatusOK, fiber.Map{}, map[string]string{})
}

// renderBoard draws the board (or, with ?view=list, the list). form and
// errs refill the new-issue form after a refused submission.
func (s *Server) renderBoard(c *fiber.Ctx, status int, form fiber.Map, errs map[string]string) error {
	b, err := s.loadBoard(c)
	if err != nil {
		return err
	}
	p, issues, members := b.Project, b.Issues, b.Members
	names := map[string]string{}
	for _, m := range members {
		names[m.UserID] = m.DisplayName
	}
	f := boardFilter{Status: c.Query("status"), Assignee: c.Query("assignee"), Query: strings.TrimSpace(c.Query("q"))}
	shown := slices.DeleteFunc(slices.Clone(issues), func(is models.Issue) bool { return !f.match(is) })
	data := fiber.Map{"Project": p, "Members": members, "Names": names, "Filter": f, "Total": len(issues),
		"Shown": len(shown), "Form": form, "Errors": errs}
	crumbs := []crumb{{"Projects", "/projects"}, {p.Name, ""}}
	data["View"] = "board"
	if c.Query("view") == "list" {
		data["View"] = "list"
		sortKey, dir := c.Query("sort", "number"), c.Query("dir", "desc")
		sortIssues(shown, sortKey, dir, p.Columns, names)
		data["Issues"], data["Sort"], data["Dir"] = shown, sortKey, dir
		return s.render(c, status, "list", p.Name, crumbs, data)
	}
	cols := make([]boardColumn, len(p.Columns))
	for i, col := range p.Columns {
		cols[i] = boardColumn{Column: col, Issues: []models.Issue{}}
		for _, is := range issues {
			if is.Status == col.Key {
				cols[i].Total++
			}
		}
		for _, is := range shown {
			if is.Status == col.Key {
				cols[i].Issues = append(cols[i].Issues, is)
			}
		}
		cols[i].Hidden = cols[i].Total - len(cols[i].Issues)
		cols[i].Over = col.WIPLimit != nil && cols[i].Total > *col.WIPLimit
		cols[i].Cards = cardsHTML(p.ID, cols[i].Issues, names, p.Role.AtLeast(models.RoleEditor))
	}
	data["Columns"] = cols
	return s.render(c, status, "board", p.Name, crumbs, data)
}

type boardFilter struct {
	Status, Assignee, Query string
}

func (f boardFilter) Active() bool { return f.Status != "" || f.Assignee != "" || f.Query != "" }

func (f boardFilter) match(is models.Issue) bool {
	if f.Status != "" && is.Status != f.Status {
		return false
	}
	switch f.Assignee {
	case "":
	case "none":
		if is.AssigneeID != nil {
			return false
		}
	default:
		if is.AssigneeID == nil || *is.AssigneeID != f.Assignee {
			return false
		}
	}
	if f.Query != "" {
		q := strings.ToLower(f.Query)
		if !strings.Contains(strings.ToLower(is.Title), q) && !strings.Contains(strings.ToLower(is.Description), q) &&
			!strings.Contains(strings.ToLower(is.Key), q) {
			return false
		}
	}
	return true
}

func sortIssues(issues []models.Issue, key, dir string, cols []models.Column, names map[string]string) {
	colPos := map[string]int{}
	for i, c := range cols {
		colPos[c.Key] = i
	}
	prio := map[string]int{}
	for i, p := range models.Priorities {
		prio[p] = i
	}
	assignee := func(is models.Issue) string {
		if is.AssigneeID == nil {
			return "\uffff"
		}
		return strings.ToLower(names[*is.AssigneeID])
	}
	cmp := func(a, b models.Issue) int {
		switch key {
		case "title":
			return strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title))
		case "status":
			return colPos[a.Status] - colPos[b.Status]
		case "priority":
			return prio[a.Priority] - prio[b.Priority]
		case "assignee":
			return strings.Compare(assignee(a), assignee(b))
		case "updated":
			return a.UpdatedAt.Compare(b.UpdatedAt)
		}
		return int(a.Number - b.Number)
	}
	slices.SortStableFunc(issues, func(a, b models.Issue) int {
		r := cmp(a, b)
		if r == 0 {
			r = int(a.Number - b.Number)
		}
		if dir == "asc" {
			return r
		}
		return -r
	})
}
