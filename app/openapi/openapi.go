// Package openapi holds the contract of /api/v1: an OpenAPI 3.1 document
// (openapi.json, the one source of truth, edited by hand), served at
// /api/v1/openapi.json, rendered at /api/docs, and checked against every
// request and response of the API tests.
//
// Adding an endpoint: add its path and operation to openapi.json (reuse the
// components: Problem, the error responses, the list shapes; response
// objects have additionalProperties: false), then its route in
// app/routes.go. The tests fail until the two agree.
package openapi

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// JSON is the document as served. Embedded, read-only.
//
//go:embed openapi.json
var JSON []byte

// Load parses and validates the document. kin-openapi (v0.152) validates
// OpenAPI 3.1 documents and, through openapi3filter, checks values with its
// JSON Schema 2020-12 validator, so `type: [string, "null"]` and
// additionalProperties: false hold in the tests.
func Load(ctx context.Context) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.Context = ctx
	doc, err := loader.LoadFromData(JSON)
	if err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	return doc, nil
}
