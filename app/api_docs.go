package app

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	"github.com/corkboard/corkboard/app/openapi"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gofiber/fiber/v2"
)

// The API's contract, served two ways: the OpenAPI document itself at
// /api/v1/openapi.json, and a reference page at /api/docs rendered on the
// server from the same document with html/template (no script, so it
// works under the strict CSP; nothing from a CDN).

func (s *Server) apiOpenAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return c.Send(openapi.JSON)
}

func (s *Server) pageAPIReference(c *fiber.Ctx) error {
	ref, err := s.apiReference()
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, "api_reference", "API reference", nil, fiber.Map{"Ref": ref})
}

// apiReference is the document as the reference page shows it.
type apiReference struct {
	Title, Version, Description string
	Tags                        []apiTag
	Schemas                     []apiSchema
	Responses                   []apiResponse // shared error responses
}

type apiTag struct {
	Name, Description string
	Ops               []apiOperation
}

type apiOperation struct {
	ID, Method, Path, Summary, Description string
	Public                                 bool
	Params                                 []apiField
	Body                                   *apiBody
	Responses                              []apiResponse
}

type apiBody struct {
	Schema, Example string
}

type apiResponse struct {
	Status, Ref, Description, MediaType, Schema, Example string
	Headers                                              []apiField
}

type apiSchema struct {
	Name, Description, Type string
	Fields                  []apiField
}

type apiField struct {
	Name, In, Type, Ref, Description string
	Required                         bool
}

var methodOrder = map[string]int{"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}

// buildAPIReference flattens the document: operations grouped by tag in the
// document's tag order, then every component schema with its fields.
func buildAPIReference(doc *openapi3.T) apiReference {
	ref := apiReference{Title: doc.Info.Title, Version: doc.Info.Version, Description: doc.Info.Description}
	byTag := map[string]*apiTag{}
	for _, t := range doc.Tags {
		ref.Tags = append(ref.Tags, apiTag{Name: t.Name, Description: t.Description})
	}
	for i := range ref.Tags {
		byTag[ref.Tags[i].Name] = &ref.Tags[i]
	}
	paths := doc.Paths.Map()
	keys := make([]string, 0, len(paths))
	for p := range paths {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	for _, path := range keys {
		item := paths[path]
		ops := item.Operations()
		methods := make([]string, 0, len(ops))
		for m := range ops {
			methods = append(methods, m)
		}
		sort.Slice(methods, func(i, j int) bool { return methodOrder[methods[i]] < methodOrder[methods[j]] })
		for _, m := range methods {
			op := ops[m]
			tag := "Other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			if byTag[tag] == nil {
				ref.Tags = append(ref.Tags, apiTag{Name: tag})
				for i := range ref.Tags { // re-point: append may have moved them
					byTag[ref.Tags[i].Name] = &ref.Tags[i]
				}
			}
			byTag[tag].Ops = append(byTag[tag].Ops, describeOperation(m, path, item, op))
		}
	}
	names := make([]string, 0, len(doc.Components.Schemas))
	for n := range doc.Components.Schemas {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		ref.Schemas = append(ref.Schemas, describeSchema(n, doc.Components.Schemas[n].Value))
	}
	rnames := make([]string, 0, len(doc.Components.Responses))
	for n := range doc.Components.Responses {
		rnames = append(rnames, n)
	}
	sort.Strings(rnames)
	for _, n := range rnames {
		r := describeResponse(n, doc.Components.Responses[n].Value)
		ref.Responses = append(ref.Responses, r)
	}
	return ref
}

func describeOperation(method, path string, item *openapi3.PathItem, op *openapi3.Operation) apiOperation {
	out := apiOperation{ID: op.OperationID, Method: method, Path: path, Summary: op.Summary,
		Description: op.Description, Public: op.Security != nil && len(*op.Security) == 0}
	for _, p := range append(append(openapi3.Parameters{}, item.Parameters...), op.Parameters...) {
		f := apiField{Name: p.Value.Name, In: p.Value.In, Required: p.Value.Required, Description: p.Value.Description}
		if p.Value.Schema != nil {
			f.Type, f.Ref = schemaType(p.Value.Schema)
		}
		out.Params = append(out.Params, f)
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil {
			b := &apiBody{Example: exampleJSON(mt.Example)}
			b.Schema, _ = schemaType(mt.Schema)
			out.Body = b
		}
	}
	codes := op.Responses.Keys()
	sort.Strings(codes)
	for _, code := range codes {
		r := op.Responses.Value(code)
		d := describeResponse(code, r.Value)
		if r.Ref != "" {
			d.Ref = strings.TrimPrefix(r.Ref, "#/components/responses/")
		}
		out.Responses = append(out.Responses, d)
	}
	return out
}

func describeResponse(status string, r *openapi3.Response) apiResponse {
	out := apiResponse{Status: status}
	if r.Description != nil {
		out.Description = *r.Description
	}
	for name, h := range r.Headers {
		f := apiField{Name: name, Description: h.Value.Description}
		if h.Value.Schema != nil {
			f.Type, _ = schemaType(h.Value.Schema)
		}
		out.Headers = append(out.Headers, f)
	}
	sort.Slice(out.Headers, func(i, j int) bool { return out.Headers[i].Name < out.Headers[j].Name })
	for mtName, mt := range r.Content {
		out.MediaType = mtName
		out.Schema, _ = schemaType(mt.Schema)
		out.Example = exampleJSON(mt.Example)
	}
	return out
}

func describeSchema(name string, sc *openapi3.Schema) apiSchema {
	out := apiSchema{Name: name, Description: sc.Description}
	out.Type, _ = schemaType(&openapi3.SchemaRef{Value: sc})
	required := map[string]bool{}
	for _, r := range sc.Required {
		required[r] = true
	}
	props := make([]string, 0, len(sc.Properties))
	for p := range sc.Properties {
		props = append(props, p)
	}
	sort.Strings(props)
	for _, p := range props {
		f := apiField{Name: p, Required: required[p], Description: sc.Properties[p].Value.Description}
		f.Type, f.Ref = schemaType(sc.Properties[p])
		out.Fields = append(out.Fields, f)
	}
	return out
}

// schemaType names a schema for a reader ("string (uuid) | null", "array
// of Issue") and, when it is a component, which one (for a link).
func schemaType(r *openapi3.SchemaRef) (typ, component string) {
	if r == nil || r.Value == nil {
		return "any", ""
	}
	if r.Ref != "" {
		name := r.Ref[strings.LastIndex(r.Ref, "/")+1:]
		return name, name
	}
	sc := r.Value
	if len(sc.AnyOf) > 0 || len(sc.OneOf) > 0 {
		var alts []string
		for _, a := range append(append(openapi3.SchemaRefs{}, sc.AnyOf...), sc.OneOf...) {
			t, _ := schemaType(a)
			alts = append(alts, t)
		}
		return "one of " + strings.Join(alts, ", "), ""
	}
	var parts []string
	if sc.Type != nil {
		for _, t := range *sc.Type {
			switch t {
			case "array":
				item, c := schemaType(sc.Items)
				component = c
				parts = append(parts, "array of "+item)
			default:
				if sc.Format != "" && t != "null" {
					t += " (" + sc.Format + ")"
				}
				parts = append(parts, t)
			}
		}
	}
	if len(sc.Enum) > 0 {
		vals := make([]string, len(sc.Enum))
		for i, v := range sc.Enum {
			b, _ := json.Marshal(v)
			vals[i] = string(b)
		}
		parts = append(parts, "one of "+strings.Join(vals, ", "))
	}
	if len(parts) == 0 {
		return "any", component
	}
	return strings.Join(parts, " | "), component
}

func exampleJSON(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

// apiReference loads the document and flattens it for the page. The page is
// rarely read; loading takes a few milliseconds.
func (s *Server) apiReference() (apiReference, error) {
	doc, err := openapi.Load(context.Background())
	if err != nil {
		return apiReference{}, err
	}
	return buildAPIReference(doc), nil
}
