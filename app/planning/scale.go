package planning

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Estimate scales: the values an issue's effort may take in a project.
const (
	ScaleFree        = "free"        // any whole number 0–MaxFreeEffort
	ScaleFibonacci   = "fibonacci"   // 0,1,2,3,5,8,13,21
	ScaleLinear      = "linear"      // 1–5
	ScaleExponential = "exponential" // 1,2,4,8,16
	ScaleTShirt      = "tshirt"      // 1,2,3,5,8 shown as XS,S,M,L,XL
)

// MaxFreeEffort bounds the free scale (as before scales existed).
const MaxFreeEffort = 1000

// MaxUnestimatedEffort bounds what an issue without an estimate counts as.
const MaxUnestimatedEffort = 21

// Capacity policies: what a change that overloads someone does.
const (
	PolicyWarn  = "warn"  // the change passes; the board shows the overload
	PolicyBlock = "block" // the change is refused (409 over-capacity)
)

// Scales lists the scale names, the default first.
func Scales() []string {
	return []string{ScaleFree, ScaleFibonacci, ScaleLinear, ScaleExponential, ScaleTShirt}
}

// ValidScale reports whether name is a scale.
func ValidScale(name string) bool { return slices.Contains(Scales(), name) }

// ValidPolicy reports whether name is a capacity policy.
func ValidPolicy(name string) bool { return name == PolicyWarn || name == PolicyBlock }

// ScaleValues are the efforts a scale allows, ascending; nil for the free
// scale (any whole number 0–MaxFreeEffort) and for an unknown scale.
func ScaleValues(scale string) []int {
	switch scale {
	case ScaleFibonacci:
		return []int{0, 1, 2, 3, 5, 8, 13, 21}
	case ScaleLinear:
		return []int{1, 2, 3, 4, 5}
	case ScaleExponential:
		return []int{1, 2, 4, 8, 16}
	case ScaleTShirt:
		return []int{1, 2, 3, 5, 8}
	}
	return nil
}

// tshirtSizes name the t-shirt scale's values, in ScaleValues order.
func tshirtSizes() []string { return []string{"XS", "S", "M", "L", "XL"} }

// CheckEffort says what is wrong with effort on scale ("" when it is on
// it). Changing a project's scale keeps existing efforts: only new values
// are checked.
func CheckEffort(scale string, effort int) string {
	values := ScaleValues(scale)
	if values == nil {
		if effort < 0 || effort > MaxFreeEffort {
			return "must be between 0 and " + strconv.Itoa(MaxFreeEffort)
		}
		return ""
	}
	if slices.Contains(values, effort) {
		return ""
	}
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = strconv.Itoa(v)
		if scale == ScaleTShirt {
			parts[i] += " (" + tshirtSizes()[i] + ")"
		}
	}
	return "must be one of " + strings.Join(parts, ", ") + " on the project's " + scale + " scale"
}

// EffortLabel is how an effort is shown on scale: "M" for 3 on the
// t-shirt scale, the number otherwise.
func EffortLabel(scale string, effort int) string {
	if scale == ScaleTShirt {
		if i := slices.Index(ScaleValues(ScaleTShirt), effort); i >= 0 {
			return tshirtSizes()[i]
		}
	}
	return strconv.Itoa(effort)
}

// zoneName is what an IANA zone name looks like ("UTC", "Europe/Paris",
// "America/Argentina/Buenos_Aires", "Etc/GMT+5"); it keeps paths and
// "Local" out of time.LoadLocation.
var zoneName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9][A-Za-z0-9_+\-]*)*$`)

// Location loads an IANA time zone by name; ok is false for anything
// else (an empty name, "Local", a path, an unknown zone).
func Location(name string) (loc *time.Location, ok bool) {
	if len(name) > 64 || name == "Local" || !zoneName.MatchString(name) {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	return loc, true
}

// Settings are a project's planning settings as a change sends them; nil
// fields stay as they are.
type Settings struct {
	EstimateScale     *string
	UnestimatedEffort *int
	Timezone          *string
	CapacityPolicy    *string
}

// Check says what is wrong with s.
func (s Settings) Check() []FieldError {
	var out []FieldError
	if s.EstimateScale != nil && !ValidScale(*s.EstimateScale) {
		out = append(out, FieldError{"estimate_scale", "must be free, fibonacci, linear, exponential or tshirt"})
	}
	if s.UnestimatedEffort != nil && (*s.UnestimatedEffort < 0 || *s.UnestimatedEffort > MaxUnestimatedEffort) {
		out = append(out, FieldError{"unestimated_effort", "must be between 0 and " + strconv.Itoa(MaxUnestimatedEffort)})
	}
	if s.Timezone != nil {
		if _, ok := Location(*s.Timezone); !ok {
			out = append(out, FieldError{"timezone", "must be an IANA time zone such as Europe/Paris or UTC"})
		}
	}
	if s.CapacityPolicy != nil && !ValidPolicy(*s.CapacityPolicy) {
		out = append(out, FieldError{"capacity_policy", "must be warn or block"})
	}
	return out
}
