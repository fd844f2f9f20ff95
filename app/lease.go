package app

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Periodic jobs that one instance at a time runs (roll-over, the trash
// purge): every instance ticks, and the one that wins the job's kv lease
// does the work. The lease keeps the instances from doing it twice over;
// exactly once rests on the store, whose changes re-check under the
// project's lock.

// everyInterval runs job at start and then every interval until the
// server stops, logging a failed run under what.
func (s *Server) everyInterval(interval time.Duration, what string, job func(ctx context.Context) error) {
	defer s.loops.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), leaseFor(interval))
		if err := job(ctx); err != nil {
			s.log.Warn(what, "err", err)
		}
		cancel()
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// leaseFor is how long a run of a job ticking every interval holds its
// lease: a run that dies keeps the others waiting no longer than this.
func leaseFor(interval time.Duration) time.Duration {
	return max(2*interval, 10*time.Second)
}

// withLease runs fn if this instance wins the lease key (held for lease);
// it reports whether it ran.
func (s *Server) withLease(ctx context.Context, key string, lease time.Duration, fn func() error) (bool, error) {
	member := uuid.NewString()
	won, err := s.kv.Acquire(ctx, key, member, 1, lease)
	if err != nil || !won {
		return false, err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := s.kv.Release(rctx, key, member); err != nil {
			s.log.Debug("releasing a lease", "key", key, "err", err) // it lapses by itself
		}
	}()
	return true, fn()
}
