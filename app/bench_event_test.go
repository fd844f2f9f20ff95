package app

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
)

// BenchmarkEncodeEvent is the cost of encoding one issue event into its
// socket frame. It is paid once per event (announce, log replay), never
// per client: the hub forwards the same bytes to every socket.
func BenchmarkEncodeEvent(b *testing.B) {
	author := "4b8f2c1e-9d3a-4e6b-a7f0-1c2d3e4f5a6b"
	now := time.Date(2026, 11, 23, 10, 0, 0, 123456789, time.UTC)
	data, err := json.Marshal(models.Issue{ID: "0b7c1a2e-5f0e-4b61-9a7e-3f7f2d1c9e11",
		ProjectID: "7d0e9a52-3c1b-4f7e-8a4d-2b9c6e1f0a37", Number: 42, Key: "BEN-42",
		Title: "Issue 42 with a title of ordinary length", Description: "Some **markdown** text describing the work.",
		Status: "in_progress", Priority: "medium", AuthorID: &author, Labels: []string{"bench"},
		Rank: "a0V", Version: 7, CreatedAt: now.Add(-time.Hour), UpdatedAt: now})
	if err != nil {
		b.Fatal(err)
	}
	ev := models.Event{Type: models.EventIssueMoved, ProjectID: "7d0e9a52-3c1b-4f7e-8a4d-2b9c6e1f0a37", Seq: 4021,
		Actor: models.Actor{ID: author, Name: "Bench"}, At: now, Data: data}
	frame, _ := encodeEvent(ev)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeEvent(ev); err != nil {
			b.Fatal(err)
		}
	}
}
