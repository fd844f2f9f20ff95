package app

import (
	"context"
	"encoding/json"

	"github.com/corkboard/corkboard/models"
	"github.com/corkboard/corkboard/realtime"
	"github.com/gofiber/fiber/v2"
)

// The event log over REST, and the announcement of committed events to
// live viewers.

type eventsResponse struct {
	Items   []models.Event `json:"items"`
	Seq     int64          `json:"seq"`
	HasMore bool           `json:"has_more"`
}

func (s *Server) apiEvents(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	since, err := querySince(c)
	if err != nil {
		return err
	}
	limit, err := queryLimit(c, 500, 1000)
	if err != nil {
		return err
	}
	page, err := s.store.EventsSince(c.UserContext(), user.ID, c.Params("pid"), since, limit)
	if err != nil {
		return err
	}
	return c.JSON(eventsResponse{Items: page.Items, Seq: page.Seq, HasMore: page.HasMore})
}

// announce hands committed events to the hub, encoded once. It runs only
// after the store's transaction has committed, so a rolled-back change is
// never announced. The hub publishes through the broker or, if the broker
// is down, delivers locally (Hub.Publish); either way the change is durable
// and viewers fill gaps from the event log, so nothing is returned.
func (s *Server) announce(events ...models.Event) {
	for _, ev := range events {
		payload, err := encodeEvent(ev)
		if err != nil {
			s.log.Error("encode event", "project_id", ev.ProjectID, "seq", ev.Seq, "err", err)
			continue
		}
		err = s.hub.Publish(context.Background(), ev.ProjectID, realtime.Message{Seq: ev.Seq, Type: ev.Type, Data: payload})
		s.metrics.publishedEvent(err)
	}
	s.webhooks.Wake() // never blocks: the deliverer reads the log on its own
}

// encodeEvent is the one encoding of an event, for the broker, the socket
// and the log replay alike.
func encodeEvent(ev models.Event) ([]byte, error) { return json.Marshal(ev) }
