package testdb

import (
	"database/sql"
	"encoding/json"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3" // database/sql driver for reading SQLite files
)

// Open opens the database of url (a URL from SQLite or Postgres) directly,
// to look at what is stored: SQLite read-only.
func Open(t testing.TB, url string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", url
	if strings.HasPrefix(url, "sqlite://") {
		driver, dsn = "sqlite3", "file:"+strings.TrimPrefix(url, "sqlite://")+"?mode=ro"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Dump is every value of every row of table, as text: one line per row,
// values separated by "|".
func Dump(t testing.TB, db *sql.DB, table string) string {
	t.Helper()
	rows, err := db.Query("SELECT * FROM " + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var sb strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for _, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			text, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			sb.WriteString(strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(string(text), `"`, ""), "\n", "")))
			sb.WriteByte('|')
		}
		sb.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return sb.String()
}
