package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/corkboard/corkboard/models"
)

// browserServer serves a test server on a real listener for Chromium.
func browserServer(t *testing.T) (*testServer, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ts := newTestServerOnConfig(t, "sqlite://"+filepath.Join(t.TempDir(), "b.db"), base)
	go ts.Serve(ln)
	return ts, base
}

// chromiumPath finds Debian's Chromium (installed by .ci/run). Without it
// the browser tests are skipped locally and fail under CI=true.
func chromiumPath(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed but CI=true: browser tests must run")
		}
		t.Skip("chromium not installed: skipping the browser test")
	}
	return path
}

// browserUser is one person: their own headless Chromium with its own
// profile, so cookies are not shared.
func browserUser(t testing.TB, path string) context.Context {
	t.Helper()
	return browserUserFor(t, path, 60*time.Second)
}

// browserUserFor is browserUser with a deadline of its own.
func browserUserFor(t testing.TB, path string, timeout time.Duration) context.Context {
	t.Helper()
	// Our own temp dir: Chromium may still be writing its profile when the
	// test ends, which t.TempDir() would report as a failure.
	profile, err := os.MkdirTemp("", "corkboard-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(profile) })
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-first-run", true), chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1400, 900), chromedp.UserDataDir(profile))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(alloc)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Run(browser); err != nil { // start it without a deadline
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(browser, timeout)
	t.Cleanup(cancel)
	return ctx
}

func artifact(t *testing.T, name string, png []byte) {
	dir := os.Getenv("ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join("..", "test-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err == nil {
		os.WriteFile(filepath.Join(dir, name), png, 0o644)
	}
}

func login(base, email string) chromedp.ActionFunc {
	return func(ctx context.Context) error {
		for _, a := range []chromedp.Action{
			chromedp.Navigate(base + "/login"),
			chromedp.WaitVisible(`input[name=email]`),
			chromedp.SendKeys(`input[name=email]`, email),
			chromedp.SendKeys(`input[name=password]`, "correct horse battery"),
			chromedp.Submit(`input[name=password]`),
			chromedp.WaitVisible(`a[href="/projects/new"]`),
		} {
			if err := a.Do(ctx); err != nil {
				return err
			}
		}
		return nil
	}
}

// drag presses the mouse on one element and releases it over another, in
// small steps as a hand would (SortableJS's fallback mode follows the mouse).
func drag(from, to string) chromedp.ActionFunc {
	return func(ctx context.Context) error {
		var a, b []float64
		if err := chromedp.Evaluate(fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return [r.x + r.width/2, r.y + 12]; })()`, from), &a).Do(ctx); err != nil {
			return err
		}
		if err := chromedp.Evaluate(fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return [r.x + r.width/2, r.y + r.height - 6]; })()`, to), &b).Do(ctx); err != nil {
			return err
		}
		if err := input.DispatchMouseEvent(input.MousePressed, a[0], a[1]).WithButton(input.Left).WithClickCount(1).Do(ctx); err != nil {
			return err
		}
		for i := 1; i <= 20; i++ {
			x, y := a[0]+(b[0]-a[0])*float64(i)/20, a[1]+(b[1]-a[1])*float64(i)/20
			if err := input.DispatchMouseEvent(input.MouseMoved, x, y).WithButton(input.Left).Do(ctx); err != nil {
				return err
			}
			time.Sleep(15 * time.Millisecond) // pace the gesture like a hand; not a synchronisation
		}
		return input.DispatchMouseEvent(input.MouseReleased, b[0], b[1]).WithButton(input.Left).WithClickCount(1).Do(ctx)
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBrowserTwoUsersDragAndMove: Alice and Bob, in two browser contexts,
// share a board. Alice drags a card to another column; Bob sees it there
// when he opens the board, then moves it with the keyboard menu; Alice sees
// that after a reload. The database agrees at every step.
func TestBrowserTwoUsersDragAndMove(t *testing.T) {
	chrome := chromiumPath(t)
	ts, base := browserServer(t)
	alice := ts.register("alice@example.com", "Alice")
	bob := ts.register("bob@example.com", "Bob")
	var p models.Project
	alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Launch"}, &p)
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": bob.user.Email, "role": "editor"}, nil)
	var issues []models.Issue
	for _, title := range []string{"Write the docs", "Fix the header", "Ship it"} {
		var is models.Issue
		alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": title}, &is)
		issues = append(issues, is)
	}
	statusOf := func(id string) string {
		var is models.Issue
		alice.must(200, "GET", "/api/v1/projects/"+p.ID+"/issues/"+id, nil, &is)
		return is.Status
	}
	board := base + "/projects/" + p.ID
	card := func(id string) string { return `[data-issue-id="` + id + `"]` }

	actx := browserUser(t, chrome)
	var png []byte
	if err := chromedp.Run(actx, login(base, "alice@example.com"), chromedp.Navigate(board),
		chromedp.WaitVisible(card(issues[0].ID)),
		drag(card(issues[0].ID)+" a", `section[data-status="done"] [data-cards]`),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the dragged card to be saved in done", func() bool { return statusOf(issues[0].ID) == "done" })
	if err := chromedp.Run(actx, chromedp.WaitVisible(`section[data-status="done"] `+card(issues[0].ID)),
		chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	artifact(t, "board-alice-after-drag.png", png)

	bctx := browserUser(t, chrome)
	var inDone, cookieShared bool
	if err := chromedp.Run(bctx, login(base, "bob@example.com"), chromedp.Navigate(board),
		chromedp.WaitVisible(card(issues[1].ID)),
		chromedp.Evaluate(`!!document.querySelector('section[data-status="done"] [data-issue-id="`+issues[0].ID+`"]')`, &inDone),
		chromedp.Evaluate(`document.querySelector("header").textContent.includes("Alice")`, &cookieShared),
	); err != nil {
		t.Fatal(err)
	}
	if !inDone || cookieShared {
		t.Fatalf("Bob's board: card in done=%v, sees Alice's session=%v", inDone, cookieShared)
	}
	// Bob moves "Fix the header" with the keyboard alternative: focus its
	// "⋯" button, Enter opens the menu, ArrowDown, Enter.
	if err := chromedp.Run(bctx,
		chromedp.Focus(card(issues[1].ID)+` [data-move-button]`),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`[role=menu]`),
		chromedp.KeyEvent(kb.ArrowDown),
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(`section[data-status="in_progress"] `+card(issues[1].ID)),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the keyboard move to be saved", func() bool { return statusOf(issues[1].ID) == "in_progress" })
	var count string
	if err := chromedp.Run(bctx, chromedp.Text(`section[data-status="in_progress"] [data-count]`, &count),
		chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	artifact(t, "board-bob-after-keyboard-move.png", png)
	if strings.TrimSpace(count) != "1" {
		t.Errorf("in_progress count shows %q, want 1", count)
	}
	// Alice reloads and sees Bob's move.
	var moved bool
	if err := chromedp.Run(actx, chromedp.Navigate(board), chromedp.WaitVisible(card(issues[2].ID)),
		chromedp.Evaluate(`!!document.querySelector('section[data-status="in_progress"] [data-issue-id="`+issues[1].ID+`"]')`, &moved),
	); err != nil {
		t.Fatal(err)
	}
	if !moved {
		t.Fatal("Alice does not see Bob's move after reload")
	}
}

// TestBrowserFailedMoveGoesBack: a move the server refuses puts the card back
// and says why (here: Alice was demoted to viewer after loading the board).
func TestBrowserFailedMoveGoesBack(t *testing.T) {
	chrome := chromiumPath(t)
	ts, base := browserServer(t)
	owner := ts.register("owner@example.com", "Owner")
	alice := ts.register("alice@example.com", "Alice")
	var p models.Project
	owner.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Launch"}, &p)
	owner.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": alice.user.Email, "role": "editor"}, nil)
	var is models.Issue
	owner.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Stay put"}, &is)
	ctx := browserUser(t, chrome)
	if err := chromedp.Run(ctx, login(base, "alice@example.com"), chromedp.Navigate(base+"/projects/"+p.ID),
		chromedp.WaitVisible(`[data-issue-id="`+is.ID+`"]`)); err != nil {
		t.Fatal(err)
	}
	owner.must(200, "PATCH", "/api/v1/projects/"+p.ID+"/members/"+alice.user.ID, map[string]string{"role": "viewer"}, nil)
	var msg string
	var png []byte
	if err := chromedp.Run(ctx,
		drag(`[data-issue-id="`+is.ID+`"] a`, `section[data-status="done"] [data-cards]`),
		chromedp.WaitVisible(`[data-toasts] .alert-error`),
		chromedp.Text(`[data-toasts] .alert-error`, &msg),
		chromedp.WaitVisible(`section[data-status="open"] [data-issue-id="`+is.ID+`"]`),
		chromedp.FullScreenshot(&png, 100),
	); err != nil {
		t.Fatal(err)
	}
	artifact(t, "board-failed-move.png", png)
	if !strings.Contains(msg, "role") {
		t.Errorf("error message %q does not say why", msg)
	}
	var now models.Issue
	owner.must(200, "GET", "/api/v1/projects/"+p.ID+"/issues/"+is.ID, nil, &now)
	if now.Status != "open" || now.Version != 1 {
		t.Fatalf("refused move changed the issue: %+v", now)
	}
}

// TestBrowserPhoneAndDarkTheme: every page fits a 390 px phone screen (only
// the board's own column strip scrolls sideways), and the theme toggle
// switches to dark and is remembered across pages.
func TestBrowserPhoneAndDarkTheme(t *testing.T) {
	chrome := chromiumPath(t)
	ts, base := browserServer(t)
	alice := ts.register("alice@example.com", "Alice Example")
	var p models.Project
	alice.must(201, "POST", "/api/v1/projects", map[string]string{"name": "A project with a rather long name", "description": "Phones"}, &p)
	var is models.Issue
	alice.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]any{"title": "A card with a long title that must wrap on a phone screen",
		"description": "## Plan\n\n- one\n- **two**\n\n`code`", "labels": []string{"mobile", "ui"}, "priority": "urgent", "due_date": "2026-12-24"}, &is)
	ctx := browserUser(t, chrome)
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(390, 844), login(base, "alice@example.com")); err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{"projects": "/projects", "board": "/projects/" + p.ID, "list": "/projects/" + p.ID + "?view=list",
		"issue": "/projects/" + p.ID + "/issues/" + is.ID, "settings": "/projects/" + p.ID + "/settings", "account": "/settings"}
	for name, path := range pages {
		var overflow bool
		var png []byte
		if err := chromedp.Run(ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(`main`),
			chromedp.Evaluate(`document.documentElement.scrollWidth > window.innerWidth + 1`, &overflow),
			chromedp.FullScreenshot(&png, 100)); err != nil {
			t.Fatal(err)
		}
		artifact(t, "phone-"+name+".png", png)
		if overflow {
			t.Errorf("%s overflows a 390 px screen sideways", name)
		}
	}
	var theme string
	var png []byte
	if err := chromedp.Run(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base+pages["issue"]), chromedp.WaitVisible(`[data-theme-toggle]`),
		chromedp.Evaluate(`matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light"`, &theme)); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"dark": "light", "light": "dark"}[theme]
	if err := chromedp.Run(ctx, chromedp.Click(`[data-theme-toggle]`),
		chromedp.Navigate(base+pages["board"]), chromedp.WaitVisible(`[data-board]`),
		chromedp.AttributeValue(`html`, "data-theme", &theme, nil), chromedp.FullScreenshot(&png, 100)); err != nil {
		t.Fatal(err)
	}
	artifact(t, "board-"+want+".png", png)
	if theme != want {
		t.Fatalf("after the toggle and a new page the theme is %q, want %q", theme, want)
	}
}
