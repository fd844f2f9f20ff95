package app

import (
	"testing"
	"time"
)

// TestConfigFromEnv: defaults with nothing set, values read when set, and
// an invalid value is an error rather than a silent default.
func TestConfigFromEnv(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cfg, err := ConfigFromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BindAddr != "127.0.0.1:3000" || cfg.DatabaseURL != "sqlite://data/corkboard.db" || cfg.WSMaxConns != 20000 ||
		cfg.WSMaxConnsPerUser != 50 || cfg.EventRetention != 720*time.Hour || cfg.EventRetainCount != 100000 {
		t.Fatalf("defaults: %+v", cfg)
	}
	cfg, err = ConfigFromEnv(env(map[string]string{"WS_MAX_CONNS": "5", "WS_MAX_CONNS_PER_USER": "2",
		"EVENT_RETENTION": "48h", "EVENT_RETENTION_COUNT": "10", "DATA_DIR": "/srv/cb"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.WSMaxConns != 5 || cfg.WSMaxConnsPerUser != 2 || cfg.EventRetention != 48*time.Hour ||
		cfg.EventRetainCount != 10 || cfg.DatabaseURL != "sqlite:///srv/cb/corkboard.db" {
		t.Fatalf("set: %+v", cfg)
	}
	for k, v := range map[string]string{"WS_MAX_CONNS": "0", "WS_MAX_CONNS_PER_USER": "many",
		"EVENT_RETENTION": "10m", "EVENT_RETENTION_COUNT": "-1", "COOKIE_SECURE": "yes",
		"PUBLIC_URL": "ftp://x", "JWT_SECRET": "short", "LOG_LEVEL": "loud"} {
		if _, err := ConfigFromEnv(env(map[string]string{k: v})); err == nil {
			t.Errorf("%s=%s accepted", k, v)
		}
	}
}

// TestConfigOpsFromEnv: the database pool, log format, access log and
// metrics listener variables.
func TestConfigOpsFromEnv(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cfg, err := ConfigFromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DBMaxConns != 16 || cfg.DBMaxIdleConns != 16 || cfg.DBConnMaxLifetime != 30*time.Minute ||
		cfg.LogFormat != "" || cfg.AccessLog || cfg.MetricsAddr != "" || cfg.TrustedProxies != nil {
		t.Fatalf("defaults: %+v", cfg)
	}
	cfg, err = ConfigFromEnv(env(map[string]string{"DB_MAX_OPEN_CONNS": "40", "DB_MAX_IDLE_CONNS": "10",
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
	if cfg, err = ConfigFromEnv(env(map[string]string{"DB_MAX_OPEN_CONNS": "4"})); err != nil || cfg.DBMaxIdleConns != 4 {
		t.Fatalf("idle follows open: %v %d", err, cfg.DBMaxIdleConns)
	}
	for _, bad := range []map[string]string{
		{"DB_MAX_OPEN_CONNS": "0"}, {"DB_MAX_OPEN_CONNS": "lots"}, {"DB_MAX_IDLE_CONNS": "-1"},
		{"DB_MAX_OPEN_CONNS": "4", "DB_MAX_IDLE_CONNS": "8"},
		{"DB_CONN_MAX_LIFETIME": "forever"}, {"DB_CONN_MAX_LIFETIME": "-1m"}, {"DB_CONN_MAX_LIFETIME": "10ms"},
		{"LOG_FORMAT": "xml"}, {"ACCESS_LOG": "yes"}, {"METRICS_ADDR": "9090"}, {"METRICS_ADDR": "localhost:"},
		{"TRUSTED_PROXIES": "caddy"}, {"TRUSTED_PROXIES": "10.0.0.0/33"},
	} {
		if _, err := ConfigFromEnv(env(bad)); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// TestConfigClusterFromEnv: the Redis prefix and presence heartbeat.
func TestConfigClusterFromEnv(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cfg, err := ConfigFromEnv(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RedisPrefix != "corkboard:" || cfg.PresenceHeartbeat != 5*time.Second {
		t.Fatalf("defaults: prefix %q heartbeat %v", cfg.RedisPrefix, cfg.PresenceHeartbeat)
	}
	cfg, err = ConfigFromEnv(env(map[string]string{"REDIS_PREFIX": "cb-eu:", "WS_PRESENCE_HEARTBEAT": "2s"}))
	if err != nil || cfg.RedisPrefix != "cb-eu:" || cfg.PresenceHeartbeat != 2*time.Second {
		t.Fatalf("set: %v prefix %q heartbeat %v", err, cfg.RedisPrefix, cfg.PresenceHeartbeat)
	}
	for _, v := range []string{"0s", "5", "2h"} {
		if _, err := ConfigFromEnv(env(map[string]string{"WS_PRESENCE_HEARTBEAT": v})); err == nil {
			t.Errorf("WS_PRESENCE_HEARTBEAT=%s accepted", v)
		}
	}
}
