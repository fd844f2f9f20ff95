package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// Instances as real processes, so one can be killed (SIGKILL: no 1012, no
// goodbye to Redis) while the others carry on.

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// corkboardBinary builds cmd/corkboard once per test run (with -race, so
// it reuses the test build's cache and checks the server too).
func corkboardBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "corkboard-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "corkboard")
		out, err := exec.Command("go", "build", "-race", "-o", builtBin, "github.com/corkboard/corkboard/cmd/corkboard").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

type process struct {
	t    *testing.T
	base string
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

// startProcesses runs n instances on one database and Redis.
func startProcesses(t *testing.T, n int, env map[string]string) []*process {
	t.Helper()
	bin := corkboardBinary(t)
	procs := make([]*process, n)
	for i := range procs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		p := &process{t: t, base: "http://" + addr, log: &bytes.Buffer{}}
		p.cmd = exec.Command(bin)
		p.cmd.Env = append(os.Environ(), "BIND_ADDR="+addr, "PUBLIC_URL="+p.base, "DATA_DIR="+t.TempDir(), "LOG_LEVEL=warn")
		for k, v := range env {
			p.cmd.Env = append(p.cmd.Env, k+"="+v)
		}
		p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			p.kill()
			if t.Failed() {
				t.Logf("instance %s log:\n%s", p.base, p.log.String())
			}
		})
		procs[i] = p
	}
	for _, p := range procs {
		waitFor(t, p.base+" ready", func() bool {
			res, err := http.Get(p.base + "/ready")
			if err != nil {
				return false
			}
			res.Body.Close()
			return res.StatusCode == 200
		})
	}
	return procs
}

func (p *process) kill() {
	if p.cmd.Process != nil && p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

// httpUser is a signed-in user talking to instances over real HTTP.
type httpUser struct {
	t     *testing.T
	id    string
	token string
	hc    *http.Client
}

func registerOver(t *testing.T, base, email, name string) *httpUser {
	t.Helper()
	u := &httpUser{t: t, hc: &http.Client{Timeout: 30 * time.Second}}
	body, _ := json.Marshal(map[string]string{"email": email, "password": "correct horse battery", "display_name": name})
	res, err := u.hc.Post(base+"/api/v1/auth/register", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 201 {
		t.Fatalf("register %s: %d %s", email, res.StatusCode, b)
	}
	var me models.User
	mustJSON(t, b, &me)
	u.id = me.ID
	u.token = sessionCookieFrom(t, res)
	return u
}

// call sends a bearer request to base and decodes the answer into out.
func (u *httpUser) call(base string, want int, method, path string, body, out any) {
	u.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, r)
	req.Header.Set("Authorization", "Bearer "+u.token)
	req.Header.Set("Content-Type", "application/json")
	res, err := u.hc.Do(req)
	if err != nil {
		u.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		u.t.Fatalf("%s %s%s: %d, want %d: %s", method, base, path, res.StatusCode, want, b)
	}
	if out != nil {
		mustJSON(u.t, b, out)
	}
}

// dialOver opens a board socket to base as u (bearer), from since.
func (u *httpUser) dialOver(base, pid string, since int64) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+base[len("http"):]+"/api/v1/projects/"+pid+"/ws?since="+strconv.FormatInt(since, 10),
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + u.token}}})
	if err == nil {
		conn.SetReadLimit(4 << 20)
		u.t.Cleanup(func() { conn.CloseNow() })
	}
	return conn, err
}

type presenceList struct {
	Users []struct {
		ID string `json:"id"`
	} `json:"users"`
}

// waitPresence reads conn until a presence frame lists exactly want (user
// ids, any order), applying the events it passes to v.
func waitPresence(t *testing.T, v *viewer, want []string, within time.Duration) {
	t.Helper()
	slices.Sort(want)
	deadline := time.Now().Add(within)
	var last []string
	for {
		f, err := read(v.conn, time.Until(deadline))
		if err != nil {
			t.Fatalf("%s: presence never listed %v within %v (last %v): %v", v.name, want, within, last, err)
		}
		if f.Type != "presence" {
			v.apply(f)
			continue
		}
		var pl presenceList
		mustJSON(t, f.Data, &pl)
		last = last[:0]
		for _, u := range pl.Users {
			last = append(last, u.ID)
		}
		slices.Sort(last)
		if slices.Equal(last, want) {
			return
		}
	}
}

// TestClusterKillInstance: three instances as processes. Presence lists
// users from every instance. Instance 2 is killed (SIGKILL) while moves
// continue on instance 1: its viewer B reconnects to instance 3 with
// since and ends with a gap-free stream equal to the database; user D,
// who was only on instance 2, leaves everyone's presence when the dead
// instance's heartbeat stops.
func TestClusterKillInstance(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL": testdb.Postgres(t), "REDIS_URL": testRedisURL(t), "REDIS_PREFIX": "cbproc:" + randomHex(6) + ":",
		"JWT_SECRET": "cluster-test-secret-cluster-test-secret", "WS_PRESENCE_HEARTBEAT": "300ms",
		"RATE_LIMIT_PER_MINUTE": "100000",
	}
	procs := startProcesses(t, 3, env)
	p1, p2, p3 := procs[0].base, procs[1].base, procs[2].base
	a := registerOver(t, p1, "a@example.com", "A")
	var proj models.Project
	a.call(p1, 201, "POST", "/api/v1/projects", map[string]string{"name": "Cluster"}, &proj)
	issues := make([]models.Issue, 8)
	for i := range issues {
		a.call(p1, 201, "POST", "/api/v1/projects/"+proj.ID+"/issues", map[string]string{"title": "Card " + strconv.Itoa(i)}, &issues[i])
	}
	users := map[string]*httpUser{"a": a}
	for _, name := range []string{"b", "c", "d"} {
		u := registerOver(t, p1, name+"@example.com", name)
		a.call(p1, 201, "POST", "/api/v1/projects/"+proj.ID+"/members", map[string]string{"email": name + "@example.com", "role": "editor"}, nil)
		users[name] = u
	}
	// open connects name to base; a reconnection (prev) goes on from
	// where prev's stream stopped, with what it knew.
	open := func(name, base string, prev *viewer) *viewer {
		v := &viewer{t: t, name: name + "@" + base, state: map[string]models.Issue{}}
		if prev != nil {
			v.seen, v.state = prev.seen, prev.state
		}
		conn, err := users[name].dialOver(base, proj.ID, v.seen)
		if err != nil {
			t.Fatalf("%s dialling %s: %v", name, base, err)
		}
		v.conn = conn
		hello := next(t, conn)
		v.until(hello.Seq)
		return v
	}
	va, vb, vc := open("a", p1, nil), open("b", p2, nil), open("c", p3, nil)
	open("d", p2, nil)
	all := []string{users["a"].id, users["b"].id, users["c"].id, users["d"].id}
	waitPresence(t, va, all, 5*time.Second)

	var moved atomic.Int64
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		hc := &http.Client{Timeout: 30 * time.Second}
		cols := []string{"open", "in_progress", "done"}
		for i := 0; ; i++ {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if err := moveOver(hc, p1, a.token, proj.ID, issues[i%len(issues)].ID, cols[i%3]); err != nil {
				done <- err
				return
			}
			moved.Add(1)
		}
	}()
	waitFor(t, "10 moves before the kill", func() bool { return moved.Load() >= 10 })
	procs[1].kill()

	// B notices the dead socket and reconnects elsewhere with since.
	for {
		f, err := read(vb.conn, 10*time.Second)
		if err != nil {
			break
		}
		vb.apply(f)
	}
	vb = open("b", p3, vb)
	before := moved.Load()
	waitFor(t, "10 moves after the kill", func() bool { return moved.Load() >= before+10 })
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("moves on instance 1: %v", err)
	}
	// D's entry lapses with instance 2's heartbeat; B is back via 3.
	waitPresence(t, va, []string{users["a"].id, users["b"].id, users["c"].id}, 5*time.Second)

	var final models.Project
	a.call(p1, 200, "GET", "/api/v1/projects/"+proj.ID, nil, &final)
	var list struct{ Items []models.Issue }
	a.call(p3, 200, "GET", "/api/v1/projects/"+proj.ID+"/issues?limit=200", nil, &list)
	for _, v := range []*viewer{va, vb, vc} {
		v.until(final.Seq)
		for _, is := range list.Items {
			got := v.state[is.ID]
			if got.Status != is.Status || got.Rank != is.Rank || got.Version != is.Version {
				t.Fatalf("%s: issue %s: stream %s/%s/v%d, database %s/%s/v%d", v.name, is.Key,
					got.Status, got.Rank, got.Version, is.Status, is.Rank, is.Version)
			}
		}
	}
}
