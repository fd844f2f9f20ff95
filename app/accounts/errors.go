package accounts

import (
	"errors"
	"time"

	"github.com/corkboard/corkboard/models"
)

// The refusals of the account rules. app maps each to its problem+json
// (and page message); a *Refused (throttle.go) is a password check
// refused or locked.
var (
	ErrBadCredentials  = errors.New("wrong email or password")
	ErrEmailTaken      = errors.New("email already registered")
	ErrHandleTaken     = errors.New("handle taken by another account")
	ErrWrongCode       = errors.New("wrong, reused or expired two-factor code")
	ErrTwoFactorOff    = errors.New("two-factor authentication is off")
	ErrTwoFactorOn     = errors.New("two-factor authentication is already on")
	ErrNoSetup         = errors.New("no two-factor set-up in progress")
	ErrBadPendingToken = errors.New("pending sign-in token invalid or expired")

	// ErrWrongPassword is a wrong current password: a field error, as a
	// signed-in user's form answers it.
	ErrWrongPassword error = &models.ValidationError{Fields: []models.FieldError{{Field: "password",
		Message: "is not right"}}}
	// ErrBadToken is a reset or unlock token that is malformed, unknown,
	// spent or expired.
	ErrBadToken error = &models.ValidationError{Fields: []models.FieldError{{Field: "token",
		Message: "is not valid: the link may have expired or been used already; ask for a new one"}}}
)

// CodeLocked refuses second-factor codes after too many wrong ones.
type CodeLocked struct {
	Until      time.Time
	RetryAfter time.Duration
}

func (e *CodeLocked) Error() string {
	return "two-factor codes refused until " + e.Until.UTC().Format(time.RFC3339)
}
