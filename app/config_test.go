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
