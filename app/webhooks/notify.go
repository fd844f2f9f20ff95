package webhooks

import (
	"context"
	"errors"
	"fmt"

	"github.com/corkboard/corkboard/models"
)

// Mailer sends a plain-text e-mail (accounts.Mailer).
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

// MailNotifier tells owners by e-mail that a webhook was turned off.
type MailNotifier struct {
	Mailer    Mailer
	PublicURL string // links to the project settings
}

var _ Notifier = MailNotifier{}

func (m MailNotifier) WebhookDisabled(ctx context.Context, owners []models.User, w models.Webhook, reason string) error {
	link := m.PublicURL + "/projects/" + w.ProjectID + "/settings#webhooks"
	var errs []error
	for _, o := range owners {
		body := fmt.Sprintf("Hello %s,\n\nThe webhook to %s was turned off: %s.\n\n"+
			"Events from then on are kept for it. Fix the receiver, then turn the webhook back on in the project "+
			"settings; it goes on from the first event it did not deliver:\n\n%s\n", o.DisplayName, w.URL, reason, link)
		errs = append(errs, m.Mailer.Send(ctx, o.Email, "A Corkboard webhook was turned off", body))
	}
	return errors.Join(errs...)
}

// Notifiers tells every notifier in turn (e-mail and, say, in-app).
type Notifiers []Notifier

func (ns Notifiers) WebhookDisabled(ctx context.Context, owners []models.User, w models.Webhook, reason string) error {
	var errs []error
	for _, n := range ns {
		errs = append(errs, n.WebhookDisabled(ctx, owners, w, reason))
	}
	return errors.Join(errs...)
}
