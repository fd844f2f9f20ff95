package app

import (
	"strconv"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Query parameters shared by the list routes, parsed in one place so every
// route refuses a bad value with the same field error, and the envelope
// every list answers with.

// list is a page of a list: {"items": [...], "next_cursor": "..."}.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// queryLimit reads ?limit= as a number from 1 to most; def when absent (0
// leaves the default to the store).
func queryLimit(c *fiber.Ctx, def, most int) (int, error) {
	v := c.Query("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > most {
		return 0, fieldErrors(models.FieldError{Field: "limit", Message: "must be a number from 1 to " + strconv.Itoa(most)})
	}
	return n, nil
}

// querySince reads ?since= as an event sequence number (0 when absent).
func querySince(c *fiber.Ctx) (int64, error) {
	v := c.Query("since")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fieldErrors(models.FieldError{Field: "since", Message: "must be a sequence number (0 or more)"})
	}
	return n, nil
}
