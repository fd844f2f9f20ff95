// Package testsmtp is an in-process SMTP server (emersion/go-smtp) that
// stands in for a mail catcher in tests: the code under test sends through
// its real SMTP mailer to it. It is imported only by tests.
package testsmtp

import (
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Mail is one message the SMTP sink received, decoded.
type Mail struct {
	From    string
	To      []string
	Subject string
	Body    string
}

// smtpSink holds the messages received.
type smtpSink struct {
	mu    sync.Mutex
	inbox []Mail
}

// Start starts a sink on 127.0.0.1 and returns its SMTP_URL and a
// function returning a copy of the messages received so far.
func Start(t *testing.T) (url string, inbox func() []Mail) {
	t.Helper()
	sink := &smtpSink{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &sinkSession{sink: sink}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 1 << 20
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })
	return "smtp://" + ln.Addr().String(), func() []Mail {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		return append([]Mail(nil), sink.inbox...)
	}
}

type sinkSession struct {
	sink *smtpSink
	from string
	to   []string
}

func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error   { s.to = append(s.to, to); return nil }
func (s *sinkSession) Reset()                                      { s.from, s.to = "", nil }
func (s *sinkSession) Logout() error                               { return nil }

func (s *sinkSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	var body io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(msg.Body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return errors.New("bad subject")
	}
	s.sink.mu.Lock()
	s.sink.inbox = append(s.sink.inbox, Mail{From: s.from, To: append([]string(nil), s.to...), Subject: subject,
		Body: strings.ReplaceAll(string(b), "\r\n", "\n")})
	s.sink.mu.Unlock()
	return nil
}

// Wait polls inbox until a message to `to` arrives (mail is sent in
// the background) and returns the newest one; it fails the test at the
// deadline.
func Wait(t *testing.T, inbox func() []Mail, to string, deadline time.Duration) Mail {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		msgs := To(inbox(), to)
		if len(msgs) > 0 {
			return msgs[len(msgs)-1]
		}
		if time.Now().After(end) {
			t.Fatalf("no mail to %s within %v", to, deadline)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// To keeps the messages addressed to `to`.
func To(msgs []Mail, to string) []Mail {
	var out []Mail
	for _, m := range msgs {
		for _, rcpt := range m.To {
			if strings.EqualFold(rcpt, to) {
				out = append(out, m)
				break
			}
		}
	}
	return out
}
