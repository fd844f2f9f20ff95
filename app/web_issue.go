package app

import (
	"errors"
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// The issue page: show, edit (with the stale-edit comparison) and delete.

func (s *Server) pageCreateIssue(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	pid := c.Params("pid")
	in := models.IssueInput{Title: c.FormValue("title"), Status: c.FormValue("status"), Priority: c.FormValue("priority")}
	is, ev, err := s.store.CreateIssue(c.UserContext(), user, pid, in)
	if fields, ok := fieldMap(err); ok {
		return s.renderBoard(c, fiber.StatusUnprocessableEntity, fiber.Map{"title": in.Title, "status": in.Status}, fields)
	}
	if err != nil {
		return s.pageError(c, "/projects/"+pid, err)
	}
	s.announce(ev)
	return s.back(c, "/projects/"+pid, true, is.Key+" created.")
}

func (s *Server) pageIssue(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	is, err := s.store.GetIssue(c.UserContext(), user.ID, c.Params("pid"), c.Params("iid"))
	if err != nil {
		return err
	}
	return s.renderIssue(c, 200, is, issueForm(is), nil, nil)
}

// renderIssue shows an issue with its edit form (form holds what the user
// typed; conflict, when set, is the newer version someone else saved).
func (s *Server) renderIssue(c *fiber.Ctx, status int, is models.Issue, form fiber.Map, errs map[string]string, conflict *models.Issue) error {
	user, _ := currentUser(c)
	p, err := s.store.GetProject(c.UserContext(), user.ID, is.ProjectID)
	if err != nil {
		return err
	}
	members, err := s.store.ListMembers(c.UserContext(), user.ID, is.ProjectID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, m := range members {
		names[m.UserID] = m.DisplayName
	}
	if errs == nil {
		errs = map[string]string{}
	}
	var diff []fieldDiff
	if conflict != nil {
		diff = conflictDiff(form, *conflict, p.Columns, names)
	}
	return s.render(c, status, "issue", is.Key+" "+is.Title,
		[]crumb{{"Projects", "/projects"}, {p.Name, "/projects/" + p.ID}, {is.Key, ""}},
		fiber.Map{"Project": p, "Issue": is, "Members": members, "Names": names, "Form": form, "Errors": errs,
			"Conflict": conflict, "Diff": diff})
}

// fieldDiff is one field where the user's form and the saved issue differ.
type fieldDiff struct {
	Field, Theirs, Yours string
}

// conflictDiff lists, for a stale edit, the fields whose saved value (the
// other person's) differs from what the user typed, in readable form.
func conflictDiff(form fiber.Map, cur models.Issue, cols []models.Column, names map[string]string) []fieldDiff {
	saved := issueForm(cur)
	readable := func(field, v string) string {
		if r := []rune(v); len(r) > 280 {
			v = string(r[:280]) + "…"
		}
		switch {
		case v == "":
			return "(empty)"
		case field == "status":
			for _, c := range cols {
				if c.Key == v {
					return c.Name
				}
			}
		case field == "assignee_id":
			if n, ok := names[v]; ok {
				return n
			}
			return "a former member"
		}
		return v
	}
	var out []fieldDiff
	for _, f := range []string{"title", "description", "status", "priority", "assignee_id", "labels", "effort", "due_date"} {
		theirs, _ := saved[f].(string)
		yours, _ := form[f].(string)
		if f == "labels" {
			yours = strings.Join(splitLabels(yours), ", ")
		}
		if strings.TrimSpace(theirs) != strings.TrimSpace(yours) {
			label := map[string]string{"status": "Column", "assignee_id": "Assignee", "due_date": "Due date"}[f]
			if label == "" {
				label = humanField(f)
			}
			out = append(out, fieldDiff{Field: label, Theirs: readable(f, theirs), Yours: readable(f, yours)})
		}
	}
	return out
}

func splitLabels(s string) []string {
	labels := []string{}
	for _, l := range strings.Split(s, ",") {
		if l = strings.TrimSpace(l); l != "" {
			labels = append(labels, l)
		}
	}
	return labels
}

func issueForm(is models.Issue) fiber.Map {
	effort := ""
	if is.Effort != nil {
		effort = itoa(*is.Effort)
	}
	return fiber.Map{"title": is.Title, "description": is.Description, "status": is.Status, "priority": is.Priority,
		"assignee_id": derefString(is.AssigneeID), "labels": strings.Join(is.Labels, ", "), "effort": effort,
		"due_date": derefString(is.DueDate), "version": strconv.FormatInt(is.Version, 10)}
}

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (s *Server) pageUpdateIssue(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	pid, iid := c.Params("pid"), c.Params("iid")
	form := fiber.Map{}
	for _, k := range []string{"title", "status", "priority", "assignee_id", "labels", "effort", "due_date", "version"} {
		form[k] = c.FormValue(k)
	}
	form["description"] = textareaValue(c, "description")
	patch, bad := patchFromForm(form)
	var err error
	var is models.Issue
	if bad != nil {
		err = bad
	} else {
		var ev models.Event
		is, ev, err = s.store.UpdateIssue(c.UserContext(), user, pid, iid, patch)
		if err == nil {
			s.announce(ev)
			return s.back(c, "/projects/"+pid+"/issues/"+iid, true, is.Key+" saved.")
		}
	}
	var stale *models.StaleError
	if errors.As(err, &stale) {
		cur := stale.Current
		form["version"] = strconv.FormatInt(cur.Version, 10)
		return s.renderIssue(c, fiber.StatusConflict, cur, form, nil, &cur)
	}
	if fields, ok := fieldMap(err); ok {
		cur, gerr := s.store.GetIssue(c.UserContext(), user.ID, pid, iid)
		if gerr != nil {
			return gerr
		}
		return s.renderIssue(c, fiber.StatusUnprocessableEntity, cur, form, fields, nil)
	}
	if err != nil {
		return s.pageError(c, "/projects/"+pid+"/issues/"+iid, err)
	}
	return nil
}

// patchFromForm turns the edit form into a full patch.
func patchFromForm(form fiber.Map) (models.IssuePatch, error) {
	str := func(k string) string { return form[k].(string) }
	v := &models.ValidationError{}
	version, err := strconv.ParseInt(str("version"), 10, 64)
	if err != nil {
		v.Add("version", "is missing: reload the page")
	}
	title, desc, status, prio := str("title"), str("description"), str("status"), str("priority")
	labels := splitLabels(str("labels"))
	p := models.IssuePatch{Title: &title, Description: &desc, Status: &status, Priority: &prio, Labels: &labels, Version: version}
	if a := str("assignee_id"); a == "" {
		p.AssigneeID = models.Null[string]()
	} else {
		p.AssigneeID = models.Some(a)
	}
	if e := strings.TrimSpace(str("effort")); e == "" {
		p.Effort = models.Null[int]()
	} else if n, err := strconv.Atoi(e); err == nil {
		p.Effort = models.Some(n)
	} else {
		v.Add("effort", "must be a whole number")
	}
	if d := strings.TrimSpace(str("due_date")); d == "" {
		p.DueDate = models.Null[string]()
	} else {
		p.DueDate = models.Some(d)
	}
	return p, v.Err()
}

func (s *Server) pageDeleteIssue(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	pid := c.Params("pid")
	ev, err := s.store.DeleteIssue(c.UserContext(), user, pid, c.Params("iid"))
	if err != nil {
		return s.pageError(c, "/projects/"+pid+"/issues/"+c.Params("iid"), err)
	}
	s.announce(ev)
	return s.back(c, "/projects/"+pid, true, "Issue deleted.")
}
