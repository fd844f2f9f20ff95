package app

import (
	"errors"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Handlers of the server-rendered pages. Forms post back; a successful
// change redirects (post/redirect/get) with a flash message.

func asValidation(err error, ve **models.ValidationError) bool { return errors.As(err, ve) }
func isConflict(err error) bool                                { return errors.Is(err, models.ErrConflict) }
func itoa(n int) string                                        { return strconv.Itoa(n) }

// textareaValue is a textarea's text with the CRLF line ends browsers send
// turned into the LF that the API stores.
func textareaValue(c *fiber.Ctx, key string) string {
	return strings.ReplaceAll(c.FormValue(key), "\r\n", "\n")
}

// requirePageUser sends anonymous visitors to the login page, remembering
// where they were going (302 for a page; 303 after a form post, so the
// browser follows with a GET).
func (s *Server) requirePageUser(c *fiber.Ctx) error {
	if _, ok := currentUser(c); ok {
		return c.Next()
	}
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		return c.Redirect("/login?next="+url.QueryEscape(c.OriginalURL()), fiber.StatusFound)
	}
	// A form posted after the session ended: come back to the page that
	// held the form (a POST-only path has no page of its own).
	next := "/projects"
	if ref, err := url.Parse(c.Get(fiber.HeaderReferer)); err == nil && ref.Host != "" && s.sameOrigin(c, ref.Scheme+"://"+ref.Host) {
		next = localPath(ref.RequestURI())
	}
	return c.Redirect("/login?next="+url.QueryEscape(next), fiber.StatusSeeOther)
}

// localPath keeps a redirect target on this site: "/x", never "//evil",
// "https://evil", "/\\evil", or "/\t/evil" (browsers drop tabs and
// newlines from URLs, which would turn it into "//evil").
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.ContainsFunc(next, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) {
		return "/projects"
	}
	return next
}

func (s *Server) pageHome(c *fiber.Ctx) error {
	if _, ok := currentUser(c); ok {
		return c.Redirect("/projects", fiber.StatusSeeOther)
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// --- accounts ---

func (s *Server) pageLogin(c *fiber.Ctx) error {
	if _, ok := currentUser(c); ok {
		return c.Redirect(localPath(c.Query("next")), fiber.StatusSeeOther)
	}
	return s.render(c, 200, "login", "Sign in", nil, fiber.Map{"Next": c.Query("next"), "Form": fiber.Map{}})
}

func (s *Server) pageLoginSubmit(c *fiber.Ctx) error {
	email, next := c.FormValue("email"), c.FormValue("next")
	user, err := s.throttledLogin(c, email, c.FormValue("password"))
	if errors.Is(err, errBadCredentials) {
		return s.render(c, fiber.StatusUnauthorized, "login", "Sign in", nil, fiber.Map{
			"Next": next, "Form": fiber.Map{"email": email}, "Error": "Wrong email or password."})
	}
	var te *throttledError
	if errors.As(err, &te) {
		_ = refuseLogin(c, err) // Retry-After
		return s.render(c, te.problem().p.Status, "login", "Sign in", nil, fiber.Map{
			"Next": next, "Form": fiber.Map{"email": email}, "Error": te.message()})
	}
	if err != nil {
		return err
	}
	if done, err := s.pageLoginNeedsCode(c, user, next); done || err != nil {
		return err
	}
	if err := s.startSession(c, user); err != nil {
		return err
	}
	return c.Redirect(localPath(next), fiber.StatusSeeOther)
}

func (s *Server) pageRegister(c *fiber.Ctx) error {
	return s.render(c, 200, "register", "Create an account", nil, fiber.Map{"Next": c.Query("next"),
		"Form": fiber.Map{}, "Errors": map[string]string{}})
}

func (s *Server) pageRegisterSubmit(c *fiber.Ctx) error {
	next := c.FormValue("next")
	form := fiber.Map{"email": c.FormValue("email"), "display_name": c.FormValue("display_name")}
	user, err := s.register(c.UserContext(), c.FormValue("email"), c.FormValue("password"), c.FormValue("display_name"))
	if fields, ok := fieldMap(err); ok {
		return s.render(c, fiber.StatusUnprocessableEntity, "register", "Create an account", nil, fiber.Map{"Next": next, "Form": form, "Errors": fields})
	}
	var pe *problemError
	if errors.As(err, &pe) && pe.p.Status == fiber.StatusConflict {
		return s.render(c, fiber.StatusConflict, "register", "Create an account", nil, fiber.Map{"Next": next, "Form": form,
			"Errors": map[string]string{"email": "already has an account: sign in instead"}})
	}
	if err != nil {
		return err
	}
	if err := s.startSession(c, user); err != nil {
		return err
	}
	return s.back(c, localPath(next), true, "Welcome to Corkboard, "+user.DisplayName+".")
}

func (s *Server) pageLogout(c *fiber.Ctx) error {
	if err := s.endSession(c); err != nil {
		return err
	}
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (s *Server) pageAccount(c *fiber.Ctx) error {
	return s.renderAccount(c, fiber.StatusOK, fiber.Map{}, map[string]string{})
}

// renderAccount draws the account page; form and errs refill a refused form.
func (s *Server) renderAccount(c *fiber.Ctx, status int, form fiber.Map, errs map[string]string) error {
	return s.renderAccountWith(c, status, form, errs, nil)
}

// renderAccountWith adds extra to the page's data (a refused token form, a
// token to show once).
func (s *Server) renderAccountWith(c *fiber.Ctx, status int, form fiber.Map, errs map[string]string, extra fiber.Map) error {
	user, _ := currentUser(c)
	data, err := s.accountSecurity(c, user) // sessions, tokens, 2FA
	if err != nil {
		return err
	}
	if data["Audit"], err = s.recentAudit(c, user.ID); err != nil {
		return err
	}
	if _, ok := form["display_name"]; !ok {
		form["display_name"] = user.DisplayName
	}
	data["Form"], data["Errors"] = form, errs
	for k, v := range extra {
		data[k] = v
	}
	return s.render(c, status, "account", "Account", []crumb{{"Account", ""}}, data)
}

func (s *Server) pageAccountProfile(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	raw := c.FormValue("display_name")
	name := strings.TrimSpace(raw)
	if n := len([]rune(name)); n == 0 || n > 80 || !models.ValidText(name) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 }) {
		return s.renderAccount(c, fiber.StatusUnprocessableEntity, fiber.Map{"display_name": raw},
			map[string]string{"display_name": "must be 1 to 80 characters"})
	}
	if _, err := s.store.UpdateProfile(c.UserContext(), user.ID, name); err != nil {
		if fields, ok := fieldMap(err); ok {
			return s.renderAccount(c, fiber.StatusUnprocessableEntity, fiber.Map{"display_name": raw}, fields)
		}
		return err
	}
	return s.back(c, "/settings", true, "Profile saved.")
}

// pageAccountPresence sets "appear invisible"; boards opened from now on
// leave the user out of presence.
func (s *Server) pageAccountPresence(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	invisible := c.FormValue("invisible") == "1"
	if _, err := s.store.SetInvisible(c.UserContext(), user.ID, invisible); err != nil {
		return err
	}
	msg := "You appear on the boards you open."
	if invisible {
		msg = "You are invisible: boards you open from now on will not show you."
	}
	return s.back(c, "/settings", true, msg)
}

func (s *Server) pageAccountPassword(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	sess, _ := currentSession(c)
	// Password fields are never sent back; the errors say what to fix.
	// The current password is asked even within the sudo window (its
	// route's guard): the settings' password check, with its throttle.
	var te *throttledError
	if err := s.checkPasswordOf(c, user.ID, c.FormValue("current_password")); errors.As(err, &te) {
		c.Set(fiber.HeaderRetryAfter, te.retryAfter())
		return s.renderAccount(c, te.problem().p.Status, fiber.Map{}, map[string]string{"current_password": te.fieldMessage()})
	} else if errors.Is(err, errWrongPassword) {
		return s.renderAccount(c, fiber.StatusUnprocessableEntity, fiber.Map{},
			map[string]string{"current_password": "is not right"})
	} else if err != nil {
		return err
	}
	v := &models.ValidationError{}
	validatePassword(v, "new_password", c.FormValue("new_password"), user.Email, user.DisplayName)
	if fields, ok := fieldMap(v.Err()); ok {
		return s.renderAccount(c, fiber.StatusUnprocessableEntity, fiber.Map{}, fields)
	}
	newHash, err := hashPassword(c.FormValue("new_password"), s.cfg.Password)
	if err != nil {
		return err
	}
	ended, err := s.store.SetPassword(c.UserContext(), user.ID, newHash, sess.ID)
	s.sessionsEnded(ended...)
	if err != nil {
		return err
	}
	s.audit(c, user.ID, auditPasswordChange, map[string]any{"sessions_ended": len(ended)})
	return s.back(c, "/settings", true, "Password changed; your other sessions were signed out.")
}

// --- projects ---

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

// --- issues ---

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
