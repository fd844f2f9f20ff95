package accounts

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/corkboard/corkboard/kv"
	"github.com/corkboard/corkboard/models"
)

// Service holds the account rules over their dependencies: signing in and
// registering, the current-password check, two-factor authentication,
// reset and unlock links, personal API tokens, and the mails they send.
// Its methods take and return plain values; app's handlers decode a
// request, call one, and write the answer (closing the sockets of the
// sessions and tokens a method reports ended).
type Service struct {
	store     *models.Store
	kv        kv.Store
	mailer    Mailer
	now       func() time.Time
	log       *slog.Logger
	hasher    *Hasher
	dummyHash string // checked for unknown emails, so they cost the same
	throttle  Throttle
	box       *secretBox
	jwtKey    []byte
	publicURL url.URL
	meter     Meter
	bg        sync.WaitGroup // background work (mail, audit): Wait waits
}

// Deps are what a Service is built from.
type Deps struct {
	Store  *models.Store
	KV     kv.Store // the throttles' counters (Redis when scaled out)
	Mailer Mailer
	Now    func() time.Time // nil: time.Now; tests move it
	Log    *slog.Logger     // nil: discarded
	Hasher *Hasher          // nil: NewHasher(DefaultPasswordParams())
	// Throttle is the LOGIN_* settings; zero fields take the defaults.
	Throttle Throttle
	// TOTPKey encrypts two-factor secrets at rest (any string of 32+
	// characters); JWTKey signs the pending sign-in tokens.
	TOTPKey string
	JWTKey  []byte
	// PublicURL is where the mailed links point.
	PublicURL *url.URL
	Meter     Meter // nil: nothing counted
}

// Meter counts the secrets checked (a rise is someone guessing).
type Meter interface {
	PasswordChecked()
	CodeChecked()
}

type noMeter struct{}

func (noMeter) PasswordChecked() {}
func (noMeter) CodeChecked()     {}

// Client is who makes a request, as the audit log records it.
type Client struct {
	IP        string
	UserAgent string
}

// New builds the Service (it hashes a dummy password once: the cost of an
// unknown email).
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.KV == nil || d.Mailer == nil || d.PublicURL == nil || len(d.JWTKey) == 0 {
		return nil, errors.New("accounts: Store, KV, Mailer, PublicURL and JWTKey are required")
	}
	s := &Service{store: d.Store, kv: d.KV, mailer: d.Mailer, now: d.Now, log: d.Log, hasher: d.Hasher,
		throttle: d.Throttle.WithDefaults(), jwtKey: d.JWTKey, publicURL: *d.PublicURL, meter: d.Meter}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.hasher == nil {
		s.hasher = NewHasher(DefaultPasswordParams())
	}
	if s.meter == nil {
		s.meter = noMeter{}
	}
	var err error
	if s.box, err = newSecretBox(d.TOTPKey); err != nil {
		return nil, err
	}
	if s.dummyHash, err = s.hasher.Hash("dummy password for unknown emails"); err != nil {
		return nil, err
	}
	return s, nil
}

// Wait returns when the background work started so far (audit writes,
// mails) is done: call it before closing the store.
func (s *Service) Wait() { s.bg.Wait() }

// background runs fn on its own goroutine with a bounded context; Wait
// waits for it.
func (s *Service) background(fn func(ctx context.Context)) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		fn(ctx)
	}()
}

// Audit records a security event of userID made by cl, now. It never
// fails: a store error is logged. Detail must hold no password, token or
// secret.
func (s *Service) Audit(ctx context.Context, cl Client, userID, typ string, detail map[string]any) {
	s.record(ctx, models.AuditEvent{UserID: userID, Type: typ, IP: cl.IP, UserAgent: cl.UserAgent,
		Detail: detail, At: s.now()})
}

// event is an audit event whose id and time are taken now, to be written
// later (in the background): the log keeps the order things happened in.
func (s *Service) event(cl Client, typ string, detail map[string]any) models.AuditEvent {
	return models.AuditEvent{ID: models.NewAuditID(), Type: typ, IP: cl.IP, UserAgent: cl.UserAgent,
		At: s.now(), Detail: detail}
}

// record writes ev, logging a failure.
func (s *Service) record(ctx context.Context, ev models.AuditEvent) {
	if err := s.store.Audit(ctx, ev); err != nil {
		s.log.Warn("audit log write failed", "type", ev.Type, "user_id", ev.UserID, "err", err)
	}
}

// guard is the throttle over the service's store and clock.
func (s *Service) guard() Guard {
	return Guard{Throttle: s.throttle, Store: s.kv, Now: s.now,
		Warn: func(msg string, err error) { s.log.Warn("login throttle: "+msg, "err", err) }}
}

// link is an absolute link to path?token= on PUBLIC_URL.
func (s *Service) link(path, token string) string {
	u := s.publicURL
	u.Path = path
	u.RawQuery = url.Values{"token": {token}}.Encode()
	return u.String()
}

// send mails m in the background (callers answer at once, the same way
// whether or not a mail goes out). A failure is logged without the body:
// it holds a link that works.
func (s *Service) send(to string, m message) {
	s.background(func(ctx context.Context) {
		if err := s.mailer.Send(ctx, to, m.subject, m.body); err != nil {
			s.log.Error("sending e-mail failed", "to", to, "subject", m.subject, "err", err)
		}
	})
}
