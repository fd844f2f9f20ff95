package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Signing follows the Standard Webhooks specification
// (https://www.standardwebhooks.com): a secret "whsec_" + base64 of 32
// random bytes; each message carries webhook-id, webhook-timestamp (Unix
// seconds) and webhook-signature "v1,<base64 HMAC-SHA256 over
// id.timestamp.body>", keyed with the decoded bytes of the secret.

const secretPrefix = "whsec_"

// NewSecret makes a webhook's signing secret.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Sign is the webhook-signature header for one message.
func Sign(secret, msgID string, at time.Time, body []byte) (string, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, secretPrefix))
	if err != nil || len(key) == 0 {
		return "", errors.New("webhooks: the secret is not whsec_ and base64")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID + "." + strconv.FormatInt(at.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}

// messageNamespace seeds the message ids.
var messageNamespace = uuid.MustParse("6f0b2a43-2d0e-4c55-9b8e-8f3a6f1f7c21")

// MessageID is the webhook-id of one event to one webhook: the same for
// every attempt and redelivery, whichever instance sends it, so receivers
// can drop duplicates (delivery is at least once).
func MessageID(webhookID string, seq int64) string {
	return "msg_" + uuid.NewSHA1(messageNamespace, []byte(webhookID+"/"+strconv.FormatInt(seq, 10))).String()
}
