package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/corkboard/corkboard/models"
	"github.com/corkboard/corkboard/realtime"
	"github.com/corkboard/corkboard/realtime/wsconn"
	"github.com/gofiber/fiber/v2"
)

// The live board socket, GET /api/v1/projects/{pid}/ws?since=SEQ, served on
// Fiber's port by hijacking the connection (DESIGN.md, "Serving WebSockets
// on Fiber's port"): everything is checked and copied out of fiber.Ctx
// first, because the Ctx is recycled once the handler returns.

// eventLog is the hub's view of the store's event log.
type eventLog struct{ store *models.Store }

var _ realtime.Log = eventLog{}

func (l eventLog) Since(ctx context.Context, projectID string, after int64, limit int) ([]realtime.Message, int64, error) {
	page, err := l.store.Log(ctx, projectID, after, limit)
	if errors.Is(err, models.ErrPruned) {
		return nil, page.Seq, realtime.ErrPruned
	}
	if err != nil {
		return nil, 0, err
	}
	msgs := make([]realtime.Message, len(page.Items))
	for i, ev := range page.Items {
		b, err := encodeEvent(ev)
		if err != nil {
			return nil, 0, err
		}
		msgs[i] = realtime.Message{Seq: ev.Seq, Type: ev.Type, Data: b}
	}
	return msgs, page.Seq, nil
}

func (s *Server) newHub() *realtime.Hub {
	// The caps and the heartbeat are the config's (set by WithDefaults, so
	// realtime's own defaults never apply here) unless a test set the hub's.
	opt := s.cfg.Hub
	opt.Logger = s.log
	if opt.MaxConns == 0 {
		opt.MaxConns = s.cfg.WSMaxConns
	}
	if opt.MaxConnsPerUser == 0 {
		opt.MaxConnsPerUser = s.cfg.WSMaxConnsPerUser
	}
	// A session ended on another instance must stop working here at once,
	// not when this instance's session cache expires.
	opt.OnSessionsEnded = func([]string) { s.store.ForgetSessions() }
	if opt.PresenceHeartbeat == 0 {
		opt.PresenceHeartbeat = s.cfg.PresenceHeartbeat
	}
	newBroker := s.cfg.NewBroker
	if newBroker == nil {
		newBroker = s.defaultBroker()
	}
	return realtime.NewHub(eventLog{s.store}, newBroker, opt)
}

// apiWebSocket authenticates, checks the Origin and membership, reserves a
// connection slot, then upgrades.
func (s *Server) apiWebSocket(c *fiber.Ctx) error {
	user, _ := currentUser(c)
	pid := c.Params("pid")
	if origin := c.Get(fiber.HeaderOrigin); origin != "" && !s.sameOrigin(c, origin) {
		return &problemError{problem{Type: "urn:corkboard:problem:origin", Title: "Origin not allowed", Status: 403,
			Detail: "WebSockets are accepted from " + s.cfg.PublicURL + " or this host only."}}
	}
	if origin := c.Get(fiber.HeaderOrigin); origin == "" && !viaBearer(c) {
		// A browser always sends Origin with a WebSocket; a cookie without
		// one is not a browser we can vouch for.
		return &problemError{problem{Type: "urn:corkboard:problem:origin", Title: "Origin required", Status: 403,
			Detail: "Cookie-authenticated WebSockets need an Origin header; scripts use a bearer token."}}
	}
	since, err := querySince(c)
	if err != nil {
		return err
	}
	if _, err := s.store.Role(c.UserContext(), user.ID, pid); err != nil {
		return err
	}
	if !strings.EqualFold(c.Get(fiber.HeaderUpgrade), "websocket") {
		return &problemError{problem{Type: "about:blank", Title: "Upgrade Required", Status: fiber.StatusUpgradeRequired,
			Detail: "This endpoint speaks WebSocket."}}
	}
	release, err := s.hub.Admit(user.ID)
	if err == nil {
		release, err = s.shareConnCap(c.UserContext(), user.ID, release)
	}
	if errors.Is(err, realtime.ErrTooManyConnections) {
		c.Set(fiber.HeaderRetryAfter, "10")
		return &problemError{problem{Type: "urn:corkboard:problem:too-many-connections", Title: "Too many connections",
			Status: fiber.StatusTooManyRequests, Detail: "Close some boards, or try again later."}}
	}
	if err != nil {
		c.Set(fiber.HeaderRetryAfter, "1")
		return &problemError{problem{Type: "about:blank", Title: "Service Unavailable", Status: 503,
			Detail: "This server is restarting; reconnect."}}
	}
	req := ownedUpgradeRequest(c)
	invisible := user.Invisible
	info := realtime.ClientInfo{ProjectID: pid, UserID: user.ID, UserName: user.DisplayName, SessionID: credentialID(c),
		Since: since, Invisible: invisible,
		Authorize: func(ctx context.Context) error {
			_, err := s.store.Role(ctx, user.ID, pid)
			return err
		}}
	c.Context().HijackSetNoResponse(true)
	c.Context().Hijack(func(hc net.Conn) {
		// fasthttp keeps hijacked connections open (KeepHijackedConns) and
		// frees its buffers and this request when the callback returns; the
		// socket lives on over the raw connection (wsconn).
		nc := hc
		if u, ok := hc.(interface{ UnsafeConn() net.Conn }); ok {
			nc = u.UnsafeConn()
		}
		defer func() {
			if e := recover(); e != nil {
				s.log.Error("panic in websocket upgrade", "panic", fmt.Sprint(e))
				nc.Close()
				release()
			}
		}()
		// Origin checked above.
		conn, err := wsconn.Accept(nc, req, realtime.ReadLimit)
		if err != nil {
			nc.Close()
			release()
			return
		}
		go func() {
			defer func() {
				if e := recover(); e != nil {
					s.log.Error("panic in websocket", "panic", fmt.Sprint(e))
					conn.CloseNow()
					release() // once: a no-op if the hub already did
				}
			}()
			// Returns once the client has its replay; the socket then lives
			// on in the poller (wsconn), and release runs when it ends.
			s.hub.ServeListener(context.Background(), conn, info, release)
		}()
	})
	return nil
}

// ownedUpgradeRequest copies what wsconn.Accept reads into a request
// that does not alias fasthttp's buffers.
func ownedUpgradeRequest(c *fiber.Ctx) *http.Request {
	h := http.Header{}
	for _, k := range []string{"Connection", "Upgrade", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
		"Sec-WebSocket-Protocol", "Origin"} {
		if v := c.Get(k); v != "" {
			h.Set(k, strings.Clone(v))
		}
	}
	return &http.Request{Method: http.MethodGet, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: h, Host: strings.Clone(c.Hostname()), RequestURI: strings.Clone(c.OriginalURL())}
}
