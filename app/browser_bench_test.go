package app

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"
	"github.com/corkboard/corkboard/models"
)

var (
	browserBoardSizes = flag.String("browser-cards", "1000,10000", "BenchmarkBrowserBoard: board sizes (cards), comma-separated")
	browserBoardLoads = flag.Int("browser-loads", 5, "BenchmarkBrowserBoard: page loads (one drag each) per size")
)

// BenchmarkBrowserBoard opens boards of 1,000 and 10,000 cards (issue #16)
// in headless Chromium against a real server on a fresh SQLite file and
// prints what the user waits for, from the page's Performance API:
//   - page: bytes of the board page's HTML;
//   - first paint: the first-contentful-paint entry;
//   - interactive: the "corkboard:interactive" mark (static/js/board.js:
//     handlers attached, every issue of the board in the page's state, the
//     live socket open);
//   - drag start, drop: the "corkboard:drag-start" and "corkboard:drop"
//     measures (static/js/board-move.js: input event to the first frame
//     after the handler; after the drop, the DOM changed and the move
//     request sent), over real mouse drags of a card to another column;
//   - JS heap (Performance.getMetrics JSHeapUsedSize after a GC) and DOM
//     nodes of the tab.
//
// Loads and drags are repeated; figures are p50 and max. b.N is ignored
// (run with -benchtime 1x): `make bench-browser`.
func BenchmarkBrowserBoard(b *testing.B) {
	chrome := chromiumPath(b)
	for _, f := range strings.Split(*browserBoardSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 10 {
			b.Fatalf("-browser-cards: %q", f)
		}
		benchBrowserBoard(b, chrome, n)
	}
}

func benchBrowserBoard(b *testing.B, chrome string, n int) {
	s, _, base := benchServer(b, nil)
	token, pid := idleSetup(b, base)
	seedBoard(b, s, pid, n)

	// The page's size, as a browser gets it.
	req, _ := http.NewRequest("GET", base+"/projects/"+pid, nil)
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		b.Fatalf("board page: %d", res.StatusCode)
	}

	ctx := browserUserFor(b, chrome, 30*time.Minute)
	board := base + "/projects/" + pid
	if err := chromedp.Run(ctx, login(base, "idle@example.com"), performance.Enable()); err != nil {
		b.Fatal(err)
	}
	// Each load: the board's first paint and interactive, then one drag of
	// the first card of the first column to just below the second card of
	// the second column, waiting for the move to be saved. (A fresh page per
	// drag: SortableJS's autoscroll moves the columns of a large board.)
	loads := *browserBoardLoads
	var paint, ready, starts, drops []float64
	for range loads {
		if err := chromedp.Run(ctx, chromedp.Navigate(board), chromedp.WaitVisible(`[data-board]`)); err != nil {
			b.Fatal(err)
		}
		benchWait(b, ctx, "the board to be interactive", `performance.getEntriesByName("corkboard:interactive").length > 0 && performance.getEntriesByName("first-contentful-paint").length > 0`)
		from := `section[data-status]:nth-of-type(1) [data-cards] > [data-issue-id]`
		to := `section[data-status]:nth-of-type(2) [data-cards] > [data-issue-id]:nth-child(2)`
		if err := chromedp.Run(ctx, drag(from, to)); err != nil {
			b.Fatal(err)
		}
		benchWait(b, ctx, "the drop to be measured and saved",
			`performance.getEntriesByName("corkboard:drop").length > 0 && !document.querySelector('[data-board] [aria-busy]')`)
		var fcp, tti, start, drop float64
		if err := chromedp.Run(ctx,
			chromedp.Evaluate(`performance.getEntriesByName("first-contentful-paint")[0].startTime`, &fcp),
			chromedp.Evaluate(`performance.getEntriesByName("corkboard:interactive")[0].startTime`, &tti),
			chromedp.Evaluate(`performance.getEntriesByName("corkboard:drag-start")[0].duration`, &start),
			chromedp.Evaluate(`performance.getEntriesByName("corkboard:drop")[0].duration`, &drop)); err != nil {
			b.Fatal(err)
		}
		paint, ready, starts, drops = append(paint, fcp), append(ready, tti), append(starts, start), append(drops, drop)
	}

	var heap, nodes float64
	var domNodes int
	if err := chromedp.Run(ctx, heapprofiler.CollectGarbage(), chromedp.ActionFunc(func(ctx context.Context) error {
		ms, err := performance.GetMetrics().Do(ctx)
		for _, m := range ms {
			switch m.Name {
			case "JSHeapUsedSize":
				heap = m.Value
			case "Nodes":
				nodes = m.Value
			}
		}
		return err
	}), chromedp.Evaluate(`document.getElementsByTagName("*").length`, &domNodes)); err != nil {
		b.Fatal(err)
	}
	_ = nodes
	fmt.Printf("browser board %6d cards: page %.2f MB; first paint p50 %.0f max %.0f ms; interactive p50 %.0f max %.0f ms; "+
		"drag start p50 %.1f max %.1f ms; drop p50 %.1f max %.1f ms (%d drags); JS heap %.1f MB; DOM elements %d\n",
		n, float64(len(page))/1e6, p50(paint), slices.Max(paint), p50(ready), slices.Max(ready),
		p50(starts), slices.Max(starts), p50(drops), slices.Max(drops), len(drops), heap/1e6, domNodes)
	b.ReportMetric(p50(paint), fmt.Sprintf("paint-ms-%d", n))
	b.ReportMetric(p50(ready), fmt.Sprintf("interactive-ms-%d", n))
}

// seedBoard adds n issues to the project, spread over its columns, from
// 8 goroutines (the store's group commit batches them).
func seedBoard(b *testing.B, s *Server, pid string, n int) {
	ctx := context.Background()
	users, err := s.store.UsersByEmail(ctx, []string{"idle@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	user := users["idle@example.com"]
	p, _, err := s.store.Board(ctx, user.ID, pid)
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				effort := []int{1, 2, 3, 5, 8}[i%5]
				if _, _, err := s.store.CreateIssue(ctx, user, pid, models.IssueInput{
					Title: fmt.Sprintf("Issue %d with a title of ordinary length", i), Status: p.Columns[i%len(p.Columns)].Key,
					Labels: []string{"bench", "ui"}, Priority: models.Priorities[i%len(models.Priorities)], Effort: &effort}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

// benchWait polls a JS condition until it holds (a minute at most).
func benchWait(b *testing.B, ctx context.Context, what, expr string) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var ok bool
		if err := chromedp.Run(ctx, chromedp.Evaluate(expr, &ok)); err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			var state string
			_ = chromedp.Run(ctx, chromedp.Evaluate(`JSON.stringify({start: performance.getEntriesByName("corkboard:drag-start").length, drop: performance.getEntriesByName("corkboard:drop").length, busy: document.querySelectorAll("[aria-busy]").length, odd: Array.from(document.querySelectorAll(".sortable-chosen, .sortable-fallback, .card-ghost, .kpanel:not([hidden]), .kmenu")).map(e => e.className), url: location.href})`, &state))
			b.Fatalf("timed out waiting for %s (%s)", what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func p50(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}
