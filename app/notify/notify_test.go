package notify

import (
	"slices"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/models"
)

func TestMentions(t *testing.T) {
	for _, c := range []struct {
		text string
		want []string
	}{
		{"@alice look", []string{"alice"}},
		{"Hi @Alice and @bob.", []string{"alice", "bob.", "bob"}},
		{"(@carol_x) @carol_x", []string{"carol_x"}},
		{"mail alice@example.com or x@bob", nil},
		{"@a is too short, @-no", nil},
		{"`@dave` and ``x @dave2 y``", nil},
		{"see `@dave`, ask @erin", []string{"erin"}},
		{"```\n@frank\n```\n@gina", []string{"gina"}},
		{"~~~go\n// @frank\n~~~", nil},
		{"text\n\n    @frank in an indented block\n", nil},
		{"- item\n\n  ```\n  @frank\n  ```\n- @hal", []string{"hal"}},
		{"an unclosed ` @ivan", []string{"ivan"}},
		{"4 spaces    @judy inside a paragraph", []string{"judy"}},
		{"line\n@eve-1\n", []string{"eve-1"}},
		{"@" + strings.Repeat("f", 40), []string{strings.Repeat("f", 32)}},
	} {
		if got := Mentions(c.text); !slices.Equal(got, c.want) {
			t.Errorf("Mentions(%q) = %q, want %q", c.text, got, c.want)
		}
	}
	r := Rules{}
	if got := r.Mentioned("@alice", "@alice @bob"); !slices.Equal(got, []string{"bob"}) {
		t.Errorf("an edit adding bob: %q", got)
	}
	if got := r.Mentioned("@alice @bob", "@ALICE @bob again"); len(got) != 0 {
		t.Errorf("an edit keeping the mentions: %q", got)
	}
}

func TestPlan(t *testing.T) {
	r := Rules{}
	kinds := func(p models.NotifyPlan) map[string]string {
		out := map[string]string{}
		for _, n := range p.Notify {
			if _, dup := out[n.UserID]; dup && n.Kind != models.NotifyOverCapacity {
				t.Fatalf("%s told twice: %+v", n.UserID, p.Notify)
			}
			out[n.UserID] = n.Kind
		}
		return out
	}
	// A comment by a that mentions w (a watcher) and m; o watches.
	p := r.Plan(models.NotifyFacts{ActorID: "a", Commented: true, Mentioned: []string{"w", "m", "a"},
		Watchers: []string{"a", "w", "o"}, OldAssignee: "o", NewAssignee: "o"})
	if got := kinds(p); len(got) != 3 || got["w"] != "mention" || got["m"] != "mention" || got["o"] != "comment" {
		t.Fatalf("comment: %v", got)
	}
	if !slices.Equal(p.Watch, []string{"a", "w", "m"}) {
		t.Fatalf("watchers added: %v", p.Watch)
	}
	// An assignment and a move by a: the new assignee is told assigned,
	// the other watchers status, a nothing.
	p = r.Plan(models.NotifyFacts{ActorID: "a", StatusMoved: true, OldAssignee: "x", NewAssignee: "n",
		Watchers: []string{"a", "x", "n"}})
	if got := kinds(p); len(got) != 2 || got["n"] != "assigned" || got["x"] != "status" {
		t.Fatalf("move and assign: %v", got)
	}
	// Assigning yourself tells nobody; unassigning tells nobody.
	if p := r.Plan(models.NotifyFacts{ActorID: "a", OldAssignee: "", NewAssignee: "a"}); len(p.Notify) != 0 {
		t.Fatalf("self-assignment: %+v", p.Notify)
	}
	if p := r.Plan(models.NotifyFacts{ActorID: "a", OldAssignee: "b", NewAssignee: ""}); len(p.Notify) != 0 {
		t.Fatalf("unassignment: %+v", p.Notify)
	}
	// Over capacity: the assignee, besides assigned; never the actor.
	p = r.Plan(models.NotifyFacts{ActorID: "a", NewAssignee: "b", OverCapacity: "b"})
	if len(p.Notify) != 2 || p.Notify[1].Kind != models.NotifyOverCapacity {
		t.Fatalf("over capacity: %+v", p.Notify)
	}
	if p := r.Plan(models.NotifyFacts{ActorID: "a", OverCapacity: "a"}); len(p.Notify) != 0 {
		t.Fatalf("own over capacity: %+v", p.Notify)
	}
}

func TestOffToken(t *testing.T) {
	k := OffToken{Key: []byte(strings.Repeat("s", 32))}
	id := "0190f1b2-7c3d-7a4e-8b5f-6c7d8e9f0a1c"
	tok := k.Sign(id)
	if got, ok := k.Verify(tok); !ok || got != id {
		t.Fatalf("Verify(Sign) = %q, %v", got, ok)
	}
	other := OffToken{Key: []byte(strings.Repeat("t", 32))}
	sig := tok[strings.Index(tok, "."):]
	for _, bad := range []string{tok + "A", tok[:len(tok)-2], "0190f1b2-7c3d-7a4e-8b5f-6c7d8e9f0a1d" + sig, "x" + sig,
		other.Sign(id), "", "."} {
		if _, ok := k.Verify(bad); ok {
			t.Errorf("Verify(%q) accepted", bad)
		}
	}
}

func TestDueTomorrow(t *testing.T) {
	if !DueTomorrow("2026-12-31", "2027-01-01") || DueTomorrow("2026-12-31", "2026-12-31") ||
		DueTomorrow("2026-12-30", "2027-01-01") || DueTomorrow("junk", "2027-01-01") {
		t.Fatal("DueTomorrow")
	}
}
