package oidc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"strings"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/oauth2"
)

// PendingTTL is how long a sign-in may stay at the provider.
const PendingTTL = 10 * time.Minute

const pendingAudience = "corkboard:oidc-pending"

// pendingClaims are what the browser carries between the start and the
// callback, signed (HS256) so it cannot be altered: the state that binds
// the answer to this browser, the nonce the ID token must repeat, the
// PKCE verifier, and where to go after. It is HttpOnly, SameSite=Lax and
// lives PendingTTL.
type pendingClaims struct {
	State    string `json:"state"`
	Nonce    string `json:"nonce"`
	Verifier string `json:"pkce"`
	Next     string `json:"next"`
	Confirm  bool   `json:"confirm,omitempty"` // a signed-in user confirming it is them (prompt=login)
	jwt.RegisteredClaims
}

// Start is a sign-in on its way to the provider: the browser goes to URL
// and keeps Pending (a cookie) for the callback.
type Start struct {
	URL     string
	Pending string
}

// Begin starts a sign-in that returns to next (a same-site path: the
// caller's to check). confirm is a signed-in user confirming it is them:
// the provider is asked (prompt=login) for the credentials again even
// with a session there.
func (s *Service) Begin(ctx context.Context, next string, confirm bool) (Start, error) {
	if _, err := s.ready(ctx); err != nil {
		return Start{}, err
	}
	state, nonce := randomString(), randomString()
	verifier := oauth2.GenerateVerifier()
	now := s.now()
	claims := pendingClaims{State: state, Nonce: nonce, Verifier: verifier, Next: next, Confirm: confirm,
		RegisteredClaims: jwt.RegisteredClaims{Audience: jwt.ClaimStrings{pendingAudience},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(PendingTTL))}}
	pending, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.key)
	if err != nil {
		return Start{}, err
	}
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), gooidc.Nonce(nonce)}
	if confirm {
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"))
	}
	s.mu.Lock()
	cfg := s.oauth
	s.mu.Unlock()
	return Start{URL: cfg.AuthCodeURL(state, opts...), Pending: pending}, nil
}

// Callback is what the provider sent back to the redirect URI.
type Callback struct {
	State, Code      string
	Error, ErrorDesc string // error and error_description: the provider refused
}

// Identity is the person the provider vouched for.
type Identity struct {
	Issuer, Subject string
	Email           string
	EmailVerified   bool
	Name            string
	AuthAt          time.Time // when the provider last checked the person's credentials (auth_time); zero: not said
	Confirm         bool      // the sign-in was started to confirm a signed-in user (Begin)
}

// NextOf is where the pending sign-in meant to go ("" when the pending
// token is missing, altered or expired): a failure lands on the sign-in
// page with it kept.
func (s *Service) NextOf(pending string) string {
	c, err := s.parsePending(pending)
	if err != nil {
		return ""
	}
	return c.Next
}

func (s *Service) parsePending(raw string) (pendingClaims, error) {
	var c pendingClaims
	_, err := jwt.ParseWithClaims(raw, &c, func(*jwt.Token) (any, error) { return s.key, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithAudience(pendingAudience),
		jwt.WithTimeFunc(s.now))
	if err != nil || c.State == "" || c.Nonce == "" || c.Verifier == "" {
		return pendingClaims{}, errors.New("no pending sign-in")
	}
	return c, nil
}

// Finish checks the provider's answer against the pending sign-in (state),
// exchanges the code (with the PKCE verifier), verifies the ID token
// (signature, issuer, audience, expiry, nonce) and returns who signed in.
// Nothing is stored: SignIn decides about the account.
func (s *Service) Finish(ctx context.Context, pending string, cb Callback) (Identity, error) {
	p, err := s.parsePending(pending)
	if err != nil {
		return Identity{}, fail("expired", "The sign-in took too long, or was started in another browser: try again.")
	}
	if cb.State == "" || subtle.ConstantTimeCompare([]byte(cb.State), []byte(p.State)) != 1 {
		return Identity{}, fail("state", "The answer from the provider does not belong to the sign-in this browser started, "+
			"so it was ignored. Try again.")
	}
	if cb.Error != "" {
		s.log.Info("OpenID Connect provider refused the sign-in", "error", cb.Error, "description", cb.ErrorDesc)
		return Identity{}, fail("provider", "The provider did not sign you in ("+errorCode(cb.Error)+"). Try again.")
	}
	provider, err := s.ready(ctx)
	if err != nil {
		return Identity{}, err
	}
	s.mu.Lock()
	cfg, verifier := s.oauth, s.verifier
	s.mu.Unlock()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.http)
	tok, err := cfg.Exchange(ctx, cb.Code, oauth2.VerifierOption(p.Verifier))
	if err != nil {
		s.log.Info("OpenID Connect code exchange failed", "err", err)
		return Identity{}, fail("code", "The provider did not accept the sign-in code (it expired or was used already). Try again.")
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := verifier.Verify(ctx, raw)
	if err == nil && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(p.Nonce)) != 1 {
		err = errors.New("nonce does not match")
	}
	if err != nil {
		s.log.Warn("OpenID Connect ID token refused", "err", err)
		return Identity{}, fail("token", "The provider's answer could not be verified, so you were not signed in.")
	}
	id, err := s.identity(ctx, provider, idt, tok)
	id.Confirm = p.Confirm
	return id, err
}

// claims are the ID token's (or the user info's) claims Corkboard reads.
type claims struct {
	Subject           string `json:"sub"`
	Email             string `json:"email"`
	EmailVerified     any    `json:"email_verified"` // a boolean; some providers send "true"
	Name              string `json:"name"`
	PreferredUsername string `json:"preferred_username"`
	AuthTime          int64  `json:"auth_time"`
}

func (c claims) verified() bool {
	switch v := c.EmailVerified.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// identity reads the person from the ID token, or from the user info
// endpoint when the token does not carry the email (the spec lets a
// provider keep profile claims out of it); the user info must be about
// the token's subject.
func (s *Service) identity(ctx context.Context, p *gooidc.Provider, idt *gooidc.IDToken, tok *oauth2.Token) (Identity, error) {
	var c claims
	if err := idt.Claims(&c); err != nil {
		return Identity{}, fail("token", "The provider's answer could not be read, so you were not signed in.")
	}
	var authAt time.Time
	if c.AuthTime > 0 {
		authAt = time.Unix(c.AuthTime, 0)
	}
	if c.Email == "" && p.UserInfoEndpoint() != "" {
		info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		var ic claims
		if err == nil {
			err = info.Claims(&ic)
		}
		if err == nil && ic.Subject != idt.Subject {
			err = errors.New("user info is about another subject")
		}
		if err != nil {
			s.log.Warn("OpenID Connect user info refused", "err", err)
			return Identity{}, fail("userinfo", "The provider did not say who you are, so you were not signed in.")
		}
		c.Email, c.EmailVerified, c.Name, c.PreferredUsername = ic.Email, ic.EmailVerified, ic.Name, ic.PreferredUsername
	}
	name := strings.TrimSpace(c.Name)
	if name == "" {
		name = strings.TrimSpace(c.PreferredUsername)
	}
	return Identity{Issuer: idt.Issuer, Subject: idt.Subject, Email: strings.TrimSpace(c.Email),
		EmailVerified: c.verified(), Name: name, AuthAt: authAt}, nil
}

// errorCode is the provider's error code when it is one (OAuth codes are
// a-z and _), else a generic word: it is shown on the page.
func errorCode(code string) string {
	if len(code) > 40 || strings.Trim(code, "abcdefghijklmnopqrstuvwxyz_") != "" {
		return "error"
	}
	return code
}

func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
