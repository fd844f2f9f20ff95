package app

import (
	"bytes"
	"errors"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/corkboard/corkboard/app/notify"
	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// Page rendering: one layout, one template per page under ui/templates, and
// the common data every page gets (the user, breadcrumbs, the flash message).

const flashCookie = "corkboard_flash"

type crumb struct {
	Label string
	URL   string
}

// view is what every template receives. Page-specific data lives in Data.
type view struct {
	Title   string
	User    *models.User
	Crumbs  []crumb
	Flash   string
	FlashOK bool
	Data    fiber.Map
	// NoRegister hides the header's Register link (OIDC_ONLY=1: accounts
	// come from the provider).
	NoRegister bool
	Bell       *bell // the header's notifications (signed in)
}

// render draws page (ui/templates/pages/<page>.html) inside the layout.
func (s *Server) render(c *fiber.Ctx, status int, page, title string, crumbs []crumb, data fiber.Map) error {
	v := view{Title: title, Crumbs: crumbs, Data: data, NoRegister: s.cfg.OIDC.Only}
	if u, ok := currentUser(c); ok {
		v.User = &u
		v.Bell = s.bellOf(c, u.ID)
	}
	if f := s.readCookie(c, flashCookie); f != "" {
		if msg, err := url.QueryUnescape(f); err == nil && len(msg) > 1 {
			v.FlashOK, v.Flash = msg[0] == '+', msg[1:]
		}
		s.setCookie(c, &fiber.Cookie{Name: flashCookie, Value: "", Path: "/", Expires: time.Unix(1, 0), MaxAge: -1,
			HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	}
	// Render into a buffer first: a template error must become the error
	// page, never a half-written page with a success status.
	var buf bytes.Buffer
	if err := s.views.Render(&buf, "templates/pages/"+page, v, "templates/layouts/app"); err != nil {
		if page == "error" {
			return c.Status(status).SendString(title)
		}
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(buf.Bytes())
}

// flash keeps a one-time message for the next page (post/redirect/get).
func (s *Server) flash(c *fiber.Ctx, ok bool, msg string) {
	prefix := "-"
	if ok {
		prefix = "+"
	}
	s.setCookie(c, &fiber.Cookie{Name: flashCookie, Value: url.QueryEscape(prefix + msg), Path: "/", MaxAge: 60,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}

// back redirects to path with a flash message.
func (s *Server) back(c *fiber.Ctx, path string, ok bool, msg string) error {
	s.flash(c, ok, msg)
	return c.Redirect(path, fiber.StatusSeeOther)
}

// renderError is the HTML face of the error handler.
func (s *Server) renderError(c *fiber.Ctx, status int, title, detail string) error {
	if status == fiber.StatusNotFound {
		title, detail = "Not found", "There is nothing here, or you do not have access to it."
	}
	return s.render(c, status, "error", title, nil, fiber.Map{"Status": status, "Detail": detail})
}

// pageError turns a store error from a page action into a friendly answer:
// field problems and role problems become a flash on the page the user came
// from; a missing or hidden project is the 404 page.
func (s *Server) pageError(c *fiber.Ctx, backTo string, err error) error {
	var ve *models.ValidationError
	var oc *models.OverCapacityError
	switch {
	case errors.As(err, &oc):
		return s.back(c, backTo, false, "Nothing was saved: that would raise someone's load in the cycle to "+itoa(oc.Load)+
			" points, above their capacity of "+itoa(oc.Capacity)+", and this project blocks overloads.")
	case asValidation(err, &ve):
		msgs := make([]string, len(ve.Fields))
		for i, f := range ve.Fields {
			msgs[i] = humanField(f.Field) + " " + f.Message
		}
		return s.back(c, backTo, false, strings.Join(msgs, "; ")+".")
	case err == models.ErrForbidden:
		return s.back(c, backTo, false, "Your role in this project does not allow that.")
	case isConflict(err):
		return s.back(c, backTo, false, "That already exists.")
	}
	return err
}

// fieldMap turns a validation error into field -> message for the form.
func fieldMap(err error) (map[string]string, bool) {
	var ve *models.ValidationError
	if !asValidation(err, &ve) {
		return nil, false
	}
	m := map[string]string{}
	for _, f := range ve.Fields {
		if _, ok := m[f.Field]; !ok {
			m[f.Field] = f.Message
		}
	}
	return m, true
}

func humanField(f string) string {
	r := strings.ReplaceAll(f, "_", " ")
	if r == "" {
		return r
	}
	return strings.ToUpper(r[:1]) + r[1:]
}

// markdown renders user Markdown to sanitised HTML (bluemonday's UGC
// policy: no script, no event handlers, no javascript: links).
type markdown struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

func newMarkdown() *markdown {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	return &markdown{md: goldmark.New(goldmark.WithExtensions(extension.GFM)), policy: p}
}

func (m *markdown) render(src string) template.HTML {
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(src), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(m.policy.SanitizeBytes(buf.Bytes())) // #nosec: sanitised above
}

func templateFuncs(md *markdown) map[string]any {
	return map[string]any{
		"markdown":       md.render,
		"initials":       initials,
		"notifySentence": notify.Sentence,
		"date":           func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
		"datetime":       func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
		"deref": func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		},
		"derefInt": func(p *int) string {
			if p == nil {
				return ""
			}
			return itoa(*p)
		},
		"join":       strings.Join,
		"eq2":        func(a, b any) bool { return a == b },
		"canEdit":    func(r models.Role) bool { return r.AtLeast(models.RoleEditor) },
		"isOwner":    func(r models.Role) bool { return r == models.RoleOwner },
		"priorities": func() []string { return models.Priorities },
		"roles":      func() []models.Role { return []models.Role{models.RoleOwner, models.RoleEditor, models.RoleViewer} },
		"add":        func(a, b int) int { return a + b },
		"list":       func(s ...string) []string { return s },
		"humanize":   humanField,
		"estimateScales": func() []effortOption {
			return []effortOption{{"free", "Free (0–1000)"}, {"fibonacci", "Fibonacci (0, 1, 2, 3, 5, 8, 13, 21)"},
				{"linear", "Linear (1–5)"}, {"exponential", "Exponential (1, 2, 4, 8, 16)"}, {"tshirt", "T-shirt (XS, S, M, L, XL)"}}
		},
		"effortOptions": effortOptions,
		"effortLabel":   func(scale string, e *int) string { return planning.EffortLabel(scale, *e) },
		"columnName": func(cols []models.Column, key string) string {
			for _, c := range cols {
				if c.Key == key {
					return c.Name
				}
			}
			return key
		},
	}
}

func initials(name string) string {
	out := []rune{}
	for _, w := range strings.Fields(name) {
		r := []rune(w)
		out = append(out, []rune(strings.ToUpper(string(r[0])))...)
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}
