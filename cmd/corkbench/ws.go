package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// The ws mode: N viewers watch one board over WebSockets while cards are
// moved over REST at a steady rate. Delivery latency is the time from a
// move request being sent to a viewer receiving its event, matched by the
// event's (issue id, version) against the version the move answered with.

type wsOptions struct {
	viewers   int
	rate      float64 // moves per second
	dur       time.Duration
	serverPID int // 0: do not measure the server's RSS
	// viewerBases spreads the viewers over other instances (round robin);
	// moves still go to the bench's base. Empty: every viewer on base.
	viewerBases []string
	verbose     bool // print every move's timeline to stderr
}

// viewer is one socket. Only its reader goroutine touches recs until the
// reader has ended.
type viewer struct {
	conn    *websocket.Conn
	hello   int64 // seq in the hello frame
	recs    []wsRecord
	frames  atomic.Int64 // every frame read, hello included
	last    atomic.Int64 // highest seq received, for the drain wait
	stopped atomic.Bool  // the reader has ended; err is set
	err     error
}

// wsRecord is one durable event as one viewer received it.
type wsRecord struct {
	seq     int64
	at      time.Duration // since the benchmark's t0 (monotonic)
	version int64
	issue   int32 // index in bench.ids; -1 for an issue not of this run
}

type moveKey struct {
	issue   int32
	version int64
}

func (b *bench) ws(o wsOptions) error {
	if o.viewers < 1 || o.rate <= 0 {
		return fmt.Errorf("ws: need -viewers ≥ 1 and -rate > 0")
	}
	token := ""
	u, _ := url.Parse(b.base)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "corkboard_session" {
			token = c.Value
		}
	}
	if token == "" {
		return errors.New("ws: no session cookie after registering")
	}
	var p struct{ Seq int64 }
	if _, err := b.call("GET", "/api/v1/projects/"+b.project, nil, &p); err != nil {
		return err
	}
	ids := make(map[string]int32, len(b.ids))
	for i, id := range b.ids {
		ids[id] = int32(i)
	}

	rssBefore, err := readRSS(o.serverPID)
	if err != nil {
		return err
	}
	t0 := time.Now()
	viewers := make([]*viewer, o.viewers)
	bases := o.viewerBases
	if len(bases) == 0 {
		bases = []string{b.base}
	}
	wsPath := "/api/v1/projects/" + b.project + "/ws?since=" + strconv.FormatInt(p.Seq, 10)
	hdr := http.Header{"Authorization": {"Bearer " + token}}
	perViewer := int(o.rate*o.dur.Seconds()) + 64
	var readers sync.WaitGroup
	if err := parallel(200, o.viewers, func(i int) error {
		v, err := dialViewer(wsURLOf(bases[i%len(bases)])+wsPath, hdr, perViewer)
		if err != nil {
			return err
		}
		viewers[i] = v
		readers.Add(1)
		go func() {
			defer readers.Done()
			v.read(t0, ids)
		}()
		return nil
	}); err != nil {
		closeViewers(viewers)
		readers.Wait()
		return fmt.Errorf("ws: dialing viewers: %w", err)
	}
	ramp := time.Since(t0)
	// Idle: the presence updates of the ramp are over after ~100 ms.
	time.Sleep(2 * time.Second)
	var rampFrames int64
	for _, v := range viewers {
		rampFrames += v.frames.Load()
	}
	rssAfter, err := readRSS(o.serverPID)
	if err != nil {
		closeViewers(viewers)
		readers.Wait()
		return err
	}

	// Server CPU over the moves and the drain, per delivery (it includes
	// the moves' REST handling, small next to the fan-out).
	cpu0, cpuErr := processCPU(o.serverPID)

	// Movers: one goroutine per move, started on a fixed schedule.
	var mu sync.Mutex
	sent := map[moveKey]time.Duration{}
	var rest []time.Duration // move request to response
	var failed atomic.Int64
	var movers sync.WaitGroup
	statuses := []string{"open", "in_progress", "done"}
	r := rand.New(rand.NewPCG(uint64(t0.UnixNano()), 2))
	interval := time.Duration(float64(time.Second) / o.rate)
	start := time.Now()
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= o.dur {
			break
		}
		time.Sleep(time.Until(at))
		idx, status := int32(r.IntN(len(b.ids))), statuses[r.IntN(len(statuses))]
		movers.Add(1)
		go func() {
			defer movers.Done()
			sentAt, version, err := b.move(t0, b.ids[idx], status)
			if err != nil {
				failed.Add(1)
				fmt.Fprintln(os.Stderr, "corkbench: move:", err)
				return
			}
			d := time.Since(t0) - sentAt
			mu.Lock()
			sent[moveKey{idx, version}] = sentAt
			rest = append(rest, d)
			mu.Unlock()
		}()
	}
	movers.Wait()

	// Drain: wait until every live viewer has the project's last event.
	if _, err := b.call("GET", "/api/v1/projects/"+b.project, nil, &p); err != nil {
		closeViewers(viewers)
		readers.Wait()
		return err
	}
	drainUntil := time.Now().Add(10 * time.Second)
	for time.Now().Before(drainUntil) {
		behind := 0
		for _, v := range viewers {
			if !v.stopped.Load() && v.last.Load() < p.Seq {
				behind++
			}
		}
		if behind == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cpu1, cpuErr1 := processCPU(o.serverPID)
	closed := 0
	for _, v := range viewers {
		if v.stopped.Load() {
			closed++ // the server closed it (1013 too slow, or an error) before the end
		}
	}
	closeViewers(viewers)
	readers.Wait()

	// Join receive records with send times.
	var lat []time.Duration
	firstViewer, lastViewer := map[moveKey]time.Duration{}, map[moveKey]time.Duration{}
	var lost, dup, short, unmatched int64
	seqs := make([]int64, 0, perViewer)
	for _, v := range viewers {
		seqs = seqs[:0]
		for _, rec := range v.recs {
			seqs = append(seqs, rec.seq)
			k := moveKey{rec.issue, rec.version}
			s, ok := sent[k]
			if rec.issue < 0 || !ok {
				unmatched++
				continue
			}
			d := rec.at - s
			lat = append(lat, d)
			if d > lastViewer[k] {
				lastViewer[k] = d
			}
			if f, ok := firstViewer[k]; !ok || d < f {
				firstViewer[k] = d
			}
		}
		slices.Sort(seqs)
		distinct := int64(len(slices.Compact(seqs)))
		dup += int64(len(v.recs)) - distinct
		if distinct > 0 {
			lost += seqs[distinct-1] - seqs[0] + 1 - distinct
		}
		// Events of this run the viewer never saw, at either end included.
		short += max(0, p.Seq-v.hello-distinct)
	}
	var first, last []time.Duration
	for k, d := range lastViewer {
		last = append(last, d)
		first = append(first, firstViewer[k])
	}
	if o.verbose {
		keys := slices.Collect(maps.Keys(lastViewer))
		slices.SortFunc(keys, func(a, b moveKey) int { return cmp.Compare(sent[a], sent[b]) })
		for _, k := range keys {
			fmt.Fprintf(os.Stderr, "move sent at %9s  first %9s  last %9s\n", sent[k].Round(time.Millisecond),
				firstViewer[k].Round(10*time.Microsecond), lastViewer[k].Round(10*time.Microsecond))
		}
	}
	slices.Sort(lat)
	slices.Sort(first)
	slices.Sort(last)
	slices.Sort(rest)

	fmt.Printf("ws: %d viewers (dialled in %s, %d frames received meanwhile), %.0f moves/s for %s: %d events sent, %d moves failed\n",
		o.viewers, ramp.Round(time.Millisecond), rampFrames, o.rate, o.dur, len(sent), failed.Load())
	if o.serverPID != 0 {
		fmt.Printf("server RSS %.1f MB idle, %.1f MB with %d idle sockets: %.1f KB/socket\n",
			float64(rssBefore)/1024, float64(rssAfter)/1024, o.viewers, float64(rssAfter-rssBefore)/float64(o.viewers))
	}
	fmt.Printf("delivery (viewer×event, n=%d): p50 %s   p99 %s   max %s\n", len(lat), pct(lat, 50), pct(lat, 99), pct(lat, 100))
	if o.serverPID != 0 && cpuErr == nil && cpuErr1 == nil && len(lat) > 0 {
		fmt.Printf("server CPU during the moves: %s, %.2f µs per delivery\n", (cpu1 - cpu0).Round(time.Millisecond),
			float64((cpu1-cpu0).Nanoseconds())/1e3/float64(len(lat)))
	}
	fmt.Printf("first viewer per move (n=%d):  p50 %s   p99 %s   max %s\n", len(first), pct(first, 50), pct(first, 99), pct(first, 100))
	fmt.Printf("last viewer per move (n=%d):   p50 %s   p99 %s   max %s\n", len(last), pct(last, 50), pct(last, 99), pct(last, 100))
	fmt.Printf("move request to response (n=%d): p50 %s   p99 %s   max %s\n", len(rest), pct(rest, 50), pct(rest, 99), pct(rest, 100))
	fmt.Printf("lost %d   dup %d   short %d   unmatched %d   closed by server %d\n", lost, dup, short, unmatched, closed)
	if failed.Load() > 0 || lost > 0 || dup > 0 || short > 0 {
		return fmt.Errorf("ws: %d moves failed, %d lost, %d duplicated, %d short", failed.Load(), lost, dup, short)
	}
	return nil
}

// wsURLOf turns an http(s) base URL into its ws(s) one.
func wsURLOf(base string) string { return "ws" + strings.TrimPrefix(base, "http") }

// dialViewer opens one socket and reads its hello.
func dialViewer(wsURL string, hdr http.Header, capacity int) (*viewer, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		return nil, err
	}
	_, msg, err := conn.Read(ctx)
	if err != nil {
		conn.CloseNow()
		return nil, err
	}
	var hello struct {
		Type string `json:"type"`
		Seq  int64  `json:"seq"`
	}
	if err := json.Unmarshal(msg, &hello); err != nil || hello.Type != "hello" {
		conn.CloseNow()
		return nil, fmt.Errorf("first frame is not hello: %.100s", msg)
	}
	v := &viewer{conn: conn, hello: hello.Seq, recs: make([]wsRecord, 0, capacity)}
	v.last.Store(hello.Seq)
	v.frames.Store(1)
	return v, nil
}

func closeViewers(vs []*viewer) {
	for _, v := range vs {
		if v != nil {
			v.conn.CloseNow()
		}
	}
}

// read records every durable event until the socket ends, reusing one
// buffer and parsing only what the report needs.
func (v *viewer) read(t0 time.Time, ids map[string]int32) {
	defer v.stopped.Store(true)
	buf := make([]byte, 0, 4096)
	ctx := context.Background()
	for {
		_, r, err := v.conn.Reader(ctx)
		if err == nil {
			buf, err = readInto(buf[:0], r)
		}
		if err != nil {
			v.err = err
			return
		}
		at := time.Since(t0)
		v.frames.Add(1)
		ev, ok := scanEvent(buf)
		if !ok || ev.seq == 0 {
			continue // hello, presence, resync
		}
		issue, known := ids[string(ev.id)]
		if !known {
			issue = -1
		}
		v.recs = append(v.recs, wsRecord{seq: ev.seq, at: at, version: ev.version, issue: issue})
		if ev.seq > v.last.Load() {
			v.last.Store(ev.seq)
		}
	}
}

// readInto appends r's contents to buf, growing it only when full.
func readInto(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, cap(buf))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// wsEvent is what the benchmark reads of a frame. id aliases the frame.
type wsEvent struct {
	typ     []byte
	seq     int64
	id      []byte
	version int64
}

// scanEvent reads type, seq and the data's id and version of a server
// frame without decoding it. The server encodes events with encoding/json,
// type first; a quoted key followed by a colon cannot occur inside a JSON
// string (its quotes would be escaped), so a substring search for `"key":`
// finds only keys. Frames not in that shape go through encoding/json.
func scanEvent(b []byte) (wsEvent, bool) {
	var ev wsEvent
	rest, ok := bytes.CutPrefix(b, []byte(`{"type":"`))
	if !ok {
		return slowScanEvent(b)
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return ev, false
	}
	ev.typ = rest[:end]
	switch string(ev.typ) {
	case "hello", "presence", "resync":
		return ev, true // ephemeral: seq stays 0
	}
	if ev.seq, ok = intAfter(b, `"seq":`); !ok {
		return slowScanEvent(b)
	}
	i := bytes.Index(b, []byte(`"data":{`))
	if i < 0 {
		return ev, true // an event without an object payload
	}
	data := b[i:]
	if j := bytes.Index(data, []byte(`"id":"`)); j >= 0 {
		id := data[j+len(`"id":"`):]
		if k := bytes.IndexByte(id, '"'); k >= 0 {
			ev.id = id[:k]
		}
	}
	ev.version, _ = intAfter(data, `"version":`)
	return ev, true
}

func intAfter(b []byte, key string) (int64, bool) {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return 0, false
	}
	b = b[i+len(key):]
	n, j := int64(0), 0
	for ; j < len(b) && b[j] >= '0' && b[j] <= '9'; j++ {
		n = n*10 + int64(b[j]-'0')
	}
	return n, j > 0
}

func slowScanEvent(b []byte) (wsEvent, bool) {
	var f struct {
		Type string `json:"type"`
		Seq  int64  `json:"seq"`
		Data struct {
			ID      string `json:"id"`
			Version int64  `json:"version"`
		} `json:"data"`
	}
	if json.Unmarshal(b, &f) != nil {
		return wsEvent{}, false
	}
	return wsEvent{typ: []byte(f.Type), seq: f.Seq, id: []byte(f.Data.ID), version: f.Data.Version}, true
}

// move sends one move to the bottom of status and returns when the request
// was sent (since t0) and the issue's new version.
func (b *bench) move(t0 time.Time, id, status string) (time.Duration, int64, error) {
	body, _ := json.Marshal(map[string]string{"status": status})
	req, err := http.NewRequest("POST", b.base+"/api/v1/projects/"+b.project+"/issues/"+id+"/move", bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	sentAt := time.Since(t0)
	res, err := b.client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, 0, err
	}
	if res.StatusCode != 200 {
		return 0, 0, fmt.Errorf("move: %d %s", res.StatusCode, data)
	}
	var is struct{ Version int64 }
	if err := json.Unmarshal(data, &is); err != nil {
		return 0, 0, err
	}
	return sentAt, is.Version, nil
}

// readRSS returns a process's resident set in KB (0 when pid is 0).
func readRSS(pid int) (int64, error) {
	if pid == 0 {
		return 0, nil
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}
