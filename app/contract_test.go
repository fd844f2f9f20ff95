package app

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/corkboard/corkboard/app/openapi"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/gofiber/fiber/v2"
)

// contract is the OpenAPI document and a router over it, loaded once for
// the whole test binary (it is read-only).
var contract = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi.Load(context.Background())
	if err != nil {
		return nil, err
	}
	// The document's server is "/"; match requests on any host.
	doc.Servers = nil
	return legacy.NewRouter(doc)
})

// contractOptions: authentication is the server's business (and is tested
// on its own); everything else is checked, and an undocumented response
// status is an error.
var contractOptions = &openapi3filter.Options{
	AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	IncludeResponseStatus: true,
	MultiError:            true,
}

// checkContract holds one /api/v1 exchange against the OpenAPI document:
//   - the route (method and path) must be documented;
//   - the response status must be documented for it, and the body and
//     content type must match that response's schema (response objects
//     have additionalProperties: false, so an undocumented field fails);
//   - a request the document calls invalid (bad body, bad parameter) must
//     have been refused with a 4xx: the server may not accept what the
//     contract rejects. Tests send invalid requests on purpose, so an
//     invalid request answered 4xx is fine.
//
// It returns the violations; the harness reports them as test errors.
func checkContract(req *http.Request, reqBody []byte, status int, header http.Header, resBody []byte) []string {
	router, err := contract()
	if err != nil {
		return []string{"load the OpenAPI document: " + err.Error()}
	}
	what := req.Method + " " + req.URL.RequestURI()
	check := req.Clone(context.Background())
	check.Body = io.NopCloser(bytes.NewReader(decodedForContract(check, reqBody)))
	if check.URL.Host == "" {
		check.URL.Host = req.Host
	}
	route, params, err := router.FindRoute(check)
	if err != nil {
		return []string{what + ": not in the OpenAPI document (" + err.Error() + ")"}
	}
	in := &openapi3filter.RequestValidationInput{Request: check, PathParams: params, Route: route, Options: contractOptions}
	var out []string
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && status < 400 {
		out = append(out, what+": answered "+strconv.Itoa(status)+" to a request the document calls invalid: "+err.Error())
	}
	if status == http.StatusSwitchingProtocols {
		return out
	}
	res := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: header,
		Body: io.NopCloser(bytes.NewReader(resBody)), Options: contractOptions}
	if err := openapi3filter.ValidateResponse(context.Background(), res); err != nil {
		out = append(out, what+": response "+strconv.Itoa(status)+" does not match the document: "+err.Error()+"\nbody: "+truncate(resBody))
	}
	return out
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// Every /api/v1 route Fiber serves is in the document, and every documented
// operation is routed: the two lists are equal.
func TestContractCoversEveryRoute(t *testing.T) {
	ts := newTestServer(t)
	doc, err := openapi.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	param := regexp.MustCompile(`:([A-Za-z0-9_]+)`)
	routed := map[string]bool{}
	for _, r := range ts.app.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == fiber.MethodHead {
			continue
		}
		routed[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	var missing, extra []string
	for k := range routed {
		if !documented[k] {
			missing = append(missing, k)
		}
	}
	for k := range documented {
		if !routed[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routed but not in app/openapi/openapi.json:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(extra) > 0 {
		t.Errorf("in app/openapi/openapi.json but not routed:\n  %s", strings.Join(extra, "\n  "))
	}
	if len(routed) < 20 {
		t.Fatalf("only %d API routes found: is the listing broken?", len(routed))
	}
}

// The checker is not a rubber stamp: an undocumented field, an undocumented
// status, a wrong type, a missing field, an undocumented route and an
// invalid request that was accepted are each caught.
func TestContractCatchesViolations(t *testing.T) {
	user := `{"id":"0b9c6a58-3f43-4a5e-9f55-2f2a3f0c7d11","email":"ada@example.com","handle":"ada","display_name":"Ada","invisible":false,"email_notifications":"instant"}`
	json := http.Header{"Content-Type": {"application/json"}}
	problem := http.Header{"Content-Type": {"application/problem+json"}}
	get := func(path string) *http.Request { return httptest.NewRequest("GET", path, nil) }
	post := func(path, body string) *http.Request {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	register := `{"email":"ada@example.com","password":"correct horse battery","display_name":"Ada"}`
	cases := []struct {
		name    string
		req     *http.Request
		reqBody string
		status  int
		header  http.Header
		body    string
		wantErr string // "" = the exchange is valid
	}{
		{"valid", get("/api/v1/auth/me"), "", 200, json, user, ""},
		{"valid problem", get("/api/v1/auth/me"), "", 401, problem,
			`{"type":"urn:corkboard:problem:unauthenticated","title":"Not signed in","status":401,"detail":"Sign in."}`, ""},
		{"problem without a detail", get("/api/v1/auth/me"), "", 401, problem,
			`{"type":"urn:corkboard:problem:unauthenticated","title":"Not signed in","status":401}`, "detail"},
		{"undocumented field", get("/api/v1/auth/me"), "", 200, json,
			strings.Replace(user, `"invisible":false`, `"invisible":false,"password_hash":"x"`, 1), "password_hash"},
		{"missing field", get("/api/v1/auth/me"), "", 200, json, `{"id":"0b9c6a58-3f43-4a5e-9f55-2f2a3f0c7d11"}`, "email"},
		{"wrong type", get("/api/v1/auth/me"), "", 200, json, strings.Replace(user, `false`, `"no"`, 1), "invisible"},
		{"null where not nullable", get("/api/v1/auth/me"), "", 200, json,
			strings.Replace(user, `"Ada"`, `null`, 1), "display_name"},
		{"undocumented status", get("/api/v1/auth/me"), "", 418, problem,
			`{"type":"about:blank","title":"I'm a teapot","status":418}`, "418"},
		{"problem with an undocumented field", get("/api/v1/auth/me"), "", 401, problem,
			`{"type":"about:blank","title":"x","status":401,"stack":"main.go:1"}`, "stack"},
		{"json where problem+json is documented", get("/api/v1/auth/me"), "", 401, json,
			`{"type":"about:blank","title":"x","status":401}`, "application/json"},
		{"undocumented route", get("/api/v1/nowhere"), "", 404, problem,
			`{"type":"about:blank","title":"Not found","status":404}`, "not in the OpenAPI document"},
		{"undocumented method", httptest.NewRequest("PUT", "/api/v1/auth/me", nil), "", 404, problem,
			`{"type":"about:blank","title":"Not found","status":404}`, "not in the OpenAPI document"},
		{"invalid request refused", post("/api/v1/auth/register", `{"email":1}`), `{"email":1}`, 422, problem,
			`{"type":"urn:corkboard:problem:validation","title":"Invalid input","status":422,"detail":"See errors.","errors":[{"field":"email","message":"must be a string"}]}`, ""},
		{"invalid request accepted", post("/api/v1/auth/register", `{"email":"a@b.c","extra":1}`), `{"email":"a@b.c","extra":1}`, 201, json, user,
			"calls invalid"},
		{"valid request", post("/api/v1/auth/register", register), register, 201, json, user, ""},
		{"bad query parameter accepted", get("/api/v1/projects/0b9c6a58-3f43-4a5e-9f55-2f2a3f0c7d11/issues?limit=5000"), "", 200, json,
			`{"items":[],"next_cursor":""}`, "calls invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			errs := checkContract(tc.req, []byte(tc.reqBody), tc.status, tc.header, []byte(tc.body))
			got := strings.Join(errs, "\n")
			switch {
			case tc.wantErr == "" && len(errs) > 0:
				t.Fatalf("want no violation, got:\n%s", got)
			case tc.wantErr != "" && !strings.Contains(got, tc.wantErr):
				t.Fatalf("want a violation mentioning %q, got:\n%s", tc.wantErr, got)
			}
		})
	}
}
