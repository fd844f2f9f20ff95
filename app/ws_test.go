package app

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/corkboard/corkboard/models"
	"github.com/corkboard/corkboard/realtime"
)

// liveServer is a test server on a real listener (WebSockets cannot go
// through app.Test).
type liveServer struct {
	*testServer
	base string
}

func newLiveServer(t *testing.T, databaseURL string, hub realtime.Options) *liveServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	if databaseURL == "" {
		databaseURL = "sqlite://" + filepath.Join(t.TempDir(), "live.db")
	}
	ts := newTestServerWith(t, databaseURL, base, func(cfg *Config) { cfg.Hub = hub })
	go ts.Serve(ln)
	return &liveServer{testServer: ts, base: base}
}

// frame is any server message.
type frame struct {
	Type      string          `json:"type"`
	ProjectID string          `json:"project_id"`
	Seq       int64           `json:"seq"`
	Actor     models.Actor    `json:"actor"`
	Data      json.RawMessage `json:"data"`
}

// dial opens a board socket as c (cookie, same Origin unless origin is set).
func (ls *liveServer) dial(c *client, pid string, since int64, origin string) (*websocket.Conn, *http.Response, error) {
	if origin == "" {
		origin = ls.base
	}
	h := http.Header{"Origin": {origin}}
	if c.cookie != "" {
		h.Set("Cookie", sessionCookie+"="+c.cookie)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, res, err := websocket.Dial(ctx, "ws"+ls.base[len("http"):]+"/api/v1/projects/"+pid+"/ws?since="+strconv.FormatInt(since, 10),
		&websocket.DialOptions{HTTPHeader: h})
	if conn != nil {
		conn.SetReadLimit(4 << 20)
	}
	return conn, res, err
}

func (ls *liveServer) mustDial(c *client, pid string, since int64) *websocket.Conn {
	ls.t.Helper()
	conn, res, err := ls.dial(c, pid, since, "")
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		ls.t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	ls.t.Cleanup(func() { conn.CloseNow() })
	return conn
}

// next reads the next frame, skipping presence, within a deadline.
func next(t *testing.T, conn *websocket.Conn) frame {
	t.Helper()
	for {
		f, err := read(conn, 10*time.Second)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if f.Type != "presence" {
			return f
		}
	}
}

func read(conn *websocket.Conn, within time.Duration) (frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	_, b, err := conn.Read(ctx)
	if err != nil {
		return frame{}, err
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		return frame{}, err
	}
	return f, nil
}

// closeStatus reads until the socket ends and returns its close code.
func closeStatus(t *testing.T, conn *websocket.Conn, within time.Duration) websocket.StatusCode {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		_, err := read(conn, time.Until(deadline))
		if err == nil {
			continue
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("socket still open after %v", within)
		}
		return websocket.CloseStatus(err)
	}
}

func TestWSSmoke(t *testing.T) {
	ls := newLiveServer(t, "", realtime.Options{})
	a := ls.register("a@example.com", "A")
	var p models.Project
	a.must(201, "POST", "/api/v1/projects", map[string]string{"name": "P"}, &p)
	a.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "One"}, nil)
	conn := ls.mustDial(a, p.ID, 0)
	if f := next(t, conn); f.Type != "hello" || f.Seq != 1 {
		t.Fatalf("hello %+v", f)
	}
	if f := next(t, conn); f.Type != "issue.created" || f.Seq != 1 {
		t.Fatalf("replay %+v", f)
	}
	a.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Two"}, nil)
	if f := next(t, conn); f.Type != "issue.created" || f.Seq != 2 {
		t.Fatalf("live %+v", f)
	}
}
