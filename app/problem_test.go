package app

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Every error the API can answer says what went wrong in `detail`, as the
// error contract in DESIGN.md asks: scripts show it to people.
func TestEveryProblemHasADetail(t *testing.T) {
	for _, err := range []error{
		models.ErrNotFound, models.ErrPruned, models.ErrForbidden, models.ErrConflict,
		&models.ValidationError{Fields: []models.FieldError{{Field: "title", Message: "is required"}}},
		&models.StaleError{}, fiber.ErrRequestEntityTooLarge, fiber.ErrMethodNotAllowed, fiber.ErrNotFound,
		fiber.ErrRequestHeaderFieldsTooLarge, fiber.NewError(fiber.StatusTeapot, ""), errors.New("boom"),
		unauthorized(), badRequest("The body is not valid JSON."),
	} {
		p := toProblem(err)
		if p.Detail == "" || p.Title == "" || p.Type == "" || p.Status < 400 {
			t.Errorf("%v: problem %+v lacks a field", err, p)
		}
	}
}

// Over the wire: a 404 for a path and for a project the caller cannot see
// carries a detail (the contract's Problem schema now requires it, so every
// API test checks it too).
func TestNotFoundCarriesDetail(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.register("alice@example.com", "Alice")
	for _, path := range []string{"/api/v1/nothing-here", "/api/v1/projects/00000000-0000-0000-0000-000000000000"} {
		res, body := alice.unchecked().do(http.MethodGet, path, nil)
		if res.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		var p map[string]any
		if err := json.Unmarshal(body, &p); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, body)
		}
		if d, _ := p["detail"].(string); d == "" {
			t.Errorf("GET %s: no detail in %s", path, body)
		}
	}
}
