package oidc

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/models"
)

// How an account was reached, for the audit log.
const (
	Found   = "found"   // by its identity
	Linked  = "linked"  // by its verified email: the identity is linked now
	Created = "created" // a new account with the identity
)

// SignIn finds the account of id: by (issuer, subject); else the account
// with its email, linked only when the provider verified the address;
// else a new one (not with ExistingOnly, and only for a verified email:
// an unverified one could claim an address whose owner signs up later).
// A refusal is a *Failure and changes nothing.
func (s *Service) SignIn(ctx context.Context, id Identity) (models.User, string, error) {
	// Two passes: a first sign-in that loses a race with another (the same
	// person in two tabs, or a registration with the email) finds the
	// winner's account on the second.
	for pass := 0; ; pass++ {
		user, how, err := s.signIn(ctx, id)
		if pass == 0 && (errors.Is(err, models.ErrIdentityTaken) || errors.Is(err, accounts.ErrEmailTaken)) {
			continue
		}
		return user, how, err
	}
}

func (s *Service) signIn(ctx context.Context, id Identity) (models.User, string, error) {
	user, err := s.store.UserByIdentity(ctx, id.Issuer, id.Subject, id.Email)
	if err == nil {
		return user, Found, nil
	}
	if !errors.Is(err, models.ErrNotFound) {
		return models.User{}, "", err
	}
	email := models.NormalizeEmail(id.Email)
	if !plausibleEmail(email) {
		return models.User{}, "", fail("no-email", "The provider did not share a usable email address, and no account "+
			"is linked to you yet: allow Corkboard to see your email at the provider, then try again.")
	}
	existing, _, err := s.store.Credentials(ctx, email)
	switch {
	case err == nil && !id.EmailVerified:
		return models.User{}, "", fail("unverified-email", "An account with the email "+email+" exists, but the provider "+
			"has not verified that this address is yours, so it was not linked. Sign in with your password, or verify "+
			"the address at the provider.")
	case err == nil:
		if _, err := s.store.LinkIdentity(ctx, existing.ID, id.Issuer, id.Subject, email); err != nil {
			return models.User{}, "", err
		}
		return existing, Linked, nil
	case !errors.Is(err, models.ErrNotFound):
		return models.User{}, "", err
	case s.set.ExistingOnly:
		return models.User{}, "", fail("no-account", "No Corkboard account has the email "+email+", and single sign-on "+
			"does not create accounts here: ask an administrator to create yours.")
	case !id.EmailVerified:
		return models.User{}, "", fail("unverified-email", "The provider has not verified your email address "+email+
			", so no account was created. Verify it at the provider, then try again.")
	}
	return s.create(ctx, id, email)
}

// create makes a password-less account with the identity: the handle
// derived from the email as registration does, the name from the
// provider (or the email's local part).
func (s *Service) create(ctx context.Context, id Identity, email string) (models.User, string, error) {
	name := displayName(id.Name, email)
	base := accounts.HandleFromEmail(email)
	ident := models.Identity{Issuer: id.Issuer, Subject: id.Subject}
	for n := 1; n <= 100; n++ {
		user, err := s.store.CreateUserWithIdentity(ctx, email, accounts.HandleCandidate(base, n), name, ident)
		switch {
		case errors.Is(err, models.ErrHandleTaken):
			continue
		case errors.Is(err, models.ErrIdentityTaken):
			return models.User{}, "", err
		case errors.Is(err, models.ErrConflict):
			return models.User{}, "", accounts.ErrEmailTaken
		case err != nil:
			return models.User{}, "", err
		}
		return user, Created, nil
	}
	return models.User{}, "", accounts.ErrHandleTaken
}

// displayName is the provider's name made storable (printable, at most
// 80 characters), or the email's local part.
func displayName(name, email string) string {
	name = strings.Join(strings.FieldsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }), " ")
	if !models.ValidText(name) {
		name = ""
	}
	if r := []rune(name); len(r) > 80 {
		name = strings.TrimSpace(string(r[:80]))
	}
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
		if r := []rune(name); len(r) > 80 {
			name = string(r[:80])
		}
	}
	if name == "" {
		name = "User"
	}
	return name
}

func plausibleEmail(email string) bool {
	at := strings.LastIndexByte(email, '@')
	return len(email) >= 3 && len(email) <= 254 && at > 0 && at < len(email)-1 && models.ValidText(email) &&
		!strings.ContainsAny(email, " \t\r\n<>")
}

// Account is what the account page shows of single sign-on: the linked
// identities, and whether the account has a password at all.
type Account struct {
	Identities  []models.Identity
	HasPassword bool
}

// AccountOf is userID's single sign-on side.
func (s *Service) AccountOf(ctx context.Context, userID string) (Account, error) {
	ids, err := s.store.Identities(ctx, userID)
	if err != nil {
		return Account{}, err
	}
	hash, err := s.store.PasswordHash(ctx, userID)
	return Account{Identities: ids, HasPassword: hash != ""}, err
}
