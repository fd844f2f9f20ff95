package models

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors the app maps to HTTP statuses in one place.
var (
	// ErrNotFound: the thing does not exist or the actor may not see it.
	ErrNotFound = errors.New("not found")
	// ErrForbidden: the actor can see the project but their role may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: a uniqueness rule was broken (a duplicate email, member, column key).
	ErrConflict = errors.New("conflict")
)

// StaleError answers an update whose version is not the current one.
type StaleError struct {
	Current Issue
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("stale version: issue is at version %d", e.Current.Version)
}

// OverCapacityError refuses an issue change that would raise a member's
// load in a cycle above their capacity, under the block policy. Load is
// the load as it would have been.
type OverCapacityError struct {
	UserID   string
	CycleID  string
	Load     int
	Capacity int
}

func (e *OverCapacityError) Error() string {
	return fmt.Sprintf("over capacity: user %s would carry %d points in cycle %s, capacity %d",
		e.UserID, e.Load, e.CycleID, e.Capacity)
}

// FieldError is one invalid input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists the fields of a request that cannot be accepted.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a field error.
func (e *ValidationError) Add(field, message string) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: message})
}

// Err returns the error when any field was added, or nil.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

func invalid(field, message string) error {
	return &ValidationError{Fields: []FieldError{{Field: field, Message: message}}}
}
