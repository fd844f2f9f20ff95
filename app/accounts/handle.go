package accounts

import (
	"strconv"
	"strings"

	"github.com/corkboard/corkboard/models"
)

// Handles name people in text (@alice): 2 to 32 characters of a-z, 0-9,
// '_', '.' and '-', starting with a letter or a digit, unique ignoring
// case. They are stored lower-cased, so the database's unique index (and
// its CHECK, migration 0007_handles) is the case-insensitive rule.
const (
	HandleMinLen = 2
	HandleMaxLen = 32
)

// handleInvalid is the field message of a handle that is not one.
const handleInvalid = "must be 2 to 32 characters: lower-case letters, digits, '_', '.' or '-', starting with a letter or digit"

// NormalizeHandle turns what someone typed into a handle: surrounding
// space and one leading '@' are dropped and ASCII letters lower-cased;
// anything else that is not allowed is a field error on "handle" (nothing
// is silently dropped from a handle a person chose).
func NormalizeHandle(typed string) (string, error) {
	h := lowerASCII(strings.TrimPrefix(strings.TrimSpace(typed), "@"))
	if !validHandle(h) {
		return "", &models.ValidationError{Fields: []models.FieldError{{Field: "handle", Message: handleInvalid}}}
	}
	return h, nil
}

func validHandle(h string) bool {
	if len(h) < HandleMinLen || len(h) > HandleMaxLen || !alnum(h[0]) {
		return false
	}
	for i := 1; i < len(h); i++ {
		if !handleChar(h[i]) {
			return false
		}
	}
	return true
}

// lowerASCII lower-cases A-Z only: a handle is ASCII, and Unicode case
// folding would turn look-alikes (the Kelvin sign) into letters.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

func alnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

func handleChar(c byte) bool { return alnum(c) || c == '_' || c == '.' || c == '-' }

// HandleFromEmail is the handle an account gets when none is chosen: the
// email's local part up to any "+tag", lower-cased, other characters than
// a handle's dropped, without '_', '.' or '-' at either end, cut to 32,
// padded with "0" to 2 ("x" -> "x0"), and "user" when nothing is left.
// Make it unique with HandleCandidate.
func HandleFromEmail(email string) string {
	local := email
	if at := strings.LastIndexByte(local, '@'); at >= 0 {
		local = local[:at]
	}
	if plus := strings.IndexByte(local, '+'); plus >= 0 {
		local = local[:plus]
	}
	var b strings.Builder
	for _, c := range []byte(lowerASCII(local)) {
		if handleChar(c) {
			b.WriteByte(c)
		}
	}
	const edges = "_.-"
	h := strings.Trim(b.String(), edges)
	if len(h) > HandleMaxLen {
		h = strings.TrimRight(h[:HandleMaxLen], edges)
	}
	switch len(h) {
	case 0:
		return "user"
	case 1:
		return h + "0"
	}
	return h
}

// HandleCandidate is the nth handle to try for base (n from 1): base
// itself, then base followed by n ("ann2", "ann3" …), base cut so the
// whole fits in 32 characters. base must be a valid handle.
func HandleCandidate(base string, n int) string {
	if n <= 1 {
		return base
	}
	digits := strconv.Itoa(n)
	if len(base)+len(digits) > HandleMaxLen {
		base = base[:HandleMaxLen-len(digits)]
	}
	return base + digits
}
