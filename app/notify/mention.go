package notify

import (
	"regexp"
	"strings"
)

// mentionPattern finds @handle where a handle is [a-z0-9][a-z0-9_.-]{1,31}
// (DESIGN; any case, handles are compared lower-cased). The @ must not
// follow a character that could be part of an address or a word, so
// alice@example.com mentions nobody.
var mentionPattern = regexp.MustCompile(`(?:^|[^A-Za-z0-9_.@/+-])@([A-Za-z0-9][A-Za-z0-9_.-]{1,31})`)

// Mentions lists the handles text mentions, lower-cased, each once. A
// handle may end in '.', '-' or '_', but "thanks @bob." means bob: both
// the text as written and the text without trailing punctuation are
// candidates; only handles of members count, so the extra one is harmless.
func Mentions(text string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(h string) {
		if len(h) >= 2 && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	for _, m := range mentionPattern.FindAllStringSubmatch(text, -1) {
		h := strings.ToLower(m[1])
		add(h)
		add(strings.TrimRight(h, "._-"))
	}
	return out
}

// newMentions is what newText mentions that oldText did not: an edit
// mentions someone once, when it adds them.
func newMentions(oldText, newText string) []string {
	if newText == oldText {
		return nil
	}
	before := map[string]bool{}
	for _, h := range Mentions(oldText) {
		before[h] = true
	}
	var out []string
	for _, h := range Mentions(newText) {
		if !before[h] {
			out = append(out, h)
		}
	}
	return out
}
