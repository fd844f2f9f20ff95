package deploy

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/corkboard/corkboard/app/config"
)

// Docker cannot run here, so these tests read docker-compose.yml the way
// `docker compose` does (compose-go, with .env.example as the .env) and
// check the wiring that a scaled-out Corkboard depends on.

var replicas = []string{"corkboard1", "corkboard2", "corkboard3"}

// shared are the variables every replica must agree on: one database, one
// Redis, one signing key, one TOTP key, one public URL (the balancer's).
var shared = []string{"DATABASE_URL", "REDIS_URL", "JWT_SECRET", "TOTP_KEY", "PUBLIC_URL"}

func loadCompose(t *testing.T, env map[string]string) (*types.Project, error) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml")}},
		Environment: env,
	}, func(o *loader.Options) { o.SetProjectName("corkboard", true) })
}

func exampleEnv(t *testing.T) map[string]string {
	t.Helper()
	env, err := dotenv.Read("../.env.example")
	if err != nil {
		t.Fatalf("read .env.example: %v", err)
	}
	return env
}

func environment(svc types.ServiceConfig) map[string]string {
	out := map[string]string{}
	for k, v := range svc.Environment {
		if v != nil {
			out[k] = *v
		}
	}
	return out
}

// TestComposeWiring: three replicas that share their database, Redis,
// secrets and public URL, each starting after PostgreSQL and Redis are
// healthy and checked on /ready; nothing but the load balancer publishes a
// port; every replica's environment is a valid Corkboard configuration.
func TestComposeWiring(t *testing.T) {
	env := exampleEnv(t)
	p, err := loadCompose(t, env)
	if err != nil {
		t.Fatalf("load docker-compose.yml with .env.example: %v", err)
	}
	for _, name := range append([]string{"postgres", "redis", "caddy"}, replicas...) {
		if _, ok := p.Services[name]; !ok {
			t.Fatalf("no service %s (have %v)", name, p.ServiceNames())
		}
	}

	first := environment(p.Services[replicas[0]])
	for _, k := range shared {
		if first[k] == "" {
			t.Errorf("%s: %s is not set", replicas[0], k)
		}
	}
	dataVolumes := map[string]bool{}
	for _, name := range replicas {
		svc := p.Services[name]
		e := environment(svc)
		for _, k := range shared {
			if e[k] != first[k] {
				t.Errorf("%s: %s=%q differs from %s's %q", name, k, e[k], replicas[0], first[k])
			}
		}
		for _, dep := range []string{"postgres", "redis"} {
			if d, ok := svc.DependsOn[dep]; !ok || d.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s: does not wait for %s to be healthy (%+v)", name, dep, svc.DependsOn)
			}
		}
		if svc.HealthCheck == nil || !strings.Contains(strings.Join(svc.HealthCheck.Test, " "), "/ready") {
			t.Errorf("%s: health check is not /ready: %+v", name, svc.HealthCheck)
		}
		if len(svc.Ports) > 0 {
			t.Errorf("%s publishes %v: only the load balancer may", name, svc.Ports)
		}
		for _, v := range svc.Volumes {
			if v.Target == "/data" {
				if v.Type != types.VolumeTypeVolume || dataVolumes[v.Source] {
					t.Errorf("%s: /data is %s %q, want a named volume of its own", name, v.Type, v.Source)
				}
				dataVolumes[v.Source] = true
			}
		}
		// What the replica will read is a configuration the app accepts.
		cfg, err := config.FromEnv(func(k string) string { return e[k] })
		if err != nil {
			t.Errorf("%s: the app refuses its environment: %v", name, err)
			continue
		}
		if cfg.PublicURL != env["PUBLIC_URL"] || !strings.HasPrefix(cfg.DatabaseURL, "postgres://") || cfg.RedisURL == "" ||
			cfg.MetricsAddr == "" || cfg.LogFormat != "json" || len(cfg.TrustedProxies) == 0 {
			t.Errorf("%s: config %+v", name, cfg)
		}
	}
	if len(dataVolumes) != len(replicas) {
		t.Errorf("data volumes %v, want one per replica", dataVolumes)
	}

	db, err := url.Parse(first["DATABASE_URL"])
	if err != nil || db.Hostname() != "postgres" {
		t.Errorf("DATABASE_URL %q does not point at the postgres service", first["DATABASE_URL"])
	}
	rd, err := url.Parse(first["REDIS_URL"])
	if err != nil || rd.Hostname() != "redis" {
		t.Errorf("REDIS_URL %q does not point at the redis service", first["REDIS_URL"])
	} else if pw, _ := rd.User.Password(); pw == "" || pw != env["REDIS_PASSWORD"] {
		t.Errorf("REDIS_URL does not carry REDIS_PASSWORD")
	}

	// PostgreSQL and Redis: healthy-checked, no published ports, Redis with
	// a password from the environment.
	for _, name := range []string{"postgres", "redis"} {
		svc := p.Services[name]
		if len(svc.Ports) > 0 {
			t.Errorf("%s publishes %v", name, svc.Ports)
		}
		if svc.HealthCheck == nil || len(svc.HealthCheck.Test) == 0 {
			t.Errorf("%s has no health check", name)
		}
	}
	redis := p.Services["redis"]
	if cmd := strings.Join(redis.Command, " "); !strings.Contains(cmd, "--requirepass") || strings.Contains(cmd, env["REDIS_PASSWORD"]) {
		t.Errorf("redis command %q: want --requirepass from the environment, not the password itself", cmd)
	}
	if environment(redis)["REDIS_PASSWORD"] != env["REDIS_PASSWORD"] {
		t.Error("redis does not receive REDIS_PASSWORD")
	}
	if environment(p.Services["postgres"])["POSTGRES_PASSWORD"] != env["POSTGRES_PASSWORD"] {
		t.Error("postgres does not receive POSTGRES_PASSWORD")
	}

	// Only the load balancer publishes, and it starts after the replicas.
	var publishers []string
	for name, svc := range p.Services {
		if len(svc.Ports) > 0 {
			publishers = append(publishers, name)
		}
	}
	if !slices.Equal(publishers, []string{"caddy"}) {
		t.Errorf("services publishing ports: %v, want only caddy", publishers)
	}
	caddy := p.Services["caddy"]
	for _, r := range replicas {
		if _, ok := caddy.DependsOn[r]; !ok {
			t.Errorf("caddy does not depend on %s", r)
		}
	}
	if u, _ := url.Parse(env["PUBLIC_URL"]); u == nil || environment(caddy)["SITE_ADDRESS"] != u.Hostname() {
		t.Errorf("SITE_ADDRESS %q is not the host of PUBLIC_URL %q", environment(caddy)["SITE_ADDRESS"], env["PUBLIC_URL"])
	}
}

// TestComposeRequiresSecrets: without a secret in .env, compose refuses to
// start (the ${VAR:?} form) instead of running with an empty one.
func TestComposeRequiresSecrets(t *testing.T) {
	for _, k := range []string{"POSTGRES_PASSWORD", "REDIS_PASSWORD", "JWT_SECRET", "TOTP_KEY", "PUBLIC_URL", "SITE_ADDRESS"} {
		env := exampleEnv(t)
		delete(env, k)
		if _, err := loadCompose(t, env); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("without %s: %v, want an error naming it", k, err)
		}
	}
}

// TestCaddyfileRoutesToEveryReplica reads the Caddyfile that compose mounts
// into the balancer: one reverse_proxy over the three replicas' app port,
// with active health checks on /ready.
func TestCaddyfileRoutesToEveryReplica(t *testing.T) {
	p, err := loadCompose(t, exampleEnv(t))
	if err != nil {
		t.Fatal(err)
	}
	var caddyfile string
	for _, v := range p.Services["caddy"].Volumes {
		if v.Target == "/etc/caddy/Caddyfile" {
			caddyfile = v.Source
		}
	}
	if caddyfile == "" {
		t.Fatal("caddy mounts no /etc/caddy/Caddyfile")
	}
	b, err := os.ReadFile(caddyfile)
	if err != nil {
		t.Fatalf("the mounted Caddyfile: %v", err)
	}
	text := stripComments(string(b))

	if !regexp.MustCompile(`(?m)^\{\$SITE_ADDRESS\}\s*\{`).MatchString(text) {
		t.Error("the site address is not {$SITE_ADDRESS}")
	}
	proxies := regexp.MustCompile(`(?m)^\s*reverse_proxy\s+([^{\n]*)`).FindAllStringSubmatch(text, -1)
	if len(proxies) != 1 {
		t.Fatalf("want one reverse_proxy, found %d", len(proxies))
	}
	upstreams := strings.Fields(proxies[0][1])
	slices.Sort(upstreams)
	port := "3000" // BIND_ADDR in compose
	if bind := environment(p.Services[replicas[0]])["BIND_ADDR"]; !strings.HasSuffix(bind, ":"+port) {
		t.Fatalf("replicas listen on %q, the test expects :%s", bind, port)
	}
	var want []string
	for _, r := range replicas {
		want = append(want, r+":"+port)
	}
	if !slices.Equal(upstreams, want) {
		t.Errorf("upstreams %v, want %v", upstreams, want)
	}
	for _, directive := range []string{`health_uri\s+/ready`, `lb_policy\s+\S+`} {
		if !regexp.MustCompile(`(?m)^\s*` + directive + `\s*$`).MatchString(text) {
			t.Errorf("Caddyfile lacks %s", directive)
		}
	}
	// Caddy proxies WebSocket upgrades by default; nothing may turn the
	// Upgrade/Connection headers off for the live socket.
	if regexp.MustCompile(`header_up\s+-(Upgrade|Connection)`).MatchString(text) {
		t.Error("the Caddyfile strips the WebSocket upgrade headers")
	}
}

func stripComments(s string) string {
	return regexp.MustCompile(`(?m)#.*$`).ReplaceAllString(s, "")
}
