package app

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/models"
)

// TestResetRevokesAPITokens: recovery by a mailed link revokes the
// account's personal API tokens along with its sessions: a token that
// worked before the reset is 401 after it and its socket closes (4001),
// the tokens are gone from the list, each revocation is in the audit log,
// and both mails say so. A password change while signed in keeps them.
func TestResetRevokesAPITokens(t *testing.T) {
	testdb.Each(t, func(t *testing.T, url string) {
		as, ls := liveAccountsServer(t, url)
		alice, p, _ := ls.board("alice@example.com", 1)
		other := loginAs(t, as.testServer, "alice@example.com", "Second browser")
		var rw, ro createdToken
		alice.must(201, "POST", "/api/v1/auth/tokens", map[string]any{"name": "deploy", "scope": "write", "expires_in_days": 30}, &rw)
		alice.must(201, "POST", "/api/v1/auth/tokens", map[string]any{"name": "watcher", "scope": "read", "expires_in_days": 7}, &ro)
		tokenWorks := func(tok createdToken) int {
			res, body := as.bearer(tok.Token, "GET", "/api/v1/projects/"+p.ID+"/issues", nil)
			if res.StatusCode != 200 && res.StatusCode != 401 {
				t.Fatalf("token %s: %d %s", tok.Name, res.StatusCode, body)
			}
			return res.StatusCode
		}
		for _, tok := range []createdToken{rw, ro} {
			if code := tokenWorks(tok); code != 200 {
				t.Fatalf("token %s before anything: %d", tok.Name, code)
			}
		}

		// A change of password while signed in keeps the tokens (a product
		// decision: the user is there and chose to keep them).
		if res, body := alice.form("/settings/password", map[string]string{
			"current_password": goodPassword, "new_password": "a changed passphrase"}); res.StatusCode != 303 {
			t.Fatalf("password change: %d %s", res.StatusCode, body)
		}
		for _, tok := range []createdToken{rw, ro} {
			if code := tokenWorks(tok); code != 200 {
				t.Fatalf("token %s after a signed-in password change: %d, want 200", tok.Name, code)
			}
		}
		other = loginAsWith(t, as.testServer, "alice@example.com", "a changed passphrase", "Second browser")

		// The watcher token holds a socket open.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		tconn, res, err := websocket.Dial(ctx, "ws"+ls.base[len("http"):]+"/api/v1/projects/"+p.ID+"/ws?since=0",
			&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + ro.Token}}})
		if err != nil {
			t.Fatalf("token dial: %v (%v)", err, res)
		}
		defer tconn.CloseNow()
		if f := next(t, tconn); f.Type != "hello" {
			t.Fatalf("token socket's first frame %q", f.Type)
		}

		anon := as.anon()
		anon.must(202, "POST", "/api/v1/auth/forgot-password", map[string]string{"email": "alice@example.com"}, nil)
		m := waitForResetMail(t, as, "alice@example.com", 1)
		if !strings.Contains(m.Body, "API tokens") {
			t.Errorf("the reset mail does not say the API tokens will be revoked:\n%s", m.Body)
		}
		anon.must(204, "POST", "/api/v1/auth/reset-password",
			map[string]string{"token": linkToken(t, m), "password": "a fresh new passphrase"}, nil)

		for _, tok := range []createdToken{rw, ro} {
			if code := tokenWorks(tok); code != 401 {
				t.Errorf("token %s after the reset: %d, want 401", tok.Name, code)
			}
		}
		if code := closeStatus(t, tconn, 5*time.Second); code != 4001 {
			t.Errorf("the revoked token's socket closed with %d, want 4001", code)
		}
		for _, c := range []*client{alice, other} {
			c.must(401, "GET", "/api/v1/auth/me", nil, nil)
		}
		back := loginAsWith(t, as.testServer, "alice@example.com", "a fresh new passphrase", "After reset")
		var tokens list[models.APIToken]
		back.must(200, "GET", "/api/v1/auth/tokens", nil, &tokens)
		if len(tokens.Items) != 0 {
			t.Errorf("tokens listed after the reset: %+v", tokens.Items)
		}
		notice := waitForSubject(t, as, "alice@example.com", "changed", 1)
		if !strings.Contains(notice.Body, "API tokens") {
			t.Errorf("the notice does not say the API tokens were revoked:\n%s", notice.Body)
		}

		// The log names each revoked token, and the reset counts them.
		var page struct {
			Items []models.AuditEvent `json:"items"`
		}
		back.must(200, "GET", "/api/v1/auth/audit?limit=200", nil, &page)
		revoked := map[string]string{}
		var reset *models.AuditEvent
		for i, ev := range page.Items {
			switch ev.Type {
			case accounts.AuditTokenRevoked:
				id, _ := ev.Detail["token_id"].(string)
				revoked[id], _ = ev.Detail["reason"].(string)
			case accounts.AuditReset:
				reset = &page.Items[i]
			}
		}
		if len(revoked) != 2 || revoked[rw.ID] != accounts.AuditReset || revoked[ro.ID] != accounts.AuditReset {
			t.Errorf("token.revoked events (token id -> reason): %v, want both tokens with reason %q", revoked, accounts.AuditReset)
		}
		if reset == nil || reset.Detail["tokens_revoked"] != float64(2) {
			t.Errorf("password.reset event: %+v, want tokens_revoked 2", reset)
		}
	})
}

// loginAsWith is loginAs with a password of the test's choosing.
func loginAsWith(t *testing.T, ts *testServer, email, password, userAgent string) *client {
	t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/auth/login",
		bytes.NewReader(mustMarshal(t, map[string]string{"email": email, "password": password})))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	res, body := ts.anon().send(req)
	wantStatus(t, res, body, 200, "login")
	c := &client{ts: ts, cookie: sessionCookieFrom(t, res)}
	mustJSON(t, body, &c.user)
	return c
}
