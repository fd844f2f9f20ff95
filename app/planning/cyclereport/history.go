package cyclereport

import (
	"sync"
)

// History keeps each project's log converted so far, so that a report
// reads only the events after the last one read: reading and decoding a
// 50,000-event log takes about a second on SQLite, the report itself a
// few milliseconds (BenchmarkCycleReport). The log is append-only and the
// report reads no field that a later change of an event (the trash's
// redaction of titles and descriptions) touches, so what is kept stays
// exact. The Server owns one; nil reads the whole log every time.
type History struct {
	mu       sync.Mutex
	budget   int // at most this many changes kept, all projects together
	kept     int
	tick     uint64
	projects map[string]*projectLog
}

type projectLog struct {
	mu   sync.Mutex // held while the log is read into conv
	conv *Converter
	seq  int64 // the last event converted
	used uint64
	size int // len(conv.Changes) as last counted in History.kept
}

// DefaultHistoryBudget is about 100 MB of changes at the most.
const DefaultHistoryBudget = 500_000

// NewHistory keeps at most budget changes (0: DefaultHistoryBudget); the
// projects read longest ago go first.
func NewHistory(budget int) *History {
	if budget <= 0 {
		budget = DefaultHistoryBudget
	}
	return &History{budget: budget, projects: map[string]*projectLog{}}
}

func (h *History) entry(projectID string) *projectLog {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tick++
	pl := h.projects[projectID]
	if pl == nil {
		pl = &projectLog{conv: NewConverter()}
		h.projects[projectID] = pl
	}
	pl.used = h.tick
	return pl
}

// grew records pl's new size and evicts the projects used longest ago
// (never pl itself) while the budget is exceeded.
func (h *History) grew(projectID string, pl *projectLog, size int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.projects[projectID] != pl {
		return // dropped meanwhile
	}
	h.kept += size - pl.size
	pl.size = size
	for h.kept > h.budget {
		var oldest string
		for id, o := range h.projects {
			if o != pl && (oldest == "" || o.used < h.projects[oldest].used) {
				oldest = id
			}
		}
		if oldest == "" {
			return
		}
		h.kept -= h.projects[oldest].size
		delete(h.projects, oldest)
	}
}

func (h *History) drop(projectID string, pl *projectLog) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.projects[projectID] == pl {
		h.kept -= pl.size
		delete(h.projects, projectID)
	}
}
