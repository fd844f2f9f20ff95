package app

import (
	"sync"
	"time"
)

// verifiedTokens remembers the session JWTs whose signature and claims
// were checked, until they expire. Checking one (base64, two JSON decodes,
// HMAC-SHA256) was 8% of a card move's server CPU, paid again on every
// request of the same cookie. A token only names a session; whether that
// session still lives is asked on every request (SessionUserCached), so
// this changes nothing about logout or revocation.
type verifiedTokens struct {
	mu sync.RWMutex
	m  map[string]sessionClaims
}

const maxVerifiedTokens = 10000 // past it the memory starts over

// parseTokenCached is parseToken, remembered per token string.
func (s *Server) parseTokenCached(raw string) (sessionClaims, error) {
	t := &s.tokens
	t.mu.RLock()
	claims, ok := t.m[raw]
	t.mu.RUnlock()
	if ok && time.Now().Before(claims.ExpiresAt.Time) {
		return claims, nil
	}
	claims, err := s.parseToken(raw)
	if err != nil {
		return claims, err
	}
	t.mu.Lock()
	if t.m == nil || len(t.m) >= maxVerifiedTokens {
		t.m = make(map[string]sessionClaims)
	}
	t.m[raw] = claims
	t.mu.Unlock()
	return claims, nil
}
