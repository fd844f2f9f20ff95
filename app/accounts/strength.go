package accounts

import (
	"strings"
	"unicode"

	"github.com/corkboard/corkboard/models"
	"github.com/trustelem/zxcvbn"
)

// minStrength is the lowest zxcvbn score accepted (0..4): 3 is "safely
// unguessable: moderate protection from offline slow-hash scenario".
const minStrength = 3

// strengthRunes bounds what zxcvbn looks at: its matching grows faster
// than the length (256 bytes took 230 ms), and a password whose first 64
// characters are strong is strong.
const strengthRunes = 64

// ValidatePassword checks length and strength, adding what is wrong to v
// under field. userInputs (the email, the display name) count as easy to
// guess, as zxcvbn's user inputs.
func ValidatePassword(v *models.ValidationError, field, password string, userInputs ...string) {
	switch n := len([]rune(password)); {
	case n < 8:
		v.Add(field, "must be at least 8 characters")
		return
	case len(password) > 256:
		v.Add(field, "must be at most 256 bytes")
		return
	}
	if reason := weakness(password, userInputs); reason != "" {
		v.Add(field, reason)
	}
}

// weakness says why password is too easy to guess, or "" if it is not.
func weakness(password string, userInputs []string) string {
	if r := []rune(password); len(r) > strengthRunes {
		password = string(r[:strengthRunes])
	}
	res := zxcvbn.PasswordStrength(password, guessableInputs(userInputs))
	if res.Score >= minStrength {
		return ""
	}
	// zxcvbn v1.0.1 gives no feedback text: name the weakest part it found.
	reason := "is too easy to guess: add more words or characters, a phrase of unrelated words works well"
	for _, m := range res.Sequence {
		switch {
		case m.Pattern == "dictionary" && m.DictionaryName == "user_inputs":
			return "is too easy to guess: it contains your email or name"
		case m.Pattern == "dictionary" && m.DictionaryName == "passwords":
			reason = "is too easy to guess: it is, or contains, a commonly used password"
		case m.Pattern == "spatial":
			reason = "is too easy to guess: keyboard patterns like qwerty are among the first guesses"
		case m.Pattern == "repeat":
			reason = "is too easy to guess: repeated characters or words add little"
		case m.Pattern == "sequence":
			reason = "is too easy to guess: sequences like abc or 1234 add little"
		case m.Pattern == "date" || m.Pattern == "regex" && m.RegexName == "recent_year":
			reason = "is too easy to guess: dates and years are among the first guesses"
		}
	}
	return reason
}

// guessableInputs is the email, its local part and domain words, and the
// name and its words, lowercased.
func guessableInputs(inputs []string) []string {
	var out []string
	for _, in := range inputs {
		in = strings.ToLower(strings.TrimSpace(in))
		if in == "" {
			continue
		}
		out = append(out, in)
		words := strings.FieldsFunc(in, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if len(words) > 1 {
			for _, w := range words {
				if len([]rune(w)) >= 3 {
					out = append(out, w)
				}
			}
		}
	}
	return out
}
