package app

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/transfer"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// uploadOver posts a file to base's import route as u (bearer).
func (u *httpUser) uploadOver(base, source string, data []byte) string {
	u.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("source", source)
	fw, _ := mw.CreateFormFile("file", "board.json")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", base+"/api/v1/imports", &buf)
	req.Header.Set("Authorization", "Bearer "+u.token)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := u.hc.Do(req)
	if err != nil {
		u.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 202 {
		u.t.Fatalf("import: %d %s", res.StatusCode, b)
	}
	var acc struct{ ID string }
	mustJSON(u.t, b, &acc)
	return acc.ID
}

// countRows counts a table's rows (optionally filtered) straight from the
// database, past every membership scope.
func countRows(t *testing.T, url, query string, args ...any) int {
	t.Helper()
	db := testdb.Open(t, url)
	var n int
	if err := db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// TestImportKilledMidwayLeavesNothing: an instance (a real process) is
// killed (SIGKILL) while it writes a large Trello import. At that moment
// the half-written project exists but has no member, so nobody can see
// it. The next start fails the job with a reason and deletes the project:
// no project, issue or comment of it is left, and the job is not stuck in
// running.
func TestImportKilledMidwayLeavesNothing(t *testing.T) {
	forEachDatabaseURL(t, func(t *testing.T, url string) {
		p := startProcesses(t, 1, map[string]string{"DATABASE_URL": url})[0]
		alice := registerOver(t, p.base, "alice@example.com", "Alice")
		id := alice.uploadOver(p.base, "trello", transfer.SampleTrelloBoard(30000))
		var job models.ImportJob
		deadline := time.Now().Add(60 * time.Second)
		for job.Progress.Done == 0 {
			alice.call(p.base, 200, "GET", "/api/v1/imports/"+id, nil, &job)
			if job.Status == models.ImportDone || job.Status == models.ImportFailed || time.Now().After(deadline) {
				t.Fatalf("the import was not caught midway: %+v", job)
			}
			time.Sleep(5 * time.Millisecond)
		}
		p.kill()
		if job.Progress.Done >= job.Progress.Total {
			t.Fatalf("killed too late: %+v", job.Progress)
		}
		// Midway: a project with issues and no member.
		if n := countRows(t, url, "SELECT count(*) FROM projects"); n != 1 {
			t.Fatalf("projects while killed: %d", n)
		}
		if n := countRows(t, url, "SELECT count(*) FROM members"); n != 0 {
			t.Fatalf("members while killed: %d", n)
		}
		if n := countRows(t, url, "SELECT count(*) FROM issues"); n == 0 {
			t.Fatal("no issues written before the kill")
		}
		if n := countRows(t, url, "SELECT count(*) FROM imports WHERE status = 'running'"); n != 1 {
			t.Fatalf("running jobs while killed: %d", n)
		}

		second := newTestServerOn(t, url)
		got, err := second.Store().GetImport(context.Background(), alice.id, id)
		if err != nil || got.Status != models.ImportFailed || !strings.Contains(got.Error, "restarted during the import") ||
			got.ProjectID != nil {
			t.Fatalf("after restart: %+v %v", got, err)
		}
		for _, table := range []string{"projects", "board_columns", "issues", "comments", "members"} {
			if n := countRows(t, url, "SELECT count(*) FROM "+table); n != 0 {
				t.Fatalf("%s left after restart: %d", table, n)
			}
		}
	})
}
