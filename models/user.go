package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"gorm.io/gorm"
)

// User is the public shape of an account. The password hash lives only in
// userRow and has no path out of this package except Credentials.
type User struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	Handle      string `json:"handle"` // @handle: lower-case, unique (the rule: accounts.NormalizeHandle)
	DisplayName string `json:"display_name"`
	Invisible   bool   `json:"invisible"` // watches boards without appearing in presence
	// EmailNotifications is off, instant or daily (EmailOff...).
	EmailNotifications string `json:"email_notifications"`
}

// E-mail settings of notifications (users.email_notifications).
const (
	EmailOff     = "off"
	EmailInstant = "instant"
	EmailDaily   = "daily"
)

type userRow struct {
	ID                 string
	Email              string
	Handle             string
	DisplayName        string
	PasswordHash       string
	Invisible          bool
	EmailNotifications string
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func (userRow) TableName() string { return "users" }

// BeforeCreate gives a new account the default mail setting: GORM writes
// every field, so an empty one would be refused by the column's CHECK.
func (r *userRow) BeforeCreate(*gorm.DB) error {
	if r.EmailNotifications == "" {
		r.EmailNotifications = EmailInstant
	}
	return nil
}

func (r userRow) view() User {
	return User{ID: r.ID, Email: r.Email, Handle: r.Handle, DisplayName: r.DisplayName, Invisible: r.Invisible,
		EmailNotifications: r.EmailNotifications}
}

// NormalizeEmail case-folds and trims an address; emails are stored this way
// so uniqueness is case-insensitive.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ValidText reports whether s can be stored as text: valid UTF-8, no NUL.
func ValidText(s string) bool { return validText(s) }

// ErrHandleTaken is a handle another account has: an ErrConflict on the
// users' handle index, told apart from a taken email.
var ErrHandleTaken = fmt.Errorf("handle taken: %w", ErrConflict)

// CreateUser stores a new account with its handle (valid and lower-cased:
// accounts' rule; the schema refuses anything else). A taken handle is
// ErrHandleTaken, a taken email ErrConflict.
func (s *Store) CreateUser(ctx context.Context, email, handle, displayName, passwordHash string) (User, error) {
	now := s.now()
	row := userRow{
		ID: uuid.NewString(), Email: NormalizeEmail(email), Handle: handle, DisplayName: strings.TrimSpace(displayName),
		PasswordHash: passwordHash, EmailNotifications: EmailInstant, CreatedAt: now, UpdatedAt: now,
	}
	if err := userConflict(s.write(ctx).Create(&row).Error); err != nil {
		return User{}, err
	}
	return row.view(), nil
}

// userConflict is translate, with a unique violation of the handle index
// as ErrHandleTaken.
func userConflict(err error) error {
	var pge *pgconn.PgError
	var sqe sqlite3.Error
	onHandle := errors.As(err, &pge) && pge.ConstraintName == "users_handle_key" ||
		errors.As(err, &sqe) && strings.Contains(sqe.Error(), "users.handle")
	err = translate(err)
	if onHandle && errors.Is(err, ErrConflict) {
		return fmt.Errorf("%w: %v", ErrHandleTaken, err)
	}
	return err
}

// Credentials returns the user and password hash for a login attempt.
func (s *Store) Credentials(ctx context.Context, email string) (User, string, error) {
	if !validText(email) {
		return User{}, "", ErrNotFound
	}
	var row userRow
	err := translate(s.read(ctx).Where("email = ?", NormalizeEmail(email)).Take(&row).Error)
	if err != nil {
		return User{}, "", err
	}
	return row.view(), row.PasswordHash, nil
}

// PasswordHash returns the stored hash of a user (to check the current
// password before a change).
func (s *Store) PasswordHash(ctx context.Context, userID string) (string, error) {
	var row userRow
	if err := translate(s.read(ctx).Select("password_hash").Where("id = ?", userID).Take(&row).Error); err != nil {
		return "", err
	}
	return row.PasswordHash, nil
}

// UserByID loads an account.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	var row userRow
	if err := translate(s.read(ctx).Where("id = ?", id).Take(&row).Error); err != nil {
		return User{}, err
	}
	return row.view(), nil
}

// ProfilePatch changes a user's profile; nil fields stay. Handle must be
// valid and lower-cased (accounts' rule).
type ProfilePatch struct {
	DisplayName        *string
	Handle             *string
	EmailNotifications *string // off, instant or daily
}

// UpdateProfile changes the display name and/or handle in one statement:
// both or neither. A handle another account has is ErrHandleTaken.
func (s *Store) UpdateProfile(ctx context.Context, userID string, p ProfilePatch) (User, error) {
	v := &ValidationError{}
	set := map[string]any{"updated_at": s.now()}
	if p.DisplayName != nil {
		validateName(v, "display_name", *p.DisplayName, 80)
		set["display_name"] = strings.TrimSpace(*p.DisplayName)
	}
	if p.Handle != nil {
		set["handle"] = *p.Handle
	}
	if p.EmailNotifications != nil {
		switch *p.EmailNotifications {
		case EmailOff, EmailInstant, EmailDaily:
			set["email_notifications"] = *p.EmailNotifications
		default:
			v.Add("email_notifications", "must be off, instant or daily")
		}
	}
	if err := v.Err(); err != nil {
		return User{}, err
	}
	defer s.sessions.forgetUser(userID)
	res := s.write(ctx).Model(&userRow{}).Where("id = ?", userID).Updates(set)
	if err := userConflict(res.Error); err != nil {
		return User{}, err
	}
	if res.RowsAffected == 0 {
		return User{}, ErrNotFound
	}
	return s.UserByID(ctx, userID)
}

// SetPassword replaces the hash and ends every session of the user except
// keepSessionID (which may be empty to end them all), in one transaction.
// It returns the ids of the sessions it ended (their sockets must close).
func (s *Store) SetPassword(ctx context.Context, userID, passwordHash, keepSessionID string) ([]string, error) {
	defer s.sessions.forgetUser(userID)
	var ended []string
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&userRow{}).Where("id = ?", userID).
			Updates(map[string]any{"password_hash": passwordHash, "updated_at": s.now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		q := tx.Model(&sessionRow{}).Where("user_id = ? AND id <> ?", userID, keepSessionID)
		if err := q.Pluck("id", &ended).Error; err != nil {
			return err
		}
		return tx.Where("user_id = ? AND id <> ?", userID, keepSessionID).Delete(&sessionRow{}).Error
	})
	return ended, translate(err)
}

// SetInvisible sets whether the user appears in boards' presence.
func (s *Store) SetInvisible(ctx context.Context, userID string, invisible bool) (User, error) {
	defer s.sessions.forgetUser(userID)
	res := s.write(ctx).Model(&userRow{}).Where("id = ?", userID).
		Updates(map[string]any{"invisible": invisible, "updated_at": s.now()})
	if err := translate(res.Error); err != nil {
		return User{}, err
	}
	if res.RowsAffected == 0 {
		return User{}, ErrNotFound
	}
	return s.UserByID(ctx, userID)
}
