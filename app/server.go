// Package app is Corkboard's web application: routes, handlers, middleware,
// authentication and the mapping of errors to responses.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/app/notify"
	"github.com/corkboard/corkboard/app/oidc"
	"github.com/corkboard/corkboard/app/planning"
	"github.com/corkboard/corkboard/app/planning/cyclereport"
	"github.com/corkboard/corkboard/app/transfer"
	"github.com/corkboard/corkboard/app/webhooks"
	"github.com/corkboard/corkboard/kv"
	"github.com/corkboard/corkboard/models"
	"github.com/corkboard/corkboard/realtime"
	"github.com/corkboard/corkboard/static"
	"github.com/corkboard/corkboard/ui"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/template/html/v2"
	"github.com/valyala/fasthttp"
)

// Server is one Corkboard instance. Several fit in one process (tests run
// three): there is no package-level state.
type Server struct {
	cfg       Config
	log       *slog.Logger
	store     *models.Store
	app       *fiber.App
	jwtKey    []byte
	hub       *realtime.Hub
	views     *html.Engine
	stop      chan struct{} // closed by Shutdown: ends background loops
	loops     sync.WaitGroup
	stopOnce  sync.Once
	limiter   *rateLimiter      // RATE_LIMIT_PER_MINUTE per caller: /api/v1 and the account forms
	metrics   *metrics          // this instance's Prometheus registry; the hub's Observer
	kv        kv.Store          // counters shared by instances: s.redis, or memory with one instance
	redis     *kv.Redis         // REDIS_URL's store (nil: one instance): the broker and connection caps use it too
	accounts  *accounts.Service // the account rules (sign-in, 2FA, resets, tokens, mail)
	passwords *accounts.Hasher  // argon2id, Config.Password, a bounded number at once
	mailer    accounts.Mailer   // SMTP_URL (or the log): account mail and notification mail
	mailOff   notify.OffToken   // signs the one-click link that turns notification mail off
	leaseMu   sync.Mutex
	leases    map[*connLease]struct{} // this instance's sockets' holds on per-user caps (cluster.go)
	tokens    verifiedTokens          // session JWTs already verified (token_cache.go)
	reports   cyclereport.Service     // cycle reports, with the logs they read kept (api_cycles.go)
	oidc      *oidc.Service           // sign-in with an OpenID provider (web_oidc.go); nil: OIDC_ISSUER unset

	importer     *transfer.Importer // runs uploaded imports (api_transfer.go)
	importSlots  chan struct{}      // imports running on this instance
	importRuns   sync.WaitGroup     // their goroutines, which Shutdown waits for
	importCtx    context.Context    // cancelled by Shutdown: a running import fails and deletes its project
	importCancel context.CancelFunc

	notifyRuns atomic.Int64        // notification job runs this instance completed (tests wait on them)
	webhooks   *webhooks.Deliverer // outgoing webhooks (webhooks.go)
}

// New opens the database, applies migrations and builds the routes.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = defaultSessionTTL
	}
	if cfg.Password.Memory == 0 {
		cfg.Password = accounts.DefaultPasswordParams()
	}
	cfg.Config = cfg.Config.WithDefaults() // limits, timings, the Redis prefix, the pool
	s := &Server{cfg: cfg, log: cfg.Logger, stop: make(chan struct{})}
	s.limiter = newRateLimiter(cfg.RateLimitPerMinute, s.now) // Config.Now: tests move it
	mailer, err := accounts.NewMailer(cfg.SMTPURL, cfg.MailFrom, cfg.PublicURL, s.log)
	if err != nil {
		return nil, err
	}
	s.mailer = mailer
	publicURL, err := url.Parse(cfg.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("PUBLIC_URL: %w", err)
	}
	warnIfDataDirShared(cfg.DataDir, s.log)
	secret := cfg.JWTSecret
	if secret == "" {
		if secret, err = loadOrCreateSecret(cfg.DataDir, "jwt_secret", s.log); err != nil {
			return nil, fmt.Errorf("JWT secret: %w", err)
		}
	}
	s.jwtKey = []byte(secret)
	s.mailOff = notify.OffToken{Key: s.jwtKey}
	totpKey := cfg.TOTPKey
	if totpKey == "" {
		if totpKey, err = loadOrCreateSecret(cfg.DataDir, "totp_key", s.log); err != nil {
			return nil, fmt.Errorf("TOTP key: %w", err)
		}
	}
	s.store, err = models.Open(ctx, cfg.DatabaseURL, models.Options{MaxOpenConns: cfg.DBMaxConns,
		MaxIdleConns: cfg.DBMaxIdleConns, ConnMaxLifetime: cfg.DBConnMaxLifetime, Logger: s.log,
		Planning: planning.Rules{Now: s.now}, // cycle states on the server's clock (Config.Now)
		Now:      s.now,                      // and the log's times too: reports read them
		Notify:   notify.Rules{}, OnNotify: s.notified})
	if err != nil {
		return nil, err
	}
	s.reports = cyclereport.Service{Store: s.store, Now: s.now, History: cyclereport.NewHistory(0), Logger: s.log}
	if err := s.store.Migrate(ctx); err != nil {
		s.store.Close()
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if s.app, err = s.newFiber(); err != nil {
		s.store.Close()
		return nil, err
	}
	// Decided once, here: shared state on Redis means several instances,
	// so the hub's broker and the per-user socket cap go through Redis.
	if s.kv, s.redis, err = s.openKV(ctx); err != nil {
		s.store.Close()
		return nil, err
	}
	s.metrics = newMetrics()
	s.passwords = accounts.NewHasher(cfg.Password)
	s.accounts, err = accounts.New(accounts.Deps{Store: s.store, KV: s.kv, Mailer: mailer, Now: s.now, Log: s.log,
		Hasher: s.passwords, Throttle: cfg.Throttle, TOTPKey: totpKey, JWTKey: s.jwtKey, PublicURL: publicURL,
		Meter: s.metrics})
	if err != nil {
		s.kv.Close()
		s.store.Close()
		return nil, err
	}
	s.oidc = s.newOIDC(ctx)
	if s.cfg.Hub.Observer == nil {
		s.cfg.Hub.Observer = s.metrics
	}
	s.hub = s.newHub()
	s.metrics.watch(s)
	if s.cfg.RollOverInterval <= 0 {
		s.cfg.RollOverInterval = defaultRollOverInterval
	}
	if s.cfg.TrashPurgeInterval <= 0 {
		s.cfg.TrashPurgeInterval = defaultTrashPurgeInterval
	}
	if s.cfg.BoardWindow <= 0 {
		s.cfg.BoardWindow = defaultBoardWindow
	}
	if s.cfg.NotifyInterval <= 0 {
		s.cfg.NotifyInterval = defaultNotifyInterval
	}
	if s.cfg.MailBatchWait <= 0 {
		s.cfg.MailBatchWait = defaultMailBatchWait
	}
	s.importer = s.newImporter()
	s.importSlots = make(chan struct{}, importsPerInstance)
	s.importCtx, s.importCancel = context.WithCancel(context.Background())
	s.failInterruptedImports(ctx, true)
	s.webhooks = s.newDeliverer(mailer, publicURL.String())
	s.loops.Add(7)
	go s.importSweepLoop()
	go s.pruneLoop()
	go s.leaseLoop()
	go s.rollOverLoop()
	go s.trashPurgeLoop()
	go s.notifyLoop()
	go s.webhookLoop()
	return s, nil
}

func (s *Server) newFiber() (*fiber.App, error) {
	engine := html.NewFileSystem(http.FS(ui.FS), ".html")
	engine.AddFuncMap(templateFuncs(newMarkdown()))
	if err := engine.Load(); err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	s.views = engine
	app := fiber.New(fiber.Config{
		AppName:               "corkboard",
		Views:                 engine,
		ErrorHandler:          s.errorHandler,
		Immutable:             true, // values from Ctx outlive the handler (hub, logs)
		ReadBufferSize:        16 * 1024,
		BodyLimit:             maxReadBytes, // beyond this fasthttp answers 413 and closes
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
		// Behind a load balancer (TRUSTED_PROXIES), c.IP() is the client's
		// address from X-Forwarded-For, believed only from those proxies.
		EnableTrustedProxyCheck: len(s.cfg.TrustedProxies) > 0,
		TrustedProxies:          s.cfg.TrustedProxies,
		ProxyHeader:             proxyHeader(s.cfg.TrustedProxies),
		EnableIPValidation:      true,

		// Multipart bodies are parsed when a handler reads a form value, after
		// limitBody, not by fasthttp while reading the request (up to 8 MiB,
		// with its parser's error as the page title).
		DisablePreParseMultipartForm: true,
	})
	// The upload routes alone may send a file of up to 50 MB (read into a
	// buffer bounded by that); every other route keeps maxReadBytes.
	app.Server().HeaderReceived = func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		path, _, _ := strings.Cut(string(h.RequestURI()), "?")
		if isImportUpload(string(h.Method()), path) {
			return fasthttp.RequestConfig{MaxRequestBodySize: maxImportBodyBytes, ReadTimeout: 5 * time.Minute}
		}
		return fasthttp.RequestConfig{}
	}
	// Hijacked (WebSocket) connections outlive the hijack callback, so
	// fasthttp's read buffer and request are freed as soon as it returns.
	app.Server().KeepHijackedConns = true
	app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		s.log.Error("panic", "request_id", requestID(c), "panic", fmt.Sprint(e))
	}}))
	// limitBody before anything reads a body: it settles Content-Encoding
	// (gzip decoded under the limit, anything else 415) for every route.
	app.Use(s.requestContext, s.securityHeaders, limitBody, s.authenticate, s.crossSiteGuard)
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(static.FS), MaxAge: 3600}))
	s.routes(app)
	app.Use(func(c *fiber.Ctx) error { return models.ErrNotFound })
	return app, nil
}

// proxyHeader is the header that names the client when proxies are trusted.
func proxyHeader(trusted []string) string {
	if len(trusted) == 0 {
		return ""
	}
	return fiber.HeaderXForwardedFor
}

// Fiber exposes the Fiber app (tests use its Test method).
func (s *Server) Fiber() *fiber.App { return s.app }

// Store exposes the store (the CLI's user command and tests use it).
func (s *Server) Store() *models.Store { return s.store }

// Serve answers requests on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting, waits for requests in flight up to ctx's
// deadline, and closes the database.
func (s *Server) Shutdown(ctx context.Context) error {
	// Sockets first: Fiber's shutdown does not see hijacked connections.
	// They close with 1012 and reconnect, perhaps to another instance.
	herr := s.hub.Shutdown(ctx)
	err := s.app.ShutdownWithContext(ctx)
	s.stopOnce.Do(func() { close(s.stop) })
	s.importCancel()
	s.importRuns.Wait()
	s.loops.Wait()
	s.accounts.Wait()
	if err == nil {
		err = herr
	}
	s.kv.Close()
	if cerr := s.store.Close(); err == nil {
		err = cerr
	}
	return err
}

// Run listens on BindAddr and serves until ctx is cancelled.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.BindAddr)
	if err != nil {
		return err
	}
	s.log.Info("corkboard listening", "addr", ln.Addr().String(), "url", s.cfg.PublicURL, "db", s.store.Dialect())
	stopMetrics, err := s.startMetrics()
	if err != nil {
		ln.Close()
		return err
	}
	defer stopMetrics()
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.Shutdown(sctx)
}

// requestContext gives each request an id (X-Request-ID) and logs it.
func (s *Server) requestContext(c *fiber.Ctx) error {
	id := c.Get("X-Request-ID")
	if id == "" || len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Locals(localRequestID, id)
	c.Set("X-Request-ID", id)
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	s.observeRequest(c, id, time.Since(start))
	return nil
}

func requestID(c *fiber.Ctx) string {
	id, _ := c.Locals(localRequestID).(string)
	return id
}

// contentSecurityPolicy allows scripts and styles from this origin only: no
// inline script, no CDN.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders goes on every response: pages, API, static files, 404s
// and errors (errorHandler sets them too, for errors raised before the
// middleware ran, such as an oversized body). HSTS only behind HTTPS.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	s.setSecurityHeaders(c)
	return c.Next()
}

func (s *Server) setSecurityHeaders(c *fiber.Ctx) {
	c.Set("Content-Security-Policy", contentSecurityPolicy)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	c.Set("X-Frame-Options", "DENY")
	if s.cfg.CookieSecure {
		c.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
}

// crossSiteGuard refuses state-changing requests that a browser marks as
// cross-site (Sec-Fetch-Site) or whose Origin is foreign. Scripts that send
// neither header, and bearer-token requests, pass.
func (s *Server) crossSiteGuard(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	if viaBearer(c) {
		return c.Next()
	}
	site := c.Get("Sec-Fetch-Site")
	if site == "cross-site" || site == "same-site" {
		return errCrossSite
	}
	if origin := c.Get(fiber.HeaderOrigin); origin != "" && site != "same-origin" && !s.sameOrigin(c, origin) {
		return errCrossSite
	}
	return c.Next()
}

var errCrossSite = newProblem(fiber.StatusForbidden, "cross-site", "Cross-site request refused",
	"This request came from another site.")

// now is the server's clock (Config.Now; tests move it).
func (s *Server) now() time.Time {
	if s.cfg.Now != nil {
		return s.cfg.Now()
	}
	return time.Now()
}
