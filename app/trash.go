package app

import (
	"context"
	"time"
)

// The trash purge (README "Trash and undo"): every instance checks every
// Config.TrashPurgeInterval (an hour) for issues trashed 30 days ago or
// more, and the one that wins the lease (lease.go) purges them. Exactly
// once rests on the store: each project's purge reads what has expired
// under the project's lock (models.PurgeExpired).

const (
	defaultTrashPurgeInterval = time.Hour
	trashPurgeLeaseKey        = "trash-purge"
)

// trashPurgeLoop runs a purge at start and then every interval.
func (s *Server) trashPurgeLoop() {
	s.everyInterval(s.cfg.TrashPurgeInterval, "purging the trash", func(ctx context.Context) error {
		n, err := s.purgeExpired(ctx)
		if n > 0 {
			s.log.Info("purged expired issues from the trash", "projects", n)
		}
		return err
	})
}

// purgeExpired is one run: if this instance wins the lease, it purges the
// expired issues of every project and announces each trash.purged event;
// it returns how many projects it purged.
func (s *Server) purgeExpired(ctx context.Context) (int, error) {
	n := 0
	_, err := s.withLease(ctx, trashPurgeLeaseKey, leaseFor(s.cfg.TrashPurgeInterval), func() error {
		evs, err := s.store.PurgeExpired(ctx)
		s.announce(evs...)
		n = len(evs)
		return err
	})
	return n, err
}
