package accounts_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/internal/testsmtp"
	"github.com/corkboard/corkboard/kv"
	"github.com/corkboard/corkboard/models"
	"github.com/pquerna/otp/totp"
)

// The account rules with plain calls: a Service on a real database
// (SQLite, and PostgreSQL with TEST_DATABASE_URL), the memory kv store, a
// real SMTP server (testsmtp) behind the real SMTP mailer, and a clock the
// test moves. No HTTP.

const goodPassword = "correct horse battery"

var fastPasswords = accounts.PasswordParams{Memory: 1024, Time: 1, Threads: 1}

// alice is the client every call comes from.
var alice = accounts.Client{IP: "192.0.2.1", UserAgent: "accounts test"}

type env struct {
	*accounts.Service
	t     *testing.T
	url   string
	store *models.Store
	clk   *clock
	inbox func() []testsmtp.Mail
}

// newEnv builds a Service on databaseURL with throttle th (zero fields:
// the defaults), its clock mid-way through a TOTP step.
func newEnv(t *testing.T, databaseURL string, th accounts.Throttle) *env {
	t.Helper()
	ctx := context.Background()
	store, err := models.Open(ctx, databaseURL, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	smtpURL, inbox := testsmtp.Start(t)
	mailer, err := accounts.NewSMTPMailer(smtpURL, "", "http://localhost:3000")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC().Truncate(30 * time.Second).Add(15 * time.Second)}
	public, _ := url.Parse("http://localhost:3000")
	svc, err := accounts.New(accounts.Deps{Store: store, KV: kv.NewMemoryClock(clk.Now), Mailer: mailer, Now: clk.Now,
		Hasher: accounts.NewHasher(fastPasswords), Throttle: th, TOTPKey: strings.Repeat("k", 32),
		JWTKey: []byte(strings.Repeat("j", 32)), PublicURL: public})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Wait) // before the store closes (cleanups run last first)
	return &env{Service: svc, t: t, url: databaseURL, store: store, clk: clk, inbox: inbox}
}

// eachDB runs fn on a fresh env on SQLite and on PostgreSQL.
func eachDB(t *testing.T, th accounts.Throttle, fn func(t *testing.T, e *env)) {
	testdb.Each(t, func(t *testing.T, url string) { fn(t, newEnv(t, url, th)) })
}

func (e *env) register(email, name string) models.User {
	e.t.Helper()
	u, err := e.Register(context.Background(), accounts.Registration{Email: email, Password: goodPassword, DisplayName: name})
	if err != nil {
		e.t.Fatalf("register %s: %v", email, err)
	}
	return u
}

// auditTypes are userID's audit events, oldest first.
func (e *env) auditTypes(userID string) []string {
	e.t.Helper()
	page, err := e.store.ListAudit(context.Background(), userID, "", 200)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range slices.Backward(page.Items) {
		out = append(out, ev.Type)
	}
	return out
}

// auditOf is userID's newest event of type typ.
func (e *env) auditOf(userID, typ string) models.AuditEvent {
	e.t.Helper()
	page, err := e.store.ListAudit(context.Background(), userID, "", 200)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range page.Items {
		if ev.Type == typ {
			return ev
		}
	}
	e.t.Fatalf("no %s event", typ)
	return models.AuditEvent{}
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// mailsTo are the mails sent to `to` once the background work is done.
func (e *env) mailsTo(to string) []testsmtp.Mail {
	e.Wait()
	return testsmtp.To(e.inbox(), to)
}

var linkRE = regexp.MustCompile(`http://localhost:3000(/[a-z-]+)\?token=([A-Za-z0-9_-]+)`)

// linkIn is the path and token of the link in a mail.
func linkIn(t *testing.T, m testsmtp.Mail) (path, token string) {
	t.Helper()
	got := linkRE.FindStringSubmatch(m.Body)
	if got == nil {
		t.Fatalf("no link in %q", m.Body)
	}
	return got[1], got[2]
}

// codeAt is the TOTP code of secret at t.
func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, accounts.TOTPOptions())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// enable2FA turns two-factor authentication on for u (the code of the
// current step is spent doing so) and returns the secret and backup codes.
func (e *env) enable2FA(u models.User) (secret string, backup []string) {
	e.t.Helper()
	ctx := context.Background()
	setup, err := e.BeginTwoFactor(ctx, u)
	if err != nil {
		e.t.Fatal(err)
	}
	if !strings.HasPrefix(setup.QR, "data:image/png;base64,") || !strings.Contains(setup.URL, "otpauth://totp/") {
		e.t.Fatalf("set-up to show: %+v", setup)
	}
	backup, err = e.EnableTwoFactor(ctx, alice, u, codeAt(e.t, setup.Secret, e.clk.Now()))
	if err != nil {
		e.t.Fatal(err)
	}
	return setup.Secret, backup
}

// wrongCode is a 6-digit code accepted at none of the steps around now.
func wrongCode(t *testing.T, secret string, now time.Time) string {
	t.Helper()
	near := []string{codeAt(t, secret, now.Add(-30*time.Second)), codeAt(t, secret, now), codeAt(t, secret, now.Add(30*time.Second))}
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if !slices.Contains(near, c) {
			return c
		}
	}
	t.Fatal("no wrong code")
	return ""
}

// fields are the fields of a validation error, or fails.
func fields(t *testing.T, err error) map[string]string {
	t.Helper()
	var ve *models.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a validation error, got %v", err)
	}
	out := map[string]string{}
	for _, f := range ve.Fields {
		out[f.Field] = f.Message
	}
	return out
}
