package models

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
)

// TestBoardPackedMatchesScan: on SQLite the board is read as one packed
// value a row (boardPacked); it must give exactly the issues the plain
// column scan gives (boardScan, what PostgreSQL uses), for cards with
// every optional field set or not, user text with anything text may hold,
// and stored values the app does not write itself (other timestamp shapes,
// labels JSON with spaces or escapes, more than 20 labels).
func TestBoardPackedMatchesScan(t *testing.T) {
	ctx := context.Background()
	s, u, p := sqliteBoard(t)
	cycles, _, err := s.CreateCycles(ctx, u, p.ID, []CycleInput{{StartsOn: "2026-01-05", EndsOn: "2026-01-18", Name: "One"}})
	if err != nil {
		t.Fatal(err)
	}
	effort, zero, due := 5, 0, "2026-03-01"
	texts := []string{"plain", "quote \" and back\\slash", "<script>&amp;</script>", "tab\tnew\nline\r", "ünï©ødé 日本語 🎉",
		"\u2028\u2029 separators", "colon: 12:34 - dash -", "\x01\x1f controls", "", "x"}
	var ids []string
	for i, text := range texts {
		in := IssueInput{Title: fmt.Sprintf("Card %d", i), Status: p.Columns[i%3].Key,
			Priority: Priorities[i%4], Labels: []string{"b,c", "[x]", "ü"}}
		if i%2 == 0 {
			in.AssigneeID, in.Effort, in.DueDate, in.CycleID = &u.ID, &effort, &due, &cycles[0].ID
		}
		if i == 3 {
			in.Effort, in.Labels = &zero, nil
		}
		is, _, err := s.CreateIssue(ctx, u, p.ID, in)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		ids = append(ids, is.ID)
	}
	for i, text := range texts {
		// Text as stored, whatever the checks on the way in allow today.
		labels, _ := json.Marshal([]string{text + "l", "b,c"})
		if err := s.wdb.Exec("UPDATE issues SET title = ?, description = ?, labels = ?, rank = rank || ? WHERE id = ?",
			"Card "+text, text, string(labels), text, ids[i]).Error; err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.CreateComment(ctx, u, p.ID, ids[1], "a comment"); err != nil {
		t.Fatal(err)
	}
	// Stored shapes only other writers (imports, older versions, SQL by
	// hand) leave: each is read by the driver's rules in boardScan.
	many := make([]string, 25)
	for i := range many {
		many[i] = fmt.Sprintf(`"l%d"`, i)
	}
	odd := []struct{ col, val string }{
		{"labels", `[ "spaced" , "out" ]`},
		{"labels", `["esc\u00e9","\"q\""]`},
		{"labels", "[" + strings.Join(many, ",") + "]"},
		{"labels", `["unterminated`},
		{"labels", `["a""b"]`},
		{"labels", `[""]`},
		{"created_at", "2026-02-03T04:05:06Z"},
		{"created_at", "2026-02-03 04:05:06.5+02:00"},
		{"created_at", "2026-02-30 04:05:06"},
		{"created_at", "2026-02-03"},
		{"updated_at", "2026-02-03 04:05:06.123456789"},
		{"updated_at", "garbage"},
		{"carryover", "3"},
	}
	for i, o := range odd {
		if err := s.wdb.Exec("UPDATE issues SET "+o.col+" = ? WHERE id = ?", o.val, ids[i%len(ids)]).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := s.wdb.Exec("UPDATE issues SET updated_at = ? WHERE id = ?", 1767225600123, ids[len(ids)-1]).Error; err != nil {
		t.Fatal(err)
	}
	scan, err := s.boardScan(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	packed, err := s.boardPacked(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(scan) != len(ids) || len(packed) != len(scan) {
		t.Fatalf("scan read %d issues, packed %d, want %d", len(scan), len(packed), len(ids))
	}
	for i := range scan {
		if !reflect.DeepEqual(scan[i], packed[i]) {
			t.Errorf("issue %d:\nscan   %#v\npacked %#v", i, scan[i], packed[i])
		}
	}
}

// sqliteBoard is an empty project of a new user in a fresh SQLite store.
func sqliteBoard(t *testing.T) (*Store, User, Project) {
	t.Helper()
	s, err := Open(t.Context(), "sqlite://"+filepath.Join(t.TempDir(), "board.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(t.Context(), "ann@example.com", "ann", "Ann", "x")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.CreateProject(t.Context(), u, ProjectInput{Name: "Packed"})
	if err != nil {
		t.Fatal(err)
	}
	return s, u, p
}

// TestSQLiteTime: the fast timestamp path agrees with the driver's formats.
func TestSQLiteTime(t *testing.T) {
	for _, v := range []string{"2026-12-06 02:25:38.123456789+00:00", "2026-12-06 02:25:38+00:00", "2026-12-06 02:25:38.1+00:00",
		"2026-12-06 02:25:38.1234567891+00:00", "2026-12-06 24:00:00+00:00", "2026-12-06 23:59:60+00:00", "2026-13-06 02:25:38",
		"2024-02-29 00:00:00", "2025-02-29 00:00:00", "2026-12-06 02:25:38.+00:00", "2026-12-06 02:25:38.123Z", "0000-01-01 00:00:00",
		"2026-12-06 02:25:38-00:00", "2026-12-06 02:25:38 +00:00", "+026-12-06 02:25:38", "2026-12-06 02:25:3a"} {
		want := driverTime(v)
		if got := sqliteTime(v); !reflect.DeepEqual(got, want) || got.Location() != want.Location() {
			t.Errorf("%q: got %v, the driver reads %v", v, got, want)
		}
	}
}

// driverTime is go-sqlite3's reading of a TEXT timestamp (SQLiteRows.Next).
func driverTime(v string) time.Time {
	v = strings.TrimSuffix(v, "Z")
	for _, f := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02T15:04:05.999999999-07:00",
		"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02T15:04:05",
		"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(f, v, time.UTC); err == nil {
			return t
		}
	}
	return time.Time{}
}

// TestBoardPackedFallsBack: a row the packed reader cannot cut up (text
// holding NUL, which SQLite's printf stops at) makes Board read the board
// column by column instead of failing or returning a wrong card.
func TestBoardPackedFallsBack(t *testing.T) {
	ctx := context.Background()
	s, u, p := sqliteBoard(t)
	if empty, err := s.boardPacked(ctx, p); err != nil || empty == nil || len(empty) != 0 {
		t.Fatalf("empty board: %#v, %v; want an empty list", empty, err)
	}
	is, _, err := s.CreateIssue(ctx, u, p.ID, IssueInput{Title: "NUL"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.wdb.Exec("UPDATE issues SET description = ? WHERE id = ?", "before\x00after", is.ID).Error; err != nil {
		t.Fatal(err)
	}
	if _, err := s.boardPacked(ctx, p); err == nil {
		t.Fatal("the packed reader read a row with NUL in it: this test no longer covers the fallback")
	}
	_, issues, err := s.Board(ctx, u.ID, p.ID)
	if err != nil || len(issues) != 1 || issues[0].Description != "before\x00after" {
		t.Fatalf("Board = %+v, %v; want the card with its description whole", issues, err)
	}
	// A board longer than SQLite's longest string (SQLITE_LIMIT_LENGTH, a
	// billion bytes by default; 500 here, more than a row) cannot be one
	// value either.
	if err := s.wdb.Exec("UPDATE issues SET description = 'd'").Error; err != nil {
		t.Fatal(err)
	}
	for _, title := range []string{"Two", "Three", "Four"} {
		if _, _, err := s.CreateIssue(ctx, u, p.ID, IssueInput{Title: title, Description: "d"}); err != nil {
			t.Fatal(err)
		}
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		t.Fatal(err)
	}
	sqlDB.SetMaxOpenConns(1)
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Raw(func(c any) error { c.(*sqlite3.SQLiteConn).SetLimit(sqlite3.SQLITE_LIMIT_LENGTH, 500); return nil }); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if _, err := s.boardPacked(ctx, p); err == nil {
		t.Fatal("the packed read fit in 500 bytes: this test no longer covers the fallback")
	}
	if _, issues, err = s.Board(ctx, u.ID, p.ID); err != nil || len(issues) != 4 {
		t.Fatalf("Board = %+v, %v; want the four cards", issues, err)
	}
}

// TestBoardOrder: the in-place permutation leaves issues sorted by rank,
// then id, each issue once, for any starting order (ties on rank included).
func TestBoardOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 3, 10, 1000} {
		issues := make([]Issue, n)
		for i := range issues {
			issues[i] = Issue{ID: fmt.Sprintf("id-%05d", rng.IntN(100000)), Rank: fmt.Sprintf("a%d", rng.IntN(n/3+1)), Number: int64(i)}
		}
		want := slices.Clone(issues)
		slices.SortFunc(want, func(a, b Issue) int { return cmp.Or(strings.Compare(a.Rank, b.Rank), strings.Compare(a.ID, b.ID)) })
		got := boardOrder(issues)
		seen := map[int64]bool{}
		for i := range got {
			seen[got[i].Number] = true
			if got[i].Rank != want[i].Rank || got[i].ID != want[i].ID {
				t.Fatalf("n=%d: position %d has %s/%s, want %s/%s", n, i, got[i].Rank, got[i].ID, want[i].Rank, want[i].ID)
			}
		}
		if len(seen) != n {
			t.Fatalf("n=%d: %d distinct issues after sorting", n, len(seen))
		}
	}
}
