package models

import (
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// backfillHandles is the Go part of migration 0007_handles: every account
// gets a handle from its email's local part, made unique with digits in the
// order the accounts were created (the oldest "ann" keeps "ann"); then the
// handle becomes unique and required. It runs inside the migration's
// transaction (under the migration lock on PostgreSQL), so no account can
// be created in between.
func (s *Store) backfillHandles(tx *gorm.DB) error {
	var users []struct{ ID, Email string }
	if err := tx.Raw(`SELECT id, email FROM users ORDER BY created_at, id`).Scan(&users).Error; err != nil {
		return err
	}
	taken := make(map[string]bool, len(users))
	for _, u := range users {
		base := migrationHandle(u.Email)
		h := base
		for n := 2; taken[h]; n++ {
			h = migrationHandleCandidate(base, n)
		}
		taken[h] = true
		if err := tx.Exec(`UPDATE users SET handle = ? WHERE id = ?`, h, u.ID).Error; err != nil {
			return err
		}
	}
	stmts := []string{`CREATE UNIQUE INDEX users_handle_key ON users (handle)`}
	if s.dialect == "postgres" {
		stmts = append(stmts, `ALTER TABLE users ALTER COLUMN handle SET NOT NULL`)
	} else {
		// SQLite cannot make an existing column NOT NULL without rebuilding
		// users, which every other table references; triggers refuse a
		// NULL handle instead, with the NOT NULL message.
		for _, on := range []string{"INSERT", "UPDATE OF handle"} {
			name := "users_handle_required_" + strings.ToLower(strings.Fields(on)[0])
			stmts = append(stmts, `CREATE TRIGGER `+name+` BEFORE `+on+` ON users WHEN NEW.handle IS NULL
BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: users.handle'); END`)
		}
	}
	for _, stmt := range stmts {
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	return nil
}

// migrationHandle and migrationHandleCandidate derive the handles of
// accounts that existed before 0007_handles. They are the rule of
// accounts.HandleFromEmail and accounts.HandleCandidate as it was when the
// migration was written, copied on purpose: a released migration must not
// change when the live rule does (and models may not import accounts).
// Both packages' tests hold the same table of emails and handles.
func migrationHandle(email string) string {
	local := email
	if at := strings.LastIndexByte(local, '@'); at >= 0 {
		local = local[:at]
	}
	if plus := strings.IndexByte(local, '+'); plus >= 0 {
		local = local[:plus]
	}
	var b strings.Builder
	for _, c := range []byte(local) {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-' {
			b.WriteByte(c)
		}
	}
	const edges = "_.-"
	h := strings.Trim(b.String(), edges)
	if len(h) > 32 {
		h = strings.TrimRight(h[:32], edges)
	}
	switch len(h) {
	case 0:
		return "user"
	case 1:
		return h + "0"
	}
	return h
}

func migrationHandleCandidate(base string, n int) string {
	digits := strconv.Itoa(n)
	if len(base)+len(digits) > 32 {
		base = base[:32-len(digits)]
	}
	return base + digits
}
