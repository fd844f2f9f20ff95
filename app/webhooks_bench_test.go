package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/config"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// BenchmarkWebhookDelivery is delivery throughput: events per second to
// one fast receiver on loopback, one webhook (in order, one at a time:
// each event is a signed POST, its answer, and the cursor's commit with
// the delivery's row). The events are made first; a redeliver from seq 0
// starts the clock. SQLite; `make bench-go` runs it.
func BenchmarkWebhookDelivery(b *testing.B) {
	var got atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rcv.Close()
	cfg := Config{Config: config.Config{DatabaseURL: testdb.SQLite(b), DataDir: b.TempDir(), PublicURL: "http://localhost:3000",
		JWTSecret: strings.Repeat("s", 32)}, Password: fastPasswords, Logger: slog.New(slog.DiscardHandler)}
	fastWebhooks(&cfg)
	s, err := New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Shutdown(context.Background())
	ctx := context.Background()
	owner, err := s.store.CreateUser(ctx, "bench@example.com", "bench", "Bench", "x")
	if err != nil {
		b.Fatal(err)
	}
	p, err := s.store.CreateProject(ctx, owner, models.ProjectInput{Name: "Bench"})
	if err != nil {
		b.Fatal(err)
	}
	for i := range b.N {
		if _, _, err := s.store.CreateIssue(ctx, owner, p.ID, models.IssueInput{Title: "card " + strconv.Itoa(i)}); err != nil {
			b.Fatal(err)
		}
	}
	w, err := s.store.CreateWebhook(ctx, owner.ID, p.ID, models.WebhookInput{URL: rcv.URL, Secret: "whsec_" + strings.Repeat("QUJD", 8)})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	if err := s.store.RedeliverWebhook(ctx, owner.ID, p.ID, w.ID, p.Seq); err != nil { // from the first issue
		b.Fatal(err)
	}
	s.webhooks.Wake()
	for got.Load() < int64(b.N) {
		if time.Since(start) > 5*time.Minute {
			b.Fatalf("%d of %d delivered", got.Load(), b.N)
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}
