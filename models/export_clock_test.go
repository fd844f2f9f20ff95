package models

import "time"

// SetClock makes the store read the time from now, for tests that must
// stop or move time (the session cache's expiry). Call it before the
// store is used from more than one goroutine.
func SetClock(s *Store, now func() time.Time) { s.now = now }

// SessionCacheTTL is how long SessionUserCached may answer from memory.
const SessionCacheTTL = sessionCacheTTL
