package app

import (
	"strconv"

	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/models"
)

// Planning on the issue page: the estimate as the project's scale allows
// it, and the cycles an issue may be planned into.

// effortOption is one choice of a select: Name is the value sent.
type effortOption struct {
	Name, Label string
}

// effortOptions are the efforts scale offers (nil for the free scale,
// which takes any number); current, if set and no longer on the scale
// (the scale changed), stays offered so saving the form keeps it.
func effortOptions(scale, current string) []effortOption {
	values := planning.ScaleValues(scale)
	if values == nil {
		return nil
	}
	out := []effortOption{}
	onScale := current == ""
	for _, v := range values {
		n := strconv.Itoa(v)
		label := planning.EffortLabel(scale, v)
		if label != n {
			label += " (" + n + ")"
		}
		out = append(out, effortOption{n, label})
		onScale = onScale || n == current
	}
	if !onScale {
		out = append(out, effortOption{current, current + " (not on the " + scale + " scale)"})
	}
	return out
}

// issueCycles are the cycles an issue's form offers: those not completed,
// and the issue's own even when it is (an issue stays where it is unless
// moved).
func issueCycles(cycles []models.Cycle, current *string) []models.Cycle {
	out := []models.Cycle{}
	for _, cy := range cycles {
		if cy.State != planning.StateCompleted || (current != nil && *current == cy.ID) {
			out = append(out, cy)
		}
	}
	return out
}
