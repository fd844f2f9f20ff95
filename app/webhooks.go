package app

import (
	"strings"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/app/webhooks"
)

// Outgoing webhooks (README "Webhooks"): every instance runs a deliverer
// (app/webhooks) that follows each webhook's cursor on its project's log;
// a lease in kv makes one instance at a time deliver a webhook. Nothing
// here is on the path of a change: announce only nudges the deliverer.

// newDeliverer builds the deliverer: owners of a webhook turned off are
// told by e-mail (an in-app notice can join it through webhooks.Notifiers).
func (s *Server) newDeliverer(mailer accounts.Mailer, publicURL string) *webhooks.Deliverer {
	guard := webhooks.Guard{AllowPrivate: s.cfg.WebhookAllowPrivate, Resolver: s.cfg.WebhookResolver}
	notifier := webhooks.MailNotifier{Mailer: mailer, PublicURL: strings.TrimRight(publicURL, "/")}
	opts := s.cfg.Webhooks
	if opts.LeaseTTL == 0 {
		opts.LeaseTTL = s.cfg.WebhookLeaseTTL
	}
	return webhooks.NewDeliverer(s.store, s.kv, guard, notifier, s.now, s.log, opts)
}

// webhookLoop delivers until Shutdown.
func (s *Server) webhookLoop() {
	defer s.loops.Done()
	s.webhooks.Run(s.stop)
}
