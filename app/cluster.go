package app

import (
	"context"
	"fmt"
	"time"

	"github.com/corkboard/corkboard/kv"
	"github.com/corkboard/corkboard/realtime"
	"github.com/google/uuid"
)

// What makes N instances behave as one: the broker between them, readiness
// that includes Redis, session ends and connection caps that cross
// instances. With no REDIS_URL all of it is in-process.

// openKV is the shared-state store: Redis on REDIS_URL (so counters hold
// across instances; returned twice, as the store and as Redis), memory
// otherwise (redis nil).
func (s *Server) openKV(ctx context.Context) (store kv.Store, redis *kv.Redis, err error) {
	if s.cfg.RedisURL == "" {
		return kv.NewMemoryClock(s.now), nil, nil
	}
	r, err := kv.DialRedis(ctx, s.cfg.RedisURL, s.cfg.RedisPrefix)
	if err != nil {
		return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	return r, r, nil
}

// defaultBroker is Redis pub/sub when the shared state is on Redis (other
// instances share it), the in-process broker otherwise.
func (s *Server) defaultBroker() func(realtime.Handler) realtime.Broker {
	if r := s.redis; r != nil {
		return func(h realtime.Handler) realtime.Broker {
			return realtime.NewRedisBroker(r.Client(), r.Prefix()+"p:", h, s.log)
		}
	}
	return func(h realtime.Handler) realtime.Broker { return realtime.NewMemoryBroker(h) }
}

// connLease is one socket's hold on its user's connection cap, shared by
// every instance through kv (a lease set per user). Instances renew their
// sockets' leases; a dead instance's lapse after wsLease.
type connLease struct {
	key, member string
}

const wsLease = 30 * time.Second

// acquireConnLease takes a slot of userID's cap across instances. With the
// in-memory store the hub's own per-user cap is the whole story.
func (s *Server) acquireConnLease(ctx context.Context, userID string) (*connLease, bool, error) {
	if s.redis == nil {
		return nil, true, nil
	}
	l := &connLease{key: "wsconns:" + userID, member: uuid.NewString()}
	ok, err := s.kv.Acquire(ctx, l.key, l.member, s.hub.MaxConnsPerUser(), wsLease)
	if err != nil || !ok {
		return nil, ok, err
	}
	s.leaseMu.Lock()
	if s.leases == nil {
		s.leases = map[*connLease]struct{}{}
	}
	s.leases[l] = struct{}{}
	s.leaseMu.Unlock()
	return l, true, nil
}

func (s *Server) releaseConnLease(l *connLease) {
	if l == nil {
		return
	}
	s.leaseMu.Lock()
	delete(s.leases, l)
	s.leaseMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.kv.Release(ctx, l.key, l.member); err != nil {
		s.log.Debug("releasing a connection lease", "err", err) // it lapses by itself
	}
}

// shareConnCap adds the cross-instance per-user cap to the hub's local
// reservation: the returned release gives back both.
func (s *Server) shareConnCap(ctx context.Context, userID string, local func()) (func(), error) {
	l, ok, err := s.acquireConnLease(ctx, userID)
	switch {
	case err != nil:
		// Redis away: the local cap still holds; do not lock users out.
		s.log.Warn("connection cap across instances unavailable", "err", err)
		return local, nil
	case !ok:
		local()
		return nil, realtime.ErrTooManyConnections
	}
	return func() { local(); s.releaseConnLease(l) }, nil
}

// leaseLoop renews this instance's connection leases, a third of the
// lease time apart.
func (s *Server) leaseLoop() {
	defer s.loops.Done()
	t := time.NewTicker(wsLease / 3)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		s.leaseMu.Lock()
		byKey := map[string][]string{}
		for l := range s.leases {
			byKey[l.key] = append(byKey[l.key], l.member)
		}
		s.leaseMu.Unlock()
		for key, members := range byKey {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := s.kv.Renew(ctx, key, members, wsLease); err != nil {
				s.log.Warn("renewing connection leases", "err", err)
			}
			cancel()
		}
	}
}
