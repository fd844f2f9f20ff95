// Package testdb gives tests a fresh database: a SQLite file in a temp dir,
// or a fresh PostgreSQL schema on TEST_DATABASE_URL, dropped afterwards.
// It is imported only by tests.
package testdb

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for the schema set-up
)

var seq atomic.Int64

// SQLite returns the URL of a new SQLite file.
func SQLite(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "corkboard.db")
}

// Postgres returns the URL of a fresh schema on TEST_DATABASE_URL. Without
// the variable the test is skipped with a message, except under CI=true,
// where it fails: CI must run the PostgreSQL tests.
func Postgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_DATABASE_URL is not set but CI=true: PostgreSQL tests must run")
		}
		t.Skip("TEST_DATABASE_URL not set: skipping the PostgreSQL run")
	}
	schema := fmt.Sprintf("t_%d_%d", os.Getpid(), seq.Add(1))
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("pgx", base); err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// Each runs fn once on SQLite and once on PostgreSQL, as subtests.
func Each(t *testing.T, fn func(t *testing.T, url string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
}
