package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"unicode/utf8"
)

// oidcFromEnv reads the OIDC_* variables over the defaults d. The issuer
// and client id come together; the issuer is https, or http on a loopback
// host (a provider on the same machine, tests); OIDC_ONLY needs a
// provider, or nobody could sign in.
func oidcFromEnv(get func(k, def string) string, d OIDC) (OIDC, error) {
	o := OIDC{
		Issuer:       get("OIDC_ISSUER", d.Issuer), // as the provider writes it: discovery compares it exactly
		ClientID:     get("OIDC_CLIENT_ID", d.ClientID),
		ClientSecret: get("OIDC_CLIENT_SECRET", d.ClientSecret),
		Button:       get("OIDC_BUTTON", d.Button),
	}
	var err error
	if o.Only, err = envBool(get, "OIDC_ONLY", d.Only); err != nil {
		return o, err
	}
	autoCreate, err := envBool(get, "OIDC_AUTO_CREATE", !d.ExistingOnly)
	if err != nil {
		return o, err
	}
	o.ExistingOnly = !autoCreate
	if o.Issuer == "" {
		if o.ClientID != "" || o.ClientSecret != "" {
			return o, errors.New("OIDC_CLIENT_ID and OIDC_CLIENT_SECRET need OIDC_ISSUER (the provider's URL)")
		}
		if o.Only {
			return o, errors.New("OIDC_ONLY=1 needs OIDC_ISSUER and OIDC_CLIENT_ID: without a provider nobody could sign in")
		}
		return o, nil
	}
	if !validIssuer(o.Issuer) {
		return o, fmt.Errorf("OIDC_ISSUER must be an https URL (http only on localhost), not %q", o.Issuer)
	}
	if o.ClientID == "" {
		return o, errors.New("OIDC_ISSUER needs OIDC_CLIENT_ID (and OIDC_CLIENT_SECRET for a confidential client)")
	}
	if n := utf8.RuneCountInString(o.Button); n > 60 || !utf8.ValidString(o.Button) ||
		strings.ContainsFunc(o.Button, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return o, fmt.Errorf("OIDC_BUTTON must be a label of at most 60 characters, not %q", o.Button)
	}
	return o, nil
}

// validIssuer: an absolute https URL without query or fragment, or http
// on a loopback host.
func validIssuer(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return false
	}
	switch u.Scheme {
	case "https":
		return true
	case "http":
		h := u.Hostname()
		ip := net.ParseIP(h)
		return h == "localhost" || ip != nil && ip.IsLoopback()
	}
	return false
}
