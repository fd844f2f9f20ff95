package models

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
)

// TokenScope is what a personal API token may do.
type TokenScope string

const (
	ScopeRead  TokenScope = "read"  // GET and WebSocket only
	ScopeWrite TokenScope = "write" // everything the user may do, except manage the account's security
)

// APIToken is a personal API token as its owner sees it. The token itself
// is shown once at creation; only its SHA-256 is stored (token_hash), and
// that has no path out of this package.
type APIToken struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"` // the first characters, to recognise it
	Scope      TokenScope `json:"scope"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

type tokenRow struct {
	ID         string
	UserID     string
	Name       string
	TokenHash  string
	Prefix     string
	Scope      string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
}

func (tokenRow) TableName() string { return "api_tokens" }

func (r tokenRow) view() APIToken {
	return APIToken{ID: r.ID, Name: r.Name, Prefix: r.Prefix, Scope: TokenScope(r.Scope), CreatedAt: r.CreatedAt,
		ExpiresAt: r.ExpiresAt, LastUsedAt: r.LastUsedAt}
}

// TokenInput creates a token; the app generates the token and its hash.
type TokenInput struct {
	Name      string
	Scope     TokenScope
	TokenHash string
	Prefix    string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// maxTokensPerUser bounds the rows one account can create.
const maxTokensPerUser = 100

// CreateToken stores a new token of the user.
func (s *Store) CreateToken(ctx context.Context, userID string, in TokenInput) (APIToken, error) {
	v := &ValidationError{}
	validateName(v, "name", in.Name, 100)
	if in.Scope != ScopeRead && in.Scope != ScopeWrite {
		v.Add("scope", "must be read or write")
	}
	if err := v.Err(); err != nil {
		return APIToken{}, err
	}
	var n int64
	if err := s.read(ctx).Model(&tokenRow{}).Where("user_id = ?", userID).Count(&n).Error; err != nil {
		return APIToken{}, translate(err)
	}
	if n >= maxTokensPerUser {
		return APIToken{}, invalid("name", "you have too many tokens; revoke some first")
	}
	row := tokenRow{ID: uuid.NewString(), UserID: userID, Name: strings.TrimSpace(in.Name), TokenHash: in.TokenHash,
		Prefix: in.Prefix, Scope: string(in.Scope), CreatedAt: in.CreatedAt.UTC(), ExpiresAt: in.ExpiresAt.UTC()}
	if err := translate(s.write(ctx).Create(&row).Error); err != nil {
		return APIToken{}, err
	}
	return row.view(), nil
}

// Tokens lists the user's tokens, expired ones included (they show as
// expired until revoked), newest first.
func (s *Store) Tokens(ctx context.Context, userID string) ([]APIToken, error) {
	var rows []tokenRow
	if err := s.read(ctx).Where("user_id = ?", userID).Order("created_at DESC, id").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	out := make([]APIToken, len(rows))
	for i, r := range rows {
		out[i] = r.view()
	}
	return out, nil
}

// DeleteToken revokes one token of the user.
func (s *Store) DeleteToken(ctx context.Context, userID, tokenID string) (APIToken, error) {
	var row tokenRow
	if err := translate(s.read(ctx).Where("id = ? AND user_id = ?", tokenID, userID).Take(&row).Error); err != nil {
		return APIToken{}, err
	}
	res := s.write(ctx).Where("id = ? AND user_id = ?", tokenID, userID).Delete(&tokenRow{})
	if err := translate(res.Error); err != nil {
		return APIToken{}, err
	}
	if res.RowsAffected == 0 {
		return APIToken{}, ErrNotFound
	}
	return row.view(), nil
}

// TokenUser finds a token unexpired at now by its hash, and its user, in
// one query.
func (s *Store) TokenUser(ctx context.Context, tokenHash string, now time.Time) (APIToken, User, error) {
	var out struct {
		ID, UserID, Name, Prefix, Scope string
		CreatedAt, ExpiresAt            time.Time
		LastUsedAt                      *time.Time
		Email, Handle, DisplayName      string
		Invisible                       bool
		EmailNotifications              string
	}
	err := s.read(ctx).Table("api_tokens").
		Select("api_tokens.id, api_tokens.user_id, api_tokens.name, api_tokens.prefix, api_tokens.scope, "+
			"api_tokens.created_at, api_tokens.expires_at, api_tokens.last_used_at, users.email, users.handle, users.display_name, users.invisible, "+
			"users.email_notifications").
		Joins("JOIN users ON users.id = api_tokens.user_id").
		Where("api_tokens.token_hash = ? AND api_tokens.expires_at > ?", tokenHash, now.UTC()).
		Take(&out).Error
	if err := translate(err); err != nil {
		return APIToken{}, User{}, err
	}
	tok := tokenRow{ID: out.ID, UserID: out.UserID, Name: out.Name, Prefix: out.Prefix, Scope: out.Scope,
		CreatedAt: out.CreatedAt, ExpiresAt: out.ExpiresAt, LastUsedAt: out.LastUsedAt}
	return tok.view(), User{ID: out.UserID, Email: out.Email, Handle: out.Handle, DisplayName: out.DisplayName, Invisible: out.Invisible,
		EmailNotifications: out.EmailNotifications}, nil
}

// TouchToken records a use of the token, at most once per interval: the
// caller calls it when the last use it saw is older than that, and the
// UPDATE's condition keeps racing instances to one write. firstToday says
// whether this is the token's first use on this UTC day.
func (s *Store) TouchToken(ctx context.Context, tokenID string, now time.Time, interval time.Duration) (firstToday bool, err error) {
	now = now.UTC()
	day := now.Truncate(24 * time.Hour)
	res := s.write(ctx).Model(&tokenRow{}).Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", tokenID, day).
		Update("last_used_at", now)
	if err := translate(res.Error); err != nil {
		return false, err
	}
	if res.RowsAffected == 1 {
		return true, nil
	}
	res = s.write(ctx).Model(&tokenRow{}).Where("id = ? AND last_used_at < ?", tokenID, now.Add(-interval)).
		Update("last_used_at", now)
	return false, translate(res.Error)
}
