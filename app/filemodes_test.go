//go:build unix

package app

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/corkboard/corkboard/app/config"
	"github.com/corkboard/corkboard/models"
)

// withUmask runs the test under umask (process-wide; no test in this
// package runs in parallel): modes must come from the code, not from a
// kind umask.
func withUmask(t *testing.T, mask int) {
	old := syscall.Umask(mask)
	t.Cleanup(func() { syscall.Umask(old) })
}

func fileMode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// TestDataFilesArePrivate: a fresh DATA_DIR is created 0700, and the SQLite
// database and its -wal and -shm files (password and token hashes) and the
// generated secrets 0600, even under umask 0. An existing DATA_DIR or
// database that others can read is left as it is, with a warning in the
// log that says how to fix it.
func TestDataFilesArePrivate(t *testing.T) {
	withUmask(t, 0)
	dir := filepath.Join(t.TempDir(), "data")
	var logged logBuffer
	start := func() *Server {
		t.Helper()
		s, err := New(context.Background(), Config{Config: config.Config{DataDir: dir,
			DatabaseURL: "sqlite://" + filepath.Join(dir, "corkboard.db"), PublicURL: "http://localhost:3000"},
			Password: fastPasswords,
			Logger:   slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := start()
	ts := &testServer{Server: s, t: t}
	ts.register("ada@example.com", "Ada") // a write: the -wal and -shm files exist now
	for _, name := range []string{"corkboard.db-wal", "corkboard.db-shm"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatalf("after a write: %v", err)
		}
	}
	if m := fileMode(t, dir); m != 0o700 {
		t.Errorf("DATA_DIR created %v, want 0700", m)
	}
	for _, name := range []string{"corkboard.db", "corkboard.db-wal", "corkboard.db-shm", "jwt_secret", "totp_key"} {
		if m := fileMode(t, filepath.Join(dir, name)); m != 0o600 {
			t.Errorf("%s created %v, want 0600", name, m)
		}
	}
	if strings.Contains(logged.String(), "level=WARN") {
		t.Errorf("warnings about files the app made itself:\n%s", logged.String())
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	// An operator's directory and database that others can read: kept,
	// with a warning each.
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "corkboard.db"), 0o644); err != nil {
		t.Fatal(err)
	}
	s = start()
	defer s.Shutdown(context.Background())
	log := logged.String()
	for _, want := range []string{"chmod 700 " + dir, "chmod 600 " + filepath.Join(dir, "corkboard.db")} {
		if !strings.Contains(log, want) {
			t.Errorf("no warning saying %q in:\n%s", want, log)
		}
	}
	if m := fileMode(t, dir); m != 0o755 {
		t.Errorf("an existing DATA_DIR was changed to %v", m)
	}
}

// TestBackupFileIsPrivate: a backup holds the same hashes as the database:
// it is written 0600 too.
func TestBackupFileIsPrivate(t *testing.T) {
	withUmask(t, 0)
	dir := t.TempDir()
	store, err := models.Open(context.Background(), "sqlite://"+filepath.Join(dir, "c.db"), models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if err := store.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "backup.db")
	if err := store.Backup(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	if m := fileMode(t, out); m != 0o600 {
		t.Errorf("backup written %v, want 0600", m)
	}
}
