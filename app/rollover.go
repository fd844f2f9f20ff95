package app

import (
	"context"
	"time"

	"github.com/corkboard/corkboard/app/planning"
)

// Roll-over of unfinished work (README "Planning"): every instance checks
// every Config.RollOverInterval (a minute) whether a cycle has completed
// with issues left in it, and one of them — the one that wins the lease
// (lease.go) — moves those issues to the next cycle. Exactly once rests on
// the store, where each move is a conditional change of its own and a
// cycle is marked rolled over only once nothing is left to move
// (models/rollover.go).

const (
	defaultRollOverInterval = time.Minute
	rollOverLeaseKey        = "rollover"
)

// rollOverLoop runs a roll-over at start and then every interval.
func (s *Server) rollOverLoop() {
	s.everyInterval(s.cfg.RollOverInterval, "rolling over completed cycles", func(ctx context.Context) error {
		n, err := s.rollOver(ctx)
		if n > 0 {
			s.log.Info("rolled over completed cycles", "issues", n)
		}
		return err
	})
}

// rollOver is one run: if this instance wins the lease, it moves the
// unfinished issues of every completed cycle not yet rolled over and
// announces each move; it returns how many issues it moved.
func (s *Server) rollOver(ctx context.Context) (int, error) {
	moved := 0
	_, err := s.withLease(ctx, rollOverLeaseKey, leaseFor(s.cfg.RollOverInterval), func() error {
		due, err := s.store.CyclesToRollOver(ctx, planning.LatestToday(s.now()))
		if err != nil {
			return err
		}
		for _, cy := range due {
			ids, err := s.store.RollOverPending(ctx, cy.ProjectID, cy.CycleID)
			if err != nil {
				return err
			}
			for _, id := range ids {
				_, ev, ok, err := s.store.RollOverIssue(ctx, cy.ProjectID, cy.CycleID, id)
				if err != nil {
					return err
				}
				if ok {
					s.announce(ev)
					moved++
				}
			}
			if _, err := s.store.MarkRolledOver(ctx, cy.ProjectID, cy.CycleID); err != nil {
				return err
			}
		}
		return nil
	})
	return moved, err
}
