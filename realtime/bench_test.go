package realtime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// benchLog is an in-memory event log: the hub reads the head from it and
// would fill gaps from it (there are none in the benchmark).
type benchLog struct {
	mu   sync.Mutex
	msgs []Message // msgs[i].Seq == i+1
}

func (l *benchLog) Since(_ context.Context, _ string, after int64, limit int) ([]Message, int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	head := int64(len(l.msgs))
	if after >= head {
		return nil, head, nil
	}
	end := min(head, after+int64(limit))
	return append([]Message(nil), l.msgs[after:end]...), head, nil
}

func (l *benchLog) append(frame func(seq int64) []byte) Message {
	l.mu.Lock()
	defer l.mu.Unlock()
	seq := int64(len(l.msgs)) + 1
	m := Message{Seq: seq, Type: "issue.moved", Data: frame(seq)}
	l.msgs = append(l.msgs, m)
	return m
}

// benchIssueFrame is an issue.moved frame of the size the app sends (~700 B).
func benchIssueFrame(seq int64) []byte {
	return fmt.Appendf(nil, `{"type":"issue.moved","project_id":"7d0e9a52-3c1b-4f7e-8a4d-2b9c6e1f0a37","seq":%d,`+
		`"actor":{"id":"4b8f2c1e-9d3a-4e6b-a7f0-1c2d3e4f5a6b","name":"Bench"},"at":"2026-11-23T10:00:00.123456789Z",`+
		`"data":{"id":"0b7c1a2e-5f0e-4b61-9a7e-3f7f2d1c9e11","project_id":"7d0e9a52-3c1b-4f7e-8a4d-2b9c6e1f0a37",`+
		`"number":42,"key":"BEN-42","title":"Issue 42 with a title of ordinary length",`+
		`"description":"Some **markdown** text describing the work.","status":"in_progress","priority":"medium",`+
		`"assignee_id":null,"author_id":"4b8f2c1e-9d3a-4e6b-a7f0-1c2d3e4f5a6b","labels":["bench"],"effort":null,`+
		`"due_date":null,"rank":"a0V","version":%d,"created_at":"2026-11-23T09:00:00Z","updated_at":"2026-11-23T10:00:00Z"}}`,
		seq, seq+1)
}

// BenchmarkFanOut publishes one event at a time through the hub to N real
// WebSocket clients (loopback TCP, one reader goroutine each) and waits
// until all N have read it: ns/op and ns/event-to-all are the time from
// Publish to the last client's read, ns/frame that divided by N. Server
// and clients share the machine, as in `make bench-ws`.
func BenchmarkFanOut(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) { benchFanOut(b, n) })
	}
}

func benchFanOut(b *testing.B, n int) {
	const pid = "7d0e9a52-3c1b-4f7e-8a4d-2b9c6e1f0a37"
	log := &benchLog{}
	hub := NewHub(log, func(h Handler) Broker { return NewMemoryBroker(h) },
		Options{MaxConns: n + 10, MaxConnsPerUser: n + 10})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		release, err := hub.Admit("u1")
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		defer release()
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		hub.Serve(context.Background(), WebSocket(conn), ClientInfo{ProjectID: pid, UserID: "u1", UserName: "Bench"})
	}))
	defer srv.Close()

	var remaining atomic.Int64
	done := make(chan struct{}, 1)
	var readers sync.WaitGroup
	conns := make([]*websocket.Conn, n)
	defer func() { // before srv.Close, which waits for the handlers
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hub.Shutdown(ctx); err != nil {
			b.Error(err)
		}
		for _, c := range conns {
			if c != nil {
				c.CloseNow()
			}
		}
		readers.Wait()
	}()
	url := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws"
	for i := range conns {
		conn, _, err := websocket.Dial(context.Background(), url, nil)
		if err != nil {
			b.Fatal(err)
		}
		conns[i] = conn
		readers.Add(1)
		go func() {
			defer readers.Done()
			buf := make([]byte, 0, 2048)
			for {
				_, r, err := conn.Reader(context.Background())
				if err != nil {
					return
				}
				buf = buf[:0]
				for err == nil {
					var k int
					if len(buf) == cap(buf) {
						buf = append(buf, 0)[:len(buf)]
					}
					k, err = r.Read(buf[len(buf):cap(buf)])
					buf = buf[:len(buf)+k]
				}
				if err != io.EOF {
					return
				}
				if bytes.HasPrefix(buf, []byte(`{"type":"issue.`)) && remaining.Add(-1) == 0 {
					done <- struct{}{}
				}
			}
		}()
	}
	// Every client has joined when the presence updates of the joins are over.
	for hub.Stats().Conns < n {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		remaining.Store(int64(n))
		m := log.append(benchIssueFrame)
		if err := hub.Broker().Publish(context.Background(), pid, m.Data); err != nil {
			b.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			b.Fatalf("event %d: %d of %d clients did not receive it", m.Seq, remaining.Load(), n)
		}
	}
	b.StopTimer()
	perEvent := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(perEvent, "ns/event-to-all")
	b.ReportMetric(perEvent/float64(n), "ns/frame")
	if s := hub.Stats(); s.SlowClosed > 0 {
		b.Fatalf("%d clients closed as too slow", s.SlowClosed)
	}
}
