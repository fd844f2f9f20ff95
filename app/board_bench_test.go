package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkBoard10000 loads a 10,000-card board (issue #16) through Fiber,
// signed in by cookie: GET /board (store read and JSON) and the board page
// (store read and HTML), the server's side of `make bench-board` without
// the network. The cards are those corkbench creates.
func BenchmarkBoard10000(b *testing.B) {
	ts, c, p := benchBoard(b, 10000, "Some **markdown** text describing the work.")
	for _, target := range []struct{ name, path string }{
		{"api", "/api/v1/projects/" + p.ID + "/board"},
		{"page", "/projects/" + p.ID},
	} {
		b.Run(target.name, func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			size := 0
			for b.Loop() {
				req := httptest.NewRequest("GET", target.path, nil)
				req.AddCookie(&http.Cookie{Name: sessionCookie, Value: c.cookie})
				res, err := ts.app.Test(req, -1)
				if err != nil || res.StatusCode != 200 {
					b.Fatal(err, res.StatusCode)
				}
				n, _ := io.Copy(io.Discard, res.Body)
				res.Body.Close()
				size = int(n)
			}
			b.ReportMetric(float64(size)/1024, "KB")
		})
	}
}
