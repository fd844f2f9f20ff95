package app

import (
	"context"
	"time"
)

// sessionsEnded closes the live sockets opened with any of the given
// sessions (4001): called after logout, revocation, a password change or a
// reset has deleted their rows.
func (s *Server) sessionsEnded(sessionIDs ...string) {
	if s.hub == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s.hub.EndSessions(ctx, sessionIDs...) // here, and on the other instances
}

// pruneLoop keeps the event log bounded: hourly, and once at start.
func (s *Server) pruneLoop() {
	defer s.loops.Done()
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		// Cycle reports' stored states first: the prune then takes only
		// events they no longer need (cyclereport.Service.Refresh).
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if r, err := s.reports.Refresh(ctx); err != nil {
			s.log.Warn("refreshing cycle reports before pruning", "err", err, "refreshed", r)
		}
		cancel()
		ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
		n, err := s.store.PruneEvents(ctx, s.cfg.EventRetention, s.cfg.EventRetainCount)
		cancel()
		if err != nil {
			s.log.Warn("pruning the event log", "err", err)
		} else if n > 0 {
			s.log.Info("pruned the event log", "events", n)
		}
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}
