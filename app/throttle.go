package app

import (
	"errors"
	"math"
	"strconv"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/gofiber/fiber/v2"
)

// Throttle is the sign-in throttle's settings (the rule itself is
// accounts.Guard's).
type Throttle = accounts.Throttle

// The password throttle's refusals (*accounts.Refused) as answers: 429
// while a delay runs or the IP is over its limit, 423 while the account is
// locked (and from the failure that locks it). The answer is the same for
// every email, with or without account. Both carry Retry-After, as does a
// locked second factor (*accounts.CodeLocked).

// retryAfter is the Retry-After of a wait: whole seconds, at least one.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(int(math.Ceil(max(d, time.Second).Seconds())))
}

// setRetryAfter sets Retry-After on the answer to a refusal of the password
// throttle or of the second factor; other errors set nothing.
func setRetryAfter(c *fiber.Ctx, err error) {
	var r *accounts.Refused
	var cl *accounts.CodeLocked
	switch {
	case errors.As(err, &r):
		c.Set(fiber.HeaderRetryAfter, retryAfter(r.RetryAfter))
	case errors.As(err, &cl):
		c.Set(fiber.HeaderRetryAfter, retryAfter(cl.RetryAfter))
	}
}

func throttleProblem(r *accounts.Refused) *problemError {
	if !r.LockedUntil.IsZero() {
		p := newProblem(fiber.StatusLocked, "account-locked", "Account locked",
			"Too many failed sign-ins: this account is locked until locked_until. "+
				"If it is yours, the e-mail we sent has a link that unlocks it now.")
		until := r.LockedUntil.UTC().Truncate(time.Second)
		p.p.LockedUntil = &until
		return p
	}
	return newProblem(fiber.StatusTooManyRequests, "too-many-attempts", "Too many attempts",
		"Too many failed sign-ins: wait "+retryAfter(r.RetryAfter)+" seconds (Retry-After) before trying again.")
}

// throttleMessage is the sentence the login page shows.
func throttleMessage(r *accounts.Refused) string {
	if !r.LockedUntil.IsZero() {
		return "Too many failed sign-ins: this account is locked until " + r.LockedUntil.UTC().Format("15:04 UTC") +
			". If it is yours, we have e-mailed you a link that unlocks it now, or you can reset your password."
	}
	return "Too many failed sign-ins. Please wait " + retryAfter(r.RetryAfter) + " seconds and try again."
}

// throttleFieldMessage follows "Current password" on a settings form.
func throttleFieldMessage(r *accounts.Refused) string {
	if !r.LockedUntil.IsZero() {
		return "was wrong too many times: the account is locked until " + r.LockedUntil.UTC().Format("15:04 UTC") +
			" (the e-mail we sent has a link that unlocks it)"
	}
	return "was wrong too many times: wait " + retryAfter(r.RetryAfter) + " seconds and try again"
}
