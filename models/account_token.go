package models

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// TokenPurpose says what a mailed account token does.
type TokenPurpose string

const (
	PurposeReset  TokenPurpose = "reset"  // sets a new password
	PurposeUnlock TokenPurpose = "unlock" // ends a login lock
)

// ErrTooManyTokens: the account asked for more tokens of a purpose in the
// last hour than allowed. The app answers as if it had sent one.
var ErrTooManyTokens = errors.New("too many tokens requested")

type accountTokenRow struct {
	ID        string
	UserID    string
	Purpose   TokenPurpose
	TokenHash string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

func (accountTokenRow) TableName() string { return "account_tokens" }

// CreateAccountToken stores the hash of a token about to be mailed, valid
// until now+ttl, unless the user already got perHour tokens of this purpose
// in the hour before now (ErrTooManyTokens). The user row is locked for the
// count, so concurrent requests cannot both slip under the limit. Spent and
// expired tokens of the user older than a day are dropped on the way.
func (s *Store) CreateAccountToken(ctx context.Context, userID string, purpose TokenPurpose, tokenHash string,
	now time.Time, ttl time.Duration, perHour int) error {
	now = now.UTC()
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE users SET updated_at = updated_at WHERE id = ?`, userID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := tx.Where("user_id = ? AND expires_at < ?", userID, now.Add(-24*time.Hour)).
			Delete(&accountTokenRow{}).Error; err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&accountTokenRow{}).Where("user_id = ? AND purpose = ? AND created_at > ?",
			userID, purpose, now.Add(-time.Hour)).Count(&n).Error; err != nil {
			return err
		}
		if perHour > 0 && n >= int64(perHour) {
			return ErrTooManyTokens
		}
		return tx.Create(&accountTokenRow{ID: uuid.NewString(), UserID: userID, Purpose: purpose,
			TokenHash: tokenHash, CreatedAt: now, ExpiresAt: now.Add(ttl)}).Error
	})
}

// AccountTokenUser returns the user of a live (unused, unexpired at now)
// token without spending it: a reset page checks the link before showing
// its form, and the new password is checked against the user's name.
func (s *Store) AccountTokenUser(ctx context.Context, purpose TokenPurpose, tokenHash string, now time.Time) (User, error) {
	var row userRow
	err := s.read(ctx).Table("users").Select("users.*").
		Joins("JOIN account_tokens t ON t.user_id = users.id").
		Where("t.token_hash = ? AND t.purpose = ? AND t.used_at IS NULL AND t.expires_at > ?", tokenHash, purpose, now.UTC()).
		Take(&row).Error
	if err := translate(err); err != nil {
		return User{}, err
	}
	return row.view(), nil
}

// spendToken marks a live token used in one statement (so two concurrent
// uses cannot both succeed) and returns its user's id; ErrNotFound if it is
// unknown, spent or expired.
func spendToken(tx *gorm.DB, purpose TokenPurpose, tokenHash string, now time.Time) (string, error) {
	var userID string
	res := tx.Raw(`UPDATE account_tokens SET used_at = ?
		WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id`,
		now, tokenHash, purpose, now).Scan(&userID)
	if res.Error != nil {
		return "", res.Error
	}
	if res.RowsAffected == 0 || userID == "" {
		return "", ErrNotFound
	}
	return userID, nil
}

// UseAccountToken spends a live token and returns its user.
func (s *Store) UseAccountToken(ctx context.Context, purpose TokenPurpose, tokenHash string, now time.Time) (User, error) {
	var userID string
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		userID, err = spendToken(tx, purpose, tokenHash, now.UTC())
		return err
	})
	if err != nil {
		return User{}, err
	}
	return s.UserByID(ctx, userID)
}

// Recovery is what a password reset ended: the account's sessions and its
// personal API tokens (the sockets of both must close).
type Recovery struct {
	User          User
	EndedSessions []string   // ids of the sessions ended
	RevokedTokens []APIToken // the API tokens revoked
}

// ResetPassword spends a live reset token, sets the new hash, spends the
// user's other reset tokens, ends all of the user's sessions and revokes
// all of their API tokens, in one transaction: a reset is never half
// applied (a stolen token must not outlive the recovery that was meant to
// shut its thief out).
func (s *Store) ResetPassword(ctx context.Context, tokenHash, passwordHash string, now time.Time) (Recovery, error) {
	now = now.UTC()
	var userID string
	var ended []string
	var tokens []tokenRow
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		if userID, err = spendToken(tx, PurposeReset, tokenHash, now); err != nil {
			return err
		}
		if err := tx.Model(&userRow{}).Where("id = ?", userID).
			Updates(map[string]any{"password_hash": passwordHash, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		if err := tx.Model(&accountTokenRow{}).Where("user_id = ? AND purpose = ? AND used_at IS NULL", userID, PurposeReset).
			Update("used_at", now).Error; err != nil {
			return err
		}
		if err := tx.Model(&sessionRow{}).Where("user_id = ?", userID).Pluck("id", &ended).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", userID).Delete(&sessionRow{}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", userID).Order("created_at, id").Find(&tokens).Error; err != nil {
			return err
		}
		return tx.Where("user_id = ?", userID).Delete(&tokenRow{}).Error
	})
	if userID != "" {
		s.sessions.forgetUser(userID)
	}
	if err != nil {
		return Recovery{}, translate(err)
	}
	user, err := s.UserByID(ctx, userID)
	if err != nil {
		return Recovery{}, err
	}
	out := Recovery{User: user, EndedSessions: ended, RevokedTokens: make([]APIToken, len(tokens))}
	for i, r := range tokens {
		out.RevokedTokens[i] = r.view()
	}
	return out, nil
}
