package accounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/corkboard/corkboard/models"
	"github.com/golang-jwt/jwt/v5"
)

// Signing in, registering, and the password a signed-in user types again.

const (
	// PendingLoginTTL is how long the second sign-in step waits for its code.
	PendingLoginTTL = 5 * time.Minute
	pendingAudience = "corkboard:2fa-pending"
)

// SignIn is a correct password: the user, and for an account with 2FA on
// the pending token its second step needs (no session yet).
type SignIn struct {
	User         models.User
	PendingToken string // "": no second factor, start the session
}

// Login checks a password behind the throttle: the attempt is counted
// before the password is checked, so simultaneous guesses get no more
// checks than the same guesses in a row. A refused attempt, or the failure
// that locks the account, is a *Refused; a wrong password (or an unknown
// email, which costs the same argon2id work and answers the same) is
// ErrBadCredentials; success forgets the account's failures. The session
// is the caller's to start (and to audit), once any second factor is
// passed.
func (s *Service) Login(ctx context.Context, cl Client, email, password string) (SignIn, error) {
	attempt, err := s.guard().Reserve(ctx, email, cl.IP)
	if err != nil {
		return SignIn{}, err
	}
	s.meter.PasswordChecked()
	user, err := s.checkCredentials(ctx, email, password)
	if errors.Is(err, ErrBadCredentials) {
		// A failure. Nothing here reads the database (the audit and the
		// mail happen in the background), so an unknown email answers as
		// fast.
		if lock := s.passwordFailed(cl, email, attempt, true); lock != nil {
			return SignIn{}, lock
		}
		return SignIn{}, err
	}
	if err != nil {
		return SignIn{}, err // counted: it may have been a guess
	}
	attempt.Succeeded(ctx)
	on, err := s.store.TwoFactorEnabled(ctx, user.ID)
	if err != nil || !on {
		return SignIn{User: user}, err
	}
	token, err := s.issuePendingToken(user.ID)
	return SignIn{User: user, PendingToken: token}, err
}

// checkCredentials checks email's password. An unknown email costs the
// same argon2id work as a wrong password (the dummy hash).
func (s *Service) checkCredentials(ctx context.Context, email, password string) (models.User, error) {
	user, hash, err := s.store.Credentials(ctx, email)
	if errors.Is(err, models.ErrNotFound) {
		_, _ = s.hasher.Check(password, s.dummyHash)
		return models.User{}, ErrBadCredentials
	}
	if err != nil {
		return models.User{}, err
	}
	if hash == "" { // an account made by OpenID Connect sign-in has no password: none matches
		_, _ = s.hasher.Check(password, s.dummyHash)
		return models.User{}, ErrBadCredentials
	}
	ok, err := s.hasher.Check(password, hash)
	if err != nil {
		return models.User{}, err
	}
	if !ok {
		return models.User{}, ErrBadCredentials
	}
	return user, nil
}

// pendingClaims name the user who passed the password step. The audience
// makes the token single-purpose: it is not a session (no sid), and a
// session token is not one of these.
type pendingClaims struct {
	jwt.RegisteredClaims
}

func (s *Service) issuePendingToken(userID string) (string, error) {
	now := s.now()
	jti := make([]byte, 12)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	claims := pendingClaims{jwt.RegisteredClaims{Subject: userID, Audience: jwt.ClaimStrings{pendingAudience},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(PendingLoginTTL)),
		ID: hex.EncodeToString(jti)}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.jwtKey)
}

// PendingUser returns the user id a pending token was issued to, or
// ErrBadPendingToken.
func (s *Service) PendingUser(raw string) (string, error) {
	var claims pendingClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return s.jwtKey, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithAudience(pendingAudience),
		jwt.WithTimeFunc(s.now))
	if err != nil || claims.Subject == "" {
		return "", ErrBadPendingToken
	}
	return claims.Subject, nil
}

// CompleteSignIn verifies the code offered with a pending token and
// returns the user to start a session for.
func (s *Service) CompleteSignIn(ctx context.Context, cl Client, pendingToken string, f Factor) (models.User, error) {
	userID, err := s.PendingUser(pendingToken)
	if err != nil {
		return models.User{}, err
	}
	if err := s.VerifySecondFactor(ctx, cl, userID, f); err != nil {
		return models.User{}, err
	}
	return s.store.UserByID(ctx, userID)
}

// Registration is what a new account is made from. Handle is optional
// (empty: derived from the email, made unique with digits).
type Registration struct {
	Email, Password, DisplayName, Handle string
}

// Register validates and creates an account (the register endpoint and
// page, and the CLI's user create). A taken email is ErrEmailTaken; a
// chosen handle already taken (in any case) is ErrHandleTaken.
func (s *Service) Register(ctx context.Context, r Registration) (models.User, error) {
	v := &models.ValidationError{}
	email, name := models.NormalizeEmail(r.Email), r.DisplayName
	if len(email) < 3 || len(email) > 254 || !strings.Contains(email, "@") || strings.ContainsAny(email, " \t\r\n<>\x00") || !models.ValidText(email) ||
		strings.HasPrefix(email, "@") || strings.HasSuffix(email, "@") {
		v.Add("email", "must be an email address")
	}
	validateDisplayName(v, name)
	handle, chosen := "", strings.TrimSpace(r.Handle) != ""
	if chosen {
		var err error
		if handle, err = NormalizeHandle(r.Handle); err != nil {
			v.Add("handle", handleInvalid)
		}
	}
	ValidatePassword(v, "password", r.Password, email, name)
	if err := v.Err(); err != nil {
		return models.User{}, err
	}
	hash, err := s.hasher.Hash(r.Password)
	if err != nil {
		return models.User{}, err
	}
	if chosen {
		return s.createUser(ctx, email, handle, name, hash)
	}
	// A derived handle: try base, base2, base3 … and let the unique index
	// decide (no look-up first, which two registrations could both pass).
	base := HandleFromEmail(email)
	for n := 1; ; n++ {
		user, err := s.createUser(ctx, email, HandleCandidate(base, n), name, hash)
		if !errors.Is(err, ErrHandleTaken) || n == maxHandleTries {
			return user, err
		}
	}
}

// maxHandleTries bounds the candidates of a derived handle: base … base100.
// Past it registration fails (ErrHandleTaken) rather than looping.
const maxHandleTries = 100

func (s *Service) createUser(ctx context.Context, email, handle, name, hash string) (models.User, error) {
	user, err := s.store.CreateUser(ctx, email, handle, name, hash)
	switch {
	case errors.Is(err, models.ErrHandleTaken):
		return models.User{}, ErrHandleTaken
	case errors.Is(err, models.ErrConflict):
		return models.User{}, ErrEmailTaken
	}
	return user, err
}

func validateDisplayName(v *models.ValidationError, name string) {
	if n := len([]rune(strings.TrimSpace(name))); n == 0 || n > 80 || !models.ValidText(name) ||
		strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 }) {
		v.Add("display_name", "must be 1 to 80 characters")
	}
}

// ProfileChange is a change to the signed-in user's profile; nil fields
// stay as they are.
type ProfileChange struct {
	DisplayName        *string
	Handle             *string
	EmailNotifications *string // off, instant or daily (the store checks)
}

// UpdateProfile changes the display name and/or handle of user, together
// or not at all: an invalid value is a field error, a handle another
// account has (in any case) ErrHandleTaken. Profile changes are not
// security events: they are not audited (as before handles).
func (s *Service) UpdateProfile(ctx context.Context, user models.User, c ProfileChange) (models.User, error) {
	v := &models.ValidationError{}
	patch := models.ProfilePatch{EmailNotifications: c.EmailNotifications}
	if c.DisplayName != nil {
		validateDisplayName(v, *c.DisplayName)
		patch.DisplayName = c.DisplayName
	}
	if c.Handle != nil {
		h, err := NormalizeHandle(*c.Handle)
		if err != nil {
			v.Add("handle", handleInvalid)
		}
		patch.Handle = &h
	}
	if err := v.Err(); err != nil {
		return models.User{}, err
	}
	updated, err := s.store.UpdateProfile(ctx, user.ID, patch)
	if errors.Is(err, models.ErrHandleTaken) {
		return models.User{}, ErrHandleTaken
	}
	return updated, err
}

// CheckPassword confirms a signed-in user's password. Every "current
// password" check goes through here: it counts toward the same throttle
// and lock as signing in to that account (by its email; not toward the
// per-IP count, which is for sign-in, where anyone can name any account),
// so a stolen session cannot guess the password at request speed. A
// refusal, or the failure that locks the account, is a *Refused; a wrong
// password is ErrWrongPassword.
func (s *Service) CheckPassword(ctx context.Context, cl Client, userID, password string) error {
	user, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	attempt, err := s.guard().Reserve(ctx, user.Email, "")
	if err != nil {
		return err
	}
	hash, err := s.store.PasswordHash(ctx, userID)
	if err != nil {
		return err
	}
	s.meter.PasswordChecked()
	if ok, err := s.hasher.Check(password, hash); err == nil && ok {
		attempt.Succeeded(ctx)
		return nil
	}
	if lock := s.passwordFailed(cl, user.Email, attempt, false); lock != nil {
		return lock
	}
	return ErrWrongPassword
}

// ChangePassword sets a new password on the account page: the current one
// first (CheckPassword), then the new one's strength (a field error on
// "new_password"). Every other session of the user ends (keep: the one
// making the change); their ids are returned so their sockets close.
func (s *Service) ChangePassword(ctx context.Context, cl Client, user models.User, keep, current, next string) ([]string, error) {
	if err := s.CheckPassword(ctx, cl, user.ID, current); err != nil {
		return nil, err
	}
	v := &models.ValidationError{}
	ValidatePassword(v, "new_password", next, user.Email, user.DisplayName)
	if err := v.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hasher.Hash(next)
	if err != nil {
		return nil, err
	}
	ended, err := s.store.SetPassword(ctx, user.ID, hash, keep)
	if err != nil {
		return ended, err
	}
	s.Audit(ctx, cl, user.ID, AuditPasswordChange, map[string]any{"sessions_ended": len(ended)})
	return ended, nil
}

// Reauthenticate checks a signed-in user's password, or with 2FA on a
// current or backup code, and records on the session that it was entered
// now ("sudo mode", see RecentlyAuthenticated). The password goes through
// CheckPassword (and its throttle), a code through VerifySecondFactor (and
// its lock). A wrong password, or a code while 2FA is off, is a field
// error (the session itself is fine); a wrong code is ErrWrongCode. A session that ended meanwhile is models.ErrNotFound.
func (s *Service) Reauthenticate(ctx context.Context, cl Client, userID, sessionID, password string, f Factor) error {
	with := "password"
	switch {
	case password != "" && !f.Empty():
		return &models.ValidationError{Fields: []models.FieldError{{Field: "password", Message: "send the password or a code, not both"}}}
	case password != "":
		if err := s.CheckPassword(ctx, cl, userID, password); err != nil {
			return err
		}
	case !f.Empty():
		with = "code"
		err := s.VerifySecondFactor(ctx, cl, userID, f)
		if errors.Is(err, ErrTwoFactorOff) {
			return &models.ValidationError{Fields: []models.FieldError{{Field: "code",
				Message: "cannot be used: two-factor authentication is off, so send your password"}}}
		}
		if err != nil {
			return err
		}
	default:
		return &models.ValidationError{Fields: []models.FieldError{{Field: "password",
			Message: "is required (or, with two-factor authentication on, code)"}}}
	}
	if err := s.store.ReauthenticateSession(ctx, userID, sessionID, s.now()); err != nil {
		return err
	}
	s.Audit(ctx, cl, userID, AuditReauth, map[string]any{"session_id": sessionID, "with": with})
	return nil
}

// ReauthenticatedElsewhere records on sessionID that its user just proved
// who they are another way (with: "oidc", a provider's fresh sign-in).
func (s *Service) ReauthenticatedElsewhere(ctx context.Context, cl Client, userID, sessionID, with string) error {
	if err := s.store.ReauthenticateSession(ctx, userID, sessionID, s.now()); err != nil {
		return err
	}
	s.Audit(ctx, cl, userID, AuditReauth, map[string]any{"session_id": sessionID, "with": with})
	return nil
}
