package cyclereport

import (
	"sync"

	"github.com/corkboard/corkboard/app/planning"
)

// History keeps the state of each cycle reported lately (planning.State,
// as the stored snapshot has it but usually further on), so that a report
// on this instance reads neither the snapshot nor more of the log than the
// events since its last report. The Server owns one; nil keeps nothing.
type History struct {
	mu     sync.Mutex
	budget int // at most this many issues kept, all cycles together
	kept   int
	tick   uint64
	cycles map[string]*cycleEntry
}

type cycleEntry struct {
	mu     sync.Mutex // held while the cycle's report is computed
	params string
	st     *planning.State
	saved  int64 // the seq of the stored snapshot with params (-1: none)
	used   uint64
	size   int // len(st.Issues) as last counted in History.kept
}

// DefaultHistoryBudget is about 50 MB of issues at the most.
const DefaultHistoryBudget = 500_000

// NewHistory keeps at most budget issues (0: DefaultHistoryBudget); the
// cycles reported longest ago go first.
func NewHistory(budget int) *History {
	if budget <= 0 {
		budget = DefaultHistoryBudget
	}
	return &History{budget: budget, cycles: map[string]*cycleEntry{}}
}

// entry is the cycle's entry; on a nil History a new one, kept nowhere.
func (h *History) entry(cycleID string) *cycleEntry {
	if h == nil {
		return &cycleEntry{saved: -1}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tick++
	e := h.cycles[cycleID]
	if e == nil {
		e = &cycleEntry{saved: -1}
		h.cycles[cycleID] = e
	}
	e.used = h.tick
	return e
}

// grew records e's new size and evicts the cycles used longest ago (never
// e itself) while the budget is exceeded.
func (h *History) grew(cycleID string, e *cycleEntry, size int) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cycles[cycleID] != e {
		return // dropped meanwhile
	}
	h.kept += size - e.size
	e.size = size
	for h.kept > h.budget {
		var oldest string
		for id, o := range h.cycles {
			if o != e && (oldest == "" || o.used < h.cycles[oldest].used) {
				oldest = id
			}
		}
		if oldest == "" {
			return
		}
		h.kept -= h.cycles[oldest].size
		delete(h.cycles, oldest)
	}
}

func (h *History) drop(cycleID string, e *cycleEntry) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cycles[cycleID] == e {
		h.kept -= e.size
		delete(h.cycles, cycleID)
	}
}
