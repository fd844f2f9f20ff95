package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/internal/testredis"
	"github.com/corkboard/corkboard/models"
	"github.com/corkboard/corkboard/realtime"
	"github.com/redis/go-redis/v9"
)

// Several instances in one process, on one PostgreSQL schema and one Redis
// (a fresh key prefix per test), each on its own real listener.

// testRedisURL is TEST_REDIS_URL (see internal/testredis).
func testRedisURL(t *testing.T) string { t.Helper(); return testredis.URL(t) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newCluster starts n instances sharing databaseURL and redisURL.
func newCluster(t *testing.T, n int, databaseURL, redisURL string, hub realtime.Options) []*liveServer {
	t.Helper()
	return newClusterWith(t, n, databaseURL, redisURL, hub, nil)
}

// newClusterWith is newCluster with the configuration adjusted too.
func newClusterWith(t *testing.T, n int, databaseURL, redisURL string, hub realtime.Options, adjust func(*Config)) []*liveServer {
	t.Helper()
	prefix := "cbtest:" + randomHex(6) + ":"
	nodes := make([]*liveServer, n)
	for i := range nodes {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + ln.Addr().String()
		ts := newTestServerWith(t, databaseURL, base, func(cfg *Config) {
			cfg.Hub, cfg.RedisURL, cfg.RedisPrefix = hub, redisURL, prefix
			cfg.TOTPKey = strings.Repeat("k", 32) // shared, as JWT_SECRET is
			cfg.RateLimitPerMinute = 100000       // the movers are one user
			if adjust != nil {
				adjust(cfg)
			}
		})
		go ts.Serve(ln)
		nodes[i] = &liveServer{testServer: ts, base: base}
	}
	return nodes
}

// on is the same signed-in caller talking to another instance.
func (c *client) on(ls *liveServer) *client {
	c2 := *c
	c2.ts = ls.testServer
	return &c2
}

// viewer reads one socket's event stream, checking it is gap-free and
// duplicate-free as it goes, and keeps the issues it describes.
type viewer struct {
	t      *testing.T
	name   string
	conn   *websocket.Conn
	seen   int64
	frames []frame
	state  map[string]models.Issue
}

func newViewer(t *testing.T, name string, conn *websocket.Conn) *viewer {
	v := &viewer{t: t, name: name, conn: conn, state: map[string]models.Issue{}}
	hello := next(t, conn)
	if hello.Type != "hello" {
		t.Fatalf("%s: first frame %q, want hello", name, hello.Type)
	}
	v.until(hello.Seq)
	return v
}

// until reads events until seq has been seen.
func (v *viewer) until(seq int64) {
	v.t.Helper()
	for v.seen < seq {
		f, err := read(v.conn, 15*time.Second)
		if err != nil {
			v.t.Fatalf("%s: waiting for seq %d (at %d): %v", v.name, seq, v.seen, err)
		}
		v.apply(f)
	}
}

func (v *viewer) apply(f frame) {
	v.t.Helper()
	if f.Type == "presence" {
		return
	}
	if f.Seq != v.seen+1 {
		v.t.Fatalf("%s: seq %d (%s) after %d: the stream has a gap or a duplicate", v.name, f.Seq, f.Type, v.seen)
	}
	v.seen = f.Seq
	v.frames = append(v.frames, f)
	if f.Type == "issue.created" || f.Type == "issue.moved" || f.Type == "issue.updated" {
		var is models.Issue
		mustJSON(v.t, f.Data, &is)
		v.state[is.ID] = is
	}
}

// matchesServer checks the issues the stream describes against GET issues.
func (v *viewer) matchesServer(c *client, pid string) {
	v.t.Helper()
	var list struct{ Items []models.Issue }
	c.must(200, "GET", "/api/v1/projects/"+pid+"/issues?limit=200", nil, &list)
	for _, is := range list.Items {
		got, ok := v.state[is.ID]
		if !ok || got.Status != is.Status || got.Rank != is.Rank || got.Version != is.Version {
			v.t.Fatalf("%s: issue %s: stream %s/%s/v%d, database %s/%s/v%d", v.name, is.Key,
				got.Status, got.Rank, got.Version, is.Status, is.Rank, is.Version)
		}
	}
}

// moveOver moves an issue through base's real HTTP port with a bearer token.
func moveOver(hc *http.Client, base, token, pid, iid, status string) error {
	req, _ := http.NewRequest("POST", base+"/api/v1/projects/"+pid+"/issues/"+iid+"/move",
		stringsReader(`{"status":"`+status+`"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		return fmt.Errorf("move on %s: %s", base, res.Status)
	}
	return nil
}

// TestClusterFanOutAndAccess: a session made on instance 1 works on 2 and
// 3; their viewers receive a move made on 1 with the same seq; removing a
// member on 1 closes their socket on 3 (4003); logging out on 1 closes the
// session's socket on 2 (4001).
func TestClusterFanOutAndAccess(t *testing.T) {
	nodes := newCluster(t, 3, testdb.Postgres(t), testRedisURL(t), realtime.Options{})
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	a, p, issues := n1.board("a@example.com", 3)
	var me models.User
	a.on(n3).must(200, "GET", "/api/v1/auth/me", nil, &me)
	if me.ID != a.user.ID {
		t.Fatalf("session from instance 1 on instance 3: %+v", me)
	}
	v2 := newViewer(t, "viewer on 2", n2.mustDial(a.on(n2), p.ID, 0))
	v3 := newViewer(t, "viewer on 3", n3.mustDial(a.on(n3), p.ID, 0))

	var moved models.Issue
	a.must(200, "POST", "/api/v1/projects/"+p.ID+"/issues/"+issues[0].ID+"/move", map[string]string{"status": "done"}, &moved)
	v2.until(v2.seen + 1)
	v3.until(v3.seen + 1)
	for _, v := range []*viewer{v2, v3} {
		last := v.frames[len(v.frames)-1]
		if last.Type != "issue.moved" || v.state[moved.ID].Status != "done" || last.Seq != v2.seen {
			t.Fatalf("%s: last frame %s seq %d, issue %+v", v.name, last.Type, last.Seq, v.state[moved.ID])
		}
	}

	b := n1.register("b@example.com", "B")
	a.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": b.user.Email, "role": "editor"}, nil)
	bConn := n3.mustDial(b.on(n3), p.ID, 0)
	next(t, bConn)
	a.must(204, "DELETE", "/api/v1/projects/"+p.ID+"/members/"+b.user.ID, nil, nil)
	if code := closeStatus(t, bConn, 2*time.Second); code != realtime.CloseNoAccess {
		t.Fatalf("removed member's socket on another instance: close %d, want 4003", code)
	}

	a.must(204, "POST", "/api/v1/auth/logout", nil, nil)
	if code := closeStatus(t, v2.conn, 2*time.Second); code != realtime.CloseSessionEnded {
		t.Fatalf("logged-out session's socket on another instance: close %d, want 4001", code)
	}
	if code := closeStatus(t, v3.conn, 2*time.Second); code != realtime.CloseSessionEnded {
		t.Fatalf("logged-out session's socket on instance 3: close %d, want 4001", code)
	}
	if res, _ := a.on(n2).do("GET", "/api/v1/auth/me", nil); res.StatusCode != 401 {
		t.Fatalf("logged-out session on instance 2: %d, want 401", res.StatusCode)
	}
}

// TestClusterConcurrentMoves: 3 instances × 10 goroutines × 20 moves at
// once; a viewer on every instance receives exactly the same gap-free
// sequence, and the final ranks equal the database's.
func TestClusterConcurrentMoves(t *testing.T) {
	nodes := newCluster(t, 3, testdb.Postgres(t), testRedisURL(t), realtime.Options{})
	a, p, issues := nodes[0].board("a@example.com", 30)
	viewers := make([]*viewer, len(nodes))
	for i, n := range nodes {
		viewers[i] = newViewer(t, "viewer on "+strconv.Itoa(i+1), n.mustDial(a.on(n), p.ID, 0))
	}
	start := viewers[0].seen
	const perNode, moves = 10, 20
	cols := []string{"open", "in_progress", "done"}
	errs := make(chan error, len(nodes)*perNode)
	for ni, n := range nodes {
		for g := 0; g < perNode; g++ {
			go func(base string, g int) {
				hc := &http.Client{Timeout: 30 * time.Second}
				for i := 0; i < moves; i++ {
					is := issues[(g*7+i*3+ni)%len(issues)]
					if err := moveOver(hc, base, a.cookie, p.ID, is.ID, cols[(g+i+ni)%3]); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}(n.base, ni*perNode+g)
		}
	}
	for range len(nodes) * perNode {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	want := start + int64(len(nodes)*perNode*moves)
	for _, v := range viewers {
		v.until(want)
		v.matchesServer(a, p.ID)
	}
	ref := viewers[0].frames
	for _, v := range viewers[1:] {
		if len(v.frames) != len(ref) {
			t.Fatalf("%s saw %d events, viewer on 1 saw %d", v.name, len(v.frames), len(ref))
		}
		for i := range ref {
			if v.frames[i].Seq != ref[i].Seq || string(v.frames[i].Data) != string(ref[i].Data) {
				t.Fatalf("%s: event %d differs from viewer on 1's", v.name, i)
			}
		}
	}
}

// privateRedis runs a redis-server of the test's own on a free port, which
// the test can stop and start again.
type privateRedis struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

func startPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatal("redis-server is not installed (apt-get install redis-server; .ci/run does it)")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := &privateRedis{t: t, port: port}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *privateRedis) url() string { return "redis://127.0.0.1:" + strconv.Itoa(r.port) + "/0" }

func (r *privateRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.t.TempDir())
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(r.port)})
	defer rdb.Close()
	waitFor(r.t, "private redis answers", func() bool {
		return rdb.Ping(context.Background()).Err() == nil
	})
}

// stop kills the server abruptly (what it held is gone).
func (r *privateRedis) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Kill()
		r.cmd.Wait()
		r.cmd = nil
	}
}

// TestClusterRedisRestart: Redis dies and comes back while moves continue
// on instance 1. Moves keep succeeding, and the viewers on instances 2 and
// 3 still end with a gap-free stream equal to the database.
func TestClusterRedisRestart(t *testing.T) {
	rs := startPrivateRedis(t)
	nodes := newCluster(t, 3, testdb.Postgres(t), rs.url(), realtime.Options{DegradedPoll: 200 * time.Millisecond})
	a, p, issues := nodes[0].board("a@example.com", 10)
	v2 := newViewer(t, "viewer on 2", nodes[1].mustDial(a.on(nodes[1]), p.ID, 0))
	v3 := newViewer(t, "viewer on 3", nodes[2].mustDial(a.on(nodes[2]), p.ID, 0))

	var moved atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	var moveErr error
	go func() {
		defer wg.Done()
		hc := &http.Client{Timeout: 30 * time.Second}
		cols := []string{"open", "in_progress", "done"}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := moveOver(hc, nodes[0].base, a.cookie, p.ID, issues[i%len(issues)].ID, cols[i%3]); err != nil {
				moveErr = err
				return
			}
			moved.Add(1)
		}
	}()
	waitFor(t, "20 moves before the outage", func() bool { return moved.Load() >= 20 })
	rs.stop()
	before := moved.Load()
	waitFor(t, "20 moves while Redis is down", func() bool { return moved.Load() >= before+20 || moveErr != nil })
	rs.start()
	after := moved.Load()
	waitFor(t, "20 moves after Redis is back", func() bool { return moved.Load() >= after+20 || moveErr != nil })
	close(stop)
	wg.Wait()
	if moveErr != nil {
		t.Fatalf("a move failed around the Redis outage: %v", moveErr)
	}
	var proj models.Project
	a.must(200, "GET", "/api/v1/projects/"+p.ID, nil, &proj)
	for _, v := range []*viewer{v2, v3} {
		v.until(proj.Seq)
		v.matchesServer(a, p.ID)
	}
	if f, err := read(v2.conn, 300*time.Millisecond); err == nil && f.Type != "presence" {
		t.Fatalf("extra frame after the last move: %+v", f)
	}
	// The instances noticed: readiness reports Redis, and is up again.
	for _, n := range nodes {
		res, body := n.anon().do("GET", "/ready", nil)
		if res.StatusCode != 200 || !strings.Contains(string(body), `"redis":"up"`) {
			t.Fatalf("/ready after the outage: %d %s", res.StatusCode, body)
		}
	}
}
