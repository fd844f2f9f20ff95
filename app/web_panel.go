package app

import (
	"bytes"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// HTML fragments for the card panel and the live issue page. Markdown is
// rendered and sanitised here (bluemonday, as on every page); the browser
// parses these fragments with DOMParser and adopts the nodes, so user text
// only ever reaches the page as the server escaped and sanitised it
// (static/js/comments.js).

// commentItem is one comment as issue_comment.html draws it for the
// viewer: whether they may edit it (its author, while an editor) or delete
// it (also an owner).
type commentItem struct {
	Comment     models.Comment
	Mine, Owner bool
	Base        string // the issue's page path
	Forms       commentForms
}

func commentItems(comments []models.Comment, p models.Project, userID string, forms commentForms) []commentItem {
	out := make([]commentItem, len(comments))
	for i, cm := range comments {
		out[i] = commentItem{Comment: cm, Mine: p.Role.AtLeast(models.RoleEditor) && cm.Author.ID == userID,
			Owner: p.Role == models.RoleOwner, Base: "/projects/" + p.ID + "/issues/" + cm.IssueID, Forms: forms}
	}
	return out
}

// pagePanel is the card panel's content: the issue's fields as in-place
// editors, its description, comments and activity.
func (s *Server) pagePanel(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	is, err := s.store.GetIssue(c.UserContext(), user.ID, c.Params("pid"), c.Params("iid"))
	if err != nil {
		return err
	}
	data, err := s.issueData(c, is, commentForms{})
	if err != nil {
		return err
	}
	data["Form"] = issueForm(is)
	return s.renderFragment(c, "issue_panel", data)
}

// pageCommentFragment is one comment, rendered for the viewer.
func (s *Server) pageCommentFragment(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	pid := c.Params("pid")
	p, err := s.store.GetProject(c.UserContext(), user.ID, pid)
	if err != nil {
		return err
	}
	cm, err := s.store.GetComment(c.UserContext(), user.ID, pid, c.Params("iid"), c.Params("cid"))
	if err != nil {
		return err
	}
	return s.renderFragment(c, "issue_comment", commentItems([]models.Comment{cm}, p, user.ID, commentForms{})[0])
}

// pageActivityFragment is the issue's activity section.
func (s *Server) pageActivityFragment(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	pid := c.Params("pid")
	is, err := s.store.GetIssue(c.UserContext(), user.ID, pid, c.Params("iid"))
	if err != nil {
		return err
	}
	p, err := s.store.GetProject(c.UserContext(), user.ID, pid)
	if err != nil {
		return err
	}
	story, err := s.activityPage(c, user.ID, is)
	if err != nil {
		return err
	}
	return s.renderFragment(c, "issue_activity", fiber.Map{"Project": p, "Issue": is, "Activity": story})
}

// renderFragment draws a template without the layout. data is the view's
// Data (a fiber.Map) or, for a partial that takes its own value, that value.
func (s *Server) renderFragment(c *fiber.Ctx, page string, data any) error {
	v := any(data)
	if m, ok := data.(fiber.Map); ok {
		u, _ := currentUser(c)
		v = view{User: &u, Data: m}
	}
	var buf bytes.Buffer
	if err := s.views.Render(&buf, "templates/pages/"+page, v); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}
