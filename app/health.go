package app

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// health answers 200 while the process serves requests: the liveness probe.
func (s *Server) health(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

// ready answers 200 when the database (and Redis, when used) answer: the
// load balancer's health check.
func (s *Server) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	body := fiber.Map{"status": "ok", "database": "up"}
	status := fiber.StatusOK
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("not ready: database", "err", err)
		body["status"], body["database"], status = "unavailable", "down", fiber.StatusServiceUnavailable
	}
	if r := s.redis; r != nil {
		body["redis"] = "up"
		if err := r.Client().Ping(ctx).Err(); err != nil {
			s.log.Warn("not ready: redis", "err", err)
			body["status"], body["redis"], status = "unavailable", "down", fiber.StatusServiceUnavailable
		}
	}
	return c.Status(status).JSON(body)
}
