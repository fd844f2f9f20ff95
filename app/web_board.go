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

// defaultBoardWindow is how many cards of each column the board page
// renders (Config.BoardWindow): a 10,000-card board's page stays small and
// paints fast; the page's JS loads the whole board after the first paint
// and renders more cards as a column is scrolled (static/js/board-state.js).
const defaultBoardWindow = 50

// boardColumn is a column with its cards, for the board template.
type boardColumn struct {
	models.Column
	Issues []models.Issue // the cards the filter shows, all of them
	Cards  template.HTML  // the first Config.BoardWindow of Issues
	Total  int            // cards in the column, filtered out or not
	Hidden int            // cards the filter leaves out
	Over   bool
	Points int // effort of the cards shown, unestimated ones at the project's unestimated_effort
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
	f := boardFilter{Status: c.Query("status"), Assignee: c.Query("assignee"), Query: strings.TrimSpace(c.Query("q")),
		Cycle: selectCycle(c.Query("cycle"), b.Cycles)}
	shown := slices.DeleteFunc(slices.Clone(issues), func(is models.Issue) bool { return !f.match(is) })
	data := fiber.Map{"Project": p, "Members": members, "Names": names, "Filter": f, "Total": len(issues),
		"Shown": len(shown), "Form": form, "Errors": errs, "Cycles": b.Cycles}
	for i := range b.Cycles {
		if b.Cycles[i].ID == f.Cycle {
			data["Cycle"] = b.Cycles[i]
			data["Capacity"] = capacityBars(b, f.Cycle)
		}
	}
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
		for _, is := range cols[i].Issues {
			cols[i].Points += points(is, p.UnestimatedEffort)
		}
		cols[i].Cards = cardsHTML(p.ID, cols[i].Issues[:min(len(cols[i].Issues), s.cfg.BoardWindow)], names, p.Role.AtLeast(models.RoleEditor), p.EstimateScale)
	}
	data["Columns"], data["Window"] = cols, s.cfg.BoardWindow
	return s.render(c, status, "board", p.Name, crumbs, data)
}

// boardFilter is the board's and the list's filter. Cycle is "" (all
// issues), "none" (issues in no cycle) or a cycle's id.
type boardFilter struct {
	Status, Assignee, Query, Cycle string
}

// Active: some issues may be left out.
func (f boardFilter) Active() bool { return f.Clearable() || f.Cycle != "" }

// Clearable: a filter beyond the cycle is set (the cycle has its own
// default, so "Clear" keeps it).
func (f boardFilter) Clearable() bool { return f.Status != "" || f.Assignee != "" || f.Query != "" }

// selectCycle resolves the cycle parameter: "all" or "none", a cycle's id,
// or, when absent, the active cycle if there is one (else all). cycles are
// the project's cycles that are not completed.
func selectCycle(param string, cycles []models.Cycle) string {
	switch param {
	case "all":
		return ""
	case "":
		for _, cy := range cycles {
			if cy.State == "active" {
				return cy.ID
			}
		}
		return ""
	}
	return param
}

// points is what an issue counts for in column totals and load.
func points(is models.Issue, unestimated int) int {
	if is.Effort != nil {
		return *is.Effort
	}
	return unestimated
}

// capacityBar is one member's load against capacity in the selected cycle
// (the board's capacity bars; static/js/board-planning.js recomputes them live).
type capacityBar struct {
	UserID, Name   string
	Load           int
	Capacity       *int // effective: the cycle's override, else the member's
	MemberCapacity *int
	Override       *int
}

func (b capacityBar) Over() bool { return b.Capacity != nil && b.Load > *b.Capacity }

// Max is the bar's scale: the capacity, or the load when there is no
// capacity (a full grey bar) or it is exceeded.
func (b capacityBar) Max() int {
	if b.Capacity == nil || b.Load > *b.Capacity {
		return max(b.Load, 1)
	}
	return max(*b.Capacity, 1)
}

// capacityBars lists every member's load in cycle, by name; load is the
// server's rule (models, checkCapacity): effort or unestimated_effort of
// the cycle's issues assigned to them, completed or not.
func capacityBars(b boardResponse, cycle string) []capacityBar {
	load := map[string]int{}
	for _, is := range b.Issues {
		if is.CycleID != nil && *is.CycleID == cycle && is.AssigneeID != nil {
			load[*is.AssigneeID] += points(is, b.Project.UnestimatedEffort)
		}
	}
	override := map[string]*int{}
	for _, c := range b.Capacities {
		if c.CycleID == cycle {
			override[c.UserID] = c.Points
		}
	}
	bars := make([]capacityBar, 0, len(b.Members))
	for _, m := range b.Members {
		bar := capacityBar{UserID: m.UserID, Name: m.DisplayName, Load: load[m.UserID], MemberCapacity: m.Capacity,
			Override: override[m.UserID], Capacity: m.Capacity}
		if bar.Override != nil {
			bar.Capacity = bar.Override
		}
		bars = append(bars, bar)
	}
	slices.SortStableFunc(bars, func(a, b capacityBar) int {
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	return bars
}

func (f boardFilter) match(is models.Issue) bool {
	switch f.Cycle {
	case "":
	case "none":
		if is.CycleID != nil {
			return false
		}
	default:
		if is.CycleID == nil || *is.CycleID != f.Cycle {
			return false
		}
	}
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
