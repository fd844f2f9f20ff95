package models

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// ErrBackupUnsupported is Backup on PostgreSQL: pg_dump is the tool there.
var ErrBackupUnsupported = errors.New("models: online backup is for SQLite; use pg_dump for PostgreSQL")

// Backup writes a consistent copy of a SQLite database to path, while the
// app keeps serving. It refuses to overwrite anything already at path.
//
// VACUUM INTO reads inside one read transaction, so under WAL the copy is
// the database as of one commit, whatever writers do meanwhile (they are not
// blocked), and the result is a compact, ordinary SQLite file that opens and
// migrates like any other.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect != "sqlite" {
		return ErrBackupUnsupported
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("backup: %s already exists; choose a new file", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
	// The copy holds the same password and token hashes: it is created
	// 0600 here, empty (VACUUM INTO accepts an empty file, and would create
	// one 0644). O_EXCL: nothing that appeared meanwhile is overwritten.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// It runs on the read pool: it needs no write lock.
	if err := s.read(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		os.Remove(path)
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
