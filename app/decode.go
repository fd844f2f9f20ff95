package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// decodeJSON reads a request body strictly into dst: malformed JSON is a 400;
// unknown fields and wrong types are 422 field errors. Nothing is changed
// before this succeeds.
func decodeJSON(c *fiber.Ctx, dst any) error {
	ct := strings.ToLower(c.Get(fiber.HeaderContentType))
	if !strings.HasPrefix(ct, "application/json") {
		return newProblem(fiber.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			"Send a JSON body with Content-Type: application/json.")
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if _, err := dec.Token(); err != io.EOF {
			return badRequest("The body must hold exactly one JSON value.")
		}
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return badRequest("The body is empty; send a JSON object.")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("The body is not valid JSON.")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return badRequest("The body must be a JSON object.")
		}
		return fieldErrors(models.FieldError{Field: field, Message: "must be " + jsonKind(typ.Type.Kind().String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fieldErrors(models.FieldError{Field: name, Message: "is not a known field"})
	}
	return badRequest("The body could not be read: " + err.Error())
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "int", "int64", "int32", "uint8", "uint32", "float64":
		return "a number"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	case "ptr":
		return "a value of the documented type"
	}
	return "of the documented type"
}
