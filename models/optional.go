package models

import (
	"bytes"
	"encoding/json"
)

// Optional is a JSON field that can be absent (Set false), null (Set true,
// Value nil) or a value, so a PATCH can clear a field as well as leave it.
type Optional[T any] struct {
	Set   bool
	Value *T
}

// UnmarshalJSON is only called when the field is present.
func (o *Optional[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Value = nil
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.Value = &v
	return nil
}

// Some is a set, non-null Optional.
func Some[T any](v T) Optional[T] { return Optional[T]{Set: true, Value: &v} }

// Null is a set, null Optional.
func Null[T any]() Optional[T] { return Optional[T]{Set: true} }
