package app

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"image/png"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Two-factor authentication with TOTP (RFC 6238, pquerna/otp): the secret is
// encrypted at rest with AES-GCM under TOTP_KEY, a code is accepted one
// step either side of now and never twice, ten single-use backup codes are
// stored hashed, and five wrong codes lock the second factor for 15 minutes
// on every instance (accounts.Guard.ReserveCode: each code is counted before
// it is checked, so simultaneous guesses get no more checks).

const (
	totpIssuer      = "Corkboard"
	backupCodeCount = 10
	pendingLoginTTL = 5 * time.Minute
	pendingAudience = "corkboard:2fa-pending"
)

// Audit event types of this part (see audit.go for the others).
const (
	audit2FAEnabled       = "2fa.enabled"
	audit2FADisabled      = "2fa.disabled"
	audit2FAFailed        = "2fa.failed"
	audit2FALocked        = "2fa.locked"
	auditBackupCodeUsed   = "2fa.backup_code_used"
	auditBackupCodesRegen = "2fa.backup_codes_regenerated"
	auditSessionRevoked   = "session.revoked"
	auditTokenCreated     = "token.created"
	auditTokenRevoked     = "token.revoked"
	auditTokenUsed        = "token.used" // the first use of a token on a (UTC) day
)

// totpOpts are the parameters every authenticator app understands. Skew is
// 0 because verifyTOTP tries the neighbouring steps itself: it must know
// which step matched, to refuse that code the second time.
var totpOpts = totp.ValidateOpts{Period: 30, Skew: 0, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

var (
	errWrongCode = newProblem(fiber.StatusUnauthorized, "wrong-code", "Wrong code",
		"The code is not right, already used, or expired; use the current code from your app or a backup code.")
	errTwoFactorOff = newProblem(fiber.StatusConflict, "two-factor-off", "Two-factor authentication is off",
		"Turn two-factor authentication on first.")
	errTwoFactorOn = newProblem(fiber.StatusConflict, "two-factor-on", "Two-factor authentication is already on",
		"Turn it off first to set up a new authenticator.")
	errNoSetup = newProblem(fiber.StatusConflict, "no-two-factor-setup", "No set-up in progress",
		"Start the set-up (POST /api/v1/auth/2fa/setup) before confirming it.")
	errBadPendingToken = newProblem(fiber.StatusUnauthorized, "pending-token-invalid", "Sign-in expired",
		"The sign-in step is invalid or older than 5 minutes: sign in with your password again.")
)

// twoFactorLocked answers a locked second factor: 429 with Retry-After.
func twoFactorLocked(c *fiber.Ctx, until time.Time, now time.Time) error {
	secs := max(1, int(math.Ceil(until.Sub(now).Seconds())))
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	return newProblem(fiber.StatusTooManyRequests, "two-factor-locked", "Too many wrong codes",
		"Two-factor codes are refused until "+until.UTC().Format(time.RFC3339)+" after too many wrong ones.")
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

// totpKey rebuilds the otpauth key of a secret (for the QR code).
func totpKey(secret, account string) (*otp.Key, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(secret, "="))
	if err != nil {
		return nil, err
	}
	return totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: account, Secret: raw,
		Period: uint(totpOpts.Period), Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm})
}

// qrDataURL draws the key's QR code here (no third-party service sees the
// secret) as a PNG data: URL, which the CSP's img-src allows.
func qrDataURL(key *otp.Key) (string, error) {
	img, err := key.Image(240, 240)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// matchTOTP returns the time step whose code is code, trying now and one
// step either side (clock drift), or false.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(code, " ", "")
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	period := time.Duration(totpOpts.Period) * time.Second
	for _, d := range []time.Duration{0, -period, period} {
		at := now.Add(d)
		if ok, _ := totp.ValidateCustom(code, secret, at, totpOpts); ok {
			return at.Unix() / int64(totpOpts.Period), true
		}
	}
	return 0, false
}

// newBackupCodes returns codes to show once and the hashes to store. Each
// has 60 random bits, so a plain SHA-256 is enough (no guessing, no
// dictionary).
func newBackupCodes() (codes, hashes []string, err error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789" // no 0/o, 1/l/i
	for range backupCodeCount {
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

// secondFactor is what a caller offers: a TOTP code or a backup code.
type secondFactor struct {
	Code       string
	BackupCode string
}

func (f secondFactor) empty() bool {
	return strings.TrimSpace(f.Code) == "" && strings.TrimSpace(f.BackupCode) == ""
}

// reserveCode counts a code of userID before it is checked, or refuses it
// (429) while the second factor is locked.
func (s *Server) reserveCode(c *fiber.Ctx, userID string) (*accounts.Attempt, error) {
	attempt, err := s.guard().ReserveCode(c.UserContext(), userID)
	var r *accounts.Refused
	if errors.As(err, &r) {
		return nil, twoFactorLocked(c, r.LockedUntil, s.now())
	}
	if err != nil {
		return nil, err
	}
	s.metrics.codeChecks.Add(1)
	return attempt, nil
}

// codeFailed audits a wrong code counted by attempt and returns the error
// to answer: the lock, if this fifth wrong code set it.
func (s *Server) codeFailed(c *fiber.Ctx, userID, why string, attempt *accounts.Attempt) error {
	s.audit(c, userID, audit2FAFailed, map[string]any{"reason": why, "failures": attempt.Failures()})
	lock := attempt.Failed()
	if lock == nil {
		return errWrongCode
	}
	s.audit(c, userID, audit2FALocked, map[string]any{"until": lock.LockedUntil.UTC().Format(time.RFC3339)})
	return twoFactorLocked(c, lock.LockedUntil, s.now())
}

// verifySecondFactor checks a TOTP or backup code of a user whose 2FA is on:
// the code is counted (or refused while locked) first, then checked (a
// TOTP code's step must be later than the last accepted one; a backup code
// is spent). A right code forgets the wrong ones.
func (s *Server) verifySecondFactor(c *fiber.Ctx, userID string, f secondFactor) error {
	ctx := c.UserContext()
	tf, err := s.store.TwoFactorOf(ctx, userID)
	if errors.Is(err, models.ErrNotFound) || (err == nil && !tf.Enabled) {
		return errTwoFactorOff
	}
	if err != nil {
		return err
	}
	attempt, err := s.reserveCode(c, userID)
	if err != nil {
		return err
	}
	if strings.TrimSpace(f.BackupCode) != "" {
		ok, err := s.store.UseBackupCode(ctx, userID, hashBackupCode(f.BackupCode), s.now())
		if err != nil {
			return err
		}
		if !ok {
			return s.codeFailed(c, userID, "backup code", attempt)
		}
		s.audit(c, userID, auditBackupCodeUsed, map[string]any{"left": tf.BackupCodesLeft - 1})
		attempt.Succeeded(ctx)
		return nil
	}
	secret, err := s.totpBox.open(tf.SecretEnc, userID)
	if err != nil {
		return err
	}
	step, ok := matchTOTP(secret, f.Code, s.now())
	if !ok {
		return s.codeFailed(c, userID, "wrong code", attempt)
	}
	fresh, err := s.store.UseTOTPStep(ctx, userID, step)
	if err != nil {
		return err
	}
	if !fresh {
		return s.codeFailed(c, userID, "code reused", attempt)
	}
	attempt.Succeeded(ctx)
	return nil
}

// beginTwoFactor makes a new secret, stores it encrypted as pending, and
// returns the key to show.
func (s *Server) beginTwoFactor(ctx context.Context, user models.User) (*otp.Key, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: user.Email,
		Period: uint(totpOpts.Period), Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm})
	if err != nil {
		return nil, err
	}
	sealed, err := s.totpBox.seal(key.Secret(), user.ID)
	if err != nil {
		return nil, err
	}
	if err := s.store.BeginTwoFactor(ctx, user.ID, sealed, s.now()); errors.Is(err, models.ErrConflict) {
		return nil, errTwoFactorOn
	} else if err != nil {
		return nil, err
	}
	return key, nil
}

// pendingTwoFactor is the set-up waiting for its first code, if any.
func (s *Server) pendingTwoFactor(ctx context.Context, user models.User) (*otp.Key, error) {
	tf, err := s.store.TwoFactorOf(ctx, user.ID)
	if err != nil {
		return nil, err
	}
	if tf.Enabled {
		return nil, errTwoFactorOn
	}
	secret, err := s.totpBox.open(tf.SecretEnc, user.ID)
	if err != nil {
		return nil, err
	}
	return totpKey(secret, user.Email)
}

// enableTwoFactor confirms the pending set-up with a code from the app and
// returns the backup codes to show once.
func (s *Server) enableTwoFactor(c *fiber.Ctx, user models.User, code string) ([]string, error) {
	ctx := c.UserContext()
	tf, err := s.store.TwoFactorOf(ctx, user.ID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return nil, errNoSetup
	case err != nil:
		return nil, err
	case tf.Enabled:
		return nil, errTwoFactorOn
	}
	secret, err := s.totpBox.open(tf.SecretEnc, user.ID)
	if err != nil {
		return nil, err
	}
	attempt, err := s.reserveCode(c, user.ID)
	if err != nil {
		return nil, err
	}
	step, ok := matchTOTP(secret, code, s.now())
	if !ok {
		return nil, s.codeFailed(c, user.ID, "wrong confirmation code", attempt)
	}
	attempt.Succeeded(ctx)
	codes, hashes, err := newBackupCodes()
	if err != nil {
		return nil, err
	}
	if err := s.store.EnableTwoFactor(ctx, user.ID, step, hashes, s.now()); errors.Is(err, models.ErrConflict) {
		return nil, errTwoFactorOn
	} else if errors.Is(err, models.ErrNotFound) {
		return nil, errNoSetup
	} else if err != nil {
		return nil, err
	}
	s.audit(c, user.ID, audit2FAEnabled, nil)
	return codes, nil
}

// disableTwoFactor needs the password and a current (or backup) code.
func (s *Server) disableTwoFactor(c *fiber.Ctx, user models.User, password string, f secondFactor) error {
	if err := s.checkPasswordOf(c, user.ID, password); err != nil {
		return err
	}
	if err := s.verifySecondFactor(c, user.ID, f); err != nil {
		return err
	}
	if err := s.store.DisableTwoFactor(c.UserContext(), user.ID); err != nil {
		return err
	}
	s.audit(c, user.ID, audit2FADisabled, nil)
	return nil
}

// regenerateBackupCodes replaces the backup codes; it needs a current code.
func (s *Server) regenerateBackupCodes(c *fiber.Ctx, user models.User, f secondFactor) ([]string, error) {
	if err := s.verifySecondFactor(c, user.ID, f); err != nil {
		return nil, err
	}
	codes, hashes, err := newBackupCodes()
	if err != nil {
		return nil, err
	}
	if err := s.store.ReplaceBackupCodes(c.UserContext(), user.ID, hashes); err != nil {
		return nil, err
	}
	s.audit(c, user.ID, auditBackupCodesRegen, nil)
	return codes, nil
}

var errWrongPassword = fieldErrors(models.FieldError{Field: "password", Message: "is not right"})

// checkPasswordOf confirms the signed-in user's password. Every "current
// password" check goes through here: it counts toward the same throttle
// and lock as signing in to that account (by its email; not toward the
// per-IP count, which is for sign-in, where anyone can name any account),
// so a stolen session cannot guess the password at request speed. A refusal, or the failure that
// locks the account, is a *throttledError (answered 429/423 with
// Retry-After); a wrong password is errWrongPassword.
func (s *Server) checkPasswordOf(c *fiber.Ctx, userID, password string) error {
	ctx := c.UserContext()
	user, err := s.store.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	attempt, err := s.guard().Reserve(ctx, user.Email, "")
	if err != nil {
		return asThrottled(err)
	}
	hash, err := s.store.PasswordHash(ctx, userID)
	if err != nil {
		return err
	}
	s.metrics.passwordChecks.Add(1)
	if ok, err := checkPassword(password, hash); err == nil && ok {
		attempt.Succeeded(ctx)
		return nil
	}
	if lock := s.passwordFailed(c, user.Email, attempt, false); lock != nil {
		return lock
	}
	return errWrongPassword
}

// pendingClaims name the user who passed the password step. The audience
// makes the token single-purpose: it is not a session (no sid), and a
// session token is not one of these.
type pendingClaims struct {
	jwt.RegisteredClaims
}

func (s *Server) issuePendingToken(userID string) (string, error) {
	now := s.now()
	jti := make([]byte, 12)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	claims := pendingClaims{jwt.RegisteredClaims{Subject: userID, Audience: jwt.ClaimStrings{pendingAudience},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(pendingLoginTTL)),
		ID: hex.EncodeToString(jti)}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.jwtKey)
}

// parsePendingToken returns the user id a pending token was issued to.
func (s *Server) parsePendingToken(raw string) (string, error) {
	var claims pendingClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) { return s.jwtKey, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithAudience(pendingAudience),
		jwt.WithTimeFunc(s.now))
	if err != nil || claims.Subject == "" {
		return "", errBadPendingToken
	}
	return claims.Subject, nil
}

// completeSecondFactor verifies the code offered with a pending token and
// returns the user to start a session for.
func (s *Server) completeSecondFactor(c *fiber.Ctx, pendingToken string, f secondFactor) (models.User, error) {
	userID, err := s.parsePendingToken(pendingToken)
	if err != nil {
		return models.User{}, err
	}
	if err := s.verifySecondFactor(c, userID, f); err != nil {
		return models.User{}, err
	}
	return s.store.UserByID(c.UserContext(), userID)
}
