package app

import (
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Import pages: a form that uploads a file, and the job's page, whose
// progress bar static/js/import.js follows live until it links to the new
// board. The export links are on the project settings page.

func (s *Server) pageNewImport(c *fiber.Ctx) error {
	return s.renderImportForm(c, fiber.StatusOK, fiber.Map{"source": "trello", "name": ""}, nil, "")
}

func (s *Server) renderImportForm(c *fiber.Ctx, status int, values fiber.Map, errs map[string]string, msg string) error {
	return s.render(c, status, "import_new", "Import a board",
		[]crumb{{"Projects", "/projects"}, {"Import", ""}},
		fiber.Map{"Form": values, "Errors": errs, "Message": msg})
}

func (s *Server) pageCreateImport(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	values := fiber.Map{"source": c.FormValue("source"), "name": c.FormValue("name")}
	req, err := readImport(c)
	if err == nil {
		j, serr := s.startImport(c.UserContext(), user, req)
		if serr == nil {
			return c.Redirect("/imports/"+j.ID, fiber.StatusSeeOther)
		}
		err = serr
	}
	if errs, ok := fieldMap(err); ok {
		return s.renderImportForm(c, fiber.StatusUnprocessableEntity, values, errs, "")
	}
	if pe, ok := asProblem(err); ok {
		return s.renderImportForm(c, pe.p.Status, values, nil, pe.p.Detail)
	}
	return err
}

func (s *Server) pageImport(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	job, err := s.store.GetImport(c.UserContext(), user.ID, c.Params("id"))
	if err != nil {
		return err
	}
	// Without JavaScript (import.js follows the job live) the page reloads
	// itself while the job runs; meta refresh is no script, so CSP allows it.
	running := job.Status == models.ImportQueued || job.Status == models.ImportRunning
	return s.render(c, fiber.StatusOK, "import", "Import",
		[]crumb{{"Projects", "/projects"}, {"Import", ""}}, fiber.Map{"Job": job, "Refresh": running})
}
