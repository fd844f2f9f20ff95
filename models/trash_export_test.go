package models

import "context"

// CountRows runs a COUNT query on the writer, for the black-box tests to
// look at rows no public method shows (the raw payloads of the log).
func CountRows(ctx context.Context, s *Store, sql string, args ...any) (int64, error) {
	var n int64
	err := s.write(ctx).Raw(sql, args...).Scan(&n).Error
	return n, err
}

// Dialect is "sqlite" or "postgres".
func Dialect(s *Store) string { return s.dialect }
