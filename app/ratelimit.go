package app

import (
	"context"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/corkboard/corkboard/kv"
	"github.com/gofiber/fiber/v2"
)

// rateLimiter counts API requests per caller (a user, or an IP address for
// anonymous callers) in fixed one-minute windows aligned on the clock, so
// every instance agrees on the window.
//
// Each request costs a sharded map lookup under a shard's mutex. The count
// shared by instances lives in kv.Store, but not one round trip per request
// (at thousands of requests a second one Redis INCR each would cost more
// than the request): an instance adds its requests to the shared counter
// in batches of `batch` (one Incr per batch, the counter counting batches)
// and learns the other instances' batches from the Incr's answer. A caller
// spread over N instances may thus get up to about N×batch requests past
// the limit; on one instance the count is exact. A kv error lets the
// request through on the local count (a rate limit must not take the API
// down with Redis).
type rateLimiter struct {
	limit  int64
	batch  int64
	window time.Duration
	now    func() time.Time
	seed   maphash.Seed
	shards [64]rateShard
}

type rateShard struct {
	mu     sync.Mutex
	window int64 // the window counts belong to; older ones are dropped
	counts map[string]*rateCount
}

type rateCount struct {
	local   int64 // requests this instance counted in the window
	flushed int64 // batches this instance added to the shared counter
	others  int64 // batches other instances had added, at the last flush
}

func newRateLimiter(perMinute int, now func() time.Time) *rateLimiter {
	l := &rateLimiter{limit: int64(perMinute), window: time.Minute, now: now, seed: maphash.MakeSeed()}
	l.batch = max(1, l.limit/100)
	return l
}

// rateDecision is the outcome for one request, with what the RateLimit
// headers say.
type rateDecision struct {
	allowed   bool
	remaining int64
	reset     time.Duration // until the window ends
}

// take counts one request of key and decides on it.
func (l *rateLimiter) take(ctx context.Context, store kv.Store, key string) rateDecision {
	now := l.now()
	w := now.UnixNano() / int64(l.window)
	reset := time.Duration((w+1)*int64(l.window) - now.UnixNano())
	sh := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]

	sh.mu.Lock()
	if sh.window != w || sh.counts == nil {
		sh.window, sh.counts = w, map[string]*rateCount{}
	}
	rc := sh.counts[key]
	if rc == nil {
		rc = &rateCount{}
		sh.counts[key] = rc
	}
	rc.local++
	// Past the limit here the answer is no whatever the others did, and
	// they already know of this instance's limit's worth: no round trip.
	flush := rc.local >= (rc.flushed+1)*l.batch && rc.local <= l.limit
	if flush {
		rc.flushed++
	}
	local, flushed, others := rc.local, rc.flushed, rc.others
	sh.mu.Unlock()

	if flush && store != nil {
		n, err := store.Incr(ctx, "ratelimit:"+key+":"+strconv.FormatInt(w, 10), l.window+10*time.Second)
		if err == nil && n-flushed > others {
			others = n - flushed
			sh.mu.Lock()
			if sh.window == w && rc.others < others {
				rc.others = others
			}
			sh.mu.Unlock()
		}
	}
	used := local + others*l.batch
	return rateDecision{allowed: used <= l.limit, remaining: max(0, l.limit-used), reset: reset}
}

// rateLimit is the /api/v1 middleware. The WebSocket upgrade is exempt:
// it has its own caps (connections per user, presence per connection).
func (s *Server) rateLimit(c *fiber.Ctx) error {
	if isWebSocketPath(c.Path()) {
		return c.Next()
	}
	if d := s.takeRate(c); !d.allowed {
		return errRateLimited
	}
	return c.Next()
}

// rateLimitForm puts the page forms that reach argon2 or send mail (sign
// in, register, the second step, reset and unlock links, the settings
// forms) under the same per-client budget as the API: one limiter, keyed
// the same way, so a client cannot double its guesses by alternating
// between /login and /api/v1/auth/login. The refusal is a page.
func (s *Server) rateLimitForm(c *fiber.Ctx) error {
	d := s.takeRate(c)
	if !d.allowed {
		secs := retryAfterSeconds(d.reset)
		return newProblem(fiber.StatusTooManyRequests, "rate-limited", "Too many attempts",
			"You sent more forms in the last minute than we accept from one place. Wait "+strconv.FormatInt(secs, 10)+
				" seconds, then go back and try again.")
	}
	return c.Next()
}

// takeRate counts this request against its caller's budget (the signed-in
// user, else the client address) and sets the RateLimit headers, and
// Retry-After when it is refused.
func (s *Server) takeRate(c *fiber.Ctx) rateDecision {
	key := "ip:" + c.IP()
	if u, ok := currentUser(c); ok {
		key = "user:" + u.ID
	}
	d := s.limiter.take(c.UserContext(), s.kv, key)
	resetSecs := strconv.FormatInt(retryAfterSeconds(d.reset), 10)
	c.Set("RateLimit-Limit", strconv.FormatInt(s.limiter.limit, 10))
	c.Set("RateLimit-Remaining", strconv.FormatInt(d.remaining, 10))
	c.Set("RateLimit-Reset", resetSecs)
	if !d.allowed {
		c.Set(fiber.HeaderRetryAfter, resetSecs)
	}
	return d
}

// retryAfterSeconds rounds a wait up to whole seconds.
func retryAfterSeconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

var errRateLimited = newProblem(fiber.StatusTooManyRequests, "rate-limited", "Too many requests",
	"This caller sent more API requests this minute than allowed; wait Retry-After seconds.")

// isWebSocketPath reports whether path is /api/v1/projects/{pid}/ws.
func isWebSocketPath(path string) bool {
	rest, ok := strings.CutPrefix(path, "/api/v1/projects/")
	if !ok {
		return false
	}
	pid, tail, _ := strings.Cut(rest, "/")
	return pid != "" && tail == "ws"
}

// Request bodies: up to maxBodyBytes are accepted. Up to maxReadBytes a
// larger body is read and refused with a 413 problem on a connection that
// stays usable (the client reads the answer); past that fasthttp refuses it
// before the body is read and closes the connection. The limit holds for
// the decoded body too (see decodeContentEncoding).
const (
	maxBodyBytes = 1 << 20
	maxReadBytes = 8 << 20
)

// limitBody runs before anything reads a body. It refuses a body over the
// limit, and settles Content-Encoding: a gzip body is replaced by its
// decoded bytes and the header removed, so every later reader (Ctx.Body,
// form values, multipart) sees plain bytes and never decodes on its own;
// other encodings are 415 (decodeContentEncoding).
func limitBody(c *fiber.Ctx) error {
	req := c.Request()
	limit := maxBodyBytes
	if isImportUpload(c.Method(), c.Path()) {
		limit = maxImportBodyBytes // its own limit (api_transfer.go); the server reads no more than that
	}
	if len(req.Body()) > limit {
		return fiber.ErrRequestEntityTooLarge
	}
	peeked := req.Header.PeekAll(fiber.HeaderContentEncoding)
	if len(peeked) == 0 {
		return c.Next()
	}
	lines := make([]string, len(peeked)) // PeekAll's slices are reused
	for i, v := range peeked {
		lines[i] = string(v)
	}
	body, decoded, err := decodeContentEncoding(lines, req.Body(), limit)
	if err != nil {
		return err
	}
	req.Header.Del(fiber.HeaderContentEncoding)
	if decoded {
		req.SetBodyRaw(body)
		req.Header.SetContentLength(len(body))
	}
	return c.Next()
}
