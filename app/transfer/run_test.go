package transfer

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// The importer on a real store (SQLite, and PostgreSQL when
// TEST_DATABASE_URL is set): a failure halfway leaves no project, and the
// sweep of several instances fails only the jobs whose heartbeat stopped.

func openStore(t testing.TB, url string) *models.Store {
	t.Helper()
	s, err := models.Open(t.Context(), url, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

func count(t *testing.T, url, table string) int {
	t.Helper()
	var n int
	if err := testdb.Open(t, url).QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// failingStore is the real store whose third batch of issues fails (a
// database error halfway through).
type failingStore struct {
	*models.Store
	batches int
}

var errInjected = errors.New("injected: the database went away")

func (f *failingStore) ImportIssues(ctx context.Context, jobID, projectID, projectKey string, cycleIDs map[int64]string,
	batch []models.ImportIssue, done, total int) error {
	f.batches++
	if f.batches == 3 {
		return errInjected
	}
	return f.Store.ImportIssues(ctx, jobID, projectID, projectKey, cycleIDs, batch, done, total)
}

func TestImportFailingHalfwayLeavesNoProject(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := openStore(t, url)
		u, err := s.CreateUser(t.Context(), "alice@example.com", "alice", "Alice", "x")
		if err != nil {
			t.Fatal(err)
		}
		job, err := s.CreateImport(t.Context(), u.ID, SourceTrello)
		if err != nil {
			t.Fatal(err)
		}
		fs := &failingStore{Store: s}
		im := &Importer{Store: fs, Log: slog.New(slog.DiscardHandler), BatchSize: 100}
		err = im.Run(t.Context(), job.ID, u, SourceTrello, "", SampleTrelloBoard(1000))
		if !errors.Is(err, errInjected) || fs.batches != 3 {
			t.Fatalf("run: %v after %d batches", err, fs.batches)
		}
		got, err := s.GetImport(t.Context(), u.ID, job.ID)
		if err != nil || got.Status != models.ImportFailed || got.Error != "the import failed; nothing was created" {
			t.Fatalf("job %+v %v", got, err)
		}
		for _, table := range []string{"projects", "board_columns", "issues", "comments", "members"} {
			if n := count(t, url, table); n != 0 {
				t.Fatalf("%s left: %d", table, n)
			}
		}
		// The same file through the real store succeeds: the fault was the
		// only difference.
		job, _ = s.CreateImport(t.Context(), u.ID, SourceTrello)
		im.Store = s
		if err := im.Run(t.Context(), job.ID, u, SourceTrello, "", SampleTrelloBoard(1000)); err != nil {
			t.Fatal(err)
		}
		if n := count(t, url, "issues"); n != 1000 {
			t.Fatalf("issues %d", n)
		}
	})
}

// With several instances, the sweep fails a job only when its heartbeat
// is older than the cut-off; a fresh one (another instance's, running)
// is left alone.
func TestSweepSparesLiveJobs(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := openStore(t, url)
		u, _ := s.CreateUser(t.Context(), "alice@example.com", "alice", "Alice", "x")
		job, _ := s.CreateImport(t.Context(), u.ID, SourceCSV)
		n, err := s.FailUnfinishedImports(t.Context(), time.Now().Add(-time.Minute), "gone")
		if err != nil || n != 0 {
			t.Fatalf("a live job was failed: %d %v", n, err)
		}
		n, err = s.FailUnfinishedImports(t.Context(), time.Now().Add(time.Minute), "gone")
		got, _ := s.GetImport(t.Context(), u.ID, job.ID)
		if err != nil || n != 1 || got.Status != models.ImportFailed || got.Error != "gone" {
			t.Fatalf("a stale job: %d %v %+v", n, err, got)
		}
		// Nobody else sees the job.
		other, _ := s.CreateUser(t.Context(), "bob@example.com", "bob", "Bob", "x")
		if _, err := s.GetImport(t.Context(), other.ID, job.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("another user: %v", err)
		}
	})
}

// A corkboard file with a hostile twist: people the file makes members
// only when their email has an account; a name without one is text.
func TestCorkboardFileCannotAddStrangers(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := openStore(t, url)
		u, _ := s.CreateUser(t.Context(), "alice@example.com", "alice", "Alice", "x")
		doc := `{"format":"corkboard.export/1","project":{"key":"HX","name":"Hostile"},
			"columns":[{"key":"open","name":"Open","category":"todo"}],
			"members":[{"email":"nobody@example.com","role":"owner"},{"email":"alice@example.com","role":"viewer"}],
			"issues":[{"number":1,"title":"T","status":"open","priority":"low","assignee_email":"ghost@example.com",
			  "comments":[{"author_email":"ghost@example.com","body":"boo"}]}]}`
		job, _ := s.CreateImport(t.Context(), u.ID, SourceCorkboard)
		im := &Importer{Store: s, Log: slog.New(slog.DiscardHandler)}
		if err := im.Run(t.Context(), job.ID, u, SourceCorkboard, "", []byte(doc)); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetImport(t.Context(), u.ID, job.ID)
		ms, err := s.ListMembers(t.Context(), u.ID, *got.ProjectID)
		if err != nil || len(ms) != 1 || ms[0].UserID != u.ID || ms[0].Role != models.RoleOwner {
			t.Fatalf("members %+v %v (the importer stays owner, nobody else)", ms, err)
		}
		if n := count(t, url, "members"); n != 1 {
			t.Fatalf("memberships anywhere: %d", n)
		}
		w := strings.Join(got.Warnings, "\n")
		if !strings.Contains(w, "nobody@example.com has no account here") || !strings.Contains(w, "ghost@example.com has no account here") {
			t.Fatalf("warnings %q", got.Warnings)
		}
	})
}

// An export crosses pages (500 issues) and columns in board order: 1,100
// rows in one column and a few in another come out in file order, once
// each.
func TestExportPagesInBoardOrder(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := openStore(t, url)
		u, _ := s.CreateUser(t.Context(), "alice@example.com", "alice", "Alice", "x")
		var file strings.Builder
		file.WriteString("title,status\n")
		var want []string
		for i := range 1100 {
			fmt.Fprintf(&file, "Card %d,open\n", i)
			want = append(want, fmt.Sprintf("Card %d", i))
		}
		for i := range 3 {
			fmt.Fprintf(&file, "Done %d,done\n", i)
		}
		want = append(want, "Done 0", "Done 1", "Done 2")
		job, _ := s.CreateImport(t.Context(), u.ID, SourceCSV)
		im := &Importer{Store: s, Log: slog.New(slog.DiscardHandler)}
		if err := im.Run(t.Context(), job.ID, u, SourceCSV, "Big", []byte(file.String())); err != nil {
			t.Fatal(err)
		}
		got, _ := s.GetImport(t.Context(), u.ID, job.ID)
		ex, err := OpenExport(t.Context(), s, u.ID, *got.ProjectID)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := ex.WriteCSV(t.Context(), &out); err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(&out).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, r := range rows[1:] {
			titles = append(titles, r[1])
		}
		if !reflect.DeepEqual(titles, want) {
			t.Fatalf("export order: %d rows, first differences at %v", len(titles), firstDiff(titles, want))
		}
		if _, err := OpenExport(t.Context(), s, "00000000-0000-0000-0000-000000000001", *got.ProjectID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("a non-member's export: %v", err)
		}
	})
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// An export reads one moment: an issue created while it runs (after its
// head was read) is not in it, and the store's other reads see the issue.
func TestExportReadsOneSnapshot(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		s := openStore(t, url)
		u, _ := s.CreateUser(t.Context(), "alice@example.com", "alice", "Alice", "x")
		p, err := s.CreateProject(t.Context(), u, models.ProjectInput{Name: "Snap"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreateIssue(t.Context(), u, p.ID, models.IssueInput{Title: "Before"}); err != nil {
			t.Fatal(err)
		}
		snap, err := s.OpenExportSnapshot(t.Context(), u.ID, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer snap.Close()
		if _, _, err := s.CreateIssue(t.Context(), u, p.ID, models.IssueInput{Title: "During"}); err != nil {
			t.Fatal(err)
		}
		page, _, err := snap.Issues(t.Context(), "open", models.ExportCursor{}, 100, true)
		if err != nil || len(page) != 1 || page[0].Title != "Before" {
			t.Fatalf("the snapshot saw %d issues (%v)", len(page), err)
		}
		_, board, err := s.Board(t.Context(), u.ID, p.ID)
		if err != nil || len(board) != 2 {
			t.Fatalf("outside the snapshot: %d issues (%v)", len(board), err)
		}
	})
}
