package app

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// decodeJSON reads a request body strictly into dst: malformed JSON is a 400;
// unknown fields and wrong types are 422 field errors. Nothing is changed
// before this succeeds.
func decodeJSON(c *fiber.Ctx, dst any) error {
	return decodeJSONBody(c.Get(fiber.HeaderContentType), c.Body(), dst)
}

// decodeJSONBody is decodeJSON on a Content-Type and a body.
func decodeJSONBody(contentType string, body []byte, dst any) error {
	ct := strings.ToLower(contentType)
	if !strings.HasPrefix(ct, "application/json") {
		return newProblem(fiber.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			"Send a JSON body with Content-Type: application/json.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
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
		quoted := strings.TrimPrefix(err.Error(), "json: unknown field ")
		name, uerr := strconv.Unquote(quoted)
		if uerr != nil || name == "" {
			name = quoted // "" names the empty name
		}
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

// Request bodies travel as they are or compressed once with gzip. Any
// other Content-Encoding (deflate, br, gzip twice, ...) is refused before
// anything reads the body: the framework would otherwise inflate it with
// no limit (Fiber's Ctx.Body decodes every layer it knows, fasthttp's
// multipart reader gunzips).
var (
	errUnsupportedEncoding = newProblem(fiber.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
		"Request bodies are accepted as they are (no Content-Encoding, or identity) or compressed once with gzip "+
			"(Content-Encoding: gzip); other or stacked encodings are not.")
	errInflatedTooLarge = newProblem(fiber.StatusRequestEntityTooLarge, "body-too-large", "Body too large",
		"Request bodies are limited to 1 MiB, measured after gzip is decoded.")
	errNotGzip = badRequest("The body is not valid gzip, as its Content-Encoding says.")
)

// decodeContentEncoding returns the body the handlers should see, given
// the request's Content-Encoding header lines. No coding (or identity)
// gives body itself and decoded false; one gzip layer is inflated, reading
// at most limit+1 bytes: past limit is errInflatedTooLarge, and no buffer
// larger than the decoded body (so never past limit) is allocated. An empty
// body has nothing to decode and passes whatever the header says.
func decodeContentEncoding(lines []string, body []byte, limit int) (out []byte, decoded bool, err error) {
	gz, err := contentCoding(lines)
	if err != nil {
		if len(body) == 0 {
			return body, false, nil
		}
		return nil, false, err
	}
	if !gz || len(body) == 0 {
		return body, false, nil
	}
	out, err = gunzipCapped(body, limit)
	return out, err == nil, err
}

// contentCoding reads Content-Encoding header lines (a comma-separated
// list over any number of lines, empty elements ignored, RFC 9110 §5.6.1):
// gzip reports a single gzip (or its alias x-gzip) layer; none or a lone
// identity is false; anything else is errUnsupportedEncoding.
func contentCoding(lines []string) (isGzip bool, err error) {
	var codings []string
	for _, line := range lines {
		for _, c := range strings.Split(line, ",") {
			if c = strings.Trim(c, " \t"); c != "" {
				codings = append(codings, strings.ToLower(c))
			}
		}
	}
	switch {
	case len(codings) == 0:
		return false, nil
	case len(codings) > 1:
		return false, errUnsupportedEncoding
	}
	switch codings[0] {
	case "identity":
		return false, nil
	case "gzip", "x-gzip":
		return true, nil
	}
	return false, errUnsupportedEncoding
}

// gunzipCapped inflates body in two passes: the first counts the decoded
// bytes into io.Discard and stops at limit+1, the second fills a buffer of
// exactly the counted size. A bomb costs the decoder's state and at most
// limit+1 bytes of inflation work, never a buffer.
func gunzipCapped(body []byte, limit int) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, errNotGzip
	}
	n, err := io.Copy(io.Discard, io.LimitReader(zr, int64(limit)+1))
	switch {
	case err != nil:
		return nil, errNotGzip
	case n > int64(limit):
		return nil, errInflatedTooLarge
	}
	if err := zr.Reset(bytes.NewReader(body)); err != nil {
		return nil, errNotGzip
	}
	out := make([]byte, n)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, errNotGzip
	}
	return out, nil
}
