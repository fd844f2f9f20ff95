package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestVersionAndUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"version"}, env(nil), nil, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "corkboard ") {
		t.Fatalf("version: %d %q %q", code, out.String(), errb.String())
	}
	if code := run(context.Background(), []string{"frobnicate"}, env(nil), nil, &out, &errb); code != 2 {
		t.Fatalf("unknown command exit %d, want 2", code)
	}
}

func TestBadConfigurationIsAnError(t *testing.T) {
	for k, v := range map[string]string{"COOKIE_SECURE": "yes", "LOG_LEVEL": "loud", "PUBLIC_URL": "ftp://x", "JWT_SECRET": "short"} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), []string{"version"}, env(map[string]string{k: v}), nil, &out, &errb); code != 2 ||
			!strings.Contains(errb.String(), k) {
			t.Errorf("%s=%s: exit %d, stderr %q", k, v, code, errb.String())
		}
	}
}

func TestMigrateAndUserCreate(t *testing.T) {
	dir := t.TempDir()
	e := env(map[string]string{"DATA_DIR": dir})
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"migrate"}, e, nil, &out, &errb); code != 0 {
		t.Fatalf("migrate: %d %s", code, errb.String())
	}
	if code := run(context.Background(), []string{"migrate"}, e, nil, &out, &errb); code != 0 {
		t.Fatalf("second migrate is not a no-op: %d %s", code, errb.String())
	}
	out.Reset()
	stdin := strings.NewReader("a long enough password\n")
	code := run(context.Background(), []string{"user", "create", "--email", "Ops@Example.com", "--name", "Ops"}, e, stdin, &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "<ops@example.com>") {
		t.Fatalf("user create: %d %q %q", code, out.String(), errb.String())
	}
	errb.Reset()
	code = run(context.Background(), []string{"user", "create", "--email", "b@example.com", "--name", "B"}, e, strings.NewReader("short\n"), &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "password") {
		t.Fatalf("weak password: %d %q", code, errb.String())
	}
	if code := run(context.Background(), []string{"user", "create", "--email", "c@example.com"}, e, strings.NewReader("x\n"), &out, &errb); code != 2 {
		t.Fatalf("missing --name: exit %d, want 2", code)
	}
	if _, err := filepath.Glob(filepath.Join(dir, "corkboard.db")); err != nil {
		t.Fatal(err)
	}
}

// TestServeStartsAndStops runs the real serve command on a free port with
// nothing configured but the data dir and address, and stops it by
// cancelling its context as SIGTERM does.
func TestServeStartsAndStops(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errb bytes.Buffer
	go func() {
		done <- run(ctx, nil, env(map[string]string{"DATA_DIR": t.TempDir(), "BIND_ADDR": addr}), nil, &out, &errb)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(fmt.Sprintf("http://%s/health", addr))
		if err == nil {
			res.Body.Close()
			if res.StatusCode != 200 {
				t.Fatalf("health %d", res.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not answer: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit %d: %s", code, errb.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}
