// Package config is Corkboard's configuration from the environment: the
// variables of README's configuration table, their defaults (each written
// once, in Defaults) and their parsing. Other packages take the parsed
// value; none reads the environment or writes a default of its own.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/app/webhooks"
)

// Config is the deployment's settings: what an operator can set.
type Config struct {
	BindAddr     string // BIND_ADDR
	DatabaseURL  string // DATABASE_URL: sqlite://PATH or postgres://…
	RedisURL     string // REDIS_URL: "": one instance, in-process broker and limits
	RedisPrefix  string // REDIS_PREFIX: keys and channels of this deployment
	JWTSecret    string // JWT_SECRET: "": generated once into DataDir
	TOTPKey      string // TOTP_KEY: encrypts two-factor secrets at rest; "": generated once into DataDir
	PublicURL    string // PUBLIC_URL, without a trailing slash
	CookieSecure bool   // COOKIE_SECURE: default true when PublicURL is https
	SMTPURL      string // SMTP_URL: "": mail goes to the log
	MailFrom     string // MAIL_FROM: "": noreply@ the host of PUBLIC_URL
	DataDir      string // DATA_DIR: generated secrets and the default SQLite file
	LogLevel     slog.Level

	// Live layer and event log.
	WSMaxConns        int           // WS_MAX_CONNS
	WSMaxConnsPerUser int           // WS_MAX_CONNS_PER_USER
	PresenceHeartbeat time.Duration // WS_PRESENCE_HEARTBEAT: instances re-announce their viewers this often
	EventRetention    time.Duration // EVENT_RETENTION: events older than this are pruned, but for live issues' (models.PruneEvents)
	EventRetainCount  int64         // EVENT_RETENTION_COUNT: and beyond this many per project

	// RATE_LIMIT_PER_MINUTE: API requests per caller (user, or IP when
	// anonymous) per minute.
	RateLimitPerMinute int

	// Operations.
	DBMaxConns        int           // DB_MAX_OPEN_CONNS
	DBMaxIdleConns    int           // DB_MAX_IDLE_CONNS
	DBConnMaxLifetime time.Duration // DB_CONN_MAX_LIFETIME: 0: connections are not replaced
	LogFormat         string        // LOG_FORMAT: "json", "text"; "": JSON unless stderr is a terminal
	AccessLog         bool          // ACCESS_LOG: one info line per request (else at debug)
	MetricsAddr       string        // METRICS_ADDR: where /metrics listens; "": nowhere
	TrustedProxies    []string      // TRUSTED_PROXIES: IPs/CIDRs whose X-Forwarded-For is the client IP

	// WEBHOOK_ALLOW_PRIVATE: webhooks may point at loopback, private and
	// link-local addresses (tests, on-premises receivers).
	WebhookAllowPrivate bool
	// WEBHOOK_LEASE_TTL: how long an instance holds a webhook it delivers
	// without renewing; one that dies is replaced after about this long.
	WebhookLeaseTTL time.Duration

	// Throttle is the LOGIN_* variables: how failed password checks are
	// slowed down and locked (the rule is accounts.Guard's).
	Throttle accounts.Throttle

	// OIDC is the OIDC_* variables: sign-in with an OpenID provider.
	OIDC OIDC
}

// OIDC is sign-in with an OpenID Connect provider (oidc.go).
type OIDC struct {
	Issuer       string // OIDC_ISSUER: "": no OpenID Connect sign-in
	ClientID     string // OIDC_CLIENT_ID
	ClientSecret string // OIDC_CLIENT_SECRET: "": a public client (PKCE only)
	Button       string // OIDC_BUTTON: the sign-in button's label
	Only         bool   // OIDC_ONLY: password sign-in and registration are off
	ExistingOnly bool   // OIDC_AUTO_CREATE=0: no account is created, only existing ones are found or linked
}

// Enabled reports whether OpenID Connect sign-in is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// Defaults is the configuration with nothing set, as README's table
// documents it. It is the only place a default is written: FromEnv starts
// from it, and WithDefaults fills a hand-built Config's gaps from it.
func Defaults() Config {
	const dataDir = "data"
	return Config{
		BindAddr:           "127.0.0.1:3000",
		DatabaseURL:        sqliteIn(dataDir),
		RedisPrefix:        "corkboard:",
		PublicURL:          "http://localhost:3000",
		DataDir:            dataDir,
		LogLevel:           slog.LevelInfo,
		WSMaxConns:         20000,
		WSMaxConnsPerUser:  50,
		PresenceHeartbeat:  5 * time.Second,
		EventRetention:     720 * time.Hour,
		EventRetainCount:   100000,
		RateLimitPerMinute: 600,
		DBMaxConns:         16,
		DBMaxIdleConns:     16, // DB_MAX_OPEN_CONNS's value
		DBConnMaxLifetime:  30 * time.Minute,
		Throttle:           accounts.DefaultThrottle(),
		OIDC:               OIDC{Button: DefaultOIDCButton},
		WebhookLeaseTTL:    webhooks.DefaultLeaseTTL,
	}
}

// DefaultOIDCButton is OIDC_BUTTON's default.
const DefaultOIDCButton = "Sign in with SSO"

// sqliteIn is DATABASE_URL's default: a SQLite file in DATA_DIR.
func sqliteIn(dataDir string) string { return "sqlite://" + filepath.Join(dataDir, "corkboard.db") }

// WithDefaults fills the limits, timings and the Redis prefix that a
// Config built by hand (in tests) leaves zero, where zero is not a value
// FromEnv could return. Addresses and paths (BindAddr, DatabaseURL,
// PublicURL, DataDir) are the builder's to give, and zero is a meaning of
// its own for DBConnMaxLifetime (no limit), so those are left as they are.
func (c Config) WithDefaults() Config {
	d := Defaults()
	orDefault(&c.RedisPrefix, d.RedisPrefix)
	orDefault(&c.WSMaxConns, d.WSMaxConns)
	orDefault(&c.WSMaxConnsPerUser, d.WSMaxConnsPerUser)
	orDefault(&c.PresenceHeartbeat, d.PresenceHeartbeat)
	orDefault(&c.EventRetention, d.EventRetention)
	orDefault(&c.EventRetainCount, d.EventRetainCount)
	orDefault(&c.RateLimitPerMinute, d.RateLimitPerMinute)
	orDefault(&c.DBMaxConns, d.DBMaxConns)
	orDefault(&c.WebhookLeaseTTL, d.WebhookLeaseTTL)
	orDefault(&c.DBMaxIdleConns, c.DBMaxConns) // as DB_MAX_IDLE_CONNS follows DB_MAX_OPEN_CONNS
	c.Throttle = c.Throttle.WithDefaults()
	orDefault(&c.OIDC.Button, d.OIDC.Button)
	return c
}

func orDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// FromEnv reads the variables of README's configuration table through
// getenv (os.Getenv, or a map in tests), starting from Defaults. An
// invalid value is an error naming the variable, never a silent default.
func FromEnv(getenv func(string) string) (Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	d := Defaults()
	cfg := Config{
		BindAddr:    get("BIND_ADDR", d.BindAddr),
		RedisURL:    get("REDIS_URL", d.RedisURL),
		RedisPrefix: get("REDIS_PREFIX", d.RedisPrefix),
		JWTSecret:   get("JWT_SECRET", d.JWTSecret),
		TOTPKey:     get("TOTP_KEY", d.TOTPKey),
		PublicURL:   strings.TrimRight(get("PUBLIC_URL", d.PublicURL), "/"),
		SMTPURL:     get("SMTP_URL", d.SMTPURL),
		MailFrom:    get("MAIL_FROM", d.MailFrom),
		DataDir:     get("DATA_DIR", d.DataDir),
	}
	cfg.DatabaseURL = get("DATABASE_URL", sqliteIn(cfg.DataDir))
	var err error
	// COOKIE_SECURE: whether cookies are sent over HTTPS only. A site on
	// https serves its cookies Secure unless told otherwise.
	secureDefault := d.CookieSecure
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Scheme == "https" {
		secureDefault = true
	}
	if cfg.CookieSecure, err = envBool(get, "COOKIE_SECURE", secureDefault); err != nil {
		return cfg, err
	}
	if cfg.WebhookAllowPrivate, err = envBool(get, "WEBHOOK_ALLOW_PRIVATE", d.WebhookAllowPrivate); err != nil {
		return cfg, err
	}
	if cfg.WebhookLeaseTTL, err = envDuration(get, "WEBHOOK_LEASE_TTL", d.WebhookLeaseTTL); err != nil ||
		cfg.WebhookLeaseTTL < time.Second || cfg.WebhookLeaseTTL > 5*time.Minute {
		return cfg, fmt.Errorf("WEBHOOK_LEASE_TTL must be a duration from 1s to 5m (e.g. 20s), not %q", get("WEBHOOK_LEASE_TTL", ""))
	}
	if cfg.WSMaxConns, err = envInt(get, "WS_MAX_CONNS", d.WSMaxConns); err != nil {
		return cfg, err
	}
	if cfg.WSMaxConnsPerUser, err = envInt(get, "WS_MAX_CONNS_PER_USER", d.WSMaxConnsPerUser); err != nil {
		return cfg, err
	}
	if cfg.PresenceHeartbeat, err = envDuration(get, "WS_PRESENCE_HEARTBEAT", d.PresenceHeartbeat); err != nil ||
		cfg.PresenceHeartbeat < 100*time.Millisecond || cfg.PresenceHeartbeat > time.Minute {
		return cfg, fmt.Errorf("WS_PRESENCE_HEARTBEAT must be a duration from 100ms to 1m (e.g. 5s), not %q", get("WS_PRESENCE_HEARTBEAT", ""))
	}
	if cfg.RateLimitPerMinute, err = envInt(get, "RATE_LIMIT_PER_MINUTE", d.RateLimitPerMinute); err != nil {
		return cfg, err
	}
	count, err := envInt(get, "EVENT_RETENTION_COUNT", int(d.EventRetainCount))
	if err != nil {
		return cfg, err
	}
	cfg.EventRetainCount = int64(count)
	if cfg.EventRetention, err = envDuration(get, "EVENT_RETENTION", d.EventRetention); err != nil || cfg.EventRetention < time.Hour {
		return cfg, fmt.Errorf("EVENT_RETENTION must be a duration of at least 1h (e.g. 720h), not %q", get("EVENT_RETENTION", ""))
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL", d.LogLevel.String()))); err != nil {
		return cfg, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	if u, err := url.Parse(cfg.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("PUBLIC_URL must be an http(s) URL, not %q", cfg.PublicURL)
	}
	if err := opsFromEnv(get, d, &cfg); err != nil {
		return cfg, err
	}
	if cfg.Throttle, err = throttleFromEnv(get, d.Throttle); err != nil {
		return cfg, err
	}
	if cfg.OIDC, err = oidcFromEnv(get, d.OIDC); err != nil {
		return cfg, err
	}
	if cfg.SMTPURL != "" { // SMTP_URL and MAIL_FROM must make a mailer
		if _, err := accounts.NewSMTPMailer(cfg.SMTPURL, cfg.MailFrom, cfg.PublicURL); err != nil {
			return cfg, err
		}
	}
	if cfg.JWTSecret != "" && len(cfg.JWTSecret) < 32 {
		return cfg, errors.New("JWT_SECRET must be at least 32 characters")
	}
	if cfg.TOTPKey != "" && len(cfg.TOTPKey) < 32 {
		return cfg, errors.New("TOTP_KEY must be at least 32 characters")
	}
	return cfg, nil
}

// opsFromEnv reads the operations variables: database pool, log format,
// access log, the metrics listener and the trusted proxies.
func opsFromEnv(get func(k, def string) string, d Config, cfg *Config) error {
	var err error
	if cfg.DBMaxConns, err = envInt(get, "DB_MAX_OPEN_CONNS", d.DBMaxConns); err != nil {
		return err
	}
	if cfg.DBMaxIdleConns, err = envInt(get, "DB_MAX_IDLE_CONNS", cfg.DBMaxConns); err != nil {
		return err
	}
	if cfg.DBMaxIdleConns > cfg.DBMaxConns {
		return fmt.Errorf("DB_MAX_IDLE_CONNS (%d) must not exceed DB_MAX_OPEN_CONNS (%d)", cfg.DBMaxIdleConns, cfg.DBMaxConns)
	}
	if cfg.DBConnMaxLifetime, err = envDuration(get, "DB_CONN_MAX_LIFETIME", d.DBConnMaxLifetime); err != nil || cfg.DBConnMaxLifetime < 0 ||
		(cfg.DBConnMaxLifetime > 0 && cfg.DBConnMaxLifetime < time.Second) {
		return fmt.Errorf("DB_CONN_MAX_LIFETIME must be a duration of at least 1s, or 0 for no limit (e.g. 30m), not %q",
			get("DB_CONN_MAX_LIFETIME", ""))
	}
	switch cfg.LogFormat = get("LOG_FORMAT", d.LogFormat); cfg.LogFormat {
	case "", "json", "text":
	default:
		return fmt.Errorf("LOG_FORMAT must be json or text, not %q", cfg.LogFormat)
	}
	if cfg.AccessLog, err = envBool(get, "ACCESS_LOG", d.AccessLog); err != nil {
		return err
	}
	if cfg.MetricsAddr = get("METRICS_ADDR", d.MetricsAddr); cfg.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(cfg.MetricsAddr); err != nil || port == "" {
			return fmt.Errorf("METRICS_ADDR must be host:port (e.g. 127.0.0.1:9090), not %q", cfg.MetricsAddr)
		}
	}
	for _, p := range strings.Split(get("TRUSTED_PROXIES", ""), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return fmt.Errorf("TRUSTED_PROXIES must list IP addresses or CIDR ranges, not %q", p)
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, p)
	}
	return nil
}

// throttleFromEnv reads the LOGIN_* variables over the defaults d.
func throttleFromEnv(get func(k, def string) string, d accounts.Throttle) (accounts.Throttle, error) {
	t := d
	var err error
	if t.FreeFailures, err = envInt(get, "LOGIN_FREE_FAILURES", d.FreeFailures); err != nil {
		return t, err
	}
	if t.LockAfter, err = envInt(get, "LOGIN_LOCK_AFTER", d.LockAfter); err != nil {
		return t, err
	}
	if t.IPFailures, err = envInt(get, "LOGIN_IP_FAILURES", d.IPFailures); err != nil {
		return t, err
	}
	if raw := get("LOGIN_DELAYS", ""); raw != "" {
		t.Delays = nil
		for _, part := range strings.Split(raw, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(part))
			if err != nil || d <= 0 {
				return t, fmt.Errorf("LOGIN_DELAYS must be positive durations separated by commas (5s,30s,60s), not %q", raw)
			}
			t.Delays = append(t.Delays, d)
		}
	}
	for _, v := range []struct {
		key string
		dst *time.Duration
	}{{"LOGIN_LOCK_FOR", &t.LockFor}, {"LOGIN_IP_WINDOW", &t.IPWindow}} {
		if raw := get(v.key, ""); raw != "" {
			d, err := time.ParseDuration(raw)
			if err != nil || d < time.Second {
				return t, fmt.Errorf("%s must be a duration of at least 1s (e.g. 1h), not %q", v.key, raw)
			}
			*v.dst = d
		}
	}
	if t.LockAfter <= t.FreeFailures {
		return t, errors.New("LOGIN_LOCK_AFTER must be more than LOGIN_FREE_FAILURES")
	}
	return t, nil
}

// envInt reads a positive integer variable.
func envInt(get func(k, def string) string, key string, def int) (int, error) {
	v := get(key, strconv.Itoa(def))
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s must be a positive integer, not %q", key, v)
	}
	return n, nil
}

// envDuration reads a duration variable; the caller checks its range and
// words the error.
func envDuration(get func(k, def string) string, key string, def time.Duration) (time.Duration, error) {
	return time.ParseDuration(get(key, def.String()))
}

// envBool reads a 0/1 variable ("false"/"true" are accepted too).
func envBool(get func(k, def string) string, key string, def bool) (bool, error) {
	d := "0"
	if def {
		d = "1"
	}
	switch v := get(key, d); v {
	case "0", "false":
		return false, nil
	case "1", "true":
		return true, nil
	default:
		return false, fmt.Errorf("%s must be 0 or 1, not %q", key, v)
	}
}
