package models

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// Session is a server-side login. The cookie's JWT names it by ID; deleting
// the row kills the token everywhere.
type Session struct {
	ID         string    `json:"id"`
	UserID     string    `json:"-"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	// AuthAt is when the password (or a second-factor code) was last
	// entered on this session; zero if never recorded. Sensitive changes
	// need it recent (app/accounts.RecentlyAuthenticated).
	AuthAt time.Time `json:"-"`
}

type sessionRow struct {
	ID         string
	UserID     string
	UserAgent  string
	IP         string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	AuthAt     *time.Time // NULL: never recorded
}

func (sessionRow) TableName() string { return "sessions" }

func (r sessionRow) view() Session {
	return Session{ID: r.ID, UserID: r.UserID, UserAgent: r.UserAgent, IP: r.IP, CreatedAt: r.CreatedAt,
		LastSeenAt: r.LastSeenAt, ExpiresAt: r.ExpiresAt, AuthAt: timeOrZero(r.AuthAt)}
}

func timeOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// CreateSession starts a session lasting ttl, with no record of when its
// credentials were entered (see CreateAuthenticatedSession).
func (s *Store) CreateSession(ctx context.Context, userID, userAgent, ip string, ttl time.Duration) (Session, error) {
	return s.createSession(ctx, userID, userAgent, ip, ttl, nil)
}

// CreateAuthenticatedSession starts a session lasting ttl for credentials
// entered at authAt (the caller's clock): a sign-in is also a recent
// authentication.
func (s *Store) CreateAuthenticatedSession(ctx context.Context, userID, userAgent, ip string, ttl time.Duration, authAt time.Time) (Session, error) {
	at := authAt.UTC()
	return s.createSession(ctx, userID, userAgent, ip, ttl, &at)
}

func (s *Store) createSession(ctx context.Context, userID, userAgent, ip string, ttl time.Duration, authAt *time.Time) (Session, error) {
	now := s.now()
	row := sessionRow{ID: uuid.NewString(), UserID: userID, UserAgent: printable(userAgent, 300), IP: printable(ip, 64),
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(ttl), AuthAt: authAt}
	if err := translate(s.write(ctx).Create(&row).Error); err != nil {
		return Session{}, err
	}
	return row.view(), nil
}

// ReauthenticateSession records that the user entered their password (or
// a second-factor code) on the session at authAt (the caller's clock).
// Like every write to sessions it moves the session cache on, so the next
// request on this instance sees it.
func (s *Store) ReauthenticateSession(ctx context.Context, userID, sessionID string, authAt time.Time) error {
	defer s.sessions.forgetSessions(sessionID)
	res := s.write(ctx).Model(&sessionRow{}).Where("id = ? AND user_id = ? AND expires_at > ?", sessionID, userID, s.now()).
		Update("auth_at", authAt.UTC())
	if err := translate(res.Error); err != nil {
		return err
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// SessionUser loads a live (unexpired) session and its user in one query.
func (s *Store) SessionUser(ctx context.Context, sessionID string) (Session, User, error) {
	var out struct {
		ID, UserID, UserAgent, IP        string
		CreatedAt, LastSeenAt, ExpiresAt time.Time
		AuthAt                           *time.Time
		Email, Handle, DisplayName       string
		Invisible                        bool
		EmailNotifications               string
	}
	err := s.read(ctx).Table("sessions").
		Select("sessions.id, sessions.user_id, sessions.user_agent, sessions.ip, sessions.created_at, "+
			"sessions.last_seen_at, sessions.expires_at, sessions.auth_at, users.email, users.handle, users.display_name, users.invisible, "+
			"users.email_notifications").
		Joins("JOIN users ON users.id = sessions.user_id").
		Where("sessions.id = ? AND sessions.expires_at > ?", sessionID, s.now()).
		Take(&out).Error
	if err := translate(err); err != nil {
		return Session{}, User{}, err
	}
	sess := Session{ID: out.ID, UserID: out.UserID, UserAgent: out.UserAgent, IP: out.IP,
		CreatedAt: out.CreatedAt, LastSeenAt: out.LastSeenAt, ExpiresAt: out.ExpiresAt, AuthAt: timeOrZero(out.AuthAt)}
	return sess, User{ID: out.UserID, Email: out.Email, Handle: out.Handle, DisplayName: out.DisplayName, Invisible: out.Invisible,
		EmailNotifications: out.EmailNotifications}, nil
}

// TouchSession records activity. Callers do this at most every few minutes
// so that reads never turn into a write per request.
func (s *Store) TouchSession(ctx context.Context, sessionID string) error {
	defer s.sessions.forgetSessions(sessionID)
	return translate(s.write(ctx).Model(&sessionRow{}).Where("id = ?", sessionID).
		Update("last_seen_at", s.now()).Error)
}

// DeleteSession ends one session of the user.
func (s *Store) DeleteSession(ctx context.Context, userID, sessionID string) error {
	defer s.sessions.forgetSessions(sessionID)
	res := s.write(ctx).Where("id = ? AND user_id = ?", sessionID, userID).Delete(&sessionRow{})
	if err := translate(res.Error); err != nil {
		return err
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// Sessions lists the user's live sessions, newest activity first.
func (s *Store) Sessions(ctx context.Context, userID string) ([]Session, error) {
	var rows []sessionRow
	err := s.read(ctx).Where("user_id = ? AND expires_at > ?", userID, s.now()).
		Order("last_seen_at DESC").Find(&rows).Error
	if err != nil {
		return nil, translate(err)
	}
	out := make([]Session, len(rows))
	for i, r := range rows {
		out[i] = r.view()
	}
	return out, nil
}

// printable makes header text safe to store and show: valid UTF-8 without
// control characters, cut to at most max bytes on a rune boundary.
func printable(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	for len(s) > max {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// DeleteOtherSessions ends every session of the user except keepSessionID
// and returns the ids it ended (their sockets must close).
func (s *Store) DeleteOtherSessions(ctx context.Context, userID, keepSessionID string) ([]string, error) {
	defer s.sessions.forgetUser(userID)
	var ended []string
	err := s.tx(ctx, func(tx *gorm.DB) error {
		q := tx.Model(&sessionRow{}).Where("user_id = ? AND id <> ?", userID, keepSessionID)
		if err := q.Pluck("id", &ended).Error; err != nil {
			return err
		}
		return tx.Where("user_id = ? AND id <> ?", userID, keepSessionID).Delete(&sessionRow{}).Error
	})
	return ended, translate(err)
}
