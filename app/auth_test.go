package app

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/app/config"
)

func TestSessionCookieAttributes(t *testing.T) {
	for _, secure := range []bool{false, true} {
		ts := newTestServer(t)
		ts.cfg.CookieSecure = secure
		res, _ := ts.anon().do("POST", "/api/v1/auth/register", map[string]string{
			"email": "a@example.com", "password": "correct horse battery", "display_name": "A"})
		var found bool
		for _, ck := range res.Cookies() {
			if ck.Name != ts.sessionCookieName() { // __Host-corkboard_session when secure
				continue
			}
			found = true
			if !ck.HttpOnly || ck.SameSite != 2 /* http.SameSiteLaxMode */ || ck.Secure != secure || ck.Path != "/" || ck.Domain != "" {
				t.Errorf("cookie %+v (secure=%v)", ck, secure)
			}
		}
		if !found {
			t.Fatal("no session cookie")
		}
	}
}

// TestReadsDoNotWriteTheSession: a signed-in request reads the session row
// but only refreshes last_seen_at once it is older than touchEvery.
func TestReadsDoNotWriteTheSession(t *testing.T) {
	ts := newTestServer(t)
	a := ts.register("a@example.com", "A")
	sessions := func() time.Time {
		list, err := ts.store.Sessions(context.Background(), a.user.ID)
		if err != nil || len(list) != 1 {
			t.Fatalf("sessions: %v %d", err, len(list))
		}
		return list[0].LastSeenAt
	}
	first := sessions()
	for i := 0; i < 5; i++ {
		a.must(200, "GET", "/api/v1/auth/me", nil, nil)
	}
	if got := sessions(); !got.Equal(first) {
		t.Fatalf("last_seen_at written on a read: %v -> %v", first, got)
	}
}

func TestJWTSecretIsGeneratedOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	one, err := loadOrCreateSecret(dir, "jwt_secret", log)
	if err != nil || len(one) < 32 {
		t.Fatalf("secret %q %v", one, err)
	}
	two, err := loadOrCreateSecret(dir, "jwt_secret", log)
	if err != nil || two != one {
		t.Fatalf("second load gave a different secret")
	}
	fi, err := os.Stat(filepath.Join(dir, "jwt_secret"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode %v %v", fi.Mode(), err)
	}
	// A server built on that data dir accepts tokens of an earlier one.
	cfg := func() Config {
		return Config{Config: config.Config{DatabaseURL: "sqlite://" + filepath.Join(dir, "c.db"), DataDir: dir,
			PublicURL: "http://localhost:3000"}, Password: fastPasswords, Logger: log}
	}
	s1, err := New(context.Background(), cfg())
	if err != nil {
		t.Fatal(err)
	}
	c := (&testServer{Server: s1, t: t}).register("a@example.com", "A")
	s1.Shutdown(context.Background())
	s2, err := New(context.Background(), cfg())
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Shutdown(context.Background())
	c.ts = &testServer{Server: s2, t: t}
	c.must(200, "GET", "/api/v1/auth/me", nil, nil)
	if strings.TrimSpace(string(s2.jwtKey)) != one {
		t.Fatal("second server did not use the kept secret")
	}
}
