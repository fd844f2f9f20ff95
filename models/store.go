// Package models is Corkboard's storage: GORM models, migrations and every
// query. It is the only package that imports GORM. Every read and write takes
// the acting user (or project) first and is scoped by membership; changes to a
// project and their Event rows commit in one transaction.
package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Options tune the connection pool (DB_MAX_OPEN_CONNS, DB_MAX_IDLE_CONNS,
// DB_CONN_MAX_LIFETIME). On SQLite they size the read pool only: writes
// always go through one connection (SQLite has one writer at a time).
type Options struct {
	MaxOpenConns    int           // 0: 16
	MaxIdleConns    int           // 0: MaxOpenConns
	ConnMaxLifetime time.Duration // 0: connections are kept until idle 5 minutes
	Logger          *slog.Logger
	// Planning is the planning rules changes apply in their transaction
	// (app/planning.Rules; the app always sets it). Nil: cycle states are
	// empty and efforts are only held to 0–1000 (tools such as migrate).
	Planning PlanningRules
	// Notify decides who is told of a change (app/notify.Rules); nil:
	// nobody is (tools such as migrate).
	Notify NotifyRules
	// OnNotify receives the notifications a change wrote, after it
	// committed (the app sends them to the recipients' sockets).
	OnNotify func([]Notification)
	// Now is the clock that stamps rows and events (nil: time.Now). The app
	// passes its own (Config.Now), so the log's times and the reports read
	// from it follow one clock, which tests move.
	Now func() time.Time
}

// PlanningRules are the planning rules a change applies inside its
// transaction, where the project's settings are read under its lock. They
// live in app/planning, which models may not import: app passes them in.
type PlanningRules interface {
	// CycleState is upcoming, active or completed: where today, in the
	// IANA zone tz on the server's clock, falls against the dates.
	CycleState(startsOn, endsOn, tz string) string
	// CheckEffort says what is wrong with effort on scale ("" if nothing).
	CheckEffort(scale string, effort int) string
	// NextCycle is the index in startsOn of the cycle that follows one
	// ending on endsOn (-1: none).
	NextCycle(endsOn string, startsOn []string) int
}

// DefaultMaxOpenConns is the pool size when Options leave it 0: 16 per
// instance keeps three replicas well under PostgreSQL's default
// max_connections (100).
const DefaultMaxOpenConns = 16

// Store is the handle on the database. Safe for concurrent use.
type Store struct {
	db           *gorm.DB // reads
	wdb          *gorm.DB // writes: one connection on SQLite, the same pool on PostgreSQL
	dialect      string   // "sqlite" or "postgres"
	log          *slog.Logger
	now          func() time.Time
	writers      []*writer     // group commit of project changes (writer.go)
	hot          hotCache      // the change path's prepared statements
	checkpointer *checkpointer // SQLite: WAL checkpoints off the writer's path
	sessions     sessionCache  // SessionUserCached (session_cache.go)
	planning     PlanningRules // Options.Planning; nil: see there
	notify       NotifyRules   // Options.Notify
	onNotify     func([]Notification)
}

// Open connects to DATABASE_URL-style addresses: sqlite://PATH or
// postgres://... (postgresql:// too). The parent directory of a SQLite file is
// created.
func Open(ctx context.Context, databaseURL string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	gcfg := &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		TranslateError:         false,
	}
	var (
		db, wdb *gorm.DB
		err     error
		dialect string
	)
	switch {
	case strings.HasPrefix(databaseURL, "sqlite://"):
		dialect = "sqlite"
		path := strings.TrimPrefix(databaseURL, "sqlite://")
		if path == "" {
			return nil, errors.New("models: sqlite:// needs a file path")
		}
		if err := prepareSQLiteFile(path, opts.Logger); err != nil {
			return nil, err
		}
		// WAL lets readers run beside the writer; _txlock=immediate takes the
		// write lock at BEGIN so read-then-write transactions never fail with
		// "database is locked" (see DESIGN.md, measured).
		q := url.Values{}
		q.Set("_journal_mode", "WAL")
		q.Set("_foreign_keys", "on")
		q.Set("_busy_timeout", "10000")
		q.Set("_txlock", "immediate")
		q.Set("_synchronous", "NORMAL")
		dsn := "file:" + path + "?" + q.Encode()
		if db, err = gorm.Open(sqlite.Open(dsn), gcfg); err == nil {
			// SQLite has one writer at a time. Queueing writers on a single
			// connection in Go is fair and fast; letting them contend inside
			// SQLite's busy handler, which sleeps up to 100 ms between tries,
			// gave p99 180 ms and 1.8 s outliers at 16 concurrent moves.
			if wdb, err = gorm.Open(sqlite.Open(dsn), gcfg); err == nil {
				if w, werr := wdb.DB(); werr == nil {
					w.SetMaxOpenConns(1)
					w.SetMaxIdleConns(1)
					w.SetConnMaxIdleTime(0)
				}
			}
		}
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		dialect = "postgres"
		db, err = gorm.Open(postgres.Open(databaseURL), gcfg)
		wdb = db
	default:
		return nil, fmt.Errorf("models: DATABASE_URL must start with sqlite:// or postgres://")
	}
	if err != nil {
		return nil, fmt.Errorf("models: open %s: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	maxOpen, maxIdle := opts.MaxOpenConns, opts.MaxIdleConns
	if maxOpen == 0 {
		maxOpen = DefaultMaxOpenConns
	}
	if maxIdle == 0 || maxIdle > maxOpen {
		maxIdle = maxOpen
	}
	sqlDB.SetMaxOpenConns(maxOpen)
	sqlDB.SetMaxIdleConns(maxIdle)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	// A bounded lifetime lets connections move to a restarted or failed-over
	// PostgreSQL (or rebalance behind PgBouncer) without a restart here.
	sqlDB.SetConnMaxLifetime(opts.ConnMaxLifetime)
	s := &Store{db: db, wdb: wdb, dialect: dialect, log: opts.Logger, now: func() time.Time { return time.Now().UTC() },
		planning: opts.Planning, notify: opts.Notify, onNotify: opts.OnNotify}
	if opts.Now != nil {
		s.now = func() time.Time { return opts.Now().UTC() }
	}
	if err := s.Ping(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	s.startWriters()
	return s, nil
}

// prepareSQLiteFile creates the database file 0600, in a directory created
// 0700, before SQLite opens it: the file holds password and token hashes,
// SQLite would create it 0644, and it gives the -wal and -shm files the
// mode of the database. An existing file that others may read is left as
// it is (it is the operator's), with a warning that says how to fix it.
func prepareSQLiteFile(path string, log *slog.Logger) error {
	if path == ":memory:" {
		return nil
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("models: create data dir: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("models: create the database file: %w", err)
	}
	if st, err := os.Stat(path); err == nil && st.Mode().Perm()&0o077 != 0 {
		log.Warn("the database file is readable by other users, and it holds password and token hashes",
			"path", path, "mode", st.Mode().Perm().String(), "fix", "chmod 600 "+path+" "+path+"-wal "+path+"-shm")
	}
	return nil
}

// Dialect names the database: "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// Ping answers whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// PoolStats reports the (read) pool: its configured size and its use, for
// metrics and for tests of the pool options.
func (s *Store) PoolStats() sql.DBStats {
	sqlDB, err := s.db.DB()
	if err != nil {
		return sql.DBStats{}
	}
	return sqlDB.Stats()
}

// Close releases the pools.
func (s *Store) Close() error {
	s.stopWriters()
	s.closeHotStatements()
	var first error
	for _, g := range []*gorm.DB{s.wdb, s.db} {
		if sqlDB, err := g.DB(); err == nil {
			if err := sqlDB.Close(); err != nil && first == nil {
				first = err
			}
		}
		if s.wdb == s.db {
			break
		}
	}
	return first
}

func (s *Store) read(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

func (s *Store) write(ctx context.Context) *gorm.DB { return s.wdb.WithContext(ctx) }

// tx runs fn in one transaction (BEGIN IMMEDIATE on SQLite, on the writer
// connection).
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return translate(s.wdb.WithContext(ctx).Transaction(fn))
}

// translate turns driver errors into the package's sentinels.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	var sqe sqlite3.Error
	if errors.As(err, &sqe) && sqe.Code == sqlite3.ErrConstraint {
		if sqe.ExtendedCode == sqlite3.ErrConstraintUnique || sqe.ExtendedCode == sqlite3.ErrConstraintPrimaryKey {
			return fmt.Errorf("%w: %v", ErrConflict, err)
		}
	}
	var pge *pgconn.PgError
	if errors.As(err, &pge) && pge.Code == "23505" {
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	// Class 22 is bad data (bytes PostgreSQL cannot store, a value out of
	// range): the boundary should have refused it, but it is the client's
	// input, never a server fault.
	if errors.As(err, &pge) && strings.HasPrefix(pge.Code, "22") {
		return invalid("body", "contains a value the database cannot store")
	}
	return err
}
