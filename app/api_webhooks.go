package app

import (
	"github.com/corkboard/corkboard/app/webhooks"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// Outgoing webhooks (owners; README "Webhooks"). The address and filter
// rules are app/webhooks'; the store checks the role.

type webhookRequest struct {
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Description *string   `json:"description"`
	Active      *bool     `json:"active"`
}

type redeliverRequest struct {
	SinceSeq *int64 `json:"since_seq"`
}

// checkWebhook refuses a request with bad fields (422); creating needs a
// URL.
func (s *Server) checkWebhook(c *fiber.Ctx, req webhookRequest, creating bool) error {
	errs := s.webhooks.Guard().Check(c.UserContext(), webhooks.Input{URL: req.URL, Events: req.Events, Description: req.Description})
	if creating && req.URL == nil {
		errs = append(errs, models.FieldError{Field: "url", Message: "is required"})
	}
	if creating && req.Active != nil {
		errs = append(errs, models.FieldError{Field: "active", Message: "is set with PATCH; a new webhook is active"})
	}
	if len(errs) > 0 {
		return fieldErrors(errs...)
	}
	return nil
}

func (s *Server) apiListWebhooks(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	hooks, err := s.store.ListWebhooks(c.UserContext(), user.ID, c.Params("pid"))
	if err != nil {
		return err
	}
	return c.JSON(list[models.Webhook]{Items: hooks})
}

func (s *Server) apiCreateWebhook(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req webhookRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.checkWebhook(c, req, true); err != nil {
		return err
	}
	w, err := s.store.CreateWebhook(c.UserContext(), user.ID, c.Params("pid"), webhookInput(req))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store") // the secret, shown once
	return c.Status(fiber.StatusCreated).JSON(w)
}

// webhookInput is a checked create request, with a new secret.
func webhookInput(req webhookRequest) models.WebhookInput {
	in := models.WebhookInput{URL: *req.URL, Secret: webhooks.NewSecret()}
	if req.Events != nil {
		in.Events = *req.Events
	}
	if req.Description != nil {
		in.Description = *req.Description
	}
	return in
}

func (s *Server) apiGetWebhook(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	w, err := s.store.GetWebhook(c.UserContext(), user.ID, c.Params("pid"), c.Params("wid"))
	if err != nil {
		return err
	}
	return c.JSON(w)
}

func (s *Server) apiUpdateWebhook(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req webhookRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := s.checkWebhook(c, req, false); err != nil {
		return err
	}
	w, err := s.store.UpdateWebhook(c.UserContext(), user.ID, c.Params("pid"), c.Params("wid"),
		models.WebhookPatch{URL: req.URL, Events: req.Events, Description: req.Description, Active: req.Active})
	if err != nil {
		return err
	}
	s.webhooks.Wake()
	return c.JSON(w)
}

func (s *Server) apiDeleteWebhook(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	if err := s.store.DeleteWebhook(c.UserContext(), user.ID, c.Params("pid"), c.Params("wid")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiWebhookDeliveries(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	limit, err := queryLimit(c, 0, 200)
	if err != nil {
		return err
	}
	page, err := s.store.ListWebhookDeliveries(c.UserContext(), user.ID, c.Params("pid"), c.Params("wid"), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	return c.JSON(list[models.WebhookDelivery]{Items: page.Items, NextCursor: page.NextCursor})
}

func (s *Server) apiRedeliverWebhook(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	var req redeliverRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.SinceSeq == nil {
		return fieldErrors(models.FieldError{Field: "since_seq", Message: "is required"})
	}
	if err := s.store.RedeliverWebhook(c.UserContext(), user.ID, c.Params("pid"), c.Params("wid"), *req.SinceSeq); err != nil {
		return err
	}
	s.webhooks.Wake()
	return c.SendStatus(fiber.StatusAccepted)
}
