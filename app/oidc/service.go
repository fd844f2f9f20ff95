// Package oidc is sign-in with an OpenID Connect provider: discovery, the
// authorization code flow with PKCE (S256), state and nonce, the ID
// token's verification (github.com/coreos/go-oidc/v3 over
// golang.org/x/oauth2), and the rule that finds, links or creates the
// account. It has no HTTP handlers: app/web_oidc.go calls it.
package oidc

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/corkboard/corkboard/models"
)

// Settings are the provider and the client registered there.
type Settings struct {
	Issuer       string // the provider's issuer URL, exactly as its discovery document writes it
	ClientID     string
	ClientSecret string // "": a public client, PKCE only
	RedirectURL  string // PUBLIC_URL + /auth/oidc/callback, registered at the provider
	Label        string // the button's label ("Sign in with …")
	ExistingOnly bool   // OIDC_AUTO_CREATE=0: find or link accounts, never create one
}

// Deps are what a Service is built from.
type Deps struct {
	Settings
	Store *models.Store
	Key   []byte           // signs the pending sign-in carried by the browser
	Now   func() time.Time // nil: time.Now; tests move it
	Log   *slog.Logger     // nil: discarded
	HTTP  *http.Client     // nil: one with a 10 s timeout
}

// RetryEvery is how long after a failed discovery the next sign-in may
// try again (sooner would let every click wait on a provider that is
// down).
const RetryEvery = 10 * time.Second

// discoveryTimeout bounds discovery: start-up and a click wait at most this.
const discoveryTimeout = 5 * time.Second

// Service signs people in with one provider. Discovery happens at start
// (New) and, while the provider has not answered, again on a sign-in
// started RetryEvery after the last try.
type Service struct {
	set   Settings
	store *models.Store
	key   []byte
	now   func() time.Time
	log   *slog.Logger
	http  *http.Client

	discovering sync.Mutex // one discovery at a time; held without mu, so pages never wait on the network

	mu       sync.Mutex
	provider *gooidc.Provider // nil until discovery succeeds
	verifier *gooidc.IDTokenVerifier
	oauth    oauth2.Config
	tried    time.Time // the last discovery attempt
	problem  string    // why the last one failed, for the sign-in page
}

// New builds the Service and tries discovery once. A provider that does
// not answer is logged, not fatal: the app starts, and the sign-in button
// says what is wrong.
func New(ctx context.Context, d Deps) *Service {
	s := &Service{set: d.Settings, store: d.Store, key: d.Key, now: d.Now, log: d.Log, http: d.HTTP}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.http == nil {
		s.http = &http.Client{Timeout: 10 * time.Second}
	}
	s.discover(ctx)
	return s
}

// Label is the sign-in button's label.
func (s *Service) Label() string { return s.set.Label }

// Issuer is the provider's issuer URL.
func (s *Service) Issuer() string { return s.set.Issuer }

// Problem is why the provider cannot be used now ("" when it can): shown
// under the button, which tries again when pressed.
func (s *Service) Problem() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.problem
}

// ready is the discovered provider, discovering it again if the last try
// failed at least RetryEvery ago.
func (s *Service) ready(ctx context.Context) (*gooidc.Provider, error) {
	if p, due := s.state(); p != nil || !due {
		return p, s.unavailable(p)
	}
	s.discovering.Lock()
	defer s.discovering.Unlock()
	if p, due := s.state(); p != nil || !due { // another request has just tried
		return p, s.unavailable(p)
	}
	s.discover(ctx)
	p, _ := s.state()
	return p, s.unavailable(p)
}

// state is the provider (nil: not discovered) and whether discovery is
// due again.
func (s *Service) state() (*gooidc.Provider, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.provider, s.provider == nil && s.now().Sub(s.tried) >= RetryEvery
}

func (s *Service) unavailable(p *gooidc.Provider) error {
	if p != nil {
		return nil
	}
	return &Failure{Reason: "unavailable", Message: s.Problem()}
}

// discover fetches the provider's discovery document (New, or ready
// with s.discovering held).
func (s *Service) discover(ctx context.Context) {
	tried := s.now()
	dctx, cancel := context.WithTimeout(gooidc.ClientContext(ctx, s.http), discoveryTimeout)
	defer cancel()
	p, err := gooidc.NewProvider(dctx, s.set.Issuer)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tried = tried
	if err != nil {
		host := s.set.Issuer
		if u, perr := url.Parse(s.set.Issuer); perr == nil {
			host = u.Host
		}
		s.problem = fmt.Sprintf("Single sign-on is unavailable: the provider (%s) did not answer when asked at %s UTC. "+
			"Pressing the button tries again.", host, tried.UTC().Format("15:04"))
		s.log.Error("OpenID Connect discovery failed: sign-in with the provider is unavailable until it answers",
			"issuer", s.set.Issuer, "err", err)
		return
	}
	// The key set is fetched with the client, not with ctx's deadline
	// (go-oidc keeps only the client from it).
	s.provider, s.problem = p, ""
	s.verifier = p.VerifierContext(gooidc.ClientContext(context.Background(), s.http),
		&gooidc.Config{ClientID: s.set.ClientID, Now: s.now})
	s.oauth = oauth2.Config{ClientID: s.set.ClientID, ClientSecret: s.set.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: s.set.RedirectURL, Scopes: []string{gooidc.ScopeOpenID, "email", "profile"}}
	s.log.Info("OpenID Connect provider discovered", "issuer", s.set.Issuer)
}

// Failure is a sign-in that did not happen; Message says why to the
// person (the sign-in page shows it), Reason names it for logs and tests.
type Failure struct {
	Reason  string
	Message string
}

func (f *Failure) Error() string { return "oidc sign-in failed: " + f.Reason + ": " + f.Message }

func fail(reason, message string) *Failure { return &Failure{Reason: reason, Message: message} }
