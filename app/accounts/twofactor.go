package accounts

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/corkboard/corkboard/models"
)

// Two-factor authentication: the secret is encrypted at rest with AES-GCM
// under TOTP_KEY, a code is accepted one step either side of now and never
// twice, ten single-use backup codes are stored hashed, and five wrong
// codes lock the second factor for 15 minutes on every instance
// (Guard.ReserveCode: each code is counted before it is checked, so
// simultaneous guesses get no more checks).

// reserveCode counts a code of userID before it is checked, or refuses it
// (*CodeLocked) while the second factor is locked.
func (s *Service) reserveCode(ctx context.Context, userID string) (*Attempt, error) {
	attempt, err := s.guard().ReserveCode(ctx, userID)
	var r *Refused
	if errors.As(err, &r) {
		return nil, &CodeLocked{Until: r.LockedUntil, RetryAfter: r.LockedUntil.Sub(s.now())}
	}
	if err != nil {
		return nil, err
	}
	s.meter.CodeChecked()
	return attempt, nil
}

// codeFailed audits a wrong code counted by attempt and returns the error
// to answer: the lock, if this fifth wrong code set it.
func (s *Service) codeFailed(ctx context.Context, cl Client, userID, why string, attempt *Attempt) error {
	s.Audit(ctx, cl, userID, Audit2FAFailed, map[string]any{"reason": why, "failures": attempt.Failures()})
	lock := attempt.Failed()
	if lock == nil {
		return ErrWrongCode
	}
	s.Audit(ctx, cl, userID, Audit2FALocked, map[string]any{"until": lock.LockedUntil.UTC().Format(time.RFC3339)})
	return &CodeLocked{Until: lock.LockedUntil, RetryAfter: lock.LockedUntil.Sub(s.now())}
}

// VerifySecondFactor checks a TOTP or backup code of a user whose 2FA is on:
// the code is counted (or refused while locked: *CodeLocked) first, then
// checked (a TOTP code's step must be later than the last accepted one; a
// backup code is spent). A right code forgets the wrong ones. Errors:
// ErrTwoFactorOff, ErrWrongCode, *CodeLocked.
func (s *Service) VerifySecondFactor(ctx context.Context, cl Client, userID string, f Factor) error {
	tf, err := s.store.TwoFactorOf(ctx, userID)
	if errors.Is(err, models.ErrNotFound) || (err == nil && !tf.Enabled) {
		return ErrTwoFactorOff
	}
	if err != nil {
		return err
	}
	attempt, err := s.reserveCode(ctx, userID)
	if err != nil {
		return err
	}
	if strings.TrimSpace(f.BackupCode) != "" {
		ok, err := s.store.UseBackupCode(ctx, userID, hashBackupCode(f.BackupCode), s.now())
		if err != nil {
			return err
		}
		if !ok {
			return s.codeFailed(ctx, cl, userID, "backup code", attempt)
		}
		s.Audit(ctx, cl, userID, AuditBackupCodeUsed, map[string]any{"left": tf.BackupCodesLeft - 1})
		attempt.Succeeded(ctx)
		return nil
	}
	secret, err := s.box.open(tf.SecretEnc, userID)
	if err != nil {
		return err
	}
	step, ok := matchTOTP(secret, f.Code, s.now())
	if !ok {
		return s.codeFailed(ctx, cl, userID, "wrong code", attempt)
	}
	fresh, err := s.store.UseTOTPStep(ctx, userID, step)
	if err != nil {
		return err
	}
	if !fresh {
		return s.codeFailed(ctx, cl, userID, "code reused", attempt)
	}
	attempt.Succeeded(ctx)
	return nil
}

// BeginTwoFactor makes a new secret, stores it encrypted as pending, and
// returns the set-up to show (ErrTwoFactorOn when it is on already).
func (s *Service) BeginTwoFactor(ctx context.Context, user models.User) (Setup, error) {
	key, err := newTOTPKey(user.Email)
	if err != nil {
		return Setup{}, err
	}
	sealed, err := s.box.seal(key.Secret(), user.ID)
	if err != nil {
		return Setup{}, err
	}
	if err := s.store.BeginTwoFactor(ctx, user.ID, sealed, s.now()); errors.Is(err, models.ErrConflict) {
		return Setup{}, ErrTwoFactorOn
	} else if err != nil {
		return Setup{}, err
	}
	return setupOf(key)
}

// PendingTwoFactor is the set-up waiting for its first code:
// models.ErrNotFound when there is none, ErrTwoFactorOn when it is on.
func (s *Service) PendingTwoFactor(ctx context.Context, user models.User) (Setup, error) {
	tf, err := s.store.TwoFactorOf(ctx, user.ID)
	if err != nil {
		return Setup{}, err
	}
	if tf.Enabled {
		return Setup{}, ErrTwoFactorOn
	}
	secret, err := s.box.open(tf.SecretEnc, user.ID)
	if err != nil {
		return Setup{}, err
	}
	key, err := totpKey(secret, user.Email)
	if err != nil {
		return Setup{}, err
	}
	return setupOf(key)
}

// EnableTwoFactor confirms the pending set-up with a code from the app and
// returns the backup codes to show once. Errors: ErrNoSetup,
// ErrTwoFactorOn, ErrWrongCode, *CodeLocked.
func (s *Service) EnableTwoFactor(ctx context.Context, cl Client, user models.User, code string) ([]string, error) {
	tf, err := s.store.TwoFactorOf(ctx, user.ID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return nil, ErrNoSetup
	case err != nil:
		return nil, err
	case tf.Enabled:
		return nil, ErrTwoFactorOn
	}
	secret, err := s.box.open(tf.SecretEnc, user.ID)
	if err != nil {
		return nil, err
	}
	attempt, err := s.reserveCode(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	step, ok := matchTOTP(secret, code, s.now())
	if !ok {
		return nil, s.codeFailed(ctx, cl, user.ID, "wrong confirmation code", attempt)
	}
	attempt.Succeeded(ctx)
	codes, hashes, err := newBackupCodes()
	if err != nil {
		return nil, err
	}
	if err := s.store.EnableTwoFactor(ctx, user.ID, step, hashes, s.now()); errors.Is(err, models.ErrConflict) {
		return nil, ErrTwoFactorOn
	} else if errors.Is(err, models.ErrNotFound) {
		return nil, ErrNoSetup
	} else if err != nil {
		return nil, err
	}
	s.Audit(ctx, cl, user.ID, Audit2FAEnabled, nil)
	return codes, nil
}

// DisableTwoFactor needs the password (CheckPassword: its throttle) and a
// current (or backup) code (VerifySecondFactor: its lock).
func (s *Service) DisableTwoFactor(ctx context.Context, cl Client, user models.User, password string, f Factor) error {
	if err := s.CheckPassword(ctx, cl, user.ID, password); err != nil {
		return err
	}
	if err := s.VerifySecondFactor(ctx, cl, user.ID, f); err != nil {
		return err
	}
	if err := s.store.DisableTwoFactor(ctx, user.ID); err != nil {
		return err
	}
	s.Audit(ctx, cl, user.ID, Audit2FADisabled, nil)
	return nil
}

// RegenerateBackupCodes replaces the backup codes; it needs a current code.
func (s *Service) RegenerateBackupCodes(ctx context.Context, cl Client, user models.User, f Factor) ([]string, error) {
	if err := s.VerifySecondFactor(ctx, cl, user.ID, f); err != nil {
		return nil, err
	}
	codes, hashes, err := newBackupCodes()
	if err != nil {
		return nil, err
	}
	if err := s.store.ReplaceBackupCodes(ctx, user.ID, hashes); err != nil {
		return nil, err
	}
	s.Audit(ctx, cl, user.ID, AuditBackupCodesRegen, nil)
	return codes, nil
}
