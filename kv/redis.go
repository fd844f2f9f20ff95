package kv

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is the Store shared by every instance on one Redis. Each operation
// is one round trip; multi-step ones run as Lua scripts, so they are atomic.
type Redis struct {
	rdb    *redis.Client
	prefix string
	own    bool // Close closes rdb
}

var _ Store = (*Redis)(nil)

// NewRedis uses rdb with every key under prefix (e.g. "corkboard:").
// Close does not close rdb: its owner does.
func NewRedis(rdb *redis.Client, prefix string) *Redis {
	return &Redis{rdb: rdb, prefix: prefix}
}

// DialRedis connects to url (redis://…) and checks it answers.
func DialRedis(ctx context.Context, url, prefix string) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	// Fail fast while Redis is away: callers (throttling, rate limits,
	// publishing) have a fallback and must not hold a request for seconds.
	if opt.DialTimeout == 5*time.Second { // go-redis's default: the URL set none
		opt.DialTimeout = time.Second
	}
	if opt.ReadTimeout == 3*time.Second {
		opt.ReadTimeout, opt.WriteTimeout = time.Second, time.Second
	}
	opt.DialerRetries, opt.MaxRetries = 1, 1
	rdb := redis.NewClient(opt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, err
	}
	return &Redis{rdb: rdb, prefix: prefix, own: true}, nil
}

// incr increments and sets the expiry only when the key is new (a fixed
// window: later increments keep it). PEXPIRE NX needs Redis 7; the script
// works on any version.
var incr = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

func (r *Redis) Incr(ctx context.Context, key string, ttl time.Duration) (int64, error) {
	return incr.Run(ctx, r.rdb, []string{r.prefix + key}, ttl.Milliseconds()).Int64()
}

// decr gives one back without creating the key or going below zero;
// DECR keeps the key's expiry.
var decr = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then return redis.call('DECR', KEYS[1]) end
return 0`)

func (r *Redis) Decr(ctx context.Context, key string) error {
	return decr.Run(ctx, r.rdb, []string{r.prefix + key}).Err()
}

// reserve is Reservation's rule in one script, so no other client runs
// between the look and the count. KEYS: lock, delay, failures, client.
// ARGV: now, failures TTL, free, lock at, lock until, lock TTL, use delay,
// use client, client limit, client TTL, then (until, TTL) per delay.
// Answers {refusal, until, count, locked}.
var reserve = redis.NewScript(`
local now = tonumber(ARGV[1])
local lock = tonumber(redis.call('GET', KEYS[1]) or '0')
if lock > now then return {1, lock, 0, 0} end
local useDelay, useClient = ARGV[7] == '1', ARGV[8] == '1'
if useDelay then
  local d = tonumber(redis.call('GET', KEYS[2]) or '0')
  if d > now then return {2, d, 0, 0} end
end
if useClient then
  if tonumber(redis.call('GET', KEYS[4]) or '0') >= tonumber(ARGV[9]) then return {3, 0, 0, 0} end
  if redis.call('INCR', KEYS[4]) == 1 or redis.call('PTTL', KEYS[4]) < 0 then redis.call('PEXPIRE', KEYS[4], ARGV[10]) end
end
local n = redis.call('INCR', KEYS[3])
if n == 1 or redis.call('PTTL', KEYS[3]) < 0 then redis.call('PEXPIRE', KEYS[3], ARGV[2]) end
local lockAt = tonumber(ARGV[4])
if lockAt > 0 and n >= lockAt then
  redis.call('SET', KEYS[1], ARGV[5], 'PX', ARGV[6])
  redis.call('DEL', KEYS[3])
  if useDelay then redis.call('DEL', KEYS[2]) end
  return {0, 0, n, 1}
end
local free, delays = tonumber(ARGV[3]), (#ARGV - 10) / 2
if useDelay and delays > 0 and n > free then
  local i = math.min(n - free, delays)
  redis.call('SET', KEYS[2], ARGV[9 + 2 * i], 'PX', ARGV[10 + 2 * i])
end
return {0, 0, n, 0}`)

// ms is a TTL in whole milliseconds, at least one (PX 0 is an error).
func ms(d time.Duration) int64 { return max(d.Milliseconds(), 1) }

func (r *Redis) Reserve(ctx context.Context, res Reservation) (Verdict, error) {
	if err := res.check(); err != nil {
		return Verdict{}, err
	}
	keys := []string{r.prefix + res.Lock, r.prefix + res.Failures, r.prefix + res.Failures, r.prefix + res.Failures}
	flag := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	if res.Delay != "" {
		keys[1] = r.prefix + res.Delay
	}
	if res.Client != "" {
		keys[3] = r.prefix + res.Client
	}
	args := []any{res.Now, ms(res.FailuresTTL), res.Free, res.LockAt, res.LockUntil.At, ms(res.LockUntil.TTL),
		flag(res.Delay != ""), flag(res.Client != ""), res.ClientLimit, ms(res.ClientTTL)}
	for _, d := range res.Delays {
		args = append(args, d.At, ms(d.TTL))
	}
	out, err := reserve.Run(ctx, r.rdb, keys, args...).Int64Slice()
	if err != nil {
		return Verdict{}, err
	}
	if len(out) != 4 {
		return Verdict{}, errors.New("kv: reserve answered " + strconv.Itoa(len(out)) + " values")
	}
	if out[0] != 0 {
		return Verdict{Refused: Refusal(out[0]), Until: out[1]}, nil
	}
	return Verdict{OK: true, Count: out[2], Locked: out[3] == 1}, nil
}

func (r *Redis) Get(ctx context.Context, key string) (int64, error) {
	n, err := r.rdb.Get(ctx, r.prefix+key).Int64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	return n, err
}

func (r *Redis) Set(ctx context.Context, key string, value int64, ttl time.Duration) error {
	return r.rdb.Set(ctx, r.prefix+key, value, ttl).Err()
}

func (r *Redis) TTL(ctx context.Context, key string) (time.Duration, error) {
	d, err := r.rdb.PTTL(ctx, r.prefix+key).Result()
	if err != nil || d < 0 { // -2 absent, -1 no expiry (never written by us)
		return 0, err
	}
	return d, nil
}

func (r *Redis) Del(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = r.prefix + k
	}
	return r.rdb.Del(ctx, full...).Err()
}

// acquire keeps a sorted set of members scored by lease end (ms since the
// epoch, from Redis's own clock so instances need not agree on time).
var acquire = redis.NewScript(`
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`)

var renew = redis.NewScript(`
local t = redis.call('TIME')
local until_ = t[1] * 1000 + math.floor(t[2] / 1000) + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', until_, ARGV[i]) end
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1`)

func (r *Redis) Acquire(ctx context.Context, key, member string, limit int, lease time.Duration) (bool, error) {
	n, err := acquire.Run(ctx, r.rdb, []string{r.prefix + key}, member, limit, lease.Milliseconds()).Int()
	return n == 1, err
}

func (r *Redis) Renew(ctx context.Context, key string, members []string, lease time.Duration) error {
	if len(members) == 0 {
		return nil
	}
	args := make([]any, 0, len(members)+1)
	args = append(args, strconv.FormatInt(lease.Milliseconds(), 10))
	for _, m := range members {
		args = append(args, m)
	}
	return renew.Run(ctx, r.rdb, []string{r.prefix + key}, args...).Err()
}

func (r *Redis) Release(ctx context.Context, key, member string) error {
	return r.rdb.ZRem(ctx, r.prefix+key, member).Err()
}

func (r *Redis) Close() error {
	if r.own {
		return r.rdb.Close()
	}
	return nil
}

// Client is the Redis connection pool (the realtime broker shares it).
func (r *Redis) Client() *redis.Client { return r.rdb }

// Prefix is the key prefix every key of this store carries.
func (r *Redis) Prefix() string { return r.prefix }
