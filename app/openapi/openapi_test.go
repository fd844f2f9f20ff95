package openapi

import (
	"context"
	"testing"
)

// The document loads and passes kin-openapi's validation (structure,
// references, examples against their schemas).
func TestDocumentIsValid(t *testing.T) {
	doc, err := Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if doc.Paths.Len() == 0 {
		t.Fatal("no paths")
	}
}
