package app

import (
	"context"
	"time"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/google/uuid"
)

// Roll-over of unfinished work (README "Planning"): every instance checks
// every Config.RollOverInterval (a minute) whether a cycle has completed
// with issues left in it, and one of them — the one that wins the lease —
// moves those issues to the next cycle. The lease keeps the instances from
// doing the work twice over; exactly once rests on the store, where each
// move is a conditional change of its own and a cycle is marked rolled over
// only once nothing is left to move (models/rollover.go).

const (
	defaultRollOverInterval = time.Minute
	rollOverLeaseKey        = "rollover"
)

// rollOverLoop runs a roll-over at start and then every interval.
func (s *Server) rollOverLoop() {
	defer s.loops.Done()
	t := time.NewTicker(s.cfg.RollOverInterval)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), s.rollOverLease())
		if n, err := s.rollOver(ctx); err != nil {
			s.log.Warn("rolling over completed cycles", "err", err)
		} else if n > 0 {
			s.log.Info("rolled over completed cycles", "issues", n)
		}
		cancel()
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// rollOverLease is how long a run holds the lease: a run that dies keeps
// the others waiting no longer than this.
func (s *Server) rollOverLease() time.Duration {
	return max(2*s.cfg.RollOverInterval, 10*time.Second)
}

// rollOver is one run: if this instance wins the lease, it moves the
// unfinished issues of every completed cycle not yet rolled over and
// announces each move; it returns how many issues it moved.
func (s *Server) rollOver(ctx context.Context) (int, error) {
	member := uuid.NewString()
	won, err := s.kv.Acquire(ctx, rollOverLeaseKey, member, 1, s.rollOverLease())
	if err != nil || !won {
		return 0, err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		if err := s.kv.Release(rctx, rollOverLeaseKey, member); err != nil {
			s.log.Debug("releasing the roll-over lease", "err", err) // it lapses by itself
		}
	}()
	due, err := s.store.CyclesToRollOver(ctx, planning.LatestToday(s.now()))
	if err != nil {
		return 0, err
	}
	moved := 0
	for _, cy := range due {
		ids, err := s.store.RollOverPending(ctx, cy.ProjectID, cy.CycleID)
		if err != nil {
			return moved, err
		}
		for _, id := range ids {
			_, ev, ok, err := s.store.RollOverIssue(ctx, cy.ProjectID, cy.CycleID, id)
			if err != nil {
				return moved, err
			}
			if ok {
				s.announce(ev)
				moved++
			}
		}
		if _, err := s.store.MarkRolledOver(ctx, cy.ProjectID, cy.CycleID); err != nil {
			return moved, err
		}
	}
	return moved, nil
}
