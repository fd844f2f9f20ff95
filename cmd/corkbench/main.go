// Command corkbench measures a running Corkboard over HTTP, as users load
// it: card moves per second through the REST API at a given concurrency, the
// time to load a large board, and the delivery of moves to many live
// viewers over WebSockets. It creates its own user and project.
//
//	corkbench -url http://127.0.0.1:3900 -mode moves -concurrency 16 -duration 10s
//	corkbench -url http://127.0.0.1:3911 -move-urls http://127.0.0.1:3911,http://127.0.0.1:3912 -mode moves
//	corkbench -url http://127.0.0.1:3900 -mode board -issues 1000 -n 50
//	corkbench -url http://127.0.0.1:3900 -mode ws -viewers 1000 -rate 20 -duration 10s -server-pid PID
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:3900", "Corkboard base URL")
	mode := flag.String("mode", "moves", "moves | board | ws | storm")
	conc := flag.Int("concurrency", 16, "concurrent clients (moves)")
	dur := flag.Duration("duration", 10*time.Second, "how long to move cards (moves, ws)")
	issues := flag.Int("issues", 1000, "issues on the board (ws: 100 unless set)")
	n := flag.Int("n", 50, "board loads to time (board)")
	viewers := flag.Int("viewers", 1000, "WebSocket viewers of the board (ws)")
	rate := flag.Float64("rate", 20, "card moves per second (ws)")
	serverPID := flag.Int("server-pid", 0, "the server's pid, to report its CPU per move (moves) or RSS per idle socket (ws)")
	verbose := flag.Bool("v", false, "print each move's delivery timeline to stderr (ws)")
	viewerURLs := flag.String("viewer-urls", "", "comma-separated instances the viewers connect to (ws: instead of -url; storm: where they reconnect)")
	pgCPU := flag.Bool("pg-cpu", false, "moves: also report the CPU per move of the local postgres processes (all of them: for a machine where the bench is PostgreSQL's only client)")
	moveURLs := flag.String("move-urls", "", "comma-separated instances the movers spread over, round robin (moves: instead of -url)")
	pgAnalyze := flag.String("pg-analyze", "", "a PostgreSQL URL (with the server's search_path): ANALYZE its tables once the board is seeded, as autovacuum would")
	killPID := flag.Int("kill-pid", 0, "storm: the pid of the -url instance, killed (SIGKILL) a third of the way in")
	flag.Parse()
	if *mode == "ws" || *mode == "storm" {
		issuesSet := false
		flag.Visit(func(f *flag.Flag) { issuesSet = issuesSet || f.Name == "issues" })
		if !issuesSet {
			*issues = 100
		}
		if _, err := raiseFileLimit(); err != nil {
			fmt.Fprintln(os.Stderr, "corkbench: raising the open-file limit:", err)
		}
	}
	b := &bench{base: *base}
	if err := b.setup(*issues); err != nil {
		fmt.Fprintln(os.Stderr, "corkbench: setup:", err)
		os.Exit(1)
	}
	if *pgAnalyze != "" {
		if err := analyze(*pgAnalyze); err != nil {
			fmt.Fprintln(os.Stderr, "corkbench:", err)
			os.Exit(1)
		}
	}
	var err error
	switch *mode {
	case "moves":
		err = b.moves(*conc, *dur, *serverPID, *pgCPU, splitList(*moveURLs))
	case "board":
		err = b.board(*n)
	case "ws":
		err = b.ws(wsOptions{viewers: *viewers, rate: *rate, dur: *dur, serverPID: *serverPID, verbose: *verbose,
			viewerBases: splitList(*viewerURLs)})
	case "storm":
		err = b.storm(stormOptions{viewers: *viewers, rate: *rate, dur: *dur, killPID: *killPID, others: splitList(*viewerURLs)})
	default:
		err = fmt.Errorf("unknown mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "corkbench:", err)
		os.Exit(1)
	}
}

type bench struct {
	base    string
	client  *http.Client
	project string
	ids     []string
}

func (b *bench) call(method, path string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		buf, _ := json.Marshal(body)
		r = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, b.base+path, r)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := b.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	if res.StatusCode >= 300 {
		return res.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	if out != nil {
		return res.StatusCode, json.Unmarshal(data, out)
	}
	return res.StatusCode, nil
}

func (b *bench) setup(issues int) error {
	jar, _ := cookiejar.New(nil)
	b.client = &http.Client{Jar: jar, Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	email := fmt.Sprintf("bench-%d@example.com", time.Now().UnixNano())
	if _, err := b.call("POST", "/api/v1/auth/register", map[string]string{
		"email": email, "password": "bench password 1", "display_name": "Bench"}, nil); err != nil {
		return err
	}
	var p struct{ ID string }
	if _, err := b.call("POST", "/api/v1/projects", map[string]string{"name": "Bench"}, &p); err != nil {
		return err
	}
	b.project = p.ID
	statuses := []string{"open", "in_progress", "done"}
	var mu sync.Mutex
	err := parallel(8, issues, func(i int) error {
		var is struct{ ID string }
		_, err := b.call("POST", "/api/v1/projects/"+b.project+"/issues", map[string]any{
			"title": fmt.Sprintf("Issue %d with a title of ordinary length", i), "status": statuses[i%3],
			"description": "Some **markdown** text describing the work.", "labels": []string{"bench"}}, &is)
		mu.Lock()
		b.ids = append(b.ids, is.ID)
		mu.Unlock()
		return err
	})
	return err
}

func parallel(workers, n int, fn func(i int) error) error {
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// moves: each worker moves random cards to random columns, below a random
// neighbour or to the bottom. A 422 (the neighbour moved meanwhile) counts
// as a rejected move, not a failure. With serverPID it also reports the
// server's CPU time per move, and its own, to show that the load tool is
// not what limits the figure. With targets (several instances of one
// cluster) worker w sends to targets[w % len(targets)]: the moves of one
// board spread over the instances.
func (b *bench) moves(conc int, dur time.Duration, serverPID int, pgCPU bool, targets []string) error {
	statuses := []string{"open", "in_progress", "done"}
	bodies := make([][]byte, len(statuses))
	for i, s := range statuses {
		bodies[i], _ = json.Marshal(map[string]string{"status": s})
	}
	if len(targets) == 0 {
		targets = []string{b.base}
	}
	clients := make([]*moveClient, len(targets))
	for i, t := range targets {
		mc, err := b.newMoveClient(t, conc)
		if err != nil {
			return err
		}
		clients[i] = mc
	}
	cpu0, cpuErr := processCPU(serverPID)
	self0, _ := processCPU(0)
	pg0, pgErr := postgresCPU()
	deadline := time.Now().Add(dur)
	var mu sync.Mutex
	var lat []time.Duration
	var rejected, failed atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			mc := clients[int(seed)%len(clients)]
			r := rand.New(rand.NewPCG(seed, 1))
			local := []time.Duration{}
			for time.Now().Before(deadline) {
				id := b.ids[r.IntN(len(b.ids))]
				start := time.Now()
				code, err := mc.post("/api/v1/projects/"+b.project+"/issues/"+id+"/move", bodies[r.IntN(3)])
				d := time.Since(start)
				switch {
				case err == nil:
					local = append(local, d)
				case code == 422:
					rejected.Add(1)
				default:
					failed.Add(1)
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}(uint64(w))
	}
	wg.Wait()
	slices.Sort(lat)
	over := ""
	if len(targets) > 1 {
		over = fmt.Sprintf(" over %d instances", len(targets))
	}
	fmt.Printf("moves: concurrency %d%s, %s: %d ok, %d rejected, %d failed\n", conc, over, dur, len(lat), rejected.Load(),
		failed.Load())
	fmt.Printf("moves/s %.0f   p50 %s   p99 %s   max %s\n", float64(len(lat))/dur.Seconds(),
		pct(lat, 50), pct(lat, 99), pct(lat, 100))
	if self1, _ := processCPU(0); len(lat) > 0 {
		perMove := func(d time.Duration) string {
			return fmt.Sprintf("%.0f µs", float64(d.Microseconds())/float64(len(lat)))
		}
		line := "CPU per move: corkbench " + perMove(self1-self0)
		if cpu1, err := processCPU(serverPID); serverPID > 0 && cpuErr == nil && err == nil {
			line = "CPU per move: server " + perMove(cpu1-cpu0) + ", corkbench " + perMove(self1-self0)
		}
		if pg1, err := postgresCPU(); pgCPU && pgErr == nil && err == nil {
			line += ", postgres " + perMove(pg1-pg0)
		}
		fmt.Println(line)
	}
	if failed.Load() > 0 {
		return fmt.Errorf("%d moves failed", failed.Load())
	}
	return nil
}

// board: time GET of the board page (server-rendered HTML with every card).
// board times n loads of the board page and n of GET /board (the API),
// each one request at a time on a warm connection. Bodies are read into
// one reused buffer: growing a fresh 5 MB slice per load (io.ReadAll) added
// about 10 ms of the client's own work to a 10,000-card GET /board (curl
// saw 33–36 ms p50 where corkbench printed 43).
func (b *bench) board(n int) error {
	var body bytes.Buffer
	for _, target := range []struct{ name, path string }{
		{"board page", "/projects/" + b.project},
		{"GET /board", "/api/v1/projects/" + b.project + "/board"},
	} {
		var lat []time.Duration
		size := 0
		for i := 0; i < n; i++ {
			start := time.Now()
			res, err := b.client.Get(b.base + target.path)
			if err != nil {
				return err
			}
			body.Reset()
			_, err = body.ReadFrom(res.Body)
			res.Body.Close()
			if err != nil || res.StatusCode != 200 {
				return fmt.Errorf("%s: %d %v", target.name, res.StatusCode, err)
			}
			lat = append(lat, time.Since(start))
			size = body.Len()
		}
		slices.Sort(lat)
		fmt.Printf("%s with %d issues (%d KB): n=%d  p50 %s  p99 %s  max %s\n", target.name, len(b.ids), size/1024, n,
			pct(lat, 50), pct(lat, 99), pct(lat, 100))
	}
	return nil
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := (len(d)*p + 99) / 100
	if i < 1 {
		i = 1
	}
	return d[i-1].Round(10 * time.Microsecond)
}
