package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"strings"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// Migrations are ordered and versioned (gormigrate keeps the applied IDs in a
// "migrations" table). Never edit a released migration: add a new one.
// The DDL is shared between SQLite and PostgreSQL; {{ts}} and {{rank}} are the
// only dialect differences (PostgreSQL compares rank bytewise with COLLATE "C",
// as SQLite does by default).
type migration struct {
	id  string
	sql string
}

// migrations is every migration in the order they run: the first round's
// here, the second round's (planning onwards) in migrations_round2.go.
var migrations = append(firstRound[:len(firstRound):len(firstRound)], secondRound...)

var firstRound = []migration{
	{"0001_init", `
CREATE TABLE users (
	id            TEXT PRIMARY KEY,
	email         TEXT NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
	display_name  TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 80),
	password_hash TEXT NOT NULL,
	created_at    {{ts}} NOT NULL,
	updated_at    {{ts}} NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE sessions (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	user_agent   TEXT NOT NULL DEFAULT '',
	ip           TEXT NOT NULL DEFAULT '',
	created_at   {{ts}} NOT NULL,
	last_seen_at {{ts}} NOT NULL,
	expires_at   {{ts}} NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE projects (
	id            TEXT PRIMARY KEY,
	key           TEXT NOT NULL CHECK (length(key) BETWEEN 2 AND 10),
	name          TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	description   TEXT NOT NULL DEFAULT '',
	seq           BIGINT NOT NULL DEFAULT 0 CHECK (seq >= 0),
	issue_counter BIGINT NOT NULL DEFAULT 0,
	created_at    {{ts}} NOT NULL,
	updated_at    {{ts}} NOT NULL
);

CREATE TABLE members (
	project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	role       TEXT NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
	created_at {{ts}} NOT NULL,
	PRIMARY KEY (project_id, user_id)
);
CREATE INDEX members_user_id ON members (user_id);

CREATE TABLE board_columns (
	id         TEXT PRIMARY KEY,
	project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	key        TEXT NOT NULL,
	name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
	position   INTEGER NOT NULL,
	wip_limit  INTEGER CHECK (wip_limit IS NULL OR wip_limit > 0),
	UNIQUE (project_id, key)
);

CREATE TABLE issues (
	id          TEXT PRIMARY KEY,
	project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	number      BIGINT NOT NULL,
	title       TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
	description TEXT NOT NULL DEFAULT '',
	status      TEXT NOT NULL,
	priority    TEXT NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
	assignee_id TEXT REFERENCES users (id) ON DELETE SET NULL,
	author_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
	labels      TEXT NOT NULL DEFAULT '[]',
	effort      INTEGER CHECK (effort IS NULL OR effort >= 0),
	due_date    TEXT,
	rank        TEXT {{rank}} NOT NULL,
	version     BIGINT NOT NULL DEFAULT 1,
	created_at  {{ts}} NOT NULL,
	updated_at  {{ts}} NOT NULL,
	UNIQUE (project_id, number),
	FOREIGN KEY (project_id, status) REFERENCES board_columns (project_id, key)
);
CREATE INDEX issues_board ON issues (project_id, status, rank, id);
CREATE INDEX issues_assignee ON issues (project_id, assignee_id);

CREATE TABLE events (
	project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	seq        BIGINT NOT NULL,
	type       TEXT NOT NULL,
	actor_id   TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	payload    TEXT NOT NULL,
	created_at {{ts}} NOT NULL,
	PRIMARY KEY (project_id, seq)
);
CREATE INDEX events_created_at ON events (created_at);
`},
	// Presence: a user may watch boards without appearing on them.
	{"0002_presence_invisible", `
ALTER TABLE users ADD COLUMN invisible BOOLEAN NOT NULL DEFAULT FALSE;
`},
	// Account security: the audit log of security events, and the single-use
	// tokens mailed for a password reset or an unlock (only their SHA-256 is
	// kept). Audit ids are UUIDv7, so ordering by id is ordering by time.
	{"0003_accounts_security", `
CREATE TABLE audit_events (
	id         TEXT PRIMARY KEY,
	user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
	type       TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 64),
	ip         TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT '',
	detail     TEXT NOT NULL DEFAULT '{}',
	created_at {{ts}} NOT NULL
);
CREATE INDEX audit_events_user ON audit_events (user_id, id);

CREATE TABLE account_tokens (
	id         TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	purpose    TEXT NOT NULL CHECK (purpose IN ('reset', 'unlock')),
	token_hash TEXT NOT NULL,
	created_at {{ts}} NOT NULL,
	expires_at {{ts}} NOT NULL,
	used_at    {{ts}}
);
CREATE UNIQUE INDEX account_tokens_hash ON account_tokens (token_hash);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose, created_at);
`},
	// Two-factor authentication (the secret encrypted by the app, backup
	// codes hashed) and personal API tokens (hashed).
	{"0004_two_factor_and_tokens", `
CREATE TABLE user_totp (
	user_id    TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	secret_enc TEXT NOT NULL,
	enabled    BOOLEAN NOT NULL DEFAULT FALSE,
	last_step  BIGINT NOT NULL DEFAULT 0,
	created_at {{ts}} NOT NULL,
	enabled_at {{ts}}
);

CREATE TABLE backup_codes (
	user_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	code_hash TEXT NOT NULL,
	used_at   {{ts}},
	PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE api_tokens (
	id           TEXT PRIMARY KEY,
	user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	token_hash   TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	scope        TEXT NOT NULL CHECK (scope IN ('read', 'write')),
	created_at   {{ts}} NOT NULL,
	expires_at   {{ts}} NOT NULL,
	last_used_at {{ts}}
);
CREATE UNIQUE INDEX api_tokens_token_hash ON api_tokens (token_hash);
CREATE INDEX api_tokens_user_id ON api_tokens (user_id);
`},
	// Recent authentication ("sudo mode"): when the password or a second-
	// factor code was last entered on the session. Existing sessions get
	// NULL, which is never recent: they re-authenticate once.
	{"0005_session_reauth", `
ALTER TABLE sessions ADD COLUMN auth_at {{ts}};
`},
}

// migrationCode is the part of a migration that SQL shared by both
// databases cannot say; it runs after the migration's SQL, in its
// transaction.
func (s *Store) migrationCode(id string) func(tx *gorm.DB) error {
	switch id {
	case "0007_handles":
		return s.backfillHandles
	case "0010_activity":
		return s.backfillEventIssues
	case "0018_move_function", "0019_move_function_inline":
		return s.installMoveFunction
	}
	return nil
}

// backfillEventIssues links the existing events to their issues: the id
// of issue.* payloads, the issue_id of comment.* payloads, when that issue
// still exists. Only the JSON syntax differs between the databases.
func (s *Store) backfillEventIssues(tx *gorm.DB) error {
	field := func(key string) string {
		if s.dialect == "postgres" {
			return "(payload::jsonb ->> '" + key + "')"
		}
		return "json_extract(payload, '$." + key + "')"
	}
	for _, m := range []struct{ prefix, key string }{{"issue.%", "id"}, {"comment.%", "issue_id"}} {
		f := field(m.key)
		if err := tx.Exec(`UPDATE events SET issue_id = `+f+` WHERE type LIKE ? AND `+f+` IN (SELECT id FROM issues)`,
			m.prefix).Error; err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) ddl(sql string) string {
	ts, rank := "TIMESTAMP", ""
	if s.dialect == "postgres" {
		ts, rank = "TIMESTAMPTZ", `COLLATE "C"`
	}
	return strings.NewReplacer("{{ts}}", ts, "{{rank}}", rank).Replace(sql)
}

// Migrate applies every migration not yet applied, in order.
func (s *Store) Migrate(ctx context.Context) error { return s.migrate(ctx, "") }

// migrate applies the migrations not yet applied up to and including id
// ("": all of them).
func (s *Store) migrate(ctx context.Context, to string) error {
	list := make([]*gormigrate.Migration, len(migrations))
	for i, m := range migrations {
		sql, code := s.ddl(m.sql), s.migrationCode(m.id)
		list[i] = &gormigrate.Migration{
			ID: m.id,
			Migrate: func(tx *gorm.DB) error {
				for _, stmt := range strings.Split(sql, ";") {
					if strings.TrimSpace(stmt) == "" {
						continue
					}
					if err := tx.Exec(stmt).Error; err != nil {
						return fmt.Errorf("migration %s: %w", m.id, err)
					}
				}
				if code != nil {
					if err := code(tx); err != nil {
						return fmt.Errorf("migration %s: %w", m.id, err)
					}
				}
				return nil
			},
		}
	}
	opts := *gormigrate.DefaultOptions
	opts.UseTransaction = true
	run := func(g *gormigrate.Gormigrate) error {
		if to != "" {
			return g.MigrateTo(to)
		}
		return g.Migrate()
	}
	if s.dialect != "postgres" {
		// SQLite is one instance's file: its single writer connection
		// already serialises everything.
		return run(gormigrate.New(s.wdb.WithContext(ctx), &opts, list))
	}
	// Several instances may start at once on one PostgreSQL. gormigrate
	// reads the applied IDs and then creates tables, so two of them would
	// both see an empty schema; an advisory lock makes them take turns, and
	// the later ones find everything applied. The lock and the migrations
	// share one dedicated connection: a session lock belongs to its
	// connection, and taking a second connection from a small pool while
	// holding the first could deadlock. If the process dies, PostgreSQL
	// drops the connection and the lock with it.
	conn, err := s.dbPool().Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	// Advisory locks are database-wide; keying by schema lets instances of
	// different schemas in one database (the tests use one per test)
	// migrate in parallel, while instances of one schema take turns.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1, hashtext(current_schema()))`, migrateLockClass); err != nil {
		return fmt.Errorf("migrate: take the migration lock: %w", err)
	}
	defer func() {
		// Unlock even when ctx is done, so a pooled connection never keeps
		// the lock; conn.Close above then returns a clean connection.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(uctx, `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, migrateLockClass); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // discard the connection (and its lock)
		}
	}()
	onConn := s.wdb.WithContext(ctx).Session(&gorm.Session{})
	onConn.Statement.ConnPool = conn
	return run(gormigrate.New(onConn, &opts, list))
}

// migrateLockClass is the first key of the migration advisory lock (the
// second is the schema's hash): "CORK" in ASCII, so it is recognisable in
// pg_locks (classid).
const migrateLockClass = 0x434f524b

func (s *Store) dbPool() *sql.DB {
	sqlDB, _ := s.wdb.DB() // never fails: Open checked it
	return sqlDB
}
