package app

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// What the server-rendered pages share. Forms post back; a successful
// change redirects (post/redirect/get) with a flash message. The pages are
// in files named after them (web_login.go, web_account.go, web_board.go…).

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
