package app

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
)

// observeRequest records a finished request: its latency by route pattern,
// and an access log line (at info with ACCESS_LOG=1, else at debug).
//
// The line carries the path without its query string, never headers or
// bodies: cookies, bearer tokens, passwords and mailed tokens have no way
// into the log.
func (s *Server) observeRequest(c *fiber.Ctx, requestID string, d time.Duration) {
	s.metrics.observeHTTP(c, d)
	level := slog.LevelDebug
	if s.cfg.AccessLog {
		level = slog.LevelInfo
	}
	if !s.log.Enabled(c.UserContext(), level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("request_id", requestID),
		slog.String("method", c.Method()),
		slog.String("path", c.Path()),
		slog.Int("status", c.Response().StatusCode()),
		slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("ip", c.IP()),
	}
	if r := c.Route(); r != nil {
		attrs = append(attrs, slog.String("route", r.Path))
	}
	if u, ok := currentUser(c); ok {
		attrs = append(attrs, slog.String("user_id", u.ID))
	}
	s.log.LogAttrs(c.UserContext(), level, "request", attrs...)
}
