package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// board makes a project owned by a fresh user, with n issues.
func (ls *liveServer) board(email string, n int) (*client, models.Project, []models.Issue) {
	ls.t.Helper()
	a := ls.register(email, "Owner "+email)
	var p models.Project
	a.must(201, "POST", "/api/v1/projects", map[string]string{"name": "Live"}, &p)
	issues := make([]models.Issue, n)
	for i := range issues {
		a.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Card " + strconv.Itoa(i)}, &issues[i])
	}
	return a, p, issues
}

// TestWSHelloReplayAndLiveSeam: hello carries the current seq, the replay
// is every event after since exactly once, and live events follow with no
// gap or duplicate, also when changes land while the client is replaying.
func TestWSHelloReplayAndLiveSeam(t *testing.T) {
	forEachDatabaseURL(t, func(t *testing.T, url string) {
		ls := newLiveServer(t, url, realtime.Options{})
		a, p, _ := ls.board("a@example.com", 5)
		conn := ls.mustDial(a, p.ID, 2)
		if f := next(t, conn); f.Type != "hello" || f.Seq != 5 || f.ProjectID != p.ID {
			t.Fatalf("hello %+v", f)
		}
		for want := int64(3); want <= 5; want++ {
			if f := next(t, conn); f.Seq != want || f.Type != "issue.created" {
				t.Fatalf("replay: got %+v, want seq %d", f, want)
			}
		}
		// Changes racing a second client's replay: that client must see
		// 1..N exactly once each.
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; i < 20; i++ {
				a.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Racing"}, nil)
			}
		}()
		late := ls.mustDial(a, p.ID, 0)
		<-done
		hello := next(t, late)
		if hello.Type != "hello" {
			t.Fatalf("first frame %+v", hello)
		}
		for want := int64(1); want <= 25; want++ {
			if f := next(t, late); f.Seq != want {
				t.Fatalf("seam: got seq %d (%s), want %d", f.Seq, f.Type, want)
			}
		}
		for want := int64(6); want <= 25; want++ {
			if f := next(t, conn); f.Seq != want {
				t.Fatalf("live: got seq %d, want %d", f.Seq, want)
			}
		}
	})
}

// TestWSConcurrentMovesGapFree: 20 goroutines move cards at once over real
// HTTP; a viewer sees a gap-free, duplicate-free stream, and the issues it
// rebuilds from the events equal GET issues.
func TestWSConcurrentMovesGapFree(t *testing.T) {
	forEachDatabaseURL(t, func(t *testing.T, url string) {
		ls := newLiveServer(t, url, realtime.Options{})
		a, p, issues := ls.board("a@example.com", 20)
		conn := ls.mustDial(a, p.ID, 0)
		hello := next(t, conn)
		state := map[string]models.Issue{}
		seen := int64(0)
		apply := func(f frame) {
			if f.Seq != seen+1 {
				t.Fatalf("stream: seq %d after %d", f.Seq, seen)
			}
			seen = f.Seq
			var is models.Issue
			mustJSON(t, f.Data, &is)
			state[is.ID] = is
		}
		for seen < hello.Seq {
			apply(next(t, conn))
		}
		cols := []string{"open", "in_progress", "done"}
		const movers, moves = 20, 10
		errs := make(chan error, movers)
		for g := 0; g < movers; g++ {
			go func(g int) {
				hc := &http.Client{Timeout: 30 * time.Second}
				for i := 0; i < moves; i++ {
					is := issues[(g*7+i)%len(issues)]
					body := `{"status":"` + cols[(g+i)%3] + `"}`
					req, _ := http.NewRequest("POST", ls.base+"/api/v1/projects/"+p.ID+"/issues/"+is.ID+"/move", stringsReader(body))
					req.Header.Set("Authorization", "Bearer "+a.cookie)
					req.Header.Set("Content-Type", "application/json")
					res, err := hc.Do(req)
					if err != nil {
						errs <- err
						return
					}
					res.Body.Close()
					if res.StatusCode != 200 {
						errs <- errors.New("move: " + res.Status)
						return
					}
				}
				errs <- nil
			}(g)
		}
		for g := 0; g < movers; g++ {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		want := hello.Seq + movers*moves
		for seen < want {
			apply(next(t, conn))
		}
		if f, err := read(conn, 300*time.Millisecond); err == nil && f.Type != "presence" {
			t.Fatalf("extra frame after the last move: %+v", f)
		}
		var list struct{ Items []models.Issue }
		a.must(200, "GET", "/api/v1/projects/"+p.ID+"/issues?limit=200", nil, &list)
		if len(list.Items) != len(state) {
			t.Fatalf("%d issues, the stream knows %d", len(list.Items), len(state))
		}
		for _, is := range list.Items {
			got := state[is.ID]
			if got.Status != is.Status || got.Rank != is.Rank || got.Version != is.Version {
				t.Fatalf("issue %s: stream %s/%s/v%d, server %s/%s/v%d", is.Key, got.Status, got.Rank, got.Version, is.Status, is.Rank, is.Version)
			}
		}
	})
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

// TestWSRefusals: a foreign Origin, a non-member, an anonymous caller and a
// plain GET are refused before any upgrade; a bad since is a 422.
func TestWSRefusals(t *testing.T) {
	ls := newLiveServer(t, "", realtime.Options{})
	a, p, _ := ls.board("a@example.com", 1)
	outsider := ls.register("o@example.com", "O")
	for _, c := range []struct {
		name   string
		who    *client
		origin string
		status int
	}{
		{"foreign origin", a, "https://evil.example", 403},
		{"non-member", outsider, "", 404},
		{"anonymous", ls.anon(), "", 401},
	} {
		conn, res, err := ls.dial(c.who, p.ID, 0, c.origin)
		if err == nil {
			conn.CloseNow()
			t.Fatalf("%s: upgraded", c.name)
		}
		if res == nil || res.StatusCode != c.status {
			t.Fatalf("%s: %v, want HTTP %d", c.name, err, c.status)
		}
	}
	// A cookie without Origin is not a browser: refused. A script uses a
	// bearer token, and a plain GET is 426.
	a.must(403, "GET", "/api/v1/projects/"+p.ID+"/ws", nil, nil)
	for path, want := range map[string]int{"/ws": 426, "/ws?since=-1": 422, "/ws?since=x": 422} {
		req := httptest.NewRequest("GET", "/api/v1/projects/"+p.ID+path, nil)
		req.Header.Set("Authorization", "Bearer "+a.cookie)
		if res, b := a.send(req); res.StatusCode != want {
			t.Fatalf("%s: %d %s, want %d", path, res.StatusCode, b, want)
		}
	}
}

// TestWSAccessIsLive: removing a member closes their socket with 4003,
// logging out closes that session's socket with 4001, deleting the project
// closes everyone's with 4003.
func TestWSAccessIsLive(t *testing.T) {
	ls := newLiveServer(t, "", realtime.Options{})
	a, p, _ := ls.board("a@example.com", 1)
	b := ls.register("b@example.com", "B")
	c := ls.register("c@example.com", "C")
	a.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": b.user.Email, "role": "viewer"}, nil)
	a.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": c.user.Email, "role": "editor"}, nil)
	bConn, cConn, aConn := ls.mustDial(b, p.ID, 0), ls.mustDial(c, p.ID, 0), ls.mustDial(a, p.ID, 0)
	for _, conn := range []*websocket.Conn{aConn, bConn, cConn} {
		next(t, conn) // hello: the client is in the room
	}
	a.must(204, "DELETE", "/api/v1/projects/"+p.ID+"/members/"+b.user.ID, nil, nil)
	if code := closeStatus(t, bConn, time.Second); code != realtime.CloseNoAccess {
		t.Fatalf("removed member: close %d, want 4003", code)
	}
	c.must(204, "POST", "/api/v1/auth/logout", nil, nil)
	if code := closeStatus(t, cConn, time.Second); code != realtime.CloseSessionEnded {
		t.Fatalf("logged out: close %d, want 4001", code)
	}
	a.must(204, "DELETE", "/api/v1/projects/"+p.ID, nil, nil)
	if code := closeStatus(t, aConn, time.Second); code != realtime.CloseNoAccess {
		t.Fatalf("project deleted: close %d, want 4003", code)
	}
}

// TestWSBadInputClosesTheSocket: a 1 MiB frame (1009), a binary frame
// (1003), malformed JSON and unknown types (1008) close only that socket;
// the server stays healthy and nothing changes.
func TestWSBadInputClosesTheSocket(t *testing.T) {
	ls := newLiveServer(t, "", realtime.Options{})
	a, p, _ := ls.board("a@example.com", 1)
	cases := []struct {
		name string
		typ  websocket.MessageType
		body []byte
		want websocket.StatusCode
	}{
		{"1 MiB frame", websocket.MessageText, bytes.Repeat([]byte("x"), 1<<20), websocket.StatusMessageTooBig},
		{"binary", websocket.MessageBinary, []byte(`{"type":"presence","data":{}}`), websocket.StatusUnsupportedData},
		{"not json", websocket.MessageText, []byte(`{"type":`), websocket.StatusPolicyViolation},
		{"unknown type", websocket.MessageText, []byte(`{"type":"issue.moved","data":{}}`), websocket.StatusPolicyViolation},
		{"unknown field", websocket.MessageText, []byte(`{"type":"presence","data":{"viewing":null,"x":1}}`), websocket.StatusPolicyViolation},
		{"bad id", websocket.MessageText, []byte(`{"type":"presence","data":{"viewing":"<script>"}}`), websocket.StatusPolicyViolation},
	}
	for _, c := range cases {
		conn := ls.mustDial(a, p.ID, 0)
		next(t, conn)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn.Write(ctx, c.typ, c.body) // may fail once the server has closed
		cancel()
		if code := closeStatus(t, conn, 5*time.Second); code != c.want {
			t.Fatalf("%s: close %d, want %d", c.name, code, c.want)
		}
	}
	a.must(200, "GET", "/health", nil, nil)
	conn := ls.mustDial(a, p.ID, 0)
	if f := next(t, conn); f.Type != "hello" || f.Seq != 1 {
		t.Fatalf("after bad input: %+v", f)
	}
}

// TestWSPresence: who is on the board and what they are doing reaches the
// others; an invisible user watches without being listed; a flood of
// presence messages closes the socket.
func TestWSPresence(t *testing.T) {
	ls := newLiveServer(t, "", realtime.Options{PresenceInterval: 20 * time.Millisecond})
	a, p, issues := ls.board("a@example.com", 1)
	b := ls.register("b@example.com", "B")
	ghost := ls.register("g@example.com", "Ghost")
	for _, u := range []*client{b, ghost} {
		a.must(201, "POST", "/api/v1/projects/"+p.ID+"/members", map[string]string{"email": u.user.Email, "role": "editor"}, nil)
	}
	if _, err := ls.store.SetInvisible(context.Background(), ghost.user.ID, true); err != nil {
		t.Fatal(err)
	}
	aConn, ghostConn := ls.mustDial(a, p.ID, 0), ls.mustDial(ghost, p.ID, 0)
	next(t, ghostConn)
	bConn := ls.mustDial(b, p.ID, 0)
	msg := `{"type":"presence","data":{"viewing":null,"editing":"` + issues[0].ID + `","dragging":null}}`
	if err := bConn.Write(context.Background(), websocket.MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	type user struct {
		ID      string  `json:"id"`
		Name    string  `json:"name"`
		Editing *string `json:"editing"`
	}
	deadline := time.Now().Add(time.Second)
	for {
		f, err := read(aConn, time.Until(deadline))
		if err != nil {
			t.Fatalf("no presence with B editing within a second: %v", err)
		}
		if f.Type != "presence" {
			continue
		}
		var d struct{ Users []user }
		mustJSON(t, f.Data, &d)
		var bEditing bool
		for _, u := range d.Users {
			if u.ID == ghost.user.ID {
				t.Fatalf("invisible user listed: %s", f.Data)
			}
			bEditing = bEditing || u.ID == b.user.ID && u.Editing != nil && *u.Editing == issues[0].ID
		}
		if bEditing {
			break
		}
	}
	// B leaves: A's next presence no longer lists B.
	bConn.Close(websocket.StatusNormalClosure, "bye")
	deadline = time.Now().Add(time.Second)
	for gone := false; !gone; {
		f, err := read(aConn, time.Until(deadline))
		if err != nil {
			t.Fatalf("B's leave not seen within a second: %v", err)
		}
		if f.Type == "presence" {
			var d struct{ Users []user }
			mustJSON(t, f.Data, &d)
			gone = !slices.ContainsFunc(d.Users, func(u user) bool { return u.ID == b.user.ID })
		}
	}
	flood := ls.mustDial(a, p.ID, 0)
	next(t, flood)
	for i := 0; i < 200; i++ {
		if flood.Write(context.Background(), websocket.MessageText, []byte(`{"type":"presence","data":{"viewing":null,"editing":null,"dragging":null}}`)) != nil {
			break
		}
	}
	if code := closeStatus(t, flood, 5*time.Second); code != websocket.StatusPolicyViolation {
		t.Fatalf("presence flood: close %d, want 1008", code)
	}
}

// TestWSResyncWhenLogPruned: a client asking for pruned events gets resync
// and a normal close; REST answers 410. The prune keeps the events of live
// issues, so the cards pruned here are deleted ones, and the log has a
// hole in the middle (seq 4, 5 stay): a reader from before the hole is
// told so too, never handed a gap.
func TestWSResyncWhenLogPruned(t *testing.T) {
	ls := newLiveServer(t, "", realtime.Options{})
	a, p, issues := ls.board("a@example.com", 5) // seq 1..5
	for _, is := range issues[:3] {
		a.must(204, "DELETE", "/api/v1/projects/"+p.ID+"/issues/"+is.ID, nil, nil) // seq 6..8
	}
	a.must(204, "DELETE", "/api/v1/projects/"+p.ID+"/trash", nil, nil) // seq 9
	// Goes: 1..3 (purged cards' creations), 6 and 7; stays: 4, 5 (live
	// cards), 8, 9.
	if n, err := ls.store.PruneEvents(context.Background(), 24*time.Hour, 2); err != nil || n != 5 {
		t.Fatalf("pruned %d, %v; want 5", n, err)
	}
	a.must(410, "GET", "/api/v1/projects/"+p.ID+"/events?since=1", nil, nil)
	a.must(410, "GET", "/api/v1/projects/"+p.ID+"/events?since=3", nil, nil)
	var page eventsResponse
	a.must(200, "GET", "/api/v1/projects/"+p.ID+"/events?since=7", nil, &page)
	if len(page.Items) != 2 || page.Items[0].Seq != 8 {
		t.Fatalf("retained events: %+v", page)
	}
	for _, since := range []int64{1, 3} {
		conn := ls.mustDial(a, p.ID, since)
		next(t, conn) // hello
		if f := next(t, conn); f.Type != "resync" || f.Seq != 9 {
			t.Fatalf("since %d: want resync, got %+v", since, f)
		}
		if code := closeStatus(t, conn, 5*time.Second); code != websocket.StatusNormalClosure {
			t.Fatalf("close after resync: %d", code)
		}
	}
	ok := ls.mustDial(a, p.ID, 7)
	next(t, ok)
	if f := next(t, ok); f.Seq != 8 {
		t.Fatalf("from a retained seq: %+v", f)
	}
}

// TestWSOrderingGuard: an event published before the one it follows is
// held until that one arrives; one that never arrives is filled from the log.
func TestWSOrderingGuard(t *testing.T) {
	ls := newLiveServer(t, "", realtime.Options{GapWait: 50 * time.Millisecond})
	a, p, _ := ls.board("a@example.com", 0)
	conn := ls.mustDial(a, p.ID, 0)
	next(t, conn)
	// Three committed changes whose events are published by hand.
	var evs []models.Event
	for i := 0; i < 3; i++ {
		_, ev, err := ls.store.CreateIssue(context.Background(), a.user, p.ID, models.IssueInput{Title: "T" + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	publish := func(ev models.Event) {
		b, _ := encodeEvent(ev)
		ls.hub.Broker().Publish(context.Background(), p.ID, b)
	}
	publish(evs[1]) // seq 2 before 1: held
	publish(evs[0])
	// seq 3 is never published: filled from the log after GapWait... once
	// something later shows it is missing.
	_, ev4, err := ls.store.CreateIssue(context.Background(), a.user, p.ID, models.IssueInput{Title: "T3"})
	if err != nil {
		t.Fatal(err)
	}
	publish(ev4)
	publish(evs[1]) // a duplicate is dropped
	for want := int64(1); want <= 4; want++ {
		if f := next(t, conn); f.Seq != want {
			t.Fatalf("got seq %d, want %d", f.Seq, want)
		}
	}
	if f, err := read(conn, 200*time.Millisecond); err == nil && f.Type != "presence" {
		t.Fatalf("unexpected frame %+v", f)
	}
}

// TestWSShutdownAndGoroutines: clients leaving bring the goroutine count
// back to its baseline; shutdown closes the rest with 1012.
func TestWSShutdownAndGoroutines(t *testing.T) {
	ls := newLiveServer(t, "", realtime.Options{})
	a, p, _ := ls.board("a@example.com", 1)
	a.must(200, "GET", "/api/v1/projects/"+p.ID, nil, nil)
	base := runtime.NumGoroutine()
	var conns []*websocket.Conn
	for i := 0; i < 30; i++ {
		conn := ls.mustDial(a, p.ID, 0)
		next(t, conn)
		conns = append(conns, conn)
	}
	for _, conn := range conns {
		conn.Close(websocket.StatusNormalClosure, "bye")
	}
	waitFor(t, fmt.Sprintf("goroutines back to the baseline %d", base), func() bool {
		return ls.hub.Stats().Conns == 0 && runtime.NumGoroutine() <= base+2
	})

	last := ls.mustDial(a, p.ID, 0)
	next(t, last)
	done := make(chan error, 1)
	go func() { done <- ls.Shutdown(context.Background()) }()
	if code := closeStatus(t, last, 5*time.Second); code != websocket.StatusServiceRestart {
		t.Fatalf("shutdown close %d, want 1012", code)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestWSSlowClientIsClosed: a client that stops reading fills its queue and
// is closed with 1013 (once it reads again it sees the close), while a
// client that reads gets every event, in order, throughout.
func TestWSSlowClientIsClosed(t *testing.T) {
	ls := newLiveServer(t, "", realtime.Options{QueueSize: 8})
	a, p, issues := ls.board("a@example.com", 1)
	slow, fast := ls.mustDial(a, p.ID, 0), ls.mustDial(a, p.ID, 0)
	next(t, slow)
	hello := next(t, fast)
	seen := int64(0)
	for seen < hello.Seq {
		seen = next(t, fast).Seq
	}
	// Large events fill the kernel's socket buffers first, then the queue.
	big := strings.Repeat("slow readers must not hold up the others. ", 230)
	version := issues[0].Version
	for i := 0; ls.hub.Stats().SlowClosed == 0; i++ {
		if i == 3000 {
			t.Fatal("the slow client was never closed")
		}
		var is models.Issue
		a.must(200, "PATCH", "/api/v1/projects/"+p.ID+"/issues/"+issues[0].ID,
			map[string]any{"description": big + strconv.Itoa(i), "version": version}, &is)
		version = is.Version
		f := next(t, fast)
		if f.Seq != seen+1 {
			t.Fatalf("fast client: seq %d after %d", f.Seq, seen)
		}
		seen = f.Seq
	}
	if code := closeStatus(t, slow, 15*time.Second); code != websocket.StatusTryAgainLater {
		t.Fatalf("slow client closed with %d, want 1013", code)
	}
	if got := value(t, scrape(t, ls.Server), "corkboard_ws_queue_full_total"); got != 1 {
		t.Errorf("ws_queue_full_total %v, want 1", got)
	}
	// The fast one is still live.
	a.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "After"}, nil)
	if f := next(t, fast); f.Seq != seen+1 || f.Type != "issue.created" {
		t.Fatalf("fast client after: %+v", f)
	}
}

// TestWSRoomChurn: viewers arriving and leaving at once (rooms closing
// while the next opens) never leave a board without its subscription.
func TestWSRoomChurn(t *testing.T) {
	ls := newLiveServer(t, "", realtime.Options{})
	a, p, _ := ls.board("a@example.com", 0)
	for round := 0; round < 10; round++ {
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				conn, _, err := ls.dial(a, p.ID, 0, "")
				if err != nil {
					t.Error(err)
					return
				}
				read(conn, 5*time.Second)
				conn.Close(websocket.StatusNormalClosure, "")
			}()
		}
		conn := ls.mustDial(a, p.ID, int64(round))
		next(t, conn)
		wg.Wait()
		var is models.Issue
		a.must(201, "POST", "/api/v1/projects/"+p.ID+"/issues", map[string]string{"title": "Round"}, &is)
		if f := next(t, conn); f.Type != "issue.created" || f.Seq != int64(round+1) {
			t.Fatalf("round %d: %+v", round, f)
		}
		conn.Close(websocket.StatusNormalClosure, "")
	}
}

// TestWSReplayFromMemoryAndLog: with the room open (a viewer present), a
// client a little behind replays from the room's recent events, one far
// behind from the log; both get exactly the events after their since.
func TestWSReplayFromMemoryAndLog(t *testing.T) {
	ls := newLiveServer(t, "", realtime.Options{RecentEvents: 8})
	a, p, issues := ls.board("a@example.com", 3)
	keep := newViewer(t, "keeps the room open", ls.mustDial(a, p.ID, 0))
	for i := 0; i < 20; i++ {
		a.must(200, "POST", "/api/v1/projects/"+p.ID+"/issues/"+issues[i%3].ID+"/move",
			map[string]string{"status": []string{"open", "done"}[i%2]}, nil)
	}
	var proj models.Project
	a.must(200, "GET", "/api/v1/projects/"+p.ID, nil, &proj)
	keep.until(proj.Seq)
	for _, since := range []int64{proj.Seq - 5, proj.Seq - 8, 1, 0} {
		v := &viewer{t: t, name: "since " + strconv.FormatInt(since, 10), seen: since, state: map[string]models.Issue{}}
		v.conn = ls.mustDial(a, p.ID, since)
		if hello := next(t, v.conn); hello.Type != "hello" || hello.Seq != proj.Seq {
			t.Fatalf("%s: hello %+v", v.name, hello)
		}
		v.until(proj.Seq)
		if len(v.frames) != int(proj.Seq-since) {
			t.Fatalf("%s: %d events, want %d", v.name, len(v.frames), proj.Seq-since)
		}
		v.conn.CloseNow()
	}
}
