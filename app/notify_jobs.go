package app

import (
	"context"
	"strings"
	"time"

	"github.com/corkboard/corkboard/app/notify"
	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/models"
)

// The notification jobs (README "Notifications"): every NotifyInterval
// each instance tries for the lease; the one that wins tells assignees of
// issues due tomorrow, mails mentions and assignments (instant) and sends
// the daily digests. The lease keeps the instances from doing the work
// twice over; exactly once rests on the store: due_soon has a unique
// dedupe key, a notification is claimed (mailed_at) before its mail goes
// out, a digest is claimed per user and day (digest_on).

const (
	defaultNotifyInterval = 15 * time.Second
	defaultMailBatchWait  = 30 * time.Second
	notifyLeaseKey        = "notify-jobs"
	digestWindow          = 48 * time.Hour // a digest carries at most this far back
)

func (s *Server) notifyLoop() {
	s.everyInterval(s.cfg.NotifyInterval, "notification jobs", func(ctx context.Context) error {
		_, err := s.withLease(ctx, notifyLeaseKey, leaseFor(s.cfg.NotifyInterval), func() error { return s.notifyRun(ctx) })
		return err
	})
}

// notifyRun is one run, under the lease.
func (s *Server) notifyRun(ctx context.Context) error {
	if err := s.dueSoon(ctx); err != nil {
		return err
	}
	now := s.now()
	batches, err := s.store.InstantMailDue(ctx, now.Add(-s.cfg.MailBatchWait))
	if err != nil {
		return err
	}
	for _, b := range batches {
		s.mailBatch(ctx, b, func(items []models.Notification) notify.Mail {
			return notify.InstantMail(b.User.DisplayName, items, s.mailLinks())
		})
	}
	// The digest sent on a day (UTC) is of what came before that day.
	day := now.UTC().Format(time.DateOnly)
	start := now.UTC().Truncate(24 * time.Hour)
	if batches, err = s.store.DigestDue(ctx, day, start.Add(-digestWindow), start); err != nil {
		return err
	}
	for _, b := range batches {
		s.mailBatch(ctx, b, func(items []models.Notification) notify.Mail {
			return notify.DigestMail(b.User.DisplayName, start.AddDate(0, 0, -1).Format(time.DateOnly), items, s.mailLinks())
		})
	}
	s.notifyRuns.Add(1)
	return nil
}

// dueSoon tells assignees of issues due tomorrow in their project's zone.
// Tomorrow is somewhere between today and the day after next in UTC.
func (s *Server) dueSoon(ctx context.Context) error {
	now := s.now().UTC()
	due, err := s.store.DueIssuesBetween(ctx, now.Format(time.DateOnly), now.AddDate(0, 0, 2).Format(time.DateOnly))
	if err != nil {
		return err
	}
	for _, d := range due {
		if !notify.DueTomorrow(planning.Today(now, d.Timezone), d.DueDate) {
			continue
		}
		if _, _, err := s.store.NotifyDueSoon(ctx, d); err != nil {
			return err
		}
	}
	return nil
}

// mailBatch claims a person's notifications and mails the ones it
// claimed; a failed mail gives them back for the next run.
func (s *Server) mailBatch(ctx context.Context, b models.MailBatch, compose func([]models.Notification) notify.Mail) {
	ids := make([]string, len(b.Items))
	for i, n := range b.Items {
		ids[i] = n.ID
	}
	at := s.now()
	claimed, err := s.store.ClaimMailed(ctx, ids, at)
	if err != nil || len(claimed) == 0 {
		if err != nil {
			s.log.Warn("claiming notifications to mail", "err", err)
		}
		return
	}
	mine := map[string]bool{}
	for _, id := range claimed {
		mine[id] = true
	}
	var items []models.Notification
	for _, n := range b.Items {
		if mine[n.ID] {
			items = append(items, n)
		}
	}
	m := compose(items)
	if err := s.mailer.Send(ctx, b.User.Email, m.Subject, m.Body); err != nil {
		s.log.Warn("mailing notifications", "user_id", b.User.ID, "err", err)
		if err := s.store.UnclaimMailed(context.WithoutCancel(ctx), claimed, at); err != nil {
			s.log.Warn("giving back notifications to mail", "err", err)
		}
	}
}

func (s *Server) mailLinks() notify.Links {
	return notify.Links{Base: strings.TrimRight(s.cfg.PublicURL, "/"), Off: func(userID string) string {
		return strings.TrimRight(s.cfg.PublicURL, "/") + "/mail-off?t=" + s.mailOff.Sign(userID)
	}}
}
