package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/corkboard/corkboard/app/config"
	"github.com/corkboard/corkboard/models"
	"github.com/corkboard/corkboard/realtime"
)

// TestChangesArePublishedAfterCommitOnly: every successful change reaches the
// broker once, with the seq the log gave it; a rejected change never does.
func TestChangesArePublishedAfterCommitOnly(t *testing.T) {
	var mu sync.Mutex
	var got []models.Event
	var broker *realtime.MemoryBroker
	record := func(projectID string, payload []byte) {
		var ev models.Event
		if err := json.Unmarshal(payload, &ev); err != nil || ev.ProjectID != projectID {
			t.Errorf("bad message on %s: %s", projectID, payload)
		}
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	}
	s, err := New(context.Background(), Config{
		Config: config.Config{DatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "c.db"), DataDir: t.TempDir(),
			PublicURL: "http://localhost:3000", JWTSecret: strings.Repeat("k", 32)},
		Password: fastPasswords, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		NewBroker: func(h realtime.Handler) realtime.Broker {
			broker = realtime.NewMemoryBroker(func(pid string, payload []byte) { record(pid, payload); h(pid, payload) })
			return broker
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(context.Background()) })
	ts := &testServer{Server: s, t: t}
	a := ts.register("a@example.com", "A")
	var p models.Project
	a.must(201, "POST", "/api/v1/projects", map[string]string{"name": "P"}, &p)
	broker.Subscribe(context.Background(), p.ID)

	var is models.Issue
	a.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "One"}, &is)
	a.must(422, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": ""}, nil)
	a.must(409, "PATCH", "/api/v1/projects/"+p.ID+"/issues/"+is.ID, map[string]any{"title": "x", "version": 9}, nil)
	a.must(200, "POST", "/api/v1/projects/"+p.ID+"/issues/"+is.ID+"/move", map[string]string{"status": "done"}, nil)

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0].Type != "issue.created" || got[0].Seq != 1 || got[1].Type != "issue.moved" || got[1].Seq != 2 {
		t.Fatalf("published %+v", got)
	}
	var data models.Issue
	mustJSON(t, got[1].Data, &data)
	if data.ID != is.ID || data.Status != "done" || got[1].Actor.Name != "A" {
		t.Fatalf("moved event %+v data %+v", got[1], data)
	}
}
