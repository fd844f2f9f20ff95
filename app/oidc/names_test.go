package oidc

import (
	"strings"
	"testing"
)

// TestDisplayName: the provider's name made storable, else the email's
// local part.
func TestDisplayName(t *testing.T) {
	for _, c := range []struct{ name, email, want string }{
		{"Ada Lovelace", "ada@x.com", "Ada Lovelace"},
		{"  Ada \t\n Lovelace\x00 ", "ada@x.com", "Ada Lovelace"},
		{"", "grace.hopper@x.com", "grace.hopper"},
		{"\u200b", "q@x.com", "q"},
		{strings.Repeat("é", 90), "e@x.com", strings.Repeat("é", 80)},
	} {
		if got := displayName(c.name, c.email); got != c.want {
			t.Errorf("displayName(%q, %q) = %q, want %q", c.name, c.email, got, c.want)
		}
	}
}

// TestErrorCode: a provider's error code is shown only when it looks like
// one.
func TestErrorCode(t *testing.T) {
	for in, want := range map[string]string{"access_denied": "access_denied", "<script>": "error",
		strings.Repeat("a", 41): "error", "login_required": "login_required"} {
		if got := errorCode(in); got != want {
			t.Errorf("errorCode(%q) = %q, want %q", in, got, want)
		}
	}
}
