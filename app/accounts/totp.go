package accounts

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// The parts of two-factor authentication that are not the service's
// methods: the sealed secret, TOTP matching, backup codes. TOTP is RFC
// 6238 (pquerna/otp).

const (
	totpIssuer = "Corkboard"
	// BackupCodeCount is how many single-use backup codes an account gets.
	BackupCodeCount = 10
)

// TOTPOptions are the parameters every authenticator app understands. Skew
// is 0 because matchTOTP tries the neighbouring steps itself: it must know
// which step matched, to refuse that code the second time.
func TOTPOptions() totp.ValidateOpts {
	return totp.ValidateOpts{Period: 30, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
}

// secretBox encrypts TOTP secrets with AES-256-GCM. The key is the SHA-256
// of TOTP_KEY, so any string of 32+ characters will do; the user id is the
// additional data, so a ciphertext copied to another account does not open.
type secretBox struct{ aead cipher.AEAD }

func newSecretBox(key string) (*secretBox, error) {
	sum := sha256.Sum256([]byte(key))
	block, err := aes.NewCipher(sum[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &secretBox{aead}, nil
}

// seal returns "v1." + base64(nonce | ciphertext).
func (b *secretBox) seal(plain, userID string) (string, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return "v1." + base64.RawStdEncoding.EncodeToString(b.aead.Seal(nonce, nonce, []byte(plain), []byte(userID))), nil
}

func (b *secretBox) open(sealed, userID string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, "v1."))
	if err != nil || !strings.HasPrefix(sealed, "v1.") || len(raw) < b.aead.NonceSize() {
		return "", errors.New("malformed TOTP secret")
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(userID))
	if err != nil {
		return "", errors.New("TOTP secret does not decrypt: was TOTP_KEY changed?")
	}
	return string(plain), nil
}

// Setup is a two-factor set-up to show: the secret, its otpauth:// URL, and
// its QR code as a PNG data: URL.
type Setup struct {
	Secret string
	URL    string
	QR     string
}

// setupOf draws the key's QR code here (no third-party service sees the
// secret) as a PNG data: URL, which the CSP's img-src allows.
func setupOf(key *otp.Key) (Setup, error) {
	img, err := key.Image(240, 240)
	if err != nil {
		return Setup{}, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Setup{}, err
	}
	return Setup{Secret: key.Secret(), URL: key.URL(),
		QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// newTOTPKey makes a new secret for account.
func newTOTPKey(account string) (*otp.Key, error) {
	o := TOTPOptions()
	return totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: account,
		Period: o.Period, Digits: o.Digits, Algorithm: o.Algorithm})
}

// totpKey rebuilds the otpauth key of a secret (for the QR code).
func totpKey(secret, account string) (*otp.Key, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(secret, "="))
	if err != nil {
		return nil, err
	}
	o := TOTPOptions()
	return totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: account, Secret: raw,
		Period: o.Period, Digits: o.Digits, Algorithm: o.Algorithm})
}

// matchTOTP returns the time step whose code is code, trying now and one
// step either side (clock drift), or false.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	o := TOTPOptions()
	period := time.Duration(o.Period) * time.Second
	for _, d := range []time.Duration{0, -period, period} {
		at := now.Add(d)
		if ok, _ := totp.ValidateCustom(code, secret, at, o); ok {
			return at.Unix() / int64(o.Period), true
		}
	}
	return 0, false
}

// newBackupCodes returns codes to show once and the hashes to store. Each
// has 60 random bits, so a plain SHA-256 is enough (no guessing, no
// dictionary).
func newBackupCodes() (codes, hashes []string, err error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789" // no 0/o, 1/l/i
	for range BackupCodeCount {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			return nil, nil, err
		}
		var sb strings.Builder
		for i, x := range b {
			if i == 4 || i == 8 {
				sb.WriteByte('-')
			}
			sb.WriteByte(alphabet[int(x)%len(alphabet)])
		}
		codes = append(codes, sb.String())
		hashes = append(hashes, hashBackupCode(sb.String()))
	}
	return codes, hashes, nil
}

// hashBackupCode ignores case, spaces and dashes, as people type them.
func hashBackupCode(code string) string {
	norm := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(code)))
	sum := sha256.Sum256([]byte("corkboard-backup-code:" + norm))
	return hex.EncodeToString(sum[:])
}

// Factor is what a caller offers as a second factor: a TOTP code or a
// backup code.
type Factor struct {
	Code       string
	BackupCode string
}

// Empty is a Factor with neither code.
func (f Factor) Empty() bool {
	return strings.TrimSpace(f.Code) == "" && strings.TrimSpace(f.BackupCode) == ""
}
