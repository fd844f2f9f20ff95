package notify

import (
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// mentionPattern finds @handle where a handle is [a-z0-9][a-z0-9_.-]{1,31}
// (DESIGN; any case, handles are compared lower-cased). The @ must not
// follow a character that could be part of an address or a word, so
// alice@example.com mentions nobody.
var mentionPattern = regexp.MustCompile(`(?:^|[^A-Za-z0-9_.@/+-])@([A-Za-z0-9][A-Za-z0-9_.-]{1,31})`)

// markdownParser finds code in a text the way the page renders it (the
// CommonMark rules for spans and blocks); it keeps no state between parses.
var markdownParser = goldmark.DefaultParser()

// Mentions lists the handles text mentions, lower-cased, each once. A
// handle may end in '.', '-' or '_', but "thanks @bob." means bob: both
// the text as written and the text without trailing punctuation are
// candidates; only handles of members count, so the extra one is harmless.
// Code (`@alice` in backticks, fenced or indented blocks) quotes a handle
// rather than calling its owner, so it mentions nobody.
func Mentions(text string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(h string) {
		if len(h) >= 2 && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	for _, m := range mentionPattern.FindAllStringSubmatch(withoutCode(text), -1) {
		h := strings.ToLower(m[1])
		add(h)
		add(strings.TrimRight(h, "._-"))
	}
	return out
}

// withoutCode is src with the content of every code span and code block
// replaced by spaces, so offsets and everything outside code stay as written.
func withoutCode(src string) string {
	if !strings.Contains(src, "`") && !strings.Contains(src, "~~~") && !strings.Contains(src, "    ") && !strings.Contains(src, "\t") {
		return src // no code possible: skip the parse
	}
	source := []byte(src)
	blank := func(s text.Segment) {
		for i := s.Start; i < s.Stop && i < len(source); i++ {
			if source[i] != '\n' {
				source[i] = ' '
			}
		}
	}
	doc := markdownParser.Parse(text.NewReader([]byte(src)), parser.WithContext(parser.NewContext()))
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.Kind() {
		case ast.KindCodeSpan:
			for c := n.FirstChild(); c != nil; c = c.NextSibling() {
				if t, ok := c.(*ast.Text); ok {
					blank(t.Segment)
				}
			}
			return ast.WalkSkipChildren, nil
		case ast.KindCodeBlock, ast.KindFencedCodeBlock:
			lines := n.Lines()
			for i := 0; i < lines.Len(); i++ {
				blank(lines.At(i))
			}
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return string(source)
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
