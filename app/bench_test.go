package app

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/corkboard/corkboard/models"
)

// BenchmarkBoardPage1000 renders the board page of a 1,000-card project
// (store read + template), through Fiber.
func BenchmarkBoardPage1000(b *testing.B) {
	t := &testing.T{}
	ts := &testServer{Server: newTestServer(t).Server, t: t}
	c := ts.register("bench@example.com", "Bench")
	var p models.Project
	c.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Bench"}, &p)
	user, _ := ts.store.UserByID(b.Context(), c.user.ID)
	for i := 0; i < 1000; i++ {
		if _, _, err := ts.store.CreateIssue(b.Context(), user, p.ID, models.IssueInput{
			Title: fmt.Sprintf("Issue %d with a title of ordinary length", i), Status: p.Columns[i%3].Key,
			Labels: []string{"bench"}}); err != nil {
			b.Fatal(err)
		}
	}
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
