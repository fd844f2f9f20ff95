package accounts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Mailer sends the account e-mails (reset and unlock links, notices).
// The text is plain; links come from PUBLIC_URL.
type Mailer interface {
	Send(ctx context.Context, to, subject, body string) error
}

var (
	_ Mailer = (*smtpMailer)(nil)
	_ Mailer = (*logMailer)(nil)
)

// NewMailer picks the mailer for SMTP_URL (smtpURL): SMTP when set, the
// log when not. from is MAIL_FROM ("": noreply@ the host of publicURL).
func NewMailer(smtpURL, from, publicURL string, log *slog.Logger) (Mailer, error) {
	if smtpURL == "" {
		return NewLogMailer(log), nil
	}
	return NewSMTPMailer(smtpURL, from, publicURL)
}

// NewLogMailer is the development mailer (no SMTP_URL).
func NewLogMailer(log *slog.Logger) Mailer { return &logMailer{log: log} }

// logMailer is the development mailer (no SMTP_URL): the whole message,
// links included, goes to the log at info level. Only this mailer ever
// logs a message body.
type logMailer struct{ log *slog.Logger }

func (m *logMailer) Send(_ context.Context, to, subject, body string) error {
	m.log.Info("e-mail not sent (no SMTP_URL): here it is", "to", to, "subject", subject, "body", body)
	return nil
}

// smtpMailer sends through the server of SMTP_URL with go-mail, which
// handles STARTTLS, implicit TLS and picking an AUTH mechanism.
type smtpMailer struct {
	from string
	opts []gomail.Option
	host string
}

// NewSMTPMailer reads smtp://[user:pass@]host[:port] (STARTTLS when the
// server offers it; port 587 by default) or smtps://… (implicit TLS, port
// 465). Credentials are only sent over TLS (or to localhost).
func NewSMTPMailer(rawURL, from, publicURL string) (Mailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" || (u.Scheme != "smtp" && u.Scheme != "smtps") {
		return nil, errors.New("SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465")
	}
	port := 587
	opts := []gomail.Option{gomail.WithTimeout(20 * time.Second)}
	if u.Scheme == "smtps" {
		port = 465
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("SMTP_URL: bad port %q", p)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	if user := u.User.Username(); user != "" {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(user), gomail.WithPassword(pass))
	}
	if from == "" {
		from = defaultMailFrom(publicURL)
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("MAIL_FROM %q is not an address: %w", from, err)
	}
	return &smtpMailer{from: from, opts: opts, host: u.Hostname()}, nil
}

// defaultMailFrom is noreply@ the host of PUBLIC_URL.
func defaultMailFrom(publicURL string) string {
	host := "localhost"
	if u, err := url.Parse(publicURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return "Corkboard <noreply@" + host + ">"
}

func (m *smtpMailer) Send(ctx context.Context, to, subject, body string) error {
	msg := gomail.NewMsg()
	if err := msg.From(m.from); err != nil {
		return err
	}
	if err := msg.To(to); err != nil {
		return err
	}
	msg.Subject(subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, body)
	client, err := gomail.NewClient(m.host, m.opts...)
	if err != nil {
		return err
	}
	return client.DialAndSendWithContext(ctx, msg)
}
