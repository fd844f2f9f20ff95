package app

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/internal/testsmtp"
)

// TestMailLinksInTheLogOnlyWithoutSMTP: with no SMTP_URL the reset mail,
// link included, is in the log at info (development); with SMTP_URL the
// link reaches the mailbox and never the log.
func TestMailLinksInTheLogOnlyWithoutSMTP(t *testing.T) {
	for _, withSMTP := range []bool{false, true} {
		var logs logBuffer
		var inbox func() []testsmtp.Mail
		ts := newTestServerWith(t, testdb.SQLite(t), "http://localhost:3000", func(cfg *Config) {
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			if withSMTP {
				cfg.SMTPURL, inbox = testsmtp.Start(t)
			}
		})
		ts.register("alice@example.com", "Alice")
		ts.anon().must(202, "POST", "/api/v1/auth/forgot-password", map[string]string{"email": "alice@example.com"}, nil)
		deadline := time.Now().Add(10 * time.Second)
		if withSMTP {
			token := linkToken(t, testsmtp.Wait(t, inbox, "alice@example.com", 10*time.Second))
			if s := logs.String(); strings.Contains(s, token) || strings.Contains(s, "token=") {
				t.Fatalf("with SMTP_URL the log holds the link:\n%s", s)
			}
			continue
		}
		for !strings.Contains(logs.String(), "reset-password?token=") {
			if time.Now().After(deadline) {
				t.Fatalf("without SMTP_URL the link is not in the log:\n%s", logs.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		if !strings.Contains(logs.String(), "level=INFO") || !strings.Contains(logs.String(), "to=alice@example.com") {
			t.Fatalf("the mail is not logged at info:\n%s", logs.String())
		}
	}
}
