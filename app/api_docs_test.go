package app

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/app/openapi"
)

// The document is served as JSON, byte for byte the embedded one.
func TestOpenAPIServed(t *testing.T) {
	ts := newTestServer(t)
	res, b := ts.anon().do("GET", "/api/v1/openapi.json", nil)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if !bytes.Equal(b, openapi.JSON) {
		t.Fatal("served document differs from the embedded one")
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
	}
	mustJSON(t, b, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
}

// The reference page is rendered on the server: every operation with its
// parameters, body, responses and examples, with no script or inline style
// (the CSP forbids them).
func TestAPIReferencePage(t *testing.T) {
	ts := newTestServer(t)
	res, b := ts.anon().do("GET", "/api/docs", nil)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("/api/docs: %d %s", res.StatusCode, b)
	}
	page := string(b)
	var doc map[string]any
	if err := json.Unmarshal(openapi.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	ops := 0
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			o, ok := op.(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			ops++
			id := o["operationId"].(string)
			if !strings.Contains(page, `id="op-`+id+`"`) {
				t.Errorf("operation %s (%s %s) is not on the page", id, method, path)
			}
		}
	}
	if ops < 20 {
		t.Fatalf("only %d operations in the document", ops)
	}
	for _, want := range []string{
		"<code>/api/v1/projects/{pid}/issues/{iid}/move</code>", // a path
		`<code>limit</code>`,        // a parameter
		`href="#schema-IssuePatch"`, // a request body schema
		`data-status-code="409"`,    // a response
		`id="schema-Problem"`,       // the problem+json schema
		"correct horse battery",     // a request example
		"CORK-12",                   // a response example
		"Retry-After",               // a response header
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	for _, banned := range []string{"<script>", "<script ", "style="} {
		if strings.Contains(strings.SplitN(page, "<main", 2)[1], banned) {
			t.Errorf("page body has %q, which the CSP blocks", banned)
		}
	}
	if res.Header.Get("Content-Security-Policy") == "" {
		t.Error("no CSP on the reference page")
	}
}
