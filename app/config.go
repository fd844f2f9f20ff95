package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/corkboard/corkboard/kv"
	"github.com/corkboard/corkboard/realtime"
)

// Config is everything the server needs, read from the environment by
// ConfigFromEnv (see the table in README.md) or built directly by tests.
type Config struct {
	BindAddr     string
	DatabaseURL  string
	RedisURL     string
	RedisPrefix  string // REDIS_PREFIX: keys and channels of this deployment ("corkboard:")
	JWTSecret    string
	TOTPKey      string // TOTP_KEY: encrypts two-factor secrets at rest; generated in DataDir when unset
	PublicURL    string
	CookieSecure bool
	SMTPURL      string
	DataDir      string
	LogLevel     slog.Level

	// Live layer and event log (README's table; defaults in ConfigFromEnv).
	WSMaxConns        int           // WS_MAX_CONNS
	WSMaxConnsPerUser int           // WS_MAX_CONNS_PER_USER
	PresenceHeartbeat time.Duration // WS_PRESENCE_HEARTBEAT: instances re-announce their viewers this often
	EventRetention    time.Duration // EVENT_RETENTION: events older than this are pruned
	EventRetainCount  int64         // EVENT_RETENTION_COUNT: and beyond this many per project

	// RATE_LIMIT_PER_MINUTE: API requests per caller (user, or IP when
	// anonymous) per minute; 0 in a Config built by hand means the default.
	RateLimitPerMinute int

	// Accounts (README's table): mail and login throttling.
	MailFrom string   // MAIL_FROM; default noreply@ the host of PUBLIC_URL
	Throttle Throttle // LOGIN_* variables; zero fields take the defaults

	// Operations (README's table; read by opsFromEnv). DBMaxConns below is
	// DB_MAX_OPEN_CONNS.
	DBMaxIdleConns    int           // DB_MAX_IDLE_CONNS
	DBConnMaxLifetime time.Duration // DB_CONN_MAX_LIFETIME
	LogFormat         string        // LOG_FORMAT: "json", "text"; "": JSON unless stderr is a terminal
	AccessLog         bool          // ACCESS_LOG: one info line per request (else at debug)
	MetricsAddr       string        // METRICS_ADDR: where /metrics listens; "": nowhere
	TrustedProxies    []string      // TRUSTED_PROXIES: IPs/CIDRs whose X-Forwarded-For is the client IP

	// Not from the environment: tuning that tests change.
	// Now is the clock of throttling and mailed links (nil: time.Now);
	// tests move it instead of sleeping.
	Now        func() time.Time
	Password   PasswordParams
	SessionTTL time.Duration
	DBMaxConns int
	Logger     *slog.Logger
	Version    string
	// NewBroker builds the broker the hub receives through; nil: the
	// in-process broker.
	NewBroker func(realtime.Handler) realtime.Broker
	Hub       realtime.Options // tests shorten timings
	// KV is the shared-state store; nil: Redis on RedisURL when set,
	// memory otherwise.
	KV kv.Store
}

// ConfigFromEnv reads the variables of DESIGN.md's configuration table,
// applying the defaults. Invalid values are errors, not silent defaults.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	cfg := Config{
		BindAddr:    get("BIND_ADDR", "127.0.0.1:3000"),
		RedisURL:    get("REDIS_URL", ""),
		RedisPrefix: get("REDIS_PREFIX", "corkboard:"),
		JWTSecret:   get("JWT_SECRET", ""),
		TOTPKey:     get("TOTP_KEY", ""),
		PublicURL:   strings.TrimRight(get("PUBLIC_URL", "http://localhost:3000"), "/"),
		SMTPURL:     get("SMTP_URL", ""),
		MailFrom:    get("MAIL_FROM", ""),
		DataDir:     get("DATA_DIR", "data"),
		Password:    DefaultPasswordParams,
	}
	cfg.DatabaseURL = get("DATABASE_URL", "sqlite://"+filepath.Join(cfg.DataDir, "corkboard.db"))
	// A site on https serves its cookies Secure unless told otherwise.
	secureDefault := "0"
	if u, err := url.Parse(cfg.PublicURL); err == nil && u.Scheme == "https" {
		secureDefault = "1"
	}
	switch v := get("COOKIE_SECURE", secureDefault); v {
	case "0", "false":
	case "1", "true":
		cfg.CookieSecure = true
	default:
		return cfg, fmt.Errorf("COOKIE_SECURE must be 0 or 1, not %q", v)
	}
	var err error
	if cfg.WSMaxConns, err = envInt(get, "WS_MAX_CONNS", 20000); err != nil {
		return cfg, err
	}
	if cfg.WSMaxConnsPerUser, err = envInt(get, "WS_MAX_CONNS_PER_USER", 50); err != nil {
		return cfg, err
	}
	if cfg.PresenceHeartbeat, err = time.ParseDuration(get("WS_PRESENCE_HEARTBEAT", "5s")); err != nil ||
		cfg.PresenceHeartbeat < 100*time.Millisecond || cfg.PresenceHeartbeat > time.Minute {
		return cfg, fmt.Errorf("WS_PRESENCE_HEARTBEAT must be a duration from 100ms to 1m (e.g. 5s), not %q", get("WS_PRESENCE_HEARTBEAT", ""))
	}
	if cfg.RateLimitPerMinute, err = envInt(get, "RATE_LIMIT_PER_MINUTE", defaultRateLimit); err != nil {
		return cfg, err
	}
	count, err := envInt(get, "EVENT_RETENTION_COUNT", 100000)
	if err != nil {
		return cfg, err
	}
	cfg.EventRetainCount = int64(count)
	if cfg.EventRetention, err = time.ParseDuration(get("EVENT_RETENTION", "720h")); err != nil || cfg.EventRetention < time.Hour {
		return cfg, fmt.Errorf("EVENT_RETENTION must be a duration of at least 1h (e.g. 720h), not %q", get("EVENT_RETENTION", ""))
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL", "info"))); err != nil {
		return cfg, fmt.Errorf("LOG_LEVEL: %w", err)
	}
	if u, err := url.Parse(cfg.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, fmt.Errorf("PUBLIC_URL must be an http(s) URL, not %q", cfg.PublicURL)
	}
	if cfg.SMTPURL != "" {
		if _, err := newSMTPMailer(cfg.SMTPURL, cfg.MailFrom, cfg.PublicURL); err != nil {
			return cfg, err
		}
	}
	if cfg.Throttle, err = throttleFromEnv(get); err != nil {
		return cfg, err
	}
	if err := opsFromEnv(get, &cfg); err != nil {
		return cfg, err
	}
	if cfg.JWTSecret != "" && len(cfg.JWTSecret) < 32 {
		return cfg, errors.New("JWT_SECRET must be at least 32 characters")
	}
	if cfg.TOTPKey != "" && len(cfg.TOTPKey) < 32 {
		return cfg, errors.New("TOTP_KEY must be at least 32 characters")
	}
	return cfg, nil
}

// loadOrCreateSecret returns the secret in DATA_DIR/name, creating it (32
// random bytes, hex, mode 0600) the first time.
func loadOrCreateSecret(dataDir, name string, log *slog.Logger) (string, error) {
	path := filepath.Join(dataDir, name)
	if b, err := os.ReadFile(path); err == nil {
		if s := strings.TrimSpace(string(b)); len(s) >= 32 {
			return s, nil
		}
		return "", fmt.Errorf("%s is shorter than 32 characters", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(buf)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process won the race: use theirs
		return loadOrCreateSecret(dataDir, name, log)
	}
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	log.Info("generated a new secret; set it on every instance when running several", "file", path)
	return secret, nil
}

// warnIfDataDirShared logs a warning when DATA_DIR exists and other users
// may enter it: it holds the database (password and token hashes) and
// the generated secrets. The app creates it 0700; one that exists is the
// operator's to change, so it is not.
func warnIfDataDirShared(dataDir string, log *slog.Logger) {
	st, err := os.Stat(dataDir)
	if err != nil || !st.IsDir() || st.Mode().Perm()&0o077 == 0 {
		return
	}
	log.Warn("DATA_DIR is open to other users, and it holds password and token hashes and the generated secrets",
		"path", dataDir, "mode", st.Mode().Perm().String(), "fix", "chmod 700 "+dataDir)
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
