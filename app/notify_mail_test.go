package app

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/corkboard/corkboard/internal/testdb"
	"github.com/corkboard/corkboard/internal/testsmtp"
	"github.com/corkboard/corkboard/models"
)

// notifyServer is a test server whose notification jobs run every 20 ms
// on a clock the test moves, mailing to the SMTP sink.
func notifyServer(t *testing.T, databaseURL string) (*testServer, *testClock, func() []testsmtp.Mail) {
	t.Helper()
	clk := newTestClock()
	var inbox func() []testsmtp.Mail
	ts := newTestServerWith(t, databaseURL, "http://corkboard.test", func(cfg *Config) {
		cfg.SMTPURL, inbox = testsmtp.Start(t)
		cfg.Now, cfg.NotifyInterval, cfg.MailBatchWait = clk.Now, 20*time.Millisecond, 30*time.Second
	})
	return ts, clk, inbox
}

// mailsTo is the inbox's mails to addr.
func mailsTo(inbox func() []testsmtp.Mail, addr string) []testsmtp.Mail {
	var out []testsmtp.Mail
	for _, m := range inbox() {
		for _, to := range m.To {
			if strings.EqualFold(strings.Trim(to, "<>"), addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

// offLink is the turn-off link in a mail's body.
func offLink(t *testing.T, body string) string {
	t.Helper()
	i := strings.Index(body, "http://corkboard.test/mail-off?t=")
	if i < 0 {
		t.Fatalf("no turn-off link in:\n%s", body)
	}
	return strings.Fields(body[i:])[0]
}

// TestInstantMailBatched: mentions and an assignment made within the
// batching wait arrive as one mail, with a link to each issue and the
// turn-off link; a later mention is a mail of its own; comments are not
// mailed, nor read notifications, nor to someone whose mail is off.
func TestInstantMailBatched(t *testing.T) {
	forEachDatabaseURL(t, func(t *testing.T, url string) {
		ts, clk, inbox := notifyServer(t, url)
		f := newFixture(ts)
		ed := "@" + f.editor.user.Handle
		f.owner.must(201, "POST", f.commentsPath(f.issues[0].ID), map[string]string{"body": ed + " first"}, nil)
		f.owner.must(201, "POST", f.commentsPath(f.issues[1].ID), map[string]string{"body": ed + " second"}, nil)
		f.owner.must(200, "PATCH", f.path("/issues/"+f.issues[1].ID), map[string]any{
			"assignee_id": f.editor.user.ID, "version": f.issues[1].Version}, nil)
		// The viewer's mail is off; the spare reads the mention at once.
		f.viewer.must(200, "PATCH", "/api/v1/auth/me", map[string]string{"email_notifications": "off"}, nil)
		f.owner.must(201, "POST", f.commentsPath(f.issues[0].ID), map[string]string{
			"body": "@" + f.viewer.user.Handle + " @" + f.spare.user.Handle}, nil)
		f.spare.must(204, "POST", "/api/v1/notifications/read", map[string]any{"all": true}, nil)
		runs := ts.notifyRuns.Load()
		waitFor(t, "two runs of the jobs", func() bool { return ts.notifyRuns.Load() >= runs+2 })
		if got := inbox(); len(got) != 0 {
			t.Fatalf("mailed before the batching wait: %+v", got)
		}

		clk.Advance(31 * time.Second)
		waitFor(t, "the editor's mail", func() bool { return len(mailsTo(inbox, f.editor.user.Email)) == 1 })
		m := mailsTo(inbox, f.editor.user.Email)[0]
		if m.Subject != "3 new notifications on Corkboard" {
			t.Fatalf("subject %q", m.Subject)
		}
		for _, want := range []string{
			"Owner mentioned you on " + f.issues[0].Key + ": First",
			"Owner mentioned you on " + f.issues[1].Key + ": Second",
			"Owner assigned you " + f.issues[1].Key,
			"http://corkboard.test/projects/" + f.project.ID + "/issues/" + f.issues[0].ID,
			"http://corkboard.test/projects/" + f.project.ID + "/issues/" + f.issues[1].ID,
		} {
			if !strings.Contains(m.Body, want) {
				t.Fatalf("mail lacks %q:\n%s", want, m.Body)
			}
		}
		offLink(t, m.Body)

		// A later mention: a mail of its own, once however many runs pass.
		f.owner.must(201, "POST", f.commentsPath(f.issues[0].ID), map[string]string{"body": ed + " third"}, nil)
		clk.Advance(31 * time.Second)
		waitFor(t, "the second mail", func() bool { return len(mailsTo(inbox, f.editor.user.Email)) == 2 })
		if m := mailsTo(inbox, f.editor.user.Email)[1]; !strings.HasPrefix(m.Subject, "Owner mentioned you on "+f.issues[0].Key) {
			t.Fatalf("second subject %q", m.Subject)
		}
		clk.Advance(31 * time.Second)
		f.owner.must(201, "POST", f.commentsPath(f.issues[0].ID), map[string]string{"body": "@" + f.owner.user.Handle + " marker"}, nil)
		f.editor.must(201, "POST", f.commentsPath(f.issues[0].ID), map[string]string{"body": "@" + f.owner.user.Handle + " marker"}, nil)
		clk.Advance(31 * time.Second)
		waitFor(t, "the owner's marker mail", func() bool { return len(mailsTo(inbox, f.owner.user.Email)) == 1 })
		if n := len(mailsTo(inbox, f.editor.user.Email)); n != 2 {
			t.Fatalf("the editor got %d mails, want 2", n)
		}
		for _, who := range []*client{f.viewer, f.spare} {
			if got := mailsTo(inbox, who.user.Email); len(got) != 0 {
				t.Fatalf("%s was mailed: %+v", who.user.Email, got)
			}
		}
	})
}

// TestDailyDigest: a daily reader gets nothing instantly and one digest
// the next day of everything they were told (comments too), once.
func TestDailyDigest(t *testing.T) {
	ts, clk, inbox := notifyServer(t, testdb.SQLite(t))
	f := newFixture(ts)
	f.editor.must(200, "PATCH", "/api/v1/auth/me", map[string]string{"email_notifications": "daily"}, nil)
	f.owner.must(200, "PATCH", f.path("/issues/"+f.issues[0].ID), map[string]any{
		"assignee_id": f.editor.user.ID, "version": f.issues[0].Version}, nil)
	f.owner.must(201, "POST", f.commentsPath(f.issues[0].ID), map[string]string{"body": "a comment"}, nil)
	f.owner.must(201, "POST", f.commentsPath(f.issues[1].ID), map[string]string{"body": "@" + f.editor.user.Handle}, nil)
	clk.Advance(time.Minute)
	// The owner (instant) is the marker that a run has passed.
	f.editor.must(201, "POST", f.commentsPath(f.issues[1].ID), map[string]string{"body": "@" + f.owner.user.Handle}, nil)
	clk.Advance(time.Minute)
	waitFor(t, "the marker mail", func() bool { return len(mailsTo(inbox, f.owner.user.Email)) == 1 })
	runs := ts.notifyRuns.Load()
	waitFor(t, "two runs of the jobs", func() bool { return ts.notifyRuns.Load() >= runs+2 })
	if got := mailsTo(inbox, f.editor.user.Email); len(got) != 0 {
		t.Fatalf("a daily reader was mailed at once: %+v", got)
	}
	clk.Advance(24 * time.Hour)
	waitFor(t, "the digest", func() bool { return len(mailsTo(inbox, f.editor.user.Email)) == 1 })
	m := mailsTo(inbox, f.editor.user.Email)[0]
	if !strings.HasPrefix(m.Subject, "Your Corkboard digest for ") || !strings.Contains(m.Subject, ": 3 notifications") {
		t.Fatalf("digest subject %q", m.Subject)
	}
	for _, want := range []string{"Owner assigned you " + f.issues[0].Key, "Owner commented on " + f.issues[0].Key,
		"Owner mentioned you on " + f.issues[1].Key} {
		if !strings.Contains(m.Body, want) {
			t.Fatalf("digest lacks %q:\n%s", want, m.Body)
		}
	}
	offLink(t, m.Body)
	// The same day: no second digest, even with something new.
	f.owner.must(201, "POST", f.commentsPath(f.issues[1].ID), map[string]string{"body": "@" + f.editor.user.Handle + " more"}, nil)
	f.editor.must(201, "POST", f.commentsPath(f.issues[1].ID), map[string]string{"body": "@" + f.owner.user.Handle + " 2"}, nil)
	clk.Advance(time.Minute)
	waitFor(t, "the second marker mail", func() bool { return len(mailsTo(inbox, f.owner.user.Email)) == 2 })
	if n := len(mailsTo(inbox, f.editor.user.Email)); n != 1 {
		t.Fatalf("%d digests on one day", n)
	}
}

// TestMailOffLink: the link's GET asks, its POST turns mail off (that
// setting only) without a session; a tampered token is refused and
// changes nothing.
func TestMailOffLink(t *testing.T) {
	ts, _, _ := notifyServer(t, testdb.SQLite(t))
	c := ts.register("off@example.com", "Off")
	token := ts.mailOff.Sign(c.user.ID)
	anon := ts.anon()
	res, body := anon.do("GET", "/mail-off?t="+url.QueryEscape(token), nil)
	if res.StatusCode != 200 || !strings.Contains(string(body), `action="/mail-off"`) {
		t.Fatalf("GET: %d %s", res.StatusCode, body)
	}
	me := func() models.User {
		var u models.User
		c.must(200, "GET", "/api/v1/auth/me", nil, &u)
		return u
	}
	if me().EmailNotifications != "instant" {
		t.Fatal("the GET changed the setting")
	}
	other := ts.register("other.off@example.com", "Other")
	for _, bad := range []string{token + "x", other.user.ID + token[strings.Index(token, "."):], "junk", ""} {
		if res, _ := anon.do("GET", "/mail-off?t="+url.QueryEscape(bad), nil); res.StatusCode != 404 {
			t.Fatalf("GET with a tampered token %q: %d", bad, res.StatusCode)
		}
		if res, _ := anon.form("/mail-off", map[string]string{"t": bad}); res.StatusCode != 404 {
			t.Fatalf("POST with a tampered token %q: %d", bad, res.StatusCode)
		}
	}
	var o models.User
	other.must(200, "GET", "/api/v1/auth/me", nil, &o)
	if me().EmailNotifications != "instant" || o.EmailNotifications != "instant" {
		t.Fatal("a tampered token changed a setting")
	}
	res, body = anon.form("/mail-off", map[string]string{"t": token})
	if res.StatusCode != 200 || !strings.Contains(string(body), "data-mail-off-done") {
		t.Fatalf("POST: %d %s", res.StatusCode, body)
	}
	if u := me(); u.EmailNotifications != "off" || u.DisplayName != "Off" {
		t.Fatalf("after the link: %+v", u)
	}
}
