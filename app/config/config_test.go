package config

import (
	"bufio"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/models"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

// TestFromEnv: defaults with nothing set, values read when set, and an
// invalid value is an error rather than a silent default.
func TestFromEnv(t *testing.T) {
	cfg, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BindAddr != "127.0.0.1:3000" || cfg.DatabaseURL != "sqlite://data/corkboard.db" || cfg.WSMaxConns != 20000 ||
		cfg.WSMaxConnsPerUser != 50 || cfg.EventRetention != 720*time.Hour || cfg.EventRetainCount != 100000 {
		t.Fatalf("defaults: %+v", cfg)
	}
	if cfg.SMTPURL != "" || cfg.MailFrom != "" {
		t.Fatalf("mail defaults: %q %q", cfg.SMTPURL, cfg.MailFrom)
	}
	cfg, err = FromEnv(env(map[string]string{"WS_MAX_CONNS": "5", "WS_MAX_CONNS_PER_USER": "2",
		"EVENT_RETENTION": "48h", "EVENT_RETENTION_COUNT": "10", "DATA_DIR": "/srv/cb",
		"SMTP_URL": "smtps://u:p%40ss@mail.example.com", "MAIL_FROM": "Board <board@example.com>"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WSMaxConns != 5 || cfg.WSMaxConnsPerUser != 2 || cfg.EventRetention != 48*time.Hour ||
		cfg.EventRetainCount != 10 || cfg.DatabaseURL != "sqlite:///srv/cb/corkboard.db" {
		t.Fatalf("set: %+v", cfg)
	}
	if cfg.SMTPURL != "smtps://u:p%40ss@mail.example.com" || cfg.MailFrom != "Board <board@example.com>" {
		t.Fatalf("mail set: %q %q", cfg.SMTPURL, cfg.MailFrom)
	}
	for k, v := range map[string]string{"WS_MAX_CONNS": "0", "WS_MAX_CONNS_PER_USER": "many",
		"EVENT_RETENTION": "10m", "EVENT_RETENTION_COUNT": "-1", "COOKIE_SECURE": "yes",
		"PUBLIC_URL": "ftp://x", "JWT_SECRET": "short", "LOG_LEVEL": "loud",
		"WEBHOOK_ALLOW_PRIVATE": "yes", "WEBHOOK_LEASE_TTL": "500ms"} {
		if _, err := FromEnv(env(map[string]string{k: v})); err == nil {
			t.Errorf("%s=%s accepted", k, v)
		} else if !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: the error does not name the variable: %v", k, v, err)
		}
	}
}

// TestFromEnvOps: the database pool, log format, access log and metrics
// listener variables.
func TestFromEnvOps(t *testing.T) {
	cfg, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DBMaxConns != 16 || cfg.DBMaxIdleConns != 16 || cfg.DBConnMaxLifetime != 30*time.Minute ||
		cfg.LogFormat != "" || cfg.AccessLog || cfg.MetricsAddr != "" || cfg.TrustedProxies != nil {
		t.Fatalf("defaults: %+v", cfg)
	}
	cfg, err = FromEnv(env(map[string]string{"DB_MAX_OPEN_CONNS": "40", "DB_MAX_IDLE_CONNS": "10",
		"DB_CONN_MAX_LIFETIME": "0", "LOG_FORMAT": "text", "ACCESS_LOG": "1", "METRICS_ADDR": "127.0.0.1:9090",
		"TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DBMaxConns != 40 || cfg.DBMaxIdleConns != 10 || cfg.DBConnMaxLifetime != 0 ||
		cfg.LogFormat != "text" || !cfg.AccessLog || cfg.MetricsAddr != "127.0.0.1:9090" ||
		len(cfg.TrustedProxies) != 2 || cfg.TrustedProxies[1] != "192.0.2.1" {
		t.Fatalf("set: %+v", cfg)
	}
	if cfg, err = FromEnv(env(map[string]string{"DB_MAX_OPEN_CONNS": "4"})); err != nil || cfg.DBMaxIdleConns != 4 {
		t.Fatalf("idle follows open: %v %d", err, cfg.DBMaxIdleConns)
	}
	for _, bad := range []map[string]string{
		{"DB_MAX_OPEN_CONNS": "0"}, {"DB_MAX_OPEN_CONNS": "lots"}, {"DB_MAX_IDLE_CONNS": "-1"},
		{"DB_MAX_OPEN_CONNS": "4", "DB_MAX_IDLE_CONNS": "8"},
		{"DB_CONN_MAX_LIFETIME": "forever"}, {"DB_CONN_MAX_LIFETIME": "-1m"}, {"DB_CONN_MAX_LIFETIME": "10ms"},
		{"LOG_FORMAT": "xml"}, {"ACCESS_LOG": "yes"}, {"METRICS_ADDR": "9090"}, {"METRICS_ADDR": "localhost:"},
		{"TRUSTED_PROXIES": "caddy"}, {"TRUSTED_PROXIES": "10.0.0.0/33"},
	} {
		if _, err := FromEnv(env(bad)); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// TestFromEnvCluster: the Redis prefix and presence heartbeat.
func TestFromEnvCluster(t *testing.T) {
	cfg, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RedisPrefix != "corkboard:" || cfg.PresenceHeartbeat != 5*time.Second {
		t.Fatalf("defaults: prefix %q heartbeat %v", cfg.RedisPrefix, cfg.PresenceHeartbeat)
	}
	cfg, err = FromEnv(env(map[string]string{"REDIS_PREFIX": "cb-eu:", "WS_PRESENCE_HEARTBEAT": "2s"}))
	if err != nil || cfg.RedisPrefix != "cb-eu:" || cfg.PresenceHeartbeat != 2*time.Second {
		t.Fatalf("set: %v prefix %q heartbeat %v", err, cfg.RedisPrefix, cfg.PresenceHeartbeat)
	}
	cfg, err = FromEnv(env(map[string]string{"WEBHOOK_ALLOW_PRIVATE": "1", "WEBHOOK_LEASE_TTL": "5s"}))
	if err != nil || !cfg.WebhookAllowPrivate || cfg.WebhookLeaseTTL != 5*time.Second {
		t.Fatalf("webhooks: %v %v %v", err, cfg.WebhookAllowPrivate, cfg.WebhookLeaseTTL)
	}
	for _, v := range []string{"0s", "5", "2h"} {
		if _, err := FromEnv(env(map[string]string{"WS_PRESENCE_HEARTBEAT": v})); err == nil {
			t.Errorf("WS_PRESENCE_HEARTBEAT=%s accepted", v)
		}
	}
}

// TestFromEnvRateLimit: RATE_LIMIT_PER_MINUTE is 600 by default, a
// positive integer otherwise.
func TestFromEnvRateLimit(t *testing.T) {
	cfg, err := FromEnv(env(nil))
	if err != nil || cfg.RateLimitPerMinute != 600 {
		t.Fatalf("default: %d %v", cfg.RateLimitPerMinute, err)
	}
	if cfg, err = FromEnv(env(map[string]string{"RATE_LIMIT_PER_MINUTE": "100000000"})); err != nil || cfg.RateLimitPerMinute != 100000000 {
		t.Fatalf("set: %d %v", cfg.RateLimitPerMinute, err)
	}
	for _, bad := range []string{"0", "-1", "lots"} {
		if _, err := FromEnv(env(map[string]string{"RATE_LIMIT_PER_MINUTE": bad})); err == nil {
			t.Errorf("RATE_LIMIT_PER_MINUTE=%s accepted", bad)
		}
	}
}

// TestFromEnvTOTPKey: TOTP_KEY is read and must be 32+ characters (that a
// server generates one when it is unset is app's TestTOTPKeyConfig).
func TestFromEnvTOTPKey(t *testing.T) {
	if _, err := FromEnv(env(map[string]string{"TOTP_KEY": "short"})); err == nil || !strings.Contains(err.Error(), "TOTP_KEY") {
		t.Fatalf("a short TOTP_KEY: %v", err)
	}
	cfg, err := FromEnv(env(map[string]string{"TOTP_KEY": strings.Repeat("t", 32)}))
	if err != nil || cfg.TOTPKey != strings.Repeat("t", 32) {
		t.Fatalf("TOTP_KEY: %v %q", err, cfg.TOTPKey)
	}
}

// TestCookieSecureDefault: COOKIE_SECURE defaults to 1 when PUBLIC_URL is
// https and to 0 otherwise; an explicit value wins either way.
func TestCookieSecureDefault(t *testing.T) {
	for _, tc := range []struct {
		publicURL, cookieSecure string
		want                    bool
	}{
		{"", "", false},
		{"http://board.example", "", false},
		{"https://board.example", "", true},
		{"HTTPS://board.example:8443/", "", true},
		{"https://board.example", "0", false},
		{"https://board.example", "false", false},
		{"http://board.example", "1", true},
		{"https://board.example", " ", true}, // blank is unset
	} {
		cfg, err := FromEnv(env(map[string]string{"PUBLIC_URL": tc.publicURL, "COOKIE_SECURE": tc.cookieSecure}))
		if err != nil {
			t.Fatalf("PUBLIC_URL=%q COOKIE_SECURE=%q: %v", tc.publicURL, tc.cookieSecure, err)
		}
		if cfg.CookieSecure != tc.want {
			t.Errorf("PUBLIC_URL=%q COOKIE_SECURE=%q: CookieSecure %v, want %v", tc.publicURL, tc.cookieSecure, cfg.CookieSecure, tc.want)
		}
	}
	if _, err := FromEnv(env(map[string]string{"PUBLIC_URL": "https://board.example", "COOKIE_SECURE": "yes"})); err == nil ||
		!strings.Contains(err.Error(), "COOKIE_SECURE") {
		t.Errorf("COOKIE_SECURE=yes: %v, want an error naming it", err)
	}
}

// TestOneDefault: the environment with nothing set gives Defaults(), and a
// Config built by hand with its limits and timings left zero gets the same
// values from WithDefaults; values that are set are kept.
func TestOneDefault(t *testing.T) {
	d := Defaults()
	got, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, d) {
		t.Fatalf("FromEnv with nothing set:\n got %+v\nwant %+v", got, d)
	}
	// What a hand-built Config must give itself: addresses, paths, and the
	// connection lifetime (whose zero means no limit). The rest is zero.
	hand := Config{BindAddr: d.BindAddr, DatabaseURL: d.DatabaseURL, PublicURL: d.PublicURL, DataDir: d.DataDir,
		DBConnMaxLifetime: d.DBConnMaxLifetime}
	if filled := hand.WithDefaults(); !reflect.DeepEqual(filled, d) {
		t.Fatalf("a zero Config through WithDefaults:\n got %+v\nwant %+v", filled, d)
	}
	set := Config{RedisPrefix: "t:", WSMaxConns: 3, WSMaxConnsPerUser: 2, PresenceHeartbeat: time.Second,
		EventRetention: 2 * time.Hour, EventRetainCount: 7, RateLimitPerMinute: 9, DBMaxConns: 4, DBMaxIdleConns: 1,
		WebhookLeaseTTL: 3 * time.Second,
		Throttle: accounts.Throttle{FreeFailures: 1, Delays: []time.Duration{time.Second}, LockAfter: 2, LockFor: time.Hour,
			IPFailures: 3, IPWindow: time.Minute}, OIDC: OIDC{Button: "Sign in with X"}}
	if kept := set.WithDefaults(); !reflect.DeepEqual(kept, set) {
		t.Fatalf("WithDefaults changed set values:\n got %+v\nwant %+v", kept, set)
	}
	if c := (Config{DBMaxConns: 4}).WithDefaults(); c.DBMaxIdleConns != 4 {
		t.Fatalf("idle connections follow DBMaxConns as DB_MAX_IDLE_CONNS does: %d", c.DBMaxIdleConns)
	}
	// models keeps a fallback pool size for use without a Config (its
	// tests, the migrate and backup commands): it must be the same.
	if d.DBMaxConns != models.DefaultMaxOpenConns {
		t.Fatalf("DB_MAX_OPEN_CONNS default %d, models' fallback %d", d.DBMaxConns, models.DefaultMaxOpenConns)
	}
}

// TestDocumentedVariables: every variable FromEnv reads is in README's
// configuration table and in .env.example, and each default the table
// shows as a literal, set explicitly, gives what nothing set gives.
func TestDocumentedVariables(t *testing.T) {
	read := map[string]bool{}
	if _, err := FromEnv(func(k string) string { read[k] = true; return "" }); err != nil {
		t.Fatal(err)
	}
	if len(read) < 20 {
		t.Fatalf("FromEnv read only %v", read)
	}

	// README: | `NAME` | default | meaning |, under "## Configuration".
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := strings.Cut(string(readme), "\n## Configuration\n")
	table, _, _ = strings.Cut(table, "\n## ")
	row := regexp.MustCompile("(?m)^\\| `([A-Z_]+)` \\| ([^|]*) \\|")
	documented := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(table, -1) {
		documented[m[1]] = strings.TrimSpace(m[2])
	}
	example, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	inExample := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(string(example)))
	for sc.Scan() {
		if k, _, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "#"), "="); ok {
			inExample[k] = true
		}
	}
	for k := range read {
		if _, ok := documented[k]; !ok {
			t.Errorf("%s is read but not in README's configuration table", k)
		}
		if !inExample[k] {
			t.Errorf("%s is read but not in .env.example", k)
		}
	}

	// A literal default (`720h`, `sqlite://$DATA_DIR/corkboard.db`, or the
	// name of the variable it follows) must be FromEnv's.
	literal := regexp.MustCompile("^`([^`]*)`$")
	resolve := func(def string) (string, bool) {
		m := literal.FindStringSubmatch(def)
		if m == nil {
			return "", false // "unset", "generated once into …", …
		}
		if other, ok := documented[m[1]]; ok {
			if m = literal.FindStringSubmatch(other); m == nil {
				return "", false
			}
		}
		return os.Expand(m[1], func(k string) string {
			v := literal.FindStringSubmatch(documented[k])
			if v == nil {
				t.Errorf("%s: no literal default to expand in %q", k, def)
				return ""
			}
			return v[1]
		}), true
	}
	checked := 0
	for k := range read {
		v, ok := resolve(documented[k])
		if !ok {
			continue
		}
		got, err := FromEnv(env(map[string]string{k: v}))
		if err != nil {
			t.Errorf("%s=%s, README's default, is refused: %v", k, v, err)
			continue
		}
		if !reflect.DeepEqual(got, Defaults()) {
			t.Errorf("%s=%s, README's default, is not FromEnv's default:\n got %+v\nwant %+v", k, v, got, Defaults())
		}
		checked++
	}
	if checked < 15 {
		t.Fatalf("only %d README defaults checked", checked)
	}
}

// TestFromEnvThrottle: the LOGIN_* variables, their defaults (the
// throttle's own, accounts.DefaultThrottle), and refusals of bad values.
func TestFromEnvThrottle(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cfg, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Throttle, accounts.DefaultThrottle()) {
		t.Fatalf("defaults: %+v", cfg.Throttle)
	}
	cfg, err = FromEnv(env(map[string]string{"LOGIN_FREE_FAILURES": "5", "LOGIN_DELAYS": "1s, 2s", "LOGIN_LOCK_AFTER": "9",
		"LOGIN_LOCK_FOR": "30m", "LOGIN_IP_FAILURES": "100", "LOGIN_IP_WINDOW": "1h"}))
	if err != nil {
		t.Fatal(err)
	}
	want := accounts.Throttle{FreeFailures: 5, Delays: []time.Duration{time.Second, 2 * time.Second}, LockAfter: 9,
		LockFor: 30 * time.Minute, IPFailures: 100, IPWindow: time.Hour}
	if !reflect.DeepEqual(cfg.Throttle, want) {
		t.Fatalf("set: %+v", cfg.Throttle)
	}
	for k, v := range map[string]string{"LOGIN_FREE_FAILURES": "0", "LOGIN_DELAYS": "5s,soon", "LOGIN_LOCK_AFTER": "2",
		"LOGIN_LOCK_FOR": "10ms", "LOGIN_IP_WINDOW": "forever", "LOGIN_IP_FAILURES": "-3"} {
		if _, err := FromEnv(env(map[string]string{k: v})); err == nil {
			t.Errorf("%s=%s accepted", k, v)
		} else if !strings.Contains(err.Error(), k) && k != "LOGIN_LOCK_AFTER" {
			t.Errorf("%s=%s: the error does not name the variable: %v", k, v, err)
		}
	}
	// A Config built by hand gets the same throttle as the environment's.
	if got := (Config{}).WithDefaults().Throttle; !reflect.DeepEqual(got, accounts.DefaultThrottle()) {
		t.Fatalf("WithDefaults: %+v", got)
	}
}

// TestFromEnvMail: the mail variables, and the refusals of settings that
// make no mailer.
func TestFromEnvMail(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cfg, err := FromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SMTPURL != "" || cfg.MailFrom != "" {
		t.Fatalf("defaults: %q %q", cfg.SMTPURL, cfg.MailFrom)
	}
	cfg, err = FromEnv(env(map[string]string{"SMTP_URL": "smtps://u:p%40ss@mail.example.com",
		"MAIL_FROM": "Board <board@example.com>", "LOGIN_LOCK_AFTER": "9"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MailFrom != "Board <board@example.com>" || cfg.Throttle.LockAfter != 9 {
		t.Fatalf("set: %q %+v", cfg.MailFrom, cfg.Throttle)
	}
	for k, v := range map[string]string{"SMTP_URL": "http://mail.example.com", "MAIL_FROM": "not an address",
		"JWT_SECRET": "short", "LOGIN_LOCK_AFTER": "2"} {
		vars := map[string]string{k: v}
		if k == "MAIL_FROM" {
			vars["SMTP_URL"] = "smtp://mail.example.com"
		}
		if _, err := FromEnv(env(vars)); err == nil {
			t.Errorf("%s=%s accepted", k, v)
		}
	}
}

// TestFromEnvOIDC: the OIDC_* variables, their defaults and refusals.
func TestFromEnvOIDC(t *testing.T) {
	cfg, err := FromEnv(env(nil))
	if err != nil || cfg.OIDC.Enabled() || cfg.OIDC.Button != DefaultOIDCButton || cfg.OIDC.Only || cfg.OIDC.ExistingOnly {
		t.Fatalf("defaults: %+v %v", cfg.OIDC, err)
	}
	cfg, err = FromEnv(env(map[string]string{"OIDC_ISSUER": "https://id.example.com/", "OIDC_CLIENT_ID": "cb",
		"OIDC_CLIENT_SECRET": "s", "OIDC_BUTTON": "Sign in with Example", "OIDC_ONLY": "1", "OIDC_AUTO_CREATE": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	want := OIDC{Issuer: "https://id.example.com/", ClientID: "cb", ClientSecret: "s", Button: "Sign in with Example",
		Only: true, ExistingOnly: true}
	if cfg.OIDC != want {
		t.Fatalf("set: %+v, want %+v", cfg.OIDC, want)
	}
	if cfg, err := FromEnv(env(map[string]string{"OIDC_ISSUER": "http://127.0.0.1:9000", "OIDC_CLIENT_ID": "cb"})); err != nil ||
		cfg.OIDC.ClientSecret != "" {
		t.Fatalf("a public client on a loopback provider: %+v %v", cfg.OIDC, err)
	}
	for name, vars := range map[string]map[string]string{
		"OIDC_ISSUER":        {"OIDC_ISSUER": "http://id.example.com", "OIDC_CLIENT_ID": "cb"},
		"OIDC_ISSUER query":  {"OIDC_ISSUER": "https://id.example.com/?x=1", "OIDC_CLIENT_ID": "cb"},
		"OIDC_CLIENT_ID":     {"OIDC_ISSUER": "https://id.example.com"},
		"OIDC_CLIENT_SECRET": {"OIDC_CLIENT_SECRET": "s"},
		"OIDC_ONLY":          {"OIDC_ONLY": "1"},
		"OIDC_ONLY yes":      {"OIDC_ONLY": "yes"},
		"OIDC_AUTO_CREATE":   {"OIDC_AUTO_CREATE": "no"},
		"OIDC_BUTTON":        {"OIDC_ISSUER": "https://id.example.com", "OIDC_CLIENT_ID": "cb", "OIDC_BUTTON": strings.Repeat("x", 61)},
	} {
		key, _, _ := strings.Cut(name, " ")
		if _, err := FromEnv(env(vars)); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: %v accepted or the error does not name it: %v", name, vars, err)
		}
	}
}
