package models_test

import (
	"testing"
	"time"

	"github.com/corkboard/corkboard/models"
)

// TestWebhookHoldsItsEvents: a prune keeps the events an active webhook
// has not delivered; paused, it holds nothing. Its delivery state moves
// only from the cursor it was read at.
func TestWebhookHoldsItsEvents(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		ctx := t.Context()
		owner := newUser(t, s, "Ann")
		p := newProject(t, s, owner, "Hold")
		w, err := s.CreateWebhook(ctx, owner.ID, p.ID, models.WebhookInput{URL: "https://example.com/", Secret: "whsec_x"})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 { // not about an issue, so prunable
			if _, _, err := s.UpdateProject(ctx, owner, p.ID, models.ProjectPatch{}); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.PruneEvents(ctx, -time.Hour, 0); err != nil || n != w.DeliveredSeq {
			t.Fatalf("pruned %d (%v), want only the %d before the webhook", n, err, w.DeliveredSeq)
		}
		ok, err := s.FinishWebhookStep(ctx, models.WebhookOutcome{WebhookID: w.ID, From: w.DeliveredSeq + 1, Delivered: w.DeliveredSeq + 2})
		if err != nil || ok {
			t.Fatalf("a step from a stale cursor: %v %v", ok, err)
		}
		ok, err = s.FinishWebhookStep(ctx, models.WebhookOutcome{WebhookID: w.ID, From: w.DeliveredSeq, Delivered: w.DeliveredSeq + 1,
			Delivery: &models.WebhookDelivery{MessageID: "m", EventSeq: w.DeliveredSeq + 1, EventType: "project.updated", Attempt: 1, StatusCode: 204, At: time.Now()}})
		if err != nil || !ok {
			t.Fatalf("a step: %v %v", ok, err)
		}
		if n, err := s.PruneEvents(ctx, -time.Hour, 0); err != nil || n != 1 {
			t.Fatalf("pruned %d (%v), want the one delivered", n, err)
		}
		off := false
		if _, err := s.UpdateWebhook(ctx, owner.ID, p.ID, w.ID, models.WebhookPatch{Active: &off}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.PruneEvents(ctx, -time.Hour, 0); err != nil || n != 2 {
			t.Fatalf("pruned %d (%v) with the webhook paused, want 2", n, err)
		}
		page, err := s.ListWebhookDeliveries(ctx, owner.ID, p.ID, w.ID, "", 0)
		if err != nil || len(page.Items) != 1 || page.Items[0].StatusCode != 204 {
			t.Fatalf("deliveries %+v %v", page.Items, err)
		}
	})
}
