package app

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
)

// opsFromEnv reads the operations variables: database pool, log format,
// access log and the metrics listener.
func opsFromEnv(get func(k, def string) string, cfg *Config) error {
	var err error
	if cfg.DBMaxConns, err = envInt(get, "DB_MAX_OPEN_CONNS", models.DefaultMaxOpenConns); err != nil {
		return err
	}
	if cfg.DBMaxIdleConns, err = envInt(get, "DB_MAX_IDLE_CONNS", cfg.DBMaxConns); err != nil {
		return err
	}
	if cfg.DBMaxIdleConns > cfg.DBMaxConns {
		return fmt.Errorf("DB_MAX_IDLE_CONNS (%d) must not exceed DB_MAX_OPEN_CONNS (%d)", cfg.DBMaxIdleConns, cfg.DBMaxConns)
	}
	v := get("DB_CONN_MAX_LIFETIME", "30m")
	if cfg.DBConnMaxLifetime, err = time.ParseDuration(v); err != nil || cfg.DBConnMaxLifetime < 0 ||
		(cfg.DBConnMaxLifetime > 0 && cfg.DBConnMaxLifetime < time.Second) {
		return fmt.Errorf("DB_CONN_MAX_LIFETIME must be a duration of at least 1s, or 0 for no limit (e.g. 30m), not %q", v)
	}
	switch cfg.LogFormat = get("LOG_FORMAT", ""); cfg.LogFormat {
	case "", "json", "text":
	default:
		return fmt.Errorf("LOG_FORMAT must be json or text, not %q", cfg.LogFormat)
	}
	switch v := get("ACCESS_LOG", "0"); v {
	case "0", "false":
	case "1", "true":
		cfg.AccessLog = true
	default:
		return fmt.Errorf("ACCESS_LOG must be 0 or 1, not %q", v)
	}
	if cfg.MetricsAddr = get("METRICS_ADDR", ""); cfg.MetricsAddr != "" {
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

// proxyHeader is the header that names the client when proxies are trusted.
func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}
