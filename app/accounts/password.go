package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are argon2id's cost settings. They are stored in every hash
// (PHC string format), so raising them later keeps old hashes verifiable.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultPasswordParams follow OWASP's argon2id recommendation
// (m=19 MiB, t=2, p=1): about 30 ms per hash on a 2-core machine.
func DefaultPasswordParams() PasswordParams {
	return PasswordParams{Memory: 19 * 1024, Time: 2, Threads: 1}
}

const (
	saltLen = 16
	keyLen  = 32
)

// Hasher hashes and checks passwords with argon2id. Slots bounds the
// computations running at once: each holds Params.Memory KiB, so a burst of
// logins cannot exhaust the server's memory (19 MiB × slots at most); the
// rest wait their turn.
type Hasher struct {
	Params PasswordParams
	// Slots: one token per computation in progress (cap: how many at once).
	// Tests fill it to hold every computation.
	Slots chan struct{}
}

// NewHasher is a Hasher of params (zero: DefaultPasswordParams) with a slot
// per CPU, at least two.
func NewHasher(params PasswordParams) *Hasher {
	if params.Memory == 0 {
		params = DefaultPasswordParams()
	}
	return &Hasher{Params: params, Slots: make(chan struct{}, max(2, runtime.NumCPU()))}
}

func (h *Hasher) idKey(password string, salt []byte, p PasswordParams, n uint32) []byte {
	h.Slots <- struct{}{}
	defer func() { <-h.Slots }()
	return argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, n)
}

// Hash returns a PHC string: $argon2id$v=19$m=...,t=...,p=...$salt$key.
func (h *Hasher) Hash(password string) (string, error) {
	p := h.Params
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := h.idKey(password, salt, p, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrBadHash is a stored hash that is not an argon2id PHC string.
var ErrBadHash = errors.New("malformed password hash")

// Check compares password with the hash encoded, in constant time, with
// the parameters stored in the hash.
func (h *Hasher) Check(password, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrBadHash
	}
	var version int
	var p PasswordParams
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, ErrBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, ErrBadHash
	}
	got := h.idKey(password, salt, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
