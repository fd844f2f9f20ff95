package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/corkboard/corkboard/app/transfer"
	"github.com/corkboard/corkboard/models"
)

// TestBrowserImportFollowsProgress: Alice picks a Trello export on the
// import page and submits it; the job's page shows a progress bar that
// moves (a value strictly between 0 and the total is seen), ends full,
// and links to the new board, which shows the cards.
func TestBrowserImportFollowsProgress(t *testing.T) {
	chrome := chromiumPath(t)
	ts, base := browserLiveServer(t, nil)
	alice := ts.register("alice@example.com", "Alice Liddell")
	const cards = 8000
	file := filepath.Join(t.TempDir(), "board.json")
	if err := os.WriteFile(file, transfer.SampleTrelloBoard(cards), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := browserUser(t, chrome)
	// Every page records the bar's values as it goes (the import may run
	// ahead of the first look at it).
	record := `window.__bar = []; setInterval(() => { const b = document.querySelector('[data-import-bar]');
		if (b) window.__bar.push([b.value, b.max]); }, 10);`
	if err := chromedp.Run(ctx, login(base, "alice@example.com"),
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := page.AddScriptToEvaluateOnNewDocument(record).Do(ctx)
			return err
		}),
		chromedp.Navigate(base+"/projects"),
		chromedp.Click(`a[href="/imports/new"]`),
		chromedp.WaitVisible(`input[type=file]`),
		chromedp.SetValue(`select[name=source]`, "trello"),
		chromedp.SetUploadFiles(`input[type=file]`, []string{file}),
		chromedp.SendKeys(`input[name=name]`, "From Trello"),
		chromedp.Submit(`input[name=name]`),
		chromedp.WaitVisible(`[data-import-bar]`),
	); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the bar full and the link to the board shown",
		`document.querySelector('[data-import]').dataset.importStatus === "done" && !document.querySelector('[data-import-open]').hidden
		 && document.querySelector('[data-import-bar]').value === `+itoa64(cards))
	var moved bool
	if err := chromedp.Run(ctx, chromedp.Evaluate(`window.__bar.some(([v, m]) => v > 0 && v < m)`, &moved)); err != nil {
		t.Fatal(err)
	}
	if !moved {
		var seen any
		chromedp.Run(ctx, chromedp.Evaluate(`JSON.stringify(window.__bar.slice(0, 20))`, &seen))
		t.Fatalf("the bar never showed progress between empty and full: %v", seen)
	}
	var png []byte
	chromedp.Run(ctx, chromedp.CaptureScreenshot(&png))
	artifact(t, "import-done.png", png)

	var ps list[models.Project]
	alice.must(200, "GET", "/api/v1/projects", nil, &ps)
	if len(ps.Items) != 1 || ps.Items[0].Name != "From Trello" {
		t.Fatalf("projects %+v", ps.Items)
	}
	if err := chromedp.Run(ctx,
		chromedp.Click(`[data-import-open]`),
		chromedp.WaitVisible(`[data-board]`),
	); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the new board with its cards", `location.pathname === "/projects/`+ps.Items[0].ID+`" &&
		document.querySelectorAll('[data-issue-id]').length > 0`)
	importMidway(t, ctx, ts, base, alice)
}

// importMidway shows the page of a job held part way (3,000 of 8,000
// issues written, as the store records it) and keeps its screenshot: the
// real import above is too quick to photograph reliably in the middle.
func importMidway(t *testing.T, ctx context.Context, ts *testServer, base string, alice *client) {
	t.Helper()
	bg := context.Background()
	job, err := ts.store.CreateImport(bg, alice.user.ID, transfer.SourceTrello)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ts.store.StartImport(bg, job.ID, models.ImportProject{Name: "Half way", Key: "HALF",
		Columns: models.DefaultColumns()}, 8000); err != nil {
		t.Fatal(err)
	}
	if err := ts.store.ImportProgress(bg, job.ID, 3000, 8000); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Run(ctx, chromedp.Navigate(base+"/imports/"+job.ID)); err != nil {
		t.Fatal(err)
	}
	waitJS(t, ctx, "the bar at 3,000 of 8,000", `document.querySelector('[data-import-bar]').value === 3000 &&
		document.querySelector('[data-import-state]').textContent === "running: 3000 of 8000 issues…"`)
	var png []byte
	chromedp.Run(ctx, chromedp.CaptureScreenshot(&png))
	artifact(t, "import-progress.png", png)
	if err := ts.store.FailImport(bg, job.ID, "stopped by the test"); err != nil {
		t.Fatal(err)
	}
}
