package app

import (
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// The trash page: deleted issues with who deleted them and when; editors
// restore, owners purge one or all. Plain forms, no JavaScript needed.

func (s *Server) pageTrash(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	p, err := s.store.GetProject(c.UserContext(), user.ID, c.Params("pid"))
	if err != nil {
		return err
	}
	page, err := s.store.ListTrash(c.UserContext(), user.ID, p.ID, c.Query("cursor"), 50)
	if err != nil {
		return s.pageError(c, "/projects/"+p.ID+"/trash", err)
	}
	return s.render(c, fiber.StatusOK, "trash", "Trash · "+p.Name,
		[]crumb{{"Projects", "/projects"}, {p.Name, "/projects/" + p.ID}, {"Trash", ""}},
		fiber.Map{"Project": p, "Items": page.Items, "NextCursor": page.NextCursor, "Days": int(models.TrashRetention.Hours() / 24)})
}

func (s *Server) pageRestoreIssue(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	back := "/projects/" + c.Params("pid") + "/trash"
	is, ev, err := s.store.RestoreIssue(c.UserContext(), user, c.Params("pid"), c.Params("iid"))
	if err != nil {
		return s.trashError(c, back, err)
	}
	s.announce(ev)
	return s.back(c, back, true, is.Key+" restored to the board.")
}

// pagePurgeTrash purges the issue :iid, or with no :iid the whole trash.
func (s *Server) pagePurgeTrash(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	back := "/projects/" + c.Params("pid") + "/trash"
	ev, err := s.store.PurgeTrash(c.UserContext(), user, c.Params("pid"), c.Params("iid"))
	if err != nil {
		return s.trashError(c, back, err)
	}
	if ev.Seq == 0 {
		return s.back(c, back, true, "The trash is already empty.")
	}
	s.announce(ev)
	if c.Params("iid") == "" {
		return s.back(c, back, true, "Trash emptied.")
	}
	return s.back(c, back, true, "Deleted for good.")
}

// trashError: an issue no longer in the trash (restored or purged by
// someone else meanwhile) is a flash on the trash page, not a 404 page.
func (s *Server) trashError(c *fiber.Ctx, back string, err error) error {
	if err == models.ErrNotFound {
		user, _ := currentUser(c)
		if _, perr := s.store.GetProject(c.UserContext(), user.ID, c.Params("pid")); perr == nil {
			return s.back(c, back, false, "That issue is no longer in the trash.")
		}
	}
	return s.pageError(c, back, err)
}
