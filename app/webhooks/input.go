package webhooks

import (
	"context"
	"unicode/utf8"

	"github.com/corkboard/corkboard/models"
)

// Input is a webhook as an owner sends it; nil fields are not being set.
type Input struct {
	URL         *string
	Events      *[]string
	Description *string
}

// Check lists what is wrong with in (nil: nothing), the URL under the
// Guard's address rule.
func (g Guard) Check(ctx context.Context, in Input) []models.FieldError {
	var errs []models.FieldError
	if in.URL != nil {
		if msg := g.CheckURL(ctx, *in.URL); msg != "" {
			errs = append(errs, models.FieldError{Field: "url", Message: msg})
		}
	}
	if in.Events != nil {
		if msg := CheckFilters(*in.Events); msg != "" {
			errs = append(errs, models.FieldError{Field: "events", Message: msg})
		}
	}
	if in.Description != nil && (utf8.RuneCountInString(*in.Description) > 500 || !utf8.ValidString(*in.Description)) {
		errs = append(errs, models.FieldError{Field: "description", Message: "must be at most 500 characters"})
	}
	return errs
}
