package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/corkboard/corkboard/models"
)

// Password reset and unlock by e-mail. A mailed token is 32 random bytes
// (base64url in the link); only its SHA-256 is stored, it works once, and
// it expires (a reset after 15 minutes, an unlock after an hour).

const (
	ResetTTL       = 15 * time.Minute
	UnlockTTL      = time.Hour
	TokensPerHour  = 3 // reset (and unlock) mails per account per hour
	maxTokenLength = 100
)

// issueAccountToken creates a token for a mailed link;
// models.ErrTooManyTokens when the account had its share this hour.
func (s *Service) issueAccountToken(ctx context.Context, userID string, purpose models.TokenPurpose, ttl time.Duration) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	err := s.store.CreateAccountToken(ctx, userID, purpose, HashToken(token), s.now(), ttl, TokensPerHour)
	return token, err
}

// HashToken is what is stored of a token (mailed or API): its SHA-256. A
// 256-bit random token needs no slow hash.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// CheckToken refuses what cannot be a mailed token (ErrBadToken) before it
// reaches the store.
func CheckToken(token string) error {
	if token == "" || len(token) > maxTokenLength || !models.ValidText(token) {
		return ErrBadToken
	}
	return nil
}

// RequestReset mails a reset link to email's account, if there is one, in
// the background: the caller answers at once and the same either way. At
// most TokensPerHour mails per account per hour; the others are dropped
// (and not audited: anyone may ask for anyone's reset).
func (s *Service) RequestReset(cl Client, email string) {
	requested := s.event(cl, AuditResetRequested, nil)
	email = strings.Clone(email)
	s.background(func(ctx context.Context) {
		if !models.ValidText(email) || len(email) > 254 {
			return
		}
		user, _, err := s.store.Credentials(ctx, email)
		if err != nil {
			if !errors.Is(err, models.ErrNotFound) {
				s.log.Error("reset request: finding the account", "err", err)
			}
			return
		}
		token, err := s.issueAccountToken(ctx, user.ID, models.PurposeReset, ResetTTL)
		if errors.Is(err, models.ErrTooManyTokens) {
			// Not audited: the log must not grow by the request.
			s.log.Info("reset request not mailed: the account had 3 this hour", "user_id", user.ID)
			return
		}
		if err != nil {
			s.log.Error("reset request: creating the token", "user_id", user.ID, "err", err)
			return
		}
		requested.UserID = user.ID
		s.record(ctx, requested)
		s.send(user.Email, resetMail(user.DisplayName, s.link("/reset-password", token)))
	})
}

// ResetTokenValid reports whether token is a live reset token (the reset
// page asks before showing its form; it does not spend it).
func (s *Service) ResetTokenValid(ctx context.Context, token string) (bool, error) {
	if CheckToken(token) != nil {
		return false, nil
	}
	_, err := s.store.AccountTokenUser(ctx, models.PurposeReset, HashToken(token), s.now())
	if errors.Is(err, models.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Reset is what a password reset did: the account, and the sessions it
// ended and the API tokens it revoked (whose sockets the caller closes).
type Reset struct {
	User          models.User
	EndedSessions []string
	RevokedTokens []string
}

// ResetPassword sets a new password with a reset token: it checks the
// token (ErrBadToken), then the password's strength against the account's
// email and name, and in one transaction spends the token, ends every
// session of the account and revokes every API token: whoever had the old
// password may have made either. The lock is lifted, and the owner mailed.
func (s *Service) ResetPassword(ctx context.Context, cl Client, token, password string) (Reset, error) {
	if err := CheckToken(token); err != nil {
		return Reset{}, err
	}
	user, err := s.store.AccountTokenUser(ctx, models.PurposeReset, HashToken(token), s.now())
	if errors.Is(err, models.ErrNotFound) {
		return Reset{}, ErrBadToken
	}
	if err != nil {
		return Reset{}, err
	}
	v := &models.ValidationError{}
	ValidatePassword(v, "password", password, user.Email, user.DisplayName)
	if err := v.Err(); err != nil {
		return Reset{}, err
	}
	hash, err := s.hasher.Hash(password)
	if err != nil {
		return Reset{}, err
	}
	rec, err := s.store.ResetPassword(ctx, HashToken(token), hash, s.now())
	if errors.Is(err, models.ErrNotFound) { // spent by a concurrent request
		return Reset{}, ErrBadToken
	}
	if err != nil {
		return Reset{}, err
	}
	out := Reset{User: rec.User, EndedSessions: rec.EndedSessions}
	for _, t := range rec.RevokedTokens {
		out.RevokedTokens = append(out.RevokedTokens, t.ID)
		s.Audit(ctx, cl, out.User.ID, AuditTokenRevoked, map[string]any{"token_id": t.ID, "name": t.Name, "reason": AuditReset})
	}
	s.clearLock(ctx, out.User.Email)
	s.Audit(ctx, cl, out.User.ID, AuditReset, map[string]any{"sessions_ended": len(rec.EndedSessions),
		"tokens_revoked": len(rec.RevokedTokens)})
	s.send(out.User.Email, passwordResetMail(out.User.DisplayName))
	return out, nil
}

// Unlock ends the lock of the token's account (ErrBadToken: not a live
// unlock token).
func (s *Service) Unlock(ctx context.Context, cl Client, token string) error {
	if err := CheckToken(token); err != nil {
		return err
	}
	user, err := s.store.UseAccountToken(ctx, models.PurposeUnlock, HashToken(token), s.now())
	if errors.Is(err, models.ErrNotFound) {
		return ErrBadToken
	}
	if err != nil {
		return err
	}
	s.clearLock(ctx, user.Email)
	s.Audit(ctx, cl, user.ID, AuditUnlocked, nil)
	return nil
}
