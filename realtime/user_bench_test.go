package realtime

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// benchNotificationFrame is a notification frame of the size the app
// sends (~500 B).
var benchNotificationFrame = []byte(`{"type":"notification","data":{"id":"0190f1b2-7c3d-7a4e-8b5f-6c7d8e9f0a1c",` +
	`"kind":"mention","project":{"id":"7d0e9a52-3c1b-4f7e-8a4d-2b9c6e1f0a37","key":"BEN","name":"Bench"},` +
	`"issue":{"id":"0b7c1a2e-5f0e-4b61-9a7e-3f7f2d1c9e11","key":"BEN-42","title":"Issue 42 with a title of ordinary length"},` +
	`"actor":{"id":"4b8f2c1e-9d3a-4e6b-a7f0-1c2d3e4f5a6b","name":"Bench"},"comment_id":"0190f1b2-7c3d-7a4e-8b5f-6c7d8e9f0a1b",` +
	`"at":"2026-11-23T10:00:00.123456789Z","read_at":null}}`)

// BenchmarkNotifyUser sends one notification at a time to a user with 3
// sockets among `others` sockets of other users (all real WebSockets on
// loopback) and waits until all 3 have read it. ns/op is NotifyUser to
// the last of the 3 reads; ns/hub-call is the time inside NotifyUser
// (the hub's part: the lock, copying the user's set, 3 enqueues), the
// cost the fan-out path pays per notification.
func BenchmarkNotifyUser(b *testing.B) {
	for _, others := range []int{100, 1000} {
		b.Run(fmt.Sprintf("others=%d", others), func(b *testing.B) { benchNotifyUser(b, others) })
	}
}

func benchNotifyUser(b *testing.B, others int) {
	const pid = "7d0e9a52-3c1b-4f7e-8a4d-2b9c6e1f0a37"
	const mine = 3
	hub := NewHub(&benchLog{}, func(h Handler) Broker { return NewMemoryBroker(h) },
		Options{MaxConns: others + mine + 10, MaxConnsPerUser: 10})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user := r.URL.Query().Get("u")
		release, err := hub.Admit(user)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		defer release()
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		hub.Serve(context.Background(), WebSocket(conn), ClientInfo{ProjectID: pid, UserID: user, UserName: user, Invisible: true})
	}))
	defer srv.Close()

	var remaining atomic.Int64
	done := make(chan struct{}, 1)
	var readers sync.WaitGroup
	var conns []*websocket.Conn
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := hub.Shutdown(ctx); err != nil {
			b.Error(err)
		}
		for _, c := range conns {
			c.CloseNow()
		}
		readers.Wait()
	}()
	base := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws?u="
	for i := range others + mine {
		user := fmt.Sprintf("other%d", i)
		if i >= others {
			user = "target"
		}
		conn, _, err := websocket.Dial(context.Background(), base+user, nil)
		if err != nil {
			b.Fatal(err)
		}
		conn.SetReadLimit(1 << 20)
		conns = append(conns, conn)
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				_, msg, err := conn.Read(context.Background())
				if err != nil {
					return
				}
				if bytes.HasPrefix(msg, []byte(`{"type":"notification"`)) && remaining.Add(-1) == 0 {
					done <- struct{}{}
				}
			}
		}()
	}
	for hub.Stats().Conns < others+mine {
		time.Sleep(time.Millisecond) // polling a count nothing signals
	}
	var inHub time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		remaining.Store(mine)
		t0 := time.Now()
		hub.NotifyUser(context.Background(), "target", benchNotificationFrame)
		inHub += time.Since(t0)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			b.Fatalf("notification %d: %d of %d sockets did not receive it", i, remaining.Load(), mine)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(inHub.Nanoseconds())/float64(b.N), "ns/hub-call")
}
