package wsconn

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

func TestMain(m *testing.M) {
	pollQueue = 2 // the poller's queue fills at once: TestMassDisconnect
	os.Exit(m.Run())
}

// echoServer accepts sockets on a real TCP listener with Accept and echoes
// every message back (Listen, so on Linux through the poller); a message
// "close:CODE" makes the server close with that code.
type echoServer struct {
	url   string
	ln    net.Listener
	mu    sync.Mutex
	conns []*Conn
	ended chan struct{} // one value per connection ended
	wrap  bool          // hide the *net.TCPConn: Listen reads in a goroutine (as for TLS)
}

// wrapped is a net.Conn that is not a *net.TCPConn.
type wrapped struct{ net.Conn }

func startEcho(t *testing.T, limit int) *echoServer {
	return startEchoServer(t, limit, false)
}

func startEchoServer(t *testing.T, limit int, wrap bool) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{url: "ws://" + ln.Addr().String(), ln: ln, ended: make(chan struct{}, 64), wrap: wrap}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			if wrap {
				nc = wrapped{nc}
			}
			go s.serve(nc, limit)
		}
	}()
	return s
}

func (s *echoServer) serve(nc net.Conn, limit int) {
	req, err := http.ReadRequest(bufio.NewReader(nc))
	if err != nil {
		nc.Close()
		return
	}
	c, err := Accept(nc, req, limit)
	if err != nil {
		nc.Close()
		return
	}
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
	c.Listen(func(text bool, data []byte) bool {
		if code, ok := strings.CutPrefix(string(data), "close:"); ok {
			n := 0
			for _, r := range code {
				n = n*10 + int(r-'0')
			}
			c.Close(websocket.StatusCode(n), "asked to")
			return false
		}
		if !text {
			return c.WriteFrames(time.Second, append([]byte("binary:"), data...)) == nil
		}
		return c.WriteFrames(time.Second, data) == nil
	}, func() { s.ended <- struct{}{} })
}

func (s *echoServer) waitEnded(t *testing.T) {
	t.Helper()
	select {
	case <-s.ended:
	case <-time.After(10 * time.Second):
		t.Fatal("the server's connection did not end")
	}
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadLimit(1 << 20)
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func readText(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := c.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEchoMaskedAndLarge(t *testing.T) {
	s := startEcho(t, 1<<20)
	c := dial(t, s.url)
	ctx := context.Background()
	for _, size := range []int{0, 1, 125, 126, 65535, 65536, 300000} {
		msg := strings.Repeat("x", size)
		if err := c.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		if got := readText(t, c); got != msg {
			t.Fatalf("size %d: echoed %d bytes", size, len(got))
		}
	}
	if err := c.Write(ctx, websocket.MessageBinary, []byte("b")); err != nil {
		t.Fatal(err)
	}
	if got := readText(t, c); got != "binary:b" {
		t.Fatalf("binary echoed as %q", got)
	}
}

// TestFallbackReader: a connection the poller cannot drive (TLS, or not
// Linux) reads in a goroutine with the same protocol.
func TestFallbackReader(t *testing.T) {
	s := startEchoServer(t, 1024, true)
	c := dial(t, s.url)
	ctx := context.Background()
	if err := c.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if got := readText(t, c); got != "hello" {
		t.Fatalf("echoed %q", got)
	}
	s.mu.Lock()
	if s.conns[0].rc != nil {
		t.Fatal("the wrapped connection is pollable")
	}
	s.mu.Unlock()
	if err := c.Write(ctx, websocket.MessageText, []byte("close:4003")); err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, c); code != 4003 {
		t.Fatalf("close code %d", code)
	}
	s.waitEnded(t)
	c2 := dial(t, s.url)
	go c2.Write(ctx, websocket.MessageText, make([]byte, 2000))
	if code := closeCode(t, c2); code != websocket.StatusMessageTooBig {
		t.Fatalf("oversize: close code %d", code)
	}
}

func TestFragmentedMessage(t *testing.T) {
	s := startEcho(t, 1<<20)
	c := dial(t, s.url)
	w, err := c.Writer(context.Background(), websocket.MessageText)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"frag", "men", "ted"} {
		if _, err := w.Write([]byte(part)); err != nil { // each Write is one frame
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readText(t, c); got != "fragmented" {
		t.Fatalf("got %q", got)
	}
}

func TestPingAnsweredAndServerPing(t *testing.T) {
	s := startEcho(t, 1024)
	c := dial(t, s.url)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go c.Read(ctx) // coder's client handles pongs inside Read
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("client ping: %v", err)
	}
	s.mu.Lock()
	sc := s.conns[0]
	s.mu.Unlock()
	if err := sc.Ping(ctx); err != nil {
		t.Fatalf("server ping: %v", err)
	}
}

func TestServerPingTimesOut(t *testing.T) {
	s := startEcho(t, 1024)
	c := dial(t, s.url) // never reads: its pong never comes
	_ = c
	s.mu.Lock()
	sc := s.conns[0]
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := sc.Ping(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ping without pong: %v", err)
	}
	s.waitEnded(t)
}

func closeCode(t *testing.T, c *websocket.Conn) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err != nil {
			return websocket.CloseStatus(err)
		}
	}
}

func TestOversizeCloses1009(t *testing.T) {
	s := startEcho(t, 1024)
	c := dial(t, s.url)
	go c.Write(context.Background(), websocket.MessageText, make([]byte, 2000))
	if code := closeCode(t, c); code != websocket.StatusMessageTooBig {
		t.Fatalf("close code %d", code)
	}
	s.waitEnded(t)
}

func TestOversizeFragmentedCloses1009(t *testing.T) {
	s := startEcho(t, 1024)
	nc, br := rawConn(t, s)
	part := make([]byte, 500)
	nc.Write(append(append(clientFrame(0x01, part, true), clientFrame(0x00, part, true)...), clientFrame(0x80, part, true)...))
	expectClose(t, br, websocket.StatusMessageTooBig)
}

func TestServerCloseHandshake(t *testing.T) {
	s := startEcho(t, 1024)
	c := dial(t, s.url)
	if err := c.Write(context.Background(), websocket.MessageText, []byte("close:4001")); err != nil {
		t.Fatal(err)
	}
	if code := closeCode(t, c); code != 4001 {
		t.Fatalf("close code %d", code)
	}
	s.waitEnded(t) // the client's answer ends it before closeWait
}

func TestClientCloseEchoed(t *testing.T) {
	s := startEcho(t, 1024)
	c := dial(t, s.url)
	// coder's Close waits for the server's close frame and fails without it.
	if err := c.Close(websocket.StatusGoingAway, "bye"); err != nil {
		t.Fatalf("close handshake: %v", err)
	}
	s.waitEnded(t)
}

// rawConn dials and upgrades by hand, to send frames no client library
// would.
func rawConn(t *testing.T, s *echoServer) (net.Conn, *bufio.Reader) {
	t.Helper()
	nc, err := net.Dial("tcp", strings.TrimPrefix(s.url, "ws://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 || resp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Fatalf("handshake: %d %v", resp.StatusCode, resp.Header)
	}
	return nc, br
}

// clientFrame is a masked frame with the given first byte.
func clientFrame(b0 byte, payload []byte, masked bool) []byte {
	var mask [4]byte
	rand.Read(mask[:])
	b1 := byte(0)
	if masked {
		b1 = 0x80
	}
	f := []byte{b0}
	switch {
	case len(payload) <= 125:
		f = append(f, b1|byte(len(payload)))
	default:
		f = append(f, b1|126)
		f = binary.BigEndian.AppendUint16(f, uint16(len(payload)))
	}
	if !masked {
		return append(f, payload...)
	}
	f = append(f, mask[:]...)
	for i, b := range payload {
		f = append(f, b^mask[i&3])
	}
	return f
}

// serverFrame reads one server frame: opcode and payload.
func serverFrame(t *testing.T, br *bufio.Reader) (byte, []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatal(err)
	}
	if h[1]&0x80 != 0 {
		t.Fatal("server frame masked")
	}
	n := int(h[1] & 0x7f)
	if n == 126 {
		var l [2]byte
		io.ReadFull(br, l[:])
		n = int(binary.BigEndian.Uint16(l[:]))
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(br, p); err != nil {
		t.Fatal(err)
	}
	return h[0] & 0x0f, p
}

func expectClose(t *testing.T, br *bufio.Reader, want websocket.StatusCode) {
	t.Helper()
	op, p := serverFrame(t, br)
	if op != opClose || len(p) < 2 || websocket.StatusCode(binary.BigEndian.Uint16(p)) != want {
		t.Fatalf("want close %d, got opcode %d payload %q", want, op, p)
	}
}

func TestProtocolErrorsClose1002(t *testing.T) {
	cases := map[string][]byte{
		"bad opcode":          clientFrame(0x83, []byte("x"), true),
		"unmasked":            clientFrame(0x81, []byte("x"), false),
		"reserved bit":        clientFrame(0xc1, []byte("x"), true),
		"fragmented ping":     clientFrame(0x09, nil, true),
		"stray continuation":  clientFrame(0x80, []byte("x"), true),
		"interleaved message": append(clientFrame(0x01, []byte("a"), true), clientFrame(0x81, []byte("b"), true)...),
	}
	s := startEcho(t, 1024)
	for name, frames := range cases {
		t.Run(name, func(t *testing.T) {
			nc, br := rawConn(t, s)
			nc.Write(frames)
			expectClose(t, br, websocket.StatusProtocolError)
			// The server discards what follows a protocol error until the
			// client hangs up, then hangs up too.
			nc.(*net.TCPConn).CloseWrite()
			if _, err := br.ReadByte(); err != io.EOF {
				t.Fatalf("after the close: %v", err)
			}
		})
	}
}

func TestRawPingPongAndSplitFrames(t *testing.T) {
	s := startEcho(t, 1024)
	nc, br := rawConn(t, s)
	nc.Write(clientFrame(0x89, []byte("hi"), true))
	if op, p := serverFrame(t, br); op != opPong || string(p) != "hi" {
		t.Fatalf("got opcode %d %q, want pong hi", op, p)
	}
	// A frame sent a byte at a time is read whole (the poller keeps the
	// partial frame between reads).
	f := clientFrame(0x81, []byte(strings.Repeat("y", 300)), true)
	for i := range f {
		if _, err := nc.Write(f[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if op, p := serverFrame(t, br); op != opText || len(p) != 300 {
		t.Fatalf("got opcode %d, %d bytes", op, len(p))
	}
	nc.Write(clientFrame(0x88, nil, true)) // close without a code
	op, p := serverFrame(t, br)
	if op != opClose || len(p) != 0 {
		t.Fatalf("close echo: opcode %d %q", op, p)
	}
}

func TestHandshakeRefusals(t *testing.T) {
	s := startEcho(t, 1024)
	for name, tc := range map[string]struct {
		req  string
		want int
	}{
		"no upgrade": {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 426},
		"version 8":  {"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 400},
		"short key":  {"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: abcd\r\n\r\n", 400},
		"not a GET":  {"POST / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 0\r\n\r\n", 405},
	} {
		t.Run(name, func(t *testing.T) {
			nc, err := net.Dial("tcp", strings.TrimPrefix(s.url, "ws://"))
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			io.WriteString(nc, tc.req)
			resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.want || !resp.Close {
				t.Fatalf("status %d close %v, want %d and close", resp.StatusCode, resp.Close, tc.want)
			}
		})
	}
}

// FuzzConsume: whatever the client sends, the reader never panics, never
// hands over a message over the limit, and reads the same messages
// whether the bytes come at once or split anywhere.
func FuzzConsume(f *testing.F) {
	f.Add(clientFrame(0x81, []byte("hello"), true), 3)
	f.Add(append(clientFrame(0x01, []byte(strings.Repeat("a", 200)), true), clientFrame(0x80, []byte("b"), true)...), 100)
	f.Add(append(clientFrame(0x89, []byte("p"), true), clientFrame(0x81, []byte("x"), true)...), 7)
	f.Add([]byte{0x82, 0xff, 0, 0, 0, 0, 0, 0, 0, 9}, 1)
	f.Fuzz(func(t *testing.T, b []byte, split int) {
		read := func(chunks ...[]byte) []string {
			a, peer := net.Pipe()
			defer peer.Close()
			go io.Copy(io.Discard, peer)
			c := newConn(a, 256)
			var got []string
			c.onMsg = func(text bool, data []byte) bool {
				if len(data) > 256 {
					t.Fatalf("message of %d bytes", len(data))
				}
				got = append(got, string(data))
				return true
			}
			for _, ch := range chunks {
				if c.consume(append([]byte(nil), ch...)) != nil {
					break
				}
			}
			c.CloseNow()
			return got
		}
		whole := read(b)
		split = max(0, min(split, len(b)))
		if parts := read(b[:split], b[split:]); strings.Join(parts, "\x00") != strings.Join(whole, "\x00") {
			t.Fatalf("split at %d: %q, whole: %q", split, parts, whole)
		}
	})
}

// TestPingFloodDoesNotStallOthers: clients that ping without ever reading
// fill their sockets with pongs; the poller's workers must not wait on
// those writes, or every other socket's reads stall with them.
func TestPingFloodDoesNotStallOthers(t *testing.T) {
	s := startEcho(t, 1024)
	ping := clientFrame(0x89, make([]byte, 125), true)
	flood := bytes.Repeat(ping, 50000)
	var wg sync.WaitGroup
	for range 6 {
		nc, _ := rawConn(t, s)
		nc.SetDeadline(time.Time{})
		wg.Go(func() { nc.Write(flood) }) // ends when the test closes nc
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	// Echo round trips until the server has read every flood (it reads on
	// while pongs it cannot send are dropped); each must come back in time.
	c := dial(t, s.url)
	deadline := time.Now().Add(30 * time.Second)
	for i := 0; ; i++ {
		select {
		case <-done:
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the floods were not read")
		}
		msg := fmt.Sprint("still here ", i)
		if err := c.Write(context.Background(), websocket.MessageText, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		if got := readText(t, c); got != msg {
			t.Fatalf("echoed %q", got)
		}
	}
}

// TestMassDisconnect: many clients hanging up at once (a deploy, the end of
// a benchmark) fill the poller's queue while its workers close sockets;
// every connection must still end.
func TestMassDisconnect(t *testing.T) {
	s := startEcho(t, 1024)
	const n = 100
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i], _ = rawConn(t, s)
	}
	for i := range conns {
		if _, err := conns[i].Write(clientFrame(0x81, []byte("x"), true)); err != nil {
			t.Fatal(err)
		}
	}
	for _, nc := range conns {
		nc.Close()
	}
	for range n {
		s.waitEnded(t)
	}
}
