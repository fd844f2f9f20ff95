package app

import (
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/app/webhooks"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// The webhooks section of the project settings page (owners): create,
// pause or resume, redeliver, delete, and the recent deliveries of each.
// The secret is shown once, on the page that answers the creation.

// localNewWebhook carries a webhook just created (with its secret) to the
// settings page rendered in answer.
const localNewWebhook = "new_webhook"

// webhookView is one webhook with its latest deliveries, for the page.
type webhookView struct {
	models.Webhook
	Deliveries []models.WebhookDelivery
}

// webhookSettings is the section's data (nil for non-owners, who do not
// see it).
func (s *Server) webhookSettings(c *fiber.Ctx, p models.Project) fiber.Map {
	if p.Role != models.RoleOwner {
		return nil
	}
	user, _ := currentUser(c)
	hooks, err := s.store.ListWebhooks(c.UserContext(), user.ID, p.ID)
	if err != nil {
		s.log.Warn("listing webhooks for the settings page", "err", err)
		return nil
	}
	views := make([]webhookView, len(hooks))
	for i, w := range hooks {
		views[i].Webhook = w
		if page, err := s.store.ListWebhookDeliveries(c.UserContext(), user.ID, p.ID, w.ID, "", 10); err == nil {
			views[i].Deliveries = page.Items
		}
	}
	data := fiber.Map{"Items": views, "Families": webhookFilterHint()}
	if w, ok := c.Locals(localNewWebhook).(models.NewWebhook); ok {
		data["New"] = w
	}
	return data
}

// eventsFromForm reads a comma- or space-separated list of event filters.
func eventsFromForm(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func (s *Server) pageCreateWebhook(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	url, events, desc := strings.TrimSpace(c.FormValue("url")), eventsFromForm(c.FormValue("events")), c.FormValue("description")
	values := fiber.Map{"url": url, "events": strings.Join(events, ", "), "description": desc}
	req := webhookRequest{URL: &url, Events: &events, Description: &desc}
	err := s.checkWebhook(c, req, true)
	var w models.NewWebhook
	if err == nil {
		w, err = s.store.CreateWebhook(c.UserContext(), user.ID, c.Params("pid"), webhookInput(req))
	}
	if err != nil {
		return s.settingsRefused(c, "webhook", values, err)
	}
	c.Locals(localNewWebhook, w)
	c.Set(fiber.HeaderCacheControl, "no-store") // the secret, shown once
	return s.renderSettings(c, fiber.StatusCreated, "", nil, nil)
}

// pageEditWebhook changes a webhook's URL, events and description; a
// refusal re-renders the settings with the errors by that webhook's form.
func (s *Server) pageEditWebhook(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	url, events, desc := strings.TrimSpace(c.FormValue("url")), eventsFromForm(c.FormValue("events")), c.FormValue("description")
	req := webhookRequest{URL: &url, Events: &events, Description: &desc}
	err := s.checkWebhook(c, req, false)
	if err == nil {
		_, err = s.store.UpdateWebhook(c.UserContext(), user.ID, c.Params("pid"), c.Params("wid"),
			models.WebhookPatch{URL: req.URL, Events: req.Events, Description: req.Description})
	}
	if err != nil {
		values := fiber.Map{"url": url, "events": strings.Join(events, ", "), "description": desc}
		return s.settingsRefused(c, "webhook:"+c.Params("wid"), values, err)
	}
	return s.back(c, s.settingsPath(c)+"#webhooks", true, "Webhook saved.")
}

func (s *Server) pageUpdateWebhook(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	active := c.FormValue("active") == "1"
	_, err := s.store.UpdateWebhook(c.UserContext(), user.ID, c.Params("pid"), c.Params("wid"), models.WebhookPatch{Active: &active})
	if err != nil {
		return s.pageError(c, s.settingsPath(c), err)
	}
	s.webhooks.Wake()
	msg := "Webhook paused."
	if active {
		msg = "Webhook turned on: it goes on from the first event it did not deliver."
	}
	return s.back(c, s.settingsPath(c)+"#webhooks", true, msg)
}

func (s *Server) pageRedeliverWebhook(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	since, err := strconv.ParseInt(strings.TrimSpace(c.FormValue("since_seq")), 10, 64)
	if err == nil {
		err = s.store.RedeliverWebhook(c.UserContext(), user.ID, c.Params("pid"), c.Params("wid"), since)
	} else {
		err = fieldErrors(models.FieldError{Field: "since_seq", Message: "must be a number"})
	}
	if fields, ok := fieldMap(err); ok {
		return s.back(c, s.settingsPath(c)+"#webhooks", false, "Since seq "+fields["since_seq"]+".")
	}
	if err != nil {
		return s.pageError(c, s.settingsPath(c), err)
	}
	s.webhooks.Wake()
	return s.back(c, s.settingsPath(c)+"#webhooks", true, "The events after seq "+strconv.FormatInt(since, 10)+" are being sent again.")
}

func (s *Server) pageDeleteWebhook(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	if err := s.store.DeleteWebhook(c.UserContext(), user.ID, c.Params("pid"), c.Params("wid")); err != nil {
		return s.pageError(c, s.settingsPath(c), err)
	}
	return s.back(c, s.settingsPath(c)+"#webhooks", true, "Webhook deleted.")
}

// webhookFilterHint lists the event families for the form's help text.
func webhookFilterHint() string { return strings.Join(webhooks.Families(), ".*, ") + ".*" }
