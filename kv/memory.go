package kv

import (
	"context"
	"sync"
	"time"
)

// Memory is the Store of a single instance. Expired entries are dropped
// when touched and by a sweep on every 1,024th write, so it stays bounded.
type Memory struct {
	now func() time.Time

	mu     sync.Mutex
	counts map[string]entry
	leases map[string]map[string]time.Time
	writes int
}

type entry struct {
	value   int64
	expires time.Time
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store on the wall clock.
func NewMemory() *Memory { return NewMemoryClock(time.Now) }

// NewMemoryClock returns an in-memory store reading time from now (tests
// advance it instead of sleeping).
func NewMemoryClock(now func() time.Time) *Memory {
	return &Memory{now: now, counts: map[string]entry{}, leases: map[string]map[string]time.Time{}}
}

// live returns key's entry if it has not expired. Called with m.mu held.
func (m *Memory) live(key string, now time.Time) (entry, bool) {
	e, ok := m.counts[key]
	if ok && !now.Before(e.expires) {
		delete(m.counts, key)
		return entry{}, false
	}
	return e, ok
}

// wrote sweeps expired entries now and then. Called with m.mu held.
func (m *Memory) wrote(now time.Time) {
	if m.writes++; m.writes%1024 != 0 {
		return
	}
	for k, e := range m.counts {
		if !now.Before(e.expires) {
			delete(m.counts, k)
		}
	}
	for k, set := range m.leases {
		for member, exp := range set {
			if !now.Before(exp) {
				delete(set, member)
			}
		}
		if len(set) == 0 {
			delete(m.leases, k)
		}
	}
}

// incr adds one to key's counter (a fixed window of ttl from its first
// count). Called with m.mu held.
func (m *Memory) incr(key string, ttl time.Duration, now time.Time) int64 {
	e, ok := m.live(key, now)
	if !ok {
		e = entry{expires: now.Add(ttl)}
	}
	e.value++
	m.counts[key] = e
	m.wrote(now)
	return e.value
}

func (m *Memory) Incr(_ context.Context, key string, ttl time.Duration) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.incr(key, ttl, m.now()), nil
}

func (m *Memory) Decr(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.live(key, m.now()); ok && e.value > 0 {
		e.value--
		m.counts[key] = e
	}
	return nil
}

// Reserve holds the store's one lock from the first look to the last
// write, which is what makes it atomic here.
func (m *Memory) Reserve(_ context.Context, r Reservation) (Verdict, error) {
	if err := r.check(); err != nil {
		return Verdict{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if e, ok := m.live(r.Lock, now); ok && e.value > r.Now {
		return Verdict{Refused: RefusedLock, Until: e.value}, nil
	}
	if r.Delay != "" {
		if e, ok := m.live(r.Delay, now); ok && e.value > r.Now {
			return Verdict{Refused: RefusedDelay, Until: e.value}, nil
		}
	}
	if r.Client != "" {
		if e, _ := m.live(r.Client, now); e.value >= r.ClientLimit {
			return Verdict{Refused: RefusedClient}, nil
		}
		m.incr(r.Client, r.ClientTTL, now)
	}
	n := m.incr(r.Failures, r.FailuresTTL, now)
	switch {
	case r.LockAt > 0 && n >= r.LockAt:
		m.counts[r.Lock] = entry{value: r.LockUntil.At, expires: now.Add(r.LockUntil.TTL)}
		delete(m.counts, r.Failures)
		if r.Delay != "" {
			delete(m.counts, r.Delay)
		}
		return Verdict{OK: true, Count: n, Locked: true}, nil
	case r.Delay != "" && len(r.Delays) > 0 && n > r.Free:
		d := r.Delays[min(n-r.Free, int64(len(r.Delays)))-1]
		m.counts[r.Delay] = entry{value: d.At, expires: now.Add(d.TTL)}
	}
	return Verdict{OK: true, Count: n}, nil
}

func (m *Memory) Get(_ context.Context, key string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, _ := m.live(key, m.now())
	return e.value, nil
}

func (m *Memory) Set(_ context.Context, key string, value int64, ttl time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.counts[key] = entry{value: value, expires: now.Add(ttl)}
	m.wrote(now)
	return nil
}

func (m *Memory) TTL(_ context.Context, key string) (time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if e, ok := m.live(key, now); ok {
		return e.expires.Sub(now), nil
	}
	return 0, nil
}

func (m *Memory) Del(_ context.Context, keys ...string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.counts, k)
		delete(m.leases, k)
	}
	return nil
}

func (m *Memory) Acquire(_ context.Context, key, member string, limit int, lease time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	set := m.leases[key]
	if set == nil {
		set = map[string]time.Time{}
		m.leases[key] = set
	}
	for k, exp := range set {
		if !now.Before(exp) {
			delete(set, k)
		}
	}
	if _, held := set[member]; !held && len(set) >= limit {
		return false, nil
	}
	set[member] = now.Add(lease)
	m.wrote(now)
	return true, nil
}

func (m *Memory) Renew(_ context.Context, key string, members []string, lease time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	exp := m.now().Add(lease)
	set := m.leases[key]
	for _, member := range members {
		if _, ok := set[member]; ok {
			set[member] = exp
		}
	}
	return nil
}

func (m *Memory) Release(_ context.Context, key, member string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if set := m.leases[key]; set != nil {
		delete(set, member)
		if len(set) == 0 {
			delete(m.leases, key)
		}
	}
	return nil
}

func (m *Memory) Close() error { return nil }
