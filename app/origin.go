package app

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// webOrigin is what browsers compare to decide that two pages are the same
// origin: scheme, host and port (the default port filled in).
type webOrigin struct{ scheme, host, port string }

// parseWebOrigin reads "scheme://host[:port]" (an Origin header, or a
// URL's start), case-insensitively; the default port of http (80) and
// https (443) is filled in. "null", other schemes, user info and anything
// that is not a URL are not origins.
func parseWebOrigin(s string) (webOrigin, bool) {
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Opaque != "" || u.Hostname() == "" {
		return webOrigin{}, false
	}
	o := webOrigin{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname()), port: u.Port()}
	switch {
	case o.scheme != "http" && o.scheme != "https":
		return webOrigin{}, false
	case o.port == "" && o.scheme == "http":
		o.port = "80"
	case o.port == "" && o.scheme == "https":
		o.port = "443"
	}
	return o, true
}

// sameOrigin reports whether origin is PUBLIC_URL's origin or the
// request's own, comparing scheme, host and port: an http:// page of the
// same host is another origin than the https:// site.
func (s *Server) sameOrigin(c *fiber.Ctx, origin string) bool {
	o, ok := parseWebOrigin(origin)
	if !ok {
		return false
	}
	if site, ok := parseWebOrigin(s.cfg.PublicURL); ok && o == site {
		return true
	}
	own, ok := parseWebOrigin(s.requestScheme(c) + "://" + s.requestHost(c))
	return ok && o == own
}

// requestScheme is the scheme the client used: https over TLS, or when
// COOKIE_SECURE says the site is served over HTTPS only (TLS ended at a
// proxy); X-Forwarded-Proto only from a proxy in TRUSTED_PROXIES. (Fiber
// believes X-Forwarded-* from anyone when no proxy is configured.)
func (s *Server) requestScheme(c *fiber.Ctx) string {
	switch {
	case c.Context().IsTLS(), s.cfg.CookieSecure:
		return "https"
	case s.fromTrustedProxy(c):
		return strings.ToLower(c.Protocol())
	}
	return "http"
}

// requestHost is the host (and port) the client asked for: the Host
// header, or X-Forwarded-Host from a proxy in TRUSTED_PROXIES.
func (s *Server) requestHost(c *fiber.Ctx) string {
	if s.fromTrustedProxy(c) {
		return c.Hostname()
	}
	return string(c.Request().Host())
}

func (s *Server) fromTrustedProxy(c *fiber.Ctx) bool {
	return len(s.cfg.TrustedProxies) > 0 && c.IsProxyTrusted()
}
