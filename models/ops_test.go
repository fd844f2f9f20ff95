package models_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// TestConcurrentMigrateOnPostgres: three instances start at once on one
// fresh schema; each migrates, all succeed, and each table and migration
// row exists once.
func TestConcurrentMigrateOnPostgres(t *testing.T) {
	dbURL := testdb.Postgres(t)
	const n = 3
	stores := make([]*models.Store, n)
	for i := range stores {
		s, err := models.Open(t.Context(), dbURL, models.Options{MaxOpenConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, s := range stores {
		wg.Go(func() {
			<-start
			errs[i] = s.Migrate(t.Context())
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: migrate: %v", i, err)
		}
	}

	db := openSQL(t, dbURL)
	var ids []string
	rows, err := db.Query(`SELECT id FROM migrations ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) == 0 || ids[0] != "0001_init" {
		t.Fatalf("migration rows %v", ids)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] == ids[i-1] {
			t.Errorf("migration %s recorded twice: %v", ids[i], ids)
		}
	}
	var tables []string
	rows, err = db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	sort.Strings(tables)
	for _, want := range []string{"board_columns", "events", "issues", "members", "migrations", "projects", "sessions", "users"} {
		if !contains(tables, want) {
			t.Errorf("table %s missing: %v", want, tables)
		}
	}
	// The schema works, from every instance; a later start is a no-op.
	for i, s := range stores {
		if _, err := s.CreateUser(t.Context(), fmt.Sprintf("u%d@example.com", i), fmt.Sprintf("u%d", i), "U", "hash"); err != nil {
			t.Errorf("instance %d: create user: %v", i, err)
		}
		if err := s.Migrate(t.Context()); err != nil {
			t.Errorf("instance %d: second migrate: %v", i, err)
		}
	}
	var after int
	if err := db.QueryRow(`SELECT count(*) FROM migrations`).Scan(&after); err != nil || after != len(ids) {
		t.Errorf("migration rows after restarts: %d (%v), want %d", after, err, len(ids))
	}
}

// TestMigrateWaitsForItsSchemaLock: while something else holds the
// migration lock of schema A, Migrate on A waits (visible in pg_locks as an
// ungranted advisory lock) and Migrate on schema B does not.
func TestMigrateWaitsForItsSchemaLock(t *testing.T) {
	urlA, urlB := testdb.Postgres(t), testdb.Postgres(t)
	schemaA := searchPath(t, urlA)
	holder := openSQL(t, urlA)
	conn, err := holder.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const class = 0x434f524b // models.migrateLockClass
	if _, err := conn.ExecContext(t.Context(), `SELECT pg_advisory_lock($1, hashtext($2))`, class, schemaA); err != nil {
		t.Fatal(err)
	}
	released := false
	unlock := func() {
		if !released {
			released = true
			conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1, hashtext($2))`, class, schemaA)
		}
	}
	defer unlock()

	a, b := openStore(t, urlA), openStore(t, urlB)
	doneA := make(chan error, 1)
	go func() { doneA <- a.Migrate(t.Context()) }()

	// B is another schema: it migrates while A's lock is held.
	if err := b.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate B: %v", err)
	}
	// A queues behind the holder.
	waitFor(t, "Migrate(A) to wait on the advisory lock", func() bool {
		var waiting int
		err := holder.QueryRow(`SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND classid = $1 AND objid = hashtext($2)::oid`, class, schemaA).Scan(&waiting)
		return err == nil && waiting == 1
	})
	select {
	case err := <-doneA:
		t.Fatalf("Migrate(A) finished while the lock was held: %v", err)
	default:
	}
	unlock()
	select {
	case err := <-doneA:
		if err != nil {
			t.Fatalf("migrate A: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Migrate(A) did not finish after the lock was released")
	}
	// The lock was released after Migrate: taking it again succeeds at once.
	var got bool
	if err := holder.QueryRow(`SELECT pg_try_advisory_lock($1, hashtext($2))`, class, schemaA).Scan(&got); err != nil || !got {
		t.Fatalf("lock still held after Migrate: %v %v", got, err)
	}
}

// TestPoolOptions: DB_MAX_OPEN_CONNS reaches the pool on both databases.
func TestPoolOptions(t *testing.T) {
	testdb.Each(t, func(t *testing.T, dbURL string) {
		s, err := models.Open(t.Context(), dbURL, models.Options{MaxOpenConns: 3, MaxIdleConns: 1, ConnMaxLifetime: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if got := s.PoolStats().MaxOpenConnections; got != 3 {
			t.Errorf("max open %d, want 3", got)
		}
		d, err := models.Open(t.Context(), dbURL, models.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		if got := d.PoolStats().MaxOpenConnections; got != models.DefaultMaxOpenConns {
			t.Errorf("default max open %d, want %d", got, models.DefaultMaxOpenConns)
		}
	})
}

// TestBackupUnderWrites backs up a SQLite database while writers commit,
// then opens the copy: it migrates, reads, and is consistent (the project's
// seq equals its last event, every created issue has its event).
func TestBackupUnderWrites(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, "sqlite://"+filepath.Join(dir, "live.db"))
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, s)
	for i := range 20 {
		f.issue(fmt.Sprintf("before %d", i), "")
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var written sync.Map
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				is, _, err := s.CreateIssue(ctx, f.editor, f.p.ID, models.IssueInput{Title: fmt.Sprintf("w%d-%d", w, i)})
				if err == nil {
					written.Store(is.ID, true)
				}
			}
		})
	}
	// Let the writers get going (poll, no sleep), then back up twice.
	waitFor(t, "writers to commit", func() bool { n := 0; written.Range(func(any, any) bool { n++; return n < 50 }); return n >= 50 })
	path := filepath.Join(dir, "backup.db")
	err := s.Backup(t.Context(), path)
	again := s.Backup(t.Context(), path)
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if again == nil || !strings.Contains(again.Error(), "exists") {
		t.Fatalf("second backup to the same file: %v, want a refusal", again)
	}

	b := openStore(t, "sqlite://"+path)
	if err := b.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate the backup: %v", err)
	}
	p, err := b.GetProject(t.Context(), f.owner.ID, f.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, issues, err := b.Board(t.Context(), f.owner.ID, f.p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(issues) < 70 {
		t.Fatalf("backup has %d issues, want at least the 20 + 50 committed before it", len(issues))
	}
	page, err := b.EventsSince(t.Context(), f.owner.ID, f.p.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if page.HasMore || len(page.Items) == 0 || page.Items[len(page.Items)-1].Seq != p.Seq || int64(len(page.Items)) != p.Seq {
		t.Fatalf("backup's log: %d events, last %d, project seq %d", len(page.Items), page.Items[len(page.Items)-1].Seq, p.Seq)
	}
	if created := countType(page.Items, "issue.created"); created != len(issues) {
		t.Fatalf("backup: %d issues but %d issue.created events", len(issues), created)
	}
	titles := map[string]bool{}
	for _, is := range issues {
		titles[is.Title] = true
	}
	if !titles["before 0"] || !titles["before 19"] {
		t.Fatal("backup lost issues written before it")
	}
}

// TestBackupRefusesPostgres: pg_dump is the tool there.
func TestBackupRefusesPostgres(t *testing.T) {
	s := openStore(t, testdb.Postgres(t))
	if err := s.Backup(t.Context(), filepath.Join(t.TempDir(), "x.db")); !errors.Is(err, models.ErrBackupUnsupported) {
		t.Fatalf("backup on PostgreSQL: %v", err)
	}
}

func countType(evs []models.Event, typ string) int {
	n := 0
	for _, ev := range evs {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

func openStore(t *testing.T, dbURL string) *models.Store {
	t.Helper()
	s, err := models.Open(t.Context(), dbURL, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openSQL(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func searchPath(t *testing.T, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil || u.Query().Get("search_path") == "" {
		t.Fatalf("no search_path in %s", dbURL)
	}
	return u.Query().Get("search_path")
}

// waitFor polls cond until it holds, failing after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// BenchmarkBackup backs up a SQLite database of 5,000 issues.
func BenchmarkBackup(b *testing.B) {
	s, err := models.Open(b.Context(), "sqlite://"+filepath.Join(b.TempDir(), "big.db"), models.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	u, _ := s.CreateUser(b.Context(), "b@example.com", "b0", "B", "hash")
	p, err := s.CreateProject(b.Context(), u, models.ProjectInput{Name: "Big"})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 5000 {
		if _, _, err := s.CreateIssue(b.Context(), u, p.ID, models.IssueInput{Title: fmt.Sprintf("issue %d", i),
			Description: strings.Repeat("words ", 40)}); err != nil {
			b.Fatal(err)
		}
	}
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		if err := s.Backup(b.Context(), filepath.Join(dir, fmt.Sprintf("b%d.db", i))); err != nil {
			b.Fatal(err)
		}
	}
	st, _ := os.Stat(filepath.Join(dir, "b1.db"))
	b.ReportMetric(float64(st.Size())/1e6, "MB")
}
