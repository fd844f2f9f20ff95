package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
)

// scanEvent must agree with encoding/json on frames as the server encodes
// them, whatever the issue's text contains.
func TestScanEvent(t *testing.T) {
	for _, text := range []string{
		"plain",
		`"id":"x","version":99,"seq":7`,
		`\"data\":{\"id\":\"y\"}`,
		"{\"type\":\"hello\"}\n\t\u2028",
	} {
		is := models.Issue{ID: "0b7c1a2e-issue", ProjectID: "p-1", Number: 3, Key: "BEN-3", Title: text,
			Description: text, Status: "open", Labels: []string{text}, Rank: "a0", Version: 12}
		data, _ := json.Marshal(is)
		frame, _ := json.Marshal(models.Event{Type: models.EventIssueMoved, ProjectID: "p-1", Seq: 4021,
			Actor: models.Actor{ID: "u-1", Name: text}, At: time.Now(), Data: data})
		fast, ok := scanEvent(frame)
		slow, _ := slowScanEvent(frame)
		if !ok || string(fast.typ) != string(slow.typ) || fast.seq != 4021 || string(fast.id) != is.ID || fast.version != 12 {
			t.Errorf("%q: scanEvent = %s %d %s %d, want issue.moved 4021 %s 12", text, fast.typ, fast.seq, fast.id, fast.version, is.ID)
		}
	}
	for _, frame := range []string{`{"type":"hello","project_id":"p","seq":5}`, `{"type":"presence","data":{"users":[]}}`} {
		if ev, ok := scanEvent([]byte(frame)); !ok || ev.seq != 0 {
			t.Errorf("%s: want an ephemeral frame, got %+v %v", frame, ev, ok)
		}
	}
}

func BenchmarkScanEvent(b *testing.B) {
	data, _ := json.Marshal(models.Issue{ID: "0b7c1a2e-5f0e-4b61-9a7e-3f7f2d1c9e11", Title: "Issue 42 with a title of ordinary length",
		Description: "Some **markdown** text describing the work.", Status: "done", Labels: []string{"bench"}, Version: 12})
	frame, _ := json.Marshal(models.Event{Type: models.EventIssueMoved, Seq: 4021, At: time.Now(), Data: data})
	b.ReportAllocs()
	for b.Loop() {
		if ev, ok := scanEvent(frame); !ok || ev.version != 12 {
			b.Fatal("scan")
		}
	}
}
