package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// TwoFactor is a user's TOTP state. The secret is stored encrypted by the
// app (models never sees the key); SecretEnc is that ciphertext.
type TwoFactor struct {
	UserID    string
	SecretEnc string
	Enabled   bool      // false while a set-up waits for its first code
	LastStep  int64     // the last accepted time step: a code is never accepted twice
	EnabledAt time.Time // zero while pending
	// BackupCodesLeft counts the unused backup codes.
	BackupCodesLeft int
}

type twoFactorRow struct {
	UserID    string
	SecretEnc string
	Enabled   bool
	LastStep  int64
	CreatedAt time.Time
	EnabledAt *time.Time
}

func (twoFactorRow) TableName() string { return "user_totp" }

type backupCodeRow struct {
	UserID   string
	CodeHash string
	UsedAt   *time.Time
}

func (backupCodeRow) TableName() string { return "backup_codes" }

// TwoFactorOf loads the user's TOTP state; ErrNotFound when there is none
// (neither enabled nor being set up).
func (s *Store) TwoFactorOf(ctx context.Context, userID string) (TwoFactor, error) {
	var row twoFactorRow
	if err := translate(s.read(ctx).Where("user_id = ?", userID).Take(&row).Error); err != nil {
		return TwoFactor{}, err
	}
	var left int64
	if err := s.read(ctx).Model(&backupCodeRow{}).Where("user_id = ? AND used_at IS NULL", userID).Count(&left).Error; err != nil {
		return TwoFactor{}, translate(err)
	}
	tf := TwoFactor{UserID: row.UserID, SecretEnc: row.SecretEnc, Enabled: row.Enabled, LastStep: row.LastStep,
		BackupCodesLeft: int(left)}
	if row.EnabledAt != nil {
		tf.EnabledAt = *row.EnabledAt
	}
	return tf, nil
}

// TwoFactorEnabled reports whether logging in needs a code.
func (s *Store) TwoFactorEnabled(ctx context.Context, userID string) (bool, error) {
	var n int64
	err := s.read(ctx).Model(&twoFactorRow{}).Where("user_id = ? AND enabled", userID).Count(&n).Error
	return n > 0, translate(err)
}

// BeginTwoFactor stores a new pending secret, replacing an earlier pending
// one. An account whose 2FA is already on is ErrConflict: it must be turned
// off first, so a stolen session cannot swap the secret silently.
func (s *Store) BeginTwoFactor(ctx context.Context, userID, secretEnc string, now time.Time) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		var row twoFactorRow
		err := tx.Where("user_id = ?", userID).Take(&row).Error
		switch {
		case err == nil && row.Enabled:
			return ErrConflict
		case err == nil:
			return tx.Model(&twoFactorRow{}).Where("user_id = ?", userID).
				Updates(map[string]any{"secret_enc": secretEnc, "last_step": 0, "created_at": now.UTC()}).Error
		case err == gorm.ErrRecordNotFound:
			return tx.Create(&twoFactorRow{UserID: userID, SecretEnc: secretEnc, CreatedAt: now.UTC()}).Error
		}
		return err
	})
}

// EnableTwoFactor turns a pending set-up on, records the step of the code
// that confirmed it, and replaces the backup codes, in one transaction.
// Without a pending set-up it is ErrNotFound; already on, ErrConflict.
func (s *Store) EnableTwoFactor(ctx context.Context, userID string, step int64, codeHashes []string, now time.Time) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		var row twoFactorRow
		if err := tx.Where("user_id = ?", userID).Take(&row).Error; err != nil {
			return err
		}
		if row.Enabled {
			return ErrConflict
		}
		if err := tx.Model(&twoFactorRow{}).Where("user_id = ?", userID).
			Updates(map[string]any{"enabled": true, "enabled_at": now.UTC(), "last_step": step}).Error; err != nil {
			return err
		}
		return replaceBackupCodes(tx, userID, codeHashes)
	})
}

// UseTOTPStep records that the code of step was used, unless that step or
// a later one already was: false means the code is a replay. The condition
// is in the UPDATE, so two instances racing on one code cannot both win.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error) {
	res := s.write(ctx).Model(&twoFactorRow{}).Where("user_id = ? AND last_step < ?", userID, step).
		Update("last_step", step)
	if err := translate(res.Error); err != nil {
		return false, err
	}
	return res.RowsAffected == 1, nil
}

// UseBackupCode spends one unused backup code; false when there is no such
// unused code. Single use holds across instances (the UPDATE is the check).
func (s *Store) UseBackupCode(ctx context.Context, userID, codeHash string, now time.Time) (bool, error) {
	res := s.write(ctx).Model(&backupCodeRow{}).Where("user_id = ? AND code_hash = ? AND used_at IS NULL", userID, codeHash).
		Update("used_at", now.UTC())
	if err := translate(res.Error); err != nil {
		return false, err
	}
	return res.RowsAffected == 1, nil
}

// ReplaceBackupCodes discards every backup code of the user and stores the
// new ones (hashes), in one transaction.
func (s *Store) ReplaceBackupCodes(ctx context.Context, userID string, codeHashes []string) error {
	return s.tx(ctx, func(tx *gorm.DB) error { return replaceBackupCodes(tx, userID, codeHashes) })
}

func replaceBackupCodes(tx *gorm.DB, userID string, codeHashes []string) error {
	if err := tx.Where("user_id = ?", userID).Delete(&backupCodeRow{}).Error; err != nil {
		return err
	}
	rows := make([]backupCodeRow, len(codeHashes))
	for i, h := range codeHashes {
		rows[i] = backupCodeRow{UserID: userID, CodeHash: h}
	}
	if len(rows) == 0 {
		return nil
	}
	return tx.Create(&rows).Error
}

// DisableTwoFactor removes the secret and the backup codes.
func (s *Store) DisableTwoFactor(ctx context.Context, userID string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("user_id = ?", userID).Delete(&backupCodeRow{}).Error; err != nil {
			return err
		}
		res := tx.Where("user_id = ?", userID).Delete(&twoFactorRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return nil
	})
}
