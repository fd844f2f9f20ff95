package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// The storm mode: N viewers watch a board on one instance (-url) while
// cards move through another at rate R. A third of the way in, the first
// instance is killed (SIGKILL); every viewer reconnects to the others with
// since = the last seq it saw, as the browser does (jittered exponential
// backoff). Reported: how long after the kill each viewer was back and
// caught up (replayed to its new hello's seq), and, at the end, lost and
// duplicated events over the whole run.

type stormOptions struct {
	viewers int
	rate    float64
	dur     time.Duration
	killPID int
	others  []string // where viewers reconnect; moves go to the first
}

type stormViewer struct {
	conn      atomic.Pointer[websocket.Conn] // replaced on reconnection
	last      atomic.Int64
	lost, dup int64
	recovered atomic.Int64 // ns after the kill when back and caught up; 0: not yet
	err       error
}

func (b *bench) storm(o stormOptions) error {
	if o.killPID == 0 || len(o.others) == 0 || o.viewers < 1 || o.rate <= 0 {
		return errors.New("storm: need -kill-pid, -viewer-urls, -viewers ≥ 1 and -rate > 0")
	}
	token := ""
	u, _ := url.Parse(b.base)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == "corkboard_session" {
			token = c.Value
		}
	}
	hdr := http.Header{"Authorization": {"Bearer " + token}}
	var p struct{ Seq int64 }
	if _, err := b.call("GET", "/api/v1/projects/"+b.project, nil, &p); err != nil {
		return err
	}
	path := "/api/v1/projects/" + b.project + "/ws?since="
	viewers := make([]*stormViewer, o.viewers)
	var killedAt atomic.Int64 // UnixNano of the kill; 0 before
	var wg sync.WaitGroup
	stop := make(chan struct{})
	t0 := time.Now()
	if err := parallel(200, o.viewers, func(i int) error {
		v := &stormViewer{}
		v.last.Store(p.Seq)
		conn, _, err := dialHello(wsURLOf(b.base)+path+strconv.FormatInt(p.Seq, 10), hdr)
		if err != nil {
			return err
		}
		v.conn.Store(conn)
		viewers[i] = v
		wg.Add(1)
		go func() {
			defer wg.Done()
			v.run(i, o.others, path, hdr, &killedAt, stop)
		}()
		return nil
	}); err != nil {
		close(stop)
		closeStorm(viewers)
		wg.Wait()
		return fmt.Errorf("storm: dialing viewers: %w", err)
	}
	fmt.Printf("storm: %d viewers on %s (dialled in %s); moves at %.0f/s through %s for %s\n",
		o.viewers, b.base, time.Since(t0).Round(time.Millisecond), o.rate, o.others[0], o.dur)

	mover := *b
	mover.base = o.others[0]
	var failed atomic.Int64
	var movers sync.WaitGroup
	statuses := []string{"open", "in_progress", "done"}
	r := rand.New(rand.NewPCG(uint64(t0.UnixNano()), 3))
	interval := time.Duration(float64(time.Second) / o.rate)
	start := time.Now()
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= o.dur {
			break
		}
		if killedAt.Load() == 0 && at.Sub(start) >= o.dur/3 {
			if err := syscall.Kill(o.killPID, syscall.SIGKILL); err != nil {
				return fmt.Errorf("storm: kill %d: %w", o.killPID, err)
			}
			killedAt.Store(time.Now().UnixNano())
		}
		time.Sleep(time.Until(at))
		id, status := b.ids[r.IntN(len(b.ids))], statuses[r.IntN(len(statuses))]
		movers.Add(1)
		go func() {
			defer movers.Done()
			if _, _, err := mover.move(t0, id, status); err != nil {
				failed.Add(1)
				fmt.Fprintln(os.Stderr, "corkbench: move:", err)
			}
		}()
	}
	movers.Wait()

	if _, err := mover.call("GET", "/api/v1/projects/"+b.project, nil, &p); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		behind := 0
		for _, v := range viewers {
			if v.last.Load() < p.Seq {
				behind++
			}
		}
		if behind == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	closeStorm(viewers)
	wg.Wait()

	var rec []time.Duration
	var lost, dup, short, notBack int64
	for _, v := range viewers {
		lost += v.lost
		dup += v.dup
		short += max(0, p.Seq-v.last.Load())
		if d := v.recovered.Load(); d > 0 {
			rec = append(rec, time.Duration(d))
		} else {
			notBack++
		}
	}
	slices.Sort(rec)
	fmt.Printf("reconnected and caught up after the kill (n=%d): p50 %s   p99 %s   max %s   never %d\n",
		len(rec), pct(rec, 50), pct(rec, 99), pct(rec, 100), notBack)
	fmt.Printf("events to seq %d: lost %d   dup %d   short %d   moves failed %d\n", p.Seq, lost, dup, short, failed.Load())
	if lost > 0 || dup > 0 || short > 0 || notBack > 0 || failed.Load() > 0 {
		return fmt.Errorf("storm: %d lost, %d duplicated, %d short, %d never back, %d moves failed", lost, dup, short, notBack, failed.Load())
	}
	if len(rec) > 0 && rec[len(rec)-1] > 10*time.Second {
		return fmt.Errorf("storm: the last viewer took %s to recover (bar: 10 s)", rec[len(rec)-1])
	}
	return nil
}

// run reads events, checking the stream, and reconnects elsewhere when the
// socket dies, until stop.
func (v *stormViewer) run(i int, others []string, path string, hdr http.Header, killedAt *atomic.Int64, stop <-chan struct{}) {
	buf := make([]byte, 0, 4096)
	ctx := context.Background()
	target := -1 // -1: the original instance
	caughtUpTo := int64(-1)
	for {
		_, rd, err := v.conn.Load().Reader(ctx)
		if err == nil {
			buf, err = readInto(buf[:0], rd)
		}
		if err != nil {
			select {
			case <-stop:
				return
			default:
			}
			// Reconnect with jittered exponential backoff, spreading the
			// viewers over the surviving instances.
			backoff := 100 * time.Millisecond
			for {
				time.Sleep(time.Duration(rand.Int64N(int64(backoff))))
				select {
				case <-stop:
					return
				default:
				}
				target = (target + 1 + i) % len(others)
				conn, hello, derr := dialHello(wsURLOf(others[target])+path+strconv.FormatInt(v.last.Load(), 10), hdr)
				if derr == nil {
					v.conn.Store(conn)
					caughtUpTo = hello
					break
				}
				backoff = min(2*backoff, 2*time.Second)
			}
			if v.last.Load() >= caughtUpTo {
				v.markRecovered(killedAt)
			}
			continue
		}
		ev, ok := scanEvent(buf)
		if !ok || ev.seq == 0 {
			continue
		}
		switch last := v.last.Load(); {
		case ev.seq <= last:
			v.dup++
		default:
			v.lost += ev.seq - last - 1
			v.last.Store(ev.seq)
		}
		if caughtUpTo >= 0 && ev.seq >= caughtUpTo {
			v.markRecovered(killedAt)
			caughtUpTo = -1
		}
	}
}

func (v *stormViewer) markRecovered(killedAt *atomic.Int64) {
	if k := killedAt.Load(); k > 0 && v.recovered.Load() == 0 {
		v.recovered.Store(max(1, time.Now().UnixNano()-k))
	}
}

// dialHello opens a socket and reads its hello, returning the hello's seq.
func dialHello(wsURL string, hdr http.Header) (*websocket.Conn, int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		return nil, 0, err
	}
	conn.SetReadLimit(4 << 20)
	_, msg, err := conn.Read(ctx)
	if err != nil {
		conn.CloseNow()
		return nil, 0, err
	}
	var hello struct {
		Type string `json:"type"`
		Seq  int64  `json:"seq"`
	}
	if err := json.Unmarshal(msg, &hello); err != nil || hello.Type != "hello" {
		conn.CloseNow()
		return nil, 0, fmt.Errorf("first frame is not hello: %.100s", msg)
	}
	return conn, hello.Seq, nil
}

// splitList splits a comma-separated flag, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, strings.TrimRight(x, "/"))
		}
	}
	return out
}

func closeStorm(vs []*stormViewer) {
	for _, v := range vs {
		if v != nil {
			v.conn.Load().CloseNow()
		}
	}
}
