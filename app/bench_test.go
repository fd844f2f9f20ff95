package app

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// BenchmarkBoardPage1000 renders the board page of a 1,000-card project
// (store read + template), through Fiber.
func BenchmarkBoardPage1000(b *testing.B) {
	ts, c, p := benchBoard(b, 1000, "")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest("GET", "/projects/"+p.ID, nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
		res, err := ts.app.Test(req, -1)
		if err != nil || res.StatusCode != 200 {
			b.Fatal(err, res.StatusCode)
		}
		res.Body.Close()
	}
}

// benchBoard is a signed-in client's project of n cards spread over the
// three columns, as corkbench creates them (with description).
func benchBoard(b *testing.B, n int, description string) (*testServer, *client, models.Project) {
	t := &testing.T{}
	ts := &testServer{Server: newTestServer(t).Server, t: t}
	c := ts.register("bench@example.com", "Bench")
	var p models.Project
	c.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Bench"}, &p)
	user, _ := ts.store.UserByID(b.Context(), c.user.ID)
	for i := 0; i < n; i++ {
		if _, _, err := ts.store.CreateIssue(b.Context(), user, p.ID, models.IssueInput{
			Title: fmt.Sprintf("Issue %d with a title of ordinary length", i), Status: p.Columns[i%3].Key,
			Description: description, Labels: []string{"bench"}}); err != nil {
			b.Fatal(err)
		}
	}
	return ts, c, p
}

// BenchmarkMoveRoute is one move over the API through Fiber, signed in by
// cookie (a card to the bottom of another column): the server's side of
// `make bench-http`'s moves, without the network. The event goes out to
// the (empty) hub as on a server.
func BenchmarkMoveRoute(b *testing.B) {
	t := &testing.T{}
	ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", func(cfg *Config) { cfg.RateLimitPerMinute = 1 << 30 })
	c := ts.register("bench@example.com", "Bench")
	var p models.Project
	c.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Bench"}, &p)
	user, _ := ts.store.UserByID(b.Context(), c.user.ID)
	issues := make([]models.Issue, 300)
	for i := range issues {
		is, _, err := ts.store.CreateIssue(b.Context(), user, p.ID, models.IssueInput{
			Title: fmt.Sprintf("Issue %d with a title of ordinary length", i), Status: p.Columns[i%3].Key,
			Description: "Some **markdown** text describing the work.", Labels: []string{"bench"}})
		if err != nil {
			b.Fatal(err)
		}
		issues[i] = is
	}
	bodies := make([]string, len(p.Columns))
	for i, col := range p.Columns {
		bodies[i] = `{"status":"` + col.Key + `"}`
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	i := 0
	for b.Loop() {
		is := issues[i%len(issues)]
		req := httptest.NewRequest("POST", "/api/v1/projects/"+p.ID+"/issues/"+is.ID+"/move",
			strings.NewReader(bodies[(i+1)%len(bodies)]))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: ts.sessionCookieName(), Value: c.cookie})
		res, err := ts.app.Test(req, -1)
		if err != nil || res.StatusCode != 200 {
			b.Fatal(err, res.StatusCode)
		}
		res.Body.Close()
		i++
	}
}

// reportCPU starts counting the process's CPU time (every goroutine: the
// handler, the store's writer, the driver) and returns what reports it
// per op as cpu-ns/op: on a shared machine it moves less than ns/op.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
