package app

import (
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/app/planning/cyclereport"
	"github.com/corkboard/corkboard/models"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
)

// problem is an RFC 9457 problem document. Every API error is one.
type problem struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail"` // always set: every error says what to do
	Errors []models.FieldError `json:"errors,omitempty"`
	// Current is what a stale edit (409) was about, as it is now: a
	// *models.Issue or a *models.Comment.
	Current any `json:"current,omitempty"`
	// LockedUntil is when a locked account (423) opens again.
	LockedUntil *time.Time `json:"locked_until,omitempty"`
	// RequestID names a 5xx in the log; its body says nothing else.
	RequestID string `json:"request_id,omitempty"`
	// Over capacity (409 over-capacity): whose load in which cycle the
	// change would have raised to Load, above Capacity.
	UserID   string `json:"user_id,omitempty"`
	CycleID  string `json:"cycle_id,omitempty"`
	Load     *int   `json:"load,omitempty"`
	Capacity *int   `json:"capacity,omitempty"`
}

// problemError lets a handler return a specific problem.
type problemError struct{ p problem }

func (e *problemError) Error() string { return e.p.Title + ": " + e.p.Detail }

func newProblem(status int, slug, title, detail string) *problemError {
	t := "about:blank"
	if slug != "" {
		t = "urn:corkboard:problem:" + slug
	}
	return &problemError{problem{Type: t, Title: title, Status: status, Detail: detail}}
}

func badRequest(detail string) error {
	return newProblem(fiber.StatusBadRequest, "malformed-request", "Malformed request", detail)
}

func unauthorized() error {
	return newProblem(fiber.StatusUnauthorized, "unauthenticated", "Not signed in", "Sign in or send a bearer token.")
}

func fieldErrors(fields ...models.FieldError) error {
	return &models.ValidationError{Fields: fields}
}

// accountErrors are the account rules' refusals as problems.
var accountErrors = []struct {
	err error
	p   *problemError
}{
	{accounts.ErrBadCredentials, newProblem(fiber.StatusUnauthorized, "bad-credentials", "Wrong email or password",
		"The email or password is not right.")},
	{accounts.ErrEmailTaken, newProblem(fiber.StatusConflict, "email-taken", "Email already registered",
		"An account with this email exists; sign in instead.")},
	{accounts.ErrHandleTaken, newProblem(fiber.StatusConflict, "handle-taken", "Handle taken",
		"Another account has this handle (handles are unique ignoring case); choose another.")},
	{accounts.ErrWrongCode, newProblem(fiber.StatusUnauthorized, "wrong-code", "Wrong code",
		"The code is not right, already used, or expired; use the current code from your app or a backup code.")},
	{accounts.ErrTwoFactorOff, newProblem(fiber.StatusConflict, "two-factor-off", "Two-factor authentication is off",
		"Turn two-factor authentication on first.")},
	{accounts.ErrTwoFactorOn, newProblem(fiber.StatusConflict, "two-factor-on", "Two-factor authentication is already on",
		"Turn it off first to set up a new authenticator.")},
	{accounts.ErrNoSetup, newProblem(fiber.StatusConflict, "no-two-factor-setup", "No set-up in progress",
		"Start the set-up (POST /api/v1/auth/2fa/setup) before confirming it.")},
	{accounts.ErrBadPendingToken, newProblem(fiber.StatusUnauthorized, "pending-token-invalid", "Sign-in expired",
		"The sign-in step is invalid or older than 5 minutes: sign in with your password again.")},
}

// asProblem is the problem err asks for: a *problemError, or a refusal of
// the account rules (not the password throttle's: see throttleProblem).
func asProblem(err error) (*problemError, bool) {
	var pe *problemError
	if errors.As(err, &pe) {
		return pe, true
	}
	var cl *accounts.CodeLocked
	if errors.As(err, &cl) {
		return newProblem(fiber.StatusTooManyRequests, "two-factor-locked", "Too many wrong codes",
			"Two-factor codes are refused until "+cl.Until.UTC().Format(time.RFC3339)+" after too many wrong ones."), true
	}
	for _, a := range accountErrors {
		if errors.Is(err, a.err) {
			return a.p, true
		}
	}
	return nil, false
}

// toProblem maps every error a handler can return to its problem document.
// Anything unknown is a 500 whose body says nothing internal.
func toProblem(err error) problem {
	var ve *models.ValidationError
	var se *models.StaleError
	var oc *models.OverCapacityError
	var sc *models.CommentStaleError
	var fe *fiber.Error
	var refused *accounts.Refused
	if ap, ok := asProblem(err); ok {
		return ap.p
	}
	switch {
	case errors.As(err, &refused):
		return throttleProblem(refused).p
	case errors.As(err, &ve):
		return problem{Type: "urn:corkboard:problem:validation", Title: "Invalid input", Status: 422,
			Detail: "Some fields are not valid; see errors.", Errors: ve.Fields}
	case errors.As(err, &se):
		cur := se.Current
		return problem{Type: "urn:corkboard:problem:stale-version", Title: "Stale version", Status: 409,
			Detail: "The issue was changed by someone else; current holds it as it is now.", Current: &cur}
	case errors.As(err, &oc):
		return problem{Type: "urn:corkboard:problem:over-capacity", Title: "Over capacity", Status: 409,
			Detail: "The change would raise a member's load in the cycle above their capacity, and the project blocks that.",
			UserID: oc.UserID, CycleID: oc.CycleID, Load: &oc.Load, Capacity: &oc.Capacity}
	case errors.As(err, &sc):
		cur := sc.Current
		return problem{Type: "urn:corkboard:problem:stale-version", Title: "Stale version", Status: 409,
			Detail: "The comment was changed since you read it; current holds it as it is now.", Current: &cur}
	case errors.Is(err, models.ErrNotFound):
		return problem{Type: "about:blank", Title: "Not found", Status: 404,
			Detail: "There is nothing here, or you are not allowed to see it."}
	case errors.Is(err, models.ErrPruned):
		return problem{Type: "urn:corkboard:problem:resync", Title: "Events no longer retained", Status: 410,
			Detail: "The events after this seq were pruned from the log: reload the board and follow from its seq."}
	case errors.Is(err, cyclereport.ErrHistoryPruned):
		return problem{Type: "urn:corkboard:problem:history-pruned", Title: "History no longer retained", Status: 410,
			Detail: "The project's event log was pruned (EVENT_RETENTION), so this report cannot be computed exactly from it."}
	case errors.Is(err, models.ErrForbidden):
		return problem{Type: "urn:corkboard:problem:forbidden", Title: "Forbidden", Status: 403,
			Detail: "Your role in this project does not allow this."}
	case errors.Is(err, models.ErrConflict):
		return problem{Type: "urn:corkboard:problem:conflict", Title: "Conflict", Status: 409,
			Detail: "This already exists."}
	case errors.Is(err, fiber.ErrRequestEntityTooLarge):
		return problem{Type: "urn:corkboard:problem:body-too-large", Title: "Body too large", Status: 413,
			Detail: "Request bodies are limited to 1 MiB."}
	case errors.As(err, &fe):
		return fiberProblem(fe)
	}
	return problem{Type: "about:blank", Title: "Internal Server Error", Status: 500,
		Detail: "Something went wrong on our side; it has been logged."}
}

// errorHandler is Fiber's one error handler: API paths get problem+json,
// pages get the HTML error page.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	p := toProblem(err)
	setRetryAfter(c, err)
	if p.Status >= 500 {
		s.log.Error("request failed", "request_id", requestID(c), "method", c.Method(), "path", c.Path(), "err", err)
		p.RequestID = requestID(c)
	}
	// Errors raised before the middleware ran (an oversized body, a
	// malformed request) get the security headers here.
	s.setSecurityHeaders(c)
	if isAPI(c) {
		body, _ := json.Marshal(p)
		c.Set(fiber.HeaderContentType, "application/problem+json")
		return c.Status(p.Status).Send(body)
	}
	return s.renderError(c, p.Status, p.Title, p.Detail)
}

func isAPI(c *fiber.Ctx) bool {
	return strings.HasPrefix(c.Path(), "/api/")
}

// fiberProblem is an error raised by Fiber itself (an unknown method, a
// malformed request line): its message is the status text, so the detail
// says what that status means for the caller.
func fiberProblem(fe *fiber.Error) problem {
	title := strings.TrimSpace(fe.Message)
	if title == "" {
		title = utils.StatusMessage(fe.Code)
	}
	var detail string
	switch fe.Code {
	case fiber.StatusNotFound:
		detail = "There is nothing here, or you are not allowed to see it."
	case fiber.StatusMethodNotAllowed:
		detail = "This path does not take that method; see /api/v1/openapi.json."
	case fiber.StatusRequestHeaderFieldsTooLarge:
		detail = "The request's headers are too large."
	default:
		detail = "The request was refused: " + title + "."
	}
	return problem{Type: "about:blank", Title: title, Status: fe.Code, Detail: detail}
}
