package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/corkboard/corkboard/models"
	"github.com/google/uuid"
)

// Mail is one e-mail of notifications.
type Mail struct {
	Subject, Body string
}

// Links makes the absolute links of a mail (PUBLIC_URL).
type Links struct {
	Base string // PUBLIC_URL, without a trailing slash
	Off  func(userID string) string
}

// Issue is the page of the issue a notification is about.
func (l Links) Issue(n models.Notification) string {
	return l.Base + "/projects/" + n.Project.ID + "/issues/" + n.Issue.ID
}

// InstantMail is one mail of the mentions and assignments that came in
// within the batching minute: one line and one link each.
func InstantMail(name string, items []models.Notification, l Links) Mail {
	subject := Sentence(items[0]) + ": " + items[0].Issue.Title
	if len(items) > 1 {
		subject = fmt.Sprintf("%d new notifications on Corkboard", len(items))
	}
	return Mail{Subject: oneLine(subject), Body: mailBody(name, "You were mentioned or assigned on Corkboard:", items, l)}
}

// DigestMail is the daily digest of what a person was told.
func DigestMail(name string, day string, items []models.Notification, l Links) Mail {
	return Mail{Subject: fmt.Sprintf("Your Corkboard digest for %s: %d notifications", day, len(items)),
		Body: mailBody(name, "What happened on Corkboard since your last digest:", items, l)}
}

func mailBody(name, intro string, items []models.Notification, l Links) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n%s\n\n", oneLine(name), intro)
	for _, n := range items {
		fmt.Fprintf(&b, "- %s: %s\n  %s\n", oneLine(Sentence(n)), oneLine(n.Issue.Title), l.Issue(n))
	}
	fmt.Fprintf(&b, "\nAll your notifications: %s/notifications\n", l.Base)
	fmt.Fprintf(&b, "Stop these e-mails (one click, no sign-in): %s\n", l.Off(items[0].UserID))
	return b.String()
}

// oneLine keeps user text (titles, names) on its line: a line break in
// it must not forge mail lines or headers.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// OffToken is the signed part of the one-click turn-off link: the user id
// and an HMAC-SHA256 of it under the server's secret. It changes only the
// mail setting, so it needs no sign-in and does not expire (an old mail's
// link still works); anyone who can read the mail may turn its mail off.
type OffToken struct {
	Key []byte // the server's secret (JWT_SECRET), with a purpose of its own
}

const offPurpose = "corkboard mail-off v1\x00"

func (t OffToken) mac(userID string) []byte {
	m := hmac.New(sha256.New, t.Key)
	m.Write([]byte(offPurpose + userID))
	return m.Sum(nil)
}

// Sign returns the token for userID.
func (t OffToken) Sign(userID string) string {
	return userID + "." + base64.RawURLEncoding.EncodeToString(t.mac(userID))
}

// Verify returns the user a token was signed for; ok is false for
// anything tampered with.
func (t OffToken) Verify(token string) (userID string, ok bool) {
	id, sig, found := strings.Cut(token, ".")
	if !found || uuid.Validate(id) != nil {
		return "", false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, t.mac(id)) {
		return "", false
	}
	return id, true
}

// DueTomorrow reports whether an issue due on dueDate is due the day
// after today (both YYYY-MM-DD: today in the project's zone).
func DueTomorrow(today, dueDate string) bool {
	t, err := time.Parse(time.DateOnly, today)
	return err == nil && t.AddDate(0, 0, 1).Format(time.DateOnly) == dueDate
}
