package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// CountProjectRows counts the rows of a table that belong to a project. It
// exists for the black-box tests (models_test) to check that deleting a
// project removes its rows, which no public method can show.
func CountProjectRows(ctx context.Context, s *Store, table, projectID string) (int64, error) {
	var n int64
	err := s.read(ctx).Table(table).Where("project_id = ?", projectID).Count(&n).Error
	return n, err
}

// MigrateUpTo applies the migrations before id (not id itself), so a test
// can fill a database with the schema an older version had and then run
// the rest with Migrate.
func MigrateUpTo(ctx context.Context, s *Store, id string) error {
	for i, m := range migrations {
		if m.id == id {
			if i == 0 {
				return nil
			}
			return s.migrate(ctx, migrations[i-1].id)
		}
	}
	return fmt.Errorf("no migration %s", id)
}

// Exec runs a statement on the writer, for tests that write rows as an
// older version would have.
func Exec(ctx context.Context, s *Store, sql string, args ...any) error {
	return s.write(ctx).Exec(sql, args...).Error
}

// RankBetweenSQL is corkboard_rank_between (PostgreSQL) of each pair
// a[i], b[i]: nil where it answers NULL.
func RankBetweenSQL(ctx context.Context, s *Store, a, b []string) ([]*string, error) {
	ja, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	jb, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	rows, err := s.read(ctx).Raw(`SELECT corkboard_rank_between(x.a, y.b)
		FROM json_array_elements_text(?::json) WITH ORDINALITY AS x(a, n)
		JOIN json_array_elements_text(?::json) WITH ORDINALITY AS y(b, n) USING (n) ORDER BY n`,
		string(ja), string(jb)).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*string
	for rows.Next() {
		var k sql.NullString
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		if k.Valid {
			out = append(out, &k.String)
		} else {
			out = append(out, nil)
		}
	}
	return out, rows.Err()
}
