package app

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/corkboard/corkboard/app/activity"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// The issue page: show, edit (with the stale-edit comparison) and delete,
// and the issue's comments.

func (s *Server) pageCreateIssue(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	pid := c.Params("pid")
	in := models.IssueInput{Title: c.FormValue("title"), Status: c.FormValue("status"), Priority: c.FormValue("priority")}
	// The board's form posts with the board's cycle filter (?cycle=): an
	// issue added on a cycle's board is in that cycle, and the board it
	// comes back to is the same.
	board := "/projects/" + pid
	if cycle := c.Query("cycle"); cycle != "" {
		board += "?cycle=" + url.QueryEscape(cycle)
		if cycle != "all" && cycle != "none" {
			in.CycleID = &cycle
		}
	}
	is, ev, err := s.store.CreateIssue(c.UserContext(), user, pid, in)
	if fields, ok := fieldMap(err); ok {
		return s.renderBoard(c, fiber.StatusUnprocessableEntity, fiber.Map{"title": in.Title, "status": in.Status}, fields)
	}
	if err != nil {
		return s.pageError(c, board, err)
	}
	s.announce(ev)
	return s.back(c, board, true, is.Key+" created.")
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
	return s.renderIssueWith(c, status, is, form, errs, conflict, commentForms{})
}

// renderIssueWith is renderIssue with the comment forms' state.
func (s *Server) renderIssueWith(c *fiber.Ctx, status int, is models.Issue, form fiber.Map, errs map[string]string,
	conflict *models.Issue, forms commentForms) error {
	data, err := s.issueData(c, is, forms)
	if err != nil {
		return err
	}
	p := data["Project"].(models.Project)
	if errs == nil {
		errs = map[string]string{}
	}
	var diff []fieldDiff
	if conflict != nil {
		diff = conflictDiff(form, *conflict, p.Columns, data["Names"].(map[string]string), data["CycleNames"].(map[string]string))
	}
	data["Form"], data["Errors"], data["Conflict"], data["Diff"] = form, errs, conflict, diff
	return s.render(c, status, "issue", is.Key+" "+is.Title,
		[]crumb{{"Projects", "/projects"}, {p.Name, "/projects/" + p.ID}, {is.Key, ""}}, data)
}

// issueData is what the issue page and the card panel show of an issue:
// its project, the members, the comments and the activity.
func (s *Server) issueData(c *fiber.Ctx, is models.Issue, forms commentForms) (fiber.Map, error) {
	user, _ := currentUser(c)
	p, err := s.store.GetProject(c.UserContext(), user.ID, is.ProjectID)
	if err != nil {
		return nil, err
	}
	comments, err := s.commentsPage(c, user.ID, is)
	if err != nil {
		return nil, err
	}
	members, err := s.store.ListMembers(c.UserContext(), user.ID, is.ProjectID)
	if err != nil {
		return nil, err
	}
	story, err := s.activityPage(c, user.ID, is)
	if err != nil {
		return nil, err
	}
	cycles, err := s.store.ListCycles(c.UserContext(), user.ID, is.ProjectID, "", 200)
	if err != nil {
		return nil, err
	}
	watching, err := s.store.Watching(c.UserContext(), user.ID, is.ID)
	if err != nil {
		return nil, err
	}
	names, cycleNames := map[string]string{}, map[string]string{}
	for _, m := range members {
		names[m.UserID] = m.DisplayName
	}
	for _, cy := range cycles.Items {
		cycleNames[cy.ID] = cy.Name
	}
	return fiber.Map{"Project": p, "Issue": is, "Members": members, "Names": names, "Comments": comments,
		"CommentItems": commentItems(comments.Items, p, user.ID, forms), "CommentForms": forms, "Activity": story,
		"Cycles": issueCycles(cycles.Items, is.CycleID), "CycleNames": cycleNames, "Watching": watching}, nil
}

// fieldDiff is one field where the user's form and the saved issue differ.
type fieldDiff struct {
	Field, Theirs, Yours string
}

// conflictDiff lists, for a stale edit, the fields whose saved value (the
// other person's) differs from what the user typed, in readable form.
func conflictDiff(form fiber.Map, cur models.Issue, cols []models.Column, names, cycleNames map[string]string) []fieldDiff {
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
		case field == "cycle_id":
			return cycleNames[v]
		}
		return v
	}
	var out []fieldDiff
	for _, f := range []string{"title", "description", "status", "priority", "assignee_id", "labels", "effort", "due_date", "cycle_id"} {
		theirs, _ := saved[f].(string)
		yours, sent := form[f].(string)
		if !sent && f == "cycle_id" { // a form without the field leaves the cycle alone
			continue
		}
		if f == "labels" {
			yours = strings.Join(splitLabels(yours), ", ")
		}
		if strings.TrimSpace(theirs) != strings.TrimSpace(yours) {
			label := map[string]string{"status": "Column", "assignee_id": "Assignee", "due_date": "Due date", "cycle_id": "Cycle"}[f]
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
		"due_date": derefString(is.DueDate), "version": strconv.FormatInt(is.Version, 10), "cycle_id": derefString(is.CycleID)}
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
	if c.Request().PostArgs().Has("cycle_id") {
		form["cycle_id"] = c.FormValue("cycle_id")
	}
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
	if cy, sent := form["cycle_id"].(string); sent && cy == "" {
		p.CycleID = models.Null[string]()
	} else if sent {
		p.CycleID = models.Some(cy)
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
	// The board offers Undo for it (static/js/undo.js reads the fragment).
	var gone models.Issue
	_ = json.Unmarshal(ev.Data, &gone)
	return s.back(c, "/projects/"+pid+"#deleted="+gone.ID+"&key="+gone.Key, true, gone.Key+" moved to the trash.")
}

// Comments on the issue page: the list, and forms to add, edit (the author)
// and delete (the author or an owner) that work without JavaScript.

// commentForms is what the comment forms hold after a refused submit: the
// text typed and the error beside it, and, for a stale edit, the comment
// as it is now.
type commentForms struct {
	New, NewError string
	EditID        string
	Edit          string
	EditVersion   int64
	EditError     string
	Conflict      *models.Comment
}

// commentsPage is the issue page's comments: up to 200 from the cursor in
// ?comments= (a "later comments" link follows), oldest first.
func (s *Server) commentsPage(c *fiber.Ctx, userID string, is models.Issue) (models.CommentPage, error) {
	page, err := s.store.ListComments(c.UserContext(), userID, is.ProjectID, is.ID, c.Query("comments"), 200)
	if _, bad := fieldMap(err); bad {
		// A mangled cursor in the address: show the first comments.
		page, err = s.store.ListComments(c.UserContext(), userID, is.ProjectID, is.ID, "", 200)
	}
	return page, err
}

// activityLines is one page of the issue's activity as the page shows it:
// the sentence, how long ago ("2 minutes ago") and the absolute time.
type activityLines struct {
	Items []activityLine
	// NextCursor is the ?activity= of the next page ("" on the last).
	NextCursor string
}

type activityLine struct {
	Seq      int64
	Text     string
	Ago      string
	At       string // absolute, for the title attribute
	Datetime string // RFC 3339, for <time datetime>
}

// activityPage tells the issue's activity from ?activity= (200 at a time).
func (s *Server) activityPage(c *fiber.Ctx, userID string, is models.Issue) (activityLines, error) {
	entries, _, next, err := s.issueActivity(c.UserContext(), userID, is.ProjectID, is.ID, c.Query("activity"), 200)
	if _, bad := fieldMap(err); bad {
		// A mangled cursor in the address: show the first entries.
		entries, _, next, err = s.issueActivity(c.UserContext(), userID, is.ProjectID, is.ID, "", 200)
	}
	if err != nil {
		return activityLines{}, err
	}
	now := s.now()
	out := activityLines{Items: make([]activityLine, len(entries)), NextCursor: next}
	for i, e := range entries {
		out.Items[i] = activityLine{Seq: e.Seq, Text: e.Text, Ago: activity.Ago(e.At, now),
			At: e.At.UTC().Format("2 Jan 2006 15:04 UTC"), Datetime: e.At.UTC().Format(time.RFC3339)}
	}
	return out, nil
}

func (s *Server) pageCreateComment(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	pid, iid := c.Params("pid"), c.Params("iid")
	back := "/projects/" + pid + "/issues/" + iid
	body := textareaValue(c, "body")
	cm, ev, err := s.store.CreateComment(c.UserContext(), user, pid, iid, body)
	if fields, ok := fieldMap(err); ok {
		return s.renderIssueComments(c, fiber.StatusUnprocessableEntity, pid, iid,
			commentForms{New: body, NewError: commentError(fields)})
	}
	if err != nil {
		return s.pageError(c, back, err)
	}
	s.announce(ev)
	return s.back(c, back+"#comment-"+cm.ID, true, "Comment added.")
}

func (s *Server) pageUpdateComment(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	pid, iid, cid := c.Params("pid"), c.Params("iid"), c.Params("cid")
	back := "/projects/" + pid + "/issues/" + iid
	body := textareaValue(c, "body")
	version, _ := strconv.ParseInt(c.FormValue("version"), 10, 64)
	cm, ev, err := s.store.UpdateComment(c.UserContext(), user, pid, iid, cid, models.CommentPatch{Body: body, Version: version})
	forms := commentForms{EditID: cid, Edit: body, EditVersion: version}
	var stale *models.CommentStaleError
	if errors.As(err, &stale) {
		cur := stale.Current
		forms.EditVersion, forms.Conflict = cur.Version, &cur
		return s.renderIssueComments(c, fiber.StatusConflict, pid, iid, forms)
	}
	if fields, ok := fieldMap(err); ok {
		forms.EditError = commentError(fields)
		return s.renderIssueComments(c, fiber.StatusUnprocessableEntity, pid, iid, forms)
	}
	if err != nil {
		return s.pageError(c, back, err)
	}
	s.announce(ev)
	return s.back(c, back+"#comment-"+cm.ID, true, "Comment saved.")
}

func (s *Server) pageDeleteComment(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	pid, iid := c.Params("pid"), c.Params("iid")
	back := "/projects/" + pid + "/issues/" + iid
	ev, err := s.store.DeleteComment(c.UserContext(), user, pid, iid, c.Params("cid"))
	if err != nil {
		return s.pageError(c, back, err)
	}
	s.announce(ev)
	return s.back(c, back+"#comments", true, "Comment deleted.")
}

// renderIssueComments shows the issue page again after a refused comment
// form, with what was typed and why it was refused.
func (s *Server) renderIssueComments(c *fiber.Ctx, status int, pid, iid string, forms commentForms) error {
	user, _ := currentUser(c)
	is, err := s.store.GetIssue(c.UserContext(), user.ID, pid, iid)
	if err != nil {
		return err
	}
	return s.renderIssueWith(c, status, is, issueForm(is), nil, nil, forms)
}

// commentError is the message beside a comment box ("version" problems
// come from a form the page itself filled: reloading fixes them).
func commentError(fields map[string]string) string {
	if m, ok := fields["body"]; ok {
		return "Comment " + m + "."
	}
	return "The form is out of date: reload the page."
}
