package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app"
	"github.com/corkboard/corkboard/app/config"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// TestBackupCommand backs up the SQLite database of a running app while it
// takes writes, refuses to overwrite, and the copy migrates and holds the
// data; for PostgreSQL it prints the pg_dump command and fails.
func TestBackupCommand(t *testing.T) {
	dir := t.TempDir()
	e := env(map[string]string{"DATA_DIR": dir})
	var out, errb bytes.Buffer
	if code := run(t.Context(), []string{"backup"}, e, nil, &out, &errb); code != 2 {
		t.Fatalf("backup without a file: exit %d, want 2", code)
	}
	if code := run(t.Context(), []string{"backup", filepath.Join(dir, "x.db")}, e, nil, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "no database") {
		t.Fatalf("backup of a missing database: exit %d %q", code, errb.String())
	}

	settings, err := config.FromEnv(e)
	if err != nil {
		t.Fatal(err)
	}
	cfg := app.Config{Config: settings}
	srv, err := app.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	store := srv.Store()
	owner, err := store.CreateUser(t.Context(), "owner@example.com", "owner", "Owner", "hash")
	if err != nil {
		t.Fatal(err)
	}
	p, err := store.CreateProject(t.Context(), owner, models.ProjectInput{Name: "Backed up"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var written atomic.Int64
	for range 3 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				if _, _, err := store.CreateIssue(ctx, owner, p.ID, models.IssueInput{Title: fmt.Sprintf("card %d", i)}); err == nil {
					written.Add(1)
				}
			}
		})
	}
	for deadline := time.Now().Add(20 * time.Second); written.Load() < 30; {
		if time.Now().After(deadline) {
			t.Fatal("writers did not commit")
		}
		time.Sleep(5 * time.Millisecond)
	}
	file := filepath.Join(t.TempDir(), "corkboard-backup.db")
	out.Reset()
	errb.Reset()
	code := run(t.Context(), []string{"backup", file}, e, nil, &out, &errb)
	atBackup := written.Load()
	cancel()
	wg.Wait()
	if code != 0 || !strings.Contains(out.String(), file) {
		t.Fatalf("backup: exit %d %q %q", code, out.String(), errb.String())
	}
	before, _ := os.ReadFile(file)
	if code := run(t.Context(), []string{"backup", file}, e, nil, &out, &errb); code != 1 || !strings.Contains(errb.String(), "exists") {
		t.Fatalf("backup over an existing file: exit %d %q", code, errb.String())
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(before, after) {
		t.Fatal("the refused backup changed the existing file")
	}

	// Restore = point DATABASE_URL at the copy: it migrates and reads.
	restored := env(map[string]string{"DATA_DIR": t.TempDir(), "DATABASE_URL": "sqlite://" + file})
	if code := run(t.Context(), []string{"migrate"}, restored, nil, &out, &errb); code != 0 {
		t.Fatalf("migrate the backup: %d %s", code, errb.String())
	}
	b, err := models.Open(t.Context(), "sqlite://"+file, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	got, err := b.GetProject(t.Context(), owner.ID, p.ID)
	if err != nil {
		t.Fatalf("the backup lacks the project: %v", err)
	}
	_, issues, err := b.Board(t.Context(), owner.ID, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(issues) < 30 || int64(len(issues)) > atBackup+3 || got.Seq != int64(len(issues)) {
		t.Fatalf("backup: %d issues, seq %d (30 committed before it, %d when it returned)", len(issues), got.Seq, atBackup)
	}
}

func TestBackupCommandOnPostgres(t *testing.T) {
	dbURL := testdb.Postgres(t)
	var out, errb bytes.Buffer
	file := filepath.Join(t.TempDir(), "pg.dump")
	code := run(t.Context(), []string{"backup", file}, env(map[string]string{"DATA_DIR": t.TempDir(), "DATABASE_URL": dbURL}), nil, &out, &errb)
	if code == 0 || !strings.Contains(errb.String(), "pg_dump --format=custom --file="+file+` "$DATABASE_URL"`) {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	if strings.Contains(errb.String(), "postgres:postgres@") || strings.Contains(errb.String(), dbURL) {
		t.Fatal("the advice prints the database password")
	}
	if _, err := os.Stat(file); err == nil {
		t.Fatal("a file was written")
	}
}

// syncBuffer is a bytes.Buffer for a server goroutine's log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestServeMetricsAndJSONLogs runs serve with METRICS_ADDR, LOG_FORMAT=json
// and ACCESS_LOG=1: /metrics answers on its own listener (and not on the
// app's), and every log line is JSON, the request's with its request_id.
func TestServeMetricsAndJSONLogs(t *testing.T) {
	addr, metricsAddr := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out bytes.Buffer
	logs := &syncBuffer{}
	go func() {
		done <- run(ctx, nil, env(map[string]string{"DATA_DIR": t.TempDir(), "BIND_ADDR": addr, "METRICS_ADDR": metricsAddr,
			"LOG_FORMAT": "json", "ACCESS_LOG": "1"}), nil, &out, logs)
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exit %d: %s", code, logs.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	health := get(t, "http://"+addr+"/health", 200)
	if res := get(t, "http://"+addr+"/metrics", 404); res == "" {
		t.Fatal("empty 404")
	}
	metrics := get(t, "http://"+metricsAddr+"/metrics", 200)
	for _, want := range []string{"corkboard_ws_connections 0", `corkboard_http_request_duration_seconds_count{method="GET",route="/health",status="2xx"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	_ = health
	var access bool
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		if line["msg"] == "request" && line["path"] == "/health" && line["request_id"] != "" && line["request_id"] != nil {
			access = true
		}
	}
	if !access {
		t.Errorf("no JSON access line with a request_id for /health:\n%s", logs.String())
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// get polls url until the server answers (it may still be starting), then
// wants the status.
func get(t *testing.T, url string, want int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != want {
				t.Fatalf("GET %s: %d, want %d", url, res.StatusCode, want)
			}
			return string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
