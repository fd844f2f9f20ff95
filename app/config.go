package app

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/app/config"
	"github.com/corkboard/corkboard/app/webhooks"
	"github.com/corkboard/corkboard/realtime"
)

// Config is everything the server needs: the deployment's settings from
// the environment (config.Config, embedded so cfg.BindAddr reads as
// before), and what tests tune that is not from the environment.
type Config struct {
	config.Config

	// Not from the environment: tuning that tests change.
	// Now is the clock of throttling and mailed links (nil: time.Now);
	// tests move it instead of sleeping.
	Now        func() time.Time
	Password   accounts.PasswordParams
	SessionTTL time.Duration
	Logger     *slog.Logger
	Version    string
	// NewBroker builds the broker the hub receives through; nil: the
	// in-process broker.
	NewBroker func(realtime.Handler) realtime.Broker
	Hub       realtime.Options // tests shorten timings
	// RollOverInterval is how often each instance checks for completed
	// cycles to roll over (0: a minute); tests shorten it.
	RollOverInterval time.Duration
	// TrashPurgeInterval is how often each instance checks for issues
	// trashed 30 days ago (0: an hour); tests shorten it.
	TrashPurgeInterval time.Duration
	// NotifyInterval is how often the notification jobs run (due_soon,
	// instant mail, the daily digest; 15 s), and MailBatchWait how long a
	// mention waits for others to join its mail (30 s): within a minute.
	NotifyInterval, MailBatchWait time.Duration
	// Webhooks tunes delivery (timeouts, lease, backoff: tests shorten
	// them); WebhookResolver replaces DNS for the address checks (tests
	// play DNS rebinding with it; nil: the system's resolver).
	Webhooks        webhooks.Options
	WebhookResolver webhooks.Resolver
	// BoardWindow is how many cards of each column the board page renders
	// (0: defaultBoardWindow); static/js renders more as a column is
	// scrolled. Tests make it small.
	BoardWindow int
}

// loadOrCreateSecret returns the secret in DATA_DIR/name, creating it (32
// random bytes, hex, mode 0600) the first time.
func loadOrCreateSecret(dataDir, name string, log *slog.Logger) (string, error) {
	path := filepath.Join(dataDir, name)
	if b, err := os.ReadFile(path); err == nil {
		if s := strings.TrimSpace(string(b)); len(s) >= 32 {
			return s, nil
		}
		return "", fmt.Errorf("%s is shorter than 32 characters", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", err
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(buf)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another process won the race: use theirs
		return loadOrCreateSecret(dataDir, name, log)
	}
	if err != nil {
		return "", err
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	log.Info("generated a new secret; set it on every instance when running several", "file", path)
	return secret, nil
}

// warnIfDataDirShared logs a warning when DATA_DIR exists and other users
// may enter it: it holds the database (password and token hashes) and
// the generated secrets. The app creates it 0700; one that exists is the
// operator's to change, so it is not.
func warnIfDataDirShared(dataDir string, log *slog.Logger) {
	st, err := os.Stat(dataDir)
	if err != nil || !st.IsDir() || st.Mode().Perm()&0o077 == 0 {
		return
	}
	log.Warn("DATA_DIR is open to other users, and it holds password and token hashes and the generated secrets",
		"path", dataDir, "mode", st.Mode().Perm().String(), "fix", "chmod 700 "+dataDir)
}
