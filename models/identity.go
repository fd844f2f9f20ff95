package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Identity is an account's identity at an OpenID provider: the provider
// (Issuer) names the person by Subject, for good; Email is the address it
// gave at the last sign-in.
type Identity struct {
	Issuer     string    `json:"issuer"`
	Subject    string    `json:"subject"`
	UserID     string    `json:"-"`
	Email      string    `json:"email"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
}

type identityRow struct {
	Issuer     string `gorm:"primaryKey"`
	Subject    string `gorm:"primaryKey"`
	UserID     string
	Email      string
	CreatedAt  time.Time
	LastUsedAt time.Time
}

func (identityRow) TableName() string { return "identities" }

func (r identityRow) view() Identity {
	return Identity{Issuer: r.Issuer, Subject: r.Subject, UserID: r.UserID, Email: r.Email, CreatedAt: r.CreatedAt,
		LastUsedAt: r.LastUsedAt}
}

// ErrIdentityTaken is an identity already linked (to this account or
// another): two first sign-ins of one person at once.
var ErrIdentityTaken = fmt.Errorf("identity already linked: %w", ErrConflict)

func validIdentity(issuer, subject, email string) bool {
	return validText(issuer) && validText(subject) && validText(email) && issuer != "" && subject != "" &&
		len(issuer) <= 2000 && len(subject) <= 255 && len(email) <= 254
}

// UserByIdentity is the account linked to (issuer, subject), or
// ErrNotFound. It records the sign-in on the identity: when, and the
// email the provider gives now.
func (s *Store) UserByIdentity(ctx context.Context, issuer, subject, email string) (User, error) {
	if !validIdentity(issuer, subject, email) {
		return User{}, ErrNotFound
	}
	var row userRow
	err := translate(s.read(ctx).Joins("JOIN identities ON identities.user_id = users.id").
		Where("identities.issuer = ? AND identities.subject = ?", issuer, subject).Take(&row).Error)
	if err != nil {
		return User{}, err
	}
	if err := s.write(ctx).Model(&identityRow{}).Where("issuer = ? AND subject = ?", issuer, subject).
		Updates(map[string]any{"last_used_at": s.now(), "email": NormalizeEmail(email)}).Error; err != nil {
		return User{}, translate(err)
	}
	return row.view(), nil
}

// LinkIdentity links (issuer, subject) to an existing account. An
// identity already linked is ErrIdentityTaken.
func (s *Store) LinkIdentity(ctx context.Context, userID, issuer, subject, email string) (Identity, error) {
	if !validIdentity(issuer, subject, email) {
		return Identity{}, invalid("subject", "is not a valid identity")
	}
	now := s.now()
	row := identityRow{Issuer: issuer, Subject: subject, UserID: userID, Email: NormalizeEmail(email), CreatedAt: now,
		LastUsedAt: now}
	if err := s.insertIdentity(s.write(ctx), &row); err != nil {
		return Identity{}, err
	}
	return row.view(), nil
}

func (s *Store) insertIdentity(db *gorm.DB, row *identityRow) error {
	err := translate(db.Create(row).Error)
	if errors.Is(err, ErrConflict) {
		return fmt.Errorf("%w: %v", ErrIdentityTaken, err)
	}
	return err
}

// CreateUserWithIdentity creates a password-less account (no password
// matches an empty hash) and its identity, both or neither. A taken email
// is ErrConflict, a taken handle ErrHandleTaken, a taken identity
// ErrIdentityTaken.
func (s *Store) CreateUserWithIdentity(ctx context.Context, email, handle, displayName string, id Identity) (User, error) {
	if !validIdentity(id.Issuer, id.Subject, email) {
		return User{}, invalid("subject", "is not a valid identity")
	}
	now := s.now()
	user := userRow{ID: uuid.NewString(), Email: NormalizeEmail(email), Handle: handle,
		DisplayName: strings.TrimSpace(displayName), CreatedAt: now, UpdatedAt: now}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := userConflict(tx.Create(&user).Error); err != nil {
			return err
		}
		return s.insertIdentity(tx, &identityRow{Issuer: id.Issuer, Subject: id.Subject, UserID: user.ID,
			Email: user.Email, CreatedAt: now, LastUsedAt: now})
	})
	if err != nil {
		return User{}, err
	}
	return user.view(), nil
}

// Identities are userID's identities, oldest first.
func (s *Store) Identities(ctx context.Context, userID string) ([]Identity, error) {
	var rows []identityRow
	if err := s.read(ctx).Where("user_id = ?", userID).Order("created_at, issuer, subject").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]Identity, len(rows))
	for i, r := range rows {
		out[i] = r.view()
	}
	return out, nil
}
