package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	rtmetrics "runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/config"
	"github.com/corkboard/corkboard/realtime"
)

var (
	idleSockets = flag.Int("idle-sockets", 10000, "BenchmarkIdleSocketMemory: sockets to open")
	idleSites   = flag.Bool("idle-sites", true, "BenchmarkIdleSocketMemory: live heap by allocation site "+
		"(profiles every allocation, which adds to RSS: false for the RSS figure)")
)

// BenchmarkIdleSocketMemory opens N board sockets to a real server (Fiber,
// the hijack, the hub, SQLite) over loopback and reports what each idle one
// holds once they are all in and quiet: live heap by allocation site, heap
// spans, goroutines and their stacks (runtime.MemStats after GC), and the
// kernel's slab memory (/proc/slabinfo, readable by root; halved: both ends
// are on this machine) and socket buffers (ss -tm). The clients, in a child
// process, are raw TCP connections that did the upgrade and then read
// nothing. b.N is ignored (run with -benchtime 1x): `make bench-ws-mem`.
func BenchmarkIdleSocketMemory(b *testing.B) {
	if env := os.Getenv(idleClientEnv); env != "" {
		idleClients(b, env)
		return
	}
	n := *idleSockets
	if *idleSites {
		runtime.MemProfileRate = 1 // every allocation, for exact bytes per site
		defer func() { runtime.MemProfileRate = 512 * 1024 }()
	}

	s, ln, base := benchServer(b, func(cfg *Config) {
		cfg.WSMaxConns, cfg.WSMaxConnsPerUser = n+100, n+100
		cfg.Hub = realtime.Options{PingInterval: time.Hour} // raw clients do not answer pings
	})
	token, pid := idleSetup(b, base)

	// The clients live in a child process (this benchmark re-run with
	// idleClientEnv set): one process cannot hold both ends of 10,000
	// sockets under a 20,000 file limit, and the server's figures stay its own.
	child := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^BenchmarkIdleSocketMemory$", "-test.benchtime=1x")
	child.Env = append(os.Environ(), idleClientEnv+"="+ln.Addr().String()+" "+pid+" "+token)
	child.Stderr = os.Stderr
	ready, readyW, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	child.ExtraFiles = []*os.File{readyW} // fd 3: "ok" after each batch
	orders, err := child.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	readyW.Close()
	defer func() {
		orders.Close() // the child closes its sockets and exits
		child.Wait()
	}()
	acks := bufio.NewScanner(ready)
	dial := func(count int) {
		fmt.Fprintln(orders, count)
		if !acks.Scan() || acks.Text() != "ok" {
			b.Fatalf("client process failed dialling %d sockets", count)
		}
	}
	// One socket first: the room, its feed and the pools exist before the
	// baseline, so only what each further socket adds is counted.
	dial(1)
	before := idleSnapshot(b, s, 1)
	dial(n)
	after := idleSnapshot(b, s, n+1)

	sites := heapSites(before.profile, after.profile)
	var notServer int64 // the snapshot's own bytes
	for _, st := range sites {
		if st.site == measureSite {
			notServer += st.bytes
		}
	}
	per := func(a, b uint64) float64 { return (float64(a) - float64(b) - float64(notServer)) / float64(n) }
	heap := per(after.mem.HeapAlloc, before.mem.HeapAlloc)
	spans := per(after.mem.HeapInuse, before.mem.HeapInuse)
	stack := per(after.mem.StackInuse, before.mem.StackInuse)
	// Free heap pages not yet returned to the OS, and the runtime's own
	// (GC metadata, span structures, profiling buckets): in RSS too.
	grow := func(a, b uint64) float64 { return (float64(a) - float64(b)) / float64(n) }
	idle := grow(after.mem.HeapIdle-after.mem.HeapReleased, before.mem.HeapIdle-before.mem.HeapReleased)
	meta := grow(after.mem.GCSys+after.mem.MSpanSys+after.mem.OtherSys+after.mem.BuckHashSys+after.mem.MCacheSys,
		before.mem.GCSys+before.mem.MSpanSys+before.mem.OtherSys+before.mem.BuckHashSys+before.mem.MCacheSys)
	stackUsed := grow(after.stackUsed, before.stackUsed)
	gors := float64(after.goroutines-before.goroutines) / float64(n)
	var slabs []heapSite // per cache, halved: both ends are on this machine
	var slab float64
	for name, v := range after.slab {
		d := (v - before.slab[name]) / int64(2)
		slab += float64(d) / float64(n)
		slabs = append(slabs, heapSite{site: name, bytes: d})
	}
	slices.SortFunc(slabs, func(a, b heapSite) int { return int(b.bytes - a.bytes) })
	sockBufs := float64(after.sockBufs-before.sockBufs) / float64(n)
	rss := float64(after.rss-before.rss) / float64(n)
	if !*idleSites {
		b.ReportMetric(rss, "rss-B/socket")
	}
	b.ReportMetric(heap, "heap-B/socket")
	b.ReportMetric(spans, "heapspans-B/socket")
	b.ReportMetric(stack, "stack-B/socket")
	b.ReportMetric(stackUsed, "stackused-B/socket")
	b.ReportMetric(gors, "goroutines/socket")
	b.ReportMetric(slab, "kernel-B/socket")

	var sb strings.Builder
	rssNote := "the server process's VmRSS growth"
	if *idleSites {
		rssNote = "not comparable: profiling every allocation adds to it; -idle-sites=false"
	}
	fmt.Fprintf(&sb, "%d idle sockets; per socket: RSS %.0f B (%s), live heap %.0f B (heap spans %.0f B; without the measurement's own), free heap kept %.0f B, runtime metadata %.0f B, stack %.0f B in %.2f goroutines (%.0f B of it used; new stacks start at %d B), kernel slab %.0f B (half of both ends'), kernel buffers %.0f B (ss -tm over %d sockets; TCP buffer pages %+d for both ends)\n",
		n, rss, rssNote, heap, spans, idle, meta, stack, gors, stackUsed, after.stackStart, slab, sockBufs, after.sockets, after.tcpPages-before.tcpPages)
	if *idleSites {
		fmt.Fprintf(&sb, "live heap per socket by allocation site (first frame outside the runtime <- its caller):\n")
	}
	for _, st := range sites {
		if v := float64(st.bytes) / float64(n); v >= 8 || v <= -8 {
			fmt.Fprintf(&sb, "%8.0f B  %6.2f objs  %s\n", v, float64(st.objects)/float64(n), st.site)
		}
	}
	if *idleSites {
		fmt.Fprintf(&sb, "allocated per socket while joining (freed or not) by the first of our frames:\n")
		for i, st := range churnSites(before.profile, after.profile) {
			if i == 12 {
				break
			}
			fmt.Fprintf(&sb, "%8.0f B  %6.1f objs  %s\n", float64(st.bytes)/float64(n), float64(st.objects)/float64(n), st.site)
		}
	}
	fmt.Fprintf(&sb, "kernel slab per socket by cache (half the growth; other processes move these a little):\n")
	for _, st := range slabs {
		if v := float64(st.bytes) / float64(n); v >= 32 {
			fmt.Fprintf(&sb, "%8.0f B  %s\n", v, st.site)
		}
	}
	fmt.Print(sb.String()) // not b.Log: benchmark logs are cut at ten lines
}

// benchServer serves a server on a fresh SQLite file on a loopback
// listener until the benchmark ends; adjust tunes its configuration.
func benchServer(b *testing.B, adjust func(*Config)) (*Server, net.Listener, string) {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	dir := b.TempDir()
	cfg := Config{
		Config: config.Config{DatabaseURL: "sqlite://" + filepath.Join(dir, "bench.db"), DataDir: dir, PublicURL: base,
			JWTSecret: strings.Repeat("s", 32), RateLimitPerMinute: 100_000_000},
		Password: fastPasswords, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if adjust != nil {
		adjust(&cfg)
	}
	s, err := New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(ln)
	b.Cleanup(func() { s.Shutdown(context.Background()) })
	return s, ln, base
}

// idleSetup registers a user and creates a project over HTTP; the session
// is the bearer token of the sockets.
func idleSetup(b *testing.B, base string) (token, pid string) {
	b.Helper()
	body, _ := json.Marshal(map[string]string{"email": "idle@example.com", "password": "correct horse battery", "display_name": "Idle"})
	res, err := http.Post(base+"/api/v1/auth/register", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie {
			token = ck.Value
		}
	}
	if res.StatusCode != 201 || token == "" {
		b.Fatalf("register: %d", res.StatusCode)
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/projects", strings.NewReader(`{"name":"Idle"}`))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var p struct{ ID string }
	if err := json.NewDecoder(res.Body).Decode(&p); err != nil || res.StatusCode != 201 {
		b.Fatalf("create project: %d %v", res.StatusCode, err)
	}
	return token, p.ID
}

// idleClientEnv tells the re-run benchmark to be the client process:
// "addr project-id token".
const idleClientEnv = "CORKBOARD_IDLE_CLIENTS"

// idleClients reads counts on stdin, opens that many more sockets for each
// and answers "ok" on fd 3; at the end of stdin it closes them all.
func idleClients(b *testing.B, env string) {
	f := strings.Fields(env)
	if len(f) != 3 {
		b.Fatalf("%s=%q", idleClientEnv, env)
	}
	acks := os.NewFile(3, "acks")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		count, err := strconv.Atoi(in.Text())
		if err != nil {
			b.Fatal(err)
		}
		for range count {
			conns = append(conns, idleDial(b, f[0], f[1], f[2]))
		}
		fmt.Fprintln(acks, "ok")
	}
}

// idleDial upgrades one raw TCP connection and returns it unread: the
// server's frames (hello, presence) wait in its kernel receive queue.
func idleDial(b *testing.B, addr, pid, token string) net.Conn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	fmt.Fprintf(c, "GET /api/v1/projects/%s/ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n",
		pid, addr, token)
	var buf [12]byte
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(c, buf[:]); err != nil || string(buf[:]) != "HTTP/1.1 101" {
		b.Fatalf("upgrade: %q %v", buf[:], err)
	}
	c.SetReadDeadline(time.Time{})
	return c
}

type idleState struct {
	mem        runtime.MemStats
	goroutines int
	stackUsed  uint64           // bytes of stack in use by goroutines (scanned by the last GC)
	stackStart uint64           // the runtime's starting stack size for new goroutines
	slab       map[string]int64 // bytes per kernel slab cache (empty without /proc/slabinfo)
	tcpPages   int              // TCP buffer pages (/proc/net/sockstat "mem")
	sockBufs   int64            // the server's sockets' queued and reserved buffer bytes (ss -tm)
	sockets    int              // how many sockets ss listed
	rss        int64            // VmRSS of this process (the server's; the clients are the child's)
	profile    []runtime.MemProfileRecord
}

// idleSnapshot waits until the hub holds want sockets and the goroutine
// count has stopped moving (the joins' presence broadcasts are over), then
// collects and reads the memory figures.
func idleSnapshot(b *testing.B, s *Server, want int) idleState {
	b.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for s.hub.Stats().Conns < want {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d sockets joined", s.hub.Stats().Conns, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for last, same := -1, 0; same < 5; {
		if time.Now().After(deadline) {
			b.Fatal("goroutines did not settle")
		}
		time.Sleep(200 * time.Millisecond)
		if g := runtime.NumGoroutine(); g == last {
			same++
		} else {
			last, same = g, 0
		}
	}
	var st idleState
	// Two cycles: the heap profile reflects the cycle before the last.
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&st.mem)
	st.goroutines = runtime.NumGoroutine()
	ms := []rtmetrics.Sample{{Name: "/gc/scan/stack:bytes"}, {Name: "/gc/stack/starting-size:bytes"}}
	rtmetrics.Read(ms)
	st.stackUsed, st.stackStart = ms[0].Value.Uint64(), ms[1].Value.Uint64()
	st.slab, st.tcpPages = kernelMemory()
	st.rss = vmRSS()
	st.sockBufs, st.sockets = serverSocketBuffers(s.cfg.PublicURL[strings.LastIndex(s.cfg.PublicURL, ":")+1:])
	k, _ := runtime.MemProfile(nil, true)
	st.profile = make([]runtime.MemProfileRecord, k+100)
	k, _ = runtime.MemProfile(st.profile, true)
	st.profile = st.profile[:k]
	return st
}

// kernelMemory sums active_objs*objsize over /proc/slabinfo and reads the
// TCP buffer pages from /proc/net/sockstat; zeros where unreadable. The
// machine may be shared: other processes move these a little.
func kernelMemory() (slab map[string]int64, tcpPages int) {
	slab = map[string]int64{}
	if b, err := os.ReadFile("/proc/slabinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) < 4 || strings.HasPrefix(line, "#") || f[0] == "slabinfo" {
				continue
			}
			objs, _ := strconv.ParseInt(f[1], 10, 64)
			size, _ := strconv.ParseInt(f[3], 10, 64)
			slab[f[0]] += objs * size
		}
	}
	if b, err := os.ReadFile("/proc/net/sockstat"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 0 && f[0] == "TCP:" {
				for i := 1; i+1 < len(f); i++ {
					if f[i] == "mem" {
						tcpPages, _ = strconv.Atoi(f[i+1])
					}
				}
			}
		}
	}
	return slab, tcpPages
}

// serverSocketBuffers sums r, t, f and w of `ss -tm` (receive and send
// queues, forward allocation, write queue) over the established sockets on
// port: what the kernel holds for them beyond the socket structures. 0
// without ss.
func serverSocketBuffers(port string) (sum int64, sockets int) {
	out, err := exec.Command("ss", "-tmnH", "state", "established", "sport", "=", ":"+port).Output()
	if err != nil {
		return 0, 0
	}
	sockets = strings.Count(string(out), "skmem:")
	for _, field := range strings.FieldsFunc(string(out), func(r rune) bool { return r == '(' || r == ')' || r == ',' || r == ' ' || r == '\n' || r == '\t' }) {
		// r123, t0, f4096, w0; not rb, tb, bl, d, o.
		if len(field) > 1 && strings.IndexByte("rtfw", field[0]) >= 0 && field[1] >= '0' && field[1] <= '9' {
			if v, err := strconv.ParseInt(field[1:], 10, 64); err == nil {
				sum += v
			}
		}
	}
	return sum, sockets
}

// vmRSS is this process's resident memory in bytes (0 without /proc).
func vmRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

type heapSite struct {
	site           string
	bytes, objects int64
}

// heapSites is the live heap that grew between two profiles, by site:
// the first frame outside the runtime and its caller; the snapshots' own
// records are one line of their own (measureSite).
func heapSites(before, after []runtime.MemProfileRecord) []heapSite {
	return profileGrowth(before, after, siteOf, func(r *runtime.MemProfileRecord) (int64, int64) {
		return r.InUseBytes(), r.InUseObjects()
	})
}

// churnSites is what was allocated between two profiles, freed or not, by
// the first of our frames on the stack (which of our calls made the
// garbage that fragments the heap).
func churnSites(before, after []runtime.MemProfileRecord) []heapSite {
	return profileGrowth(before, after, ourFrame, func(r *runtime.MemProfileRecord) (int64, int64) {
		return r.AllocBytes, r.AllocObjects
	})
}

// profileGrowth sums value(after) - value(before) by site(stack), largest
// first.
func profileGrowth(before, after []runtime.MemProfileRecord, site func([]uintptr) string,
	value func(*runtime.MemProfileRecord) (bytes, objects int64)) []heapSite {
	agg := map[string]*heapSite{}
	for sign, recs := range map[int64][]runtime.MemProfileRecord{-1: before, 1: after} {
		for i := range recs {
			key := site(recs[i].Stack())
			h := agg[key]
			if h == nil {
				h = &heapSite{site: key}
				agg[key] = h
			}
			bytes, objects := value(&recs[i])
			h.bytes += sign * bytes
			h.objects += sign * objects
		}
	}
	var out []heapSite
	for _, h := range agg {
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b heapSite) int { return int(b.bytes - a.bytes) })
	return out
}

// ourFrame is the first frame of this module on the stack, or the first
// outside the runtime.
func ourFrame(stack []uintptr) string {
	frames := runtime.CallersFrames(stack)
	first := ""
	for {
		f, more := frames.Next()
		if strings.Contains(f.Function, "idleSnapshot") {
			return measureSite
		}
		if strings.HasPrefix(f.Function, "github.com/corkboard/corkboard/") {
			return strings.TrimPrefix(f.Function, "github.com/corkboard/corkboard/")
		}
		if first == "" && !strings.HasPrefix(f.Function, "runtime.") {
			first = f.Function
		}
		if !more {
			if first == "" {
				return "(runtime only)"
			}
			return first
		}
	}
}

func siteOf(stack []uintptr) string {
	frames := runtime.CallersFrames(stack)
	var names []string
	leaf := ""
	for {
		f, more := frames.Next()
		if strings.Contains(f.Function, "idleSnapshot") {
			return measureSite
		}
		if leaf == "" {
			leaf = f.Function
		}
		if !strings.HasPrefix(f.Function, "runtime.") && !strings.HasPrefix(f.Function, "internal/") && len(names) < 2 {
			names = append(names, strings.TrimPrefix(f.Function, "github.com/"))
		}
		if !more {
			break
		}
	}
	if len(names) == 0 {
		return leaf + " (runtime only)"
	}
	return strings.Join(names, " <- ")
}

// measureSite is the profile records of the baseline snapshot: not the
// server's.
const measureSite = "(the measurement's own profile records)"
