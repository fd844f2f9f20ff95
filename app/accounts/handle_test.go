package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/models"
)

// TestHandleRule: what a handle may be, how one typed is normalised (case,
// spaces, a leading @), and which are refused.
func TestHandleRule(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want "" : refused
	}{
		{"alice", "alice"},
		{"Alice", "alice"},
		{"  @ALICE ", "alice"},
		{"a1", "a1"},
		{"0day", "0day"},
		{"jean-luc.picard_2", "jean-luc.picard_2"},
		{"ann.", "ann."},
		{strings.Repeat("a", 32), strings.Repeat("a", 32)},
		{"", ""},
		{"@", ""},
		{"a", ""},                     // too short
		{strings.Repeat("a", 33), ""}, // too long
		{"_ann", ""},                  // must start with a letter or digit
		{".ann", ""},
		{"-ann", ""},
		{"ann smith", ""},
		{"ann+x", ""},
		{"ann@x", ""},
		{"@@ann", ""},
		{"josé", ""},
		{"\u212Aate", ""}, // the Kelvin sign is not a "k"
		{"ann\x00", ""},
		{"ann\n", "ann"}, // surrounding space is trimmed
	} {
		got, err := accounts.NormalizeHandle(tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("NormalizeHandle(%q) = %q, want a refusal", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizeHandle(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestHandleFromEmail: the default handle is the email's local part made
// valid. The migration that backfilled existing accounts (models,
// 0007_handles) derives the same handles for these emails; its test holds
// the same table.
func TestHandleFromEmail(t *testing.T) {
	for email, want := range map[string]string{
		"ann@a.example":                  "ann",
		"Ann.Smith@a.example":            "ann.smith",
		"ann+work@a.example":             "ann",
		"o'brien@a.example":              "obrien",
		"__x__@a.example":                "x0",
		"x@a.example":                    "x0",
		"josé@a.example":                 "jos",
		"日本@a.example":                   "user",
		"...@a.example":                  "user",
		strings.Repeat("b", 40) + "@x":   strings.Repeat("b", 32),
		strings.Repeat("b", 31) + ".c@x": strings.Repeat("b", 31), // cut, then no trailing dot
		"first-last_1@a.example":         "first-last_1",
		"no-at-sign":                     "no-at-sign",
	} {
		got := accounts.HandleFromEmail(email)
		if got != want {
			t.Errorf("HandleFromEmail(%q) = %q, want %q", email, got, want)
		}
		if _, err := accounts.NormalizeHandle(got); err != nil {
			t.Errorf("HandleFromEmail(%q) = %q is not a valid handle: %v", email, got, err)
		}
	}
}

// TestHandleCandidates: the first candidate is the base; later ones end in
// digits and still fit in 32 characters.
func TestHandleCandidates(t *testing.T) {
	long := strings.Repeat("z", 32)
	for _, tc := range []struct {
		base string
		n    int
		want string
	}{
		{"ann", 1, "ann"},
		{"ann", 2, "ann2"},
		{"ann", 10, "ann10"},
		{long, 1, long},
		{long, 2, strings.Repeat("z", 31) + "2"},
		{long, 123, strings.Repeat("z", 29) + "123"},
	} {
		got := accounts.HandleCandidate(tc.base, tc.n)
		if got != tc.want {
			t.Errorf("HandleCandidate(%q, %d) = %q, want %q", tc.base, tc.n, got, tc.want)
		}
	}
	seen := map[string]bool{}
	for n := 1; n <= 200; n++ {
		c := accounts.HandleCandidate("ann", n)
		if _, err := accounts.NormalizeHandle(c); err != nil || seen[c] {
			t.Fatalf("candidate %d %q: valid %v, repeated %v", n, c, err, seen[c])
		}
		seen[c] = true
	}
}

// TestRegisterHandles: a chosen handle is kept (lower-cased); without one
// it comes from the email, made unique with digits; a taken handle (in any
// case) is ErrHandleTaken and an invalid one a field error, and neither
// creates the account.
func TestRegisterHandles(t *testing.T) {
	eachDB(t, accounts.Throttle{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		reg := func(email, handle string) (models.User, error) {
			return e.Register(ctx, accounts.Registration{Email: email, Password: goodPassword, DisplayName: "X", Handle: handle})
		}
		a, err := reg("alice@a.example", "Wonder.Alice")
		if err != nil || a.Handle != "wonder.alice" {
			t.Fatalf("chosen handle: %+v %v", a, err)
		}
		b, err := reg("bob@a.example", "")
		if err != nil || b.Handle != "bob" {
			t.Fatalf("derived handle: %+v %v", b, err)
		}
		b2, err := reg("bob@b.example", "")
		if err != nil || b2.Handle != "bob2" {
			t.Fatalf("second derived bob: %+v %v", b2, err)
		}
		if _, err := reg("carol@a.example", "BOB"); !errors.Is(err, accounts.ErrHandleTaken) {
			t.Fatalf("a taken handle in another case: %v", err)
		}
		if _, err := reg("carol@a.example", "_bad"); fields(t, err)["handle"] == "" {
			t.Fatalf("an invalid handle: %v", err)
		}
		if _, _, err := e.store.Credentials(ctx, "carol@a.example"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("a refused registration created the account: %v", err)
		}
		// The email is still checked first among conflicts: a taken email
		// with a free handle is ErrEmailTaken.
		if _, err := reg("alice@a.example", "fresh"); !errors.Is(err, accounts.ErrEmailTaken) {
			t.Fatalf("a taken email: %v", err)
		}
	})
}

// TestDerivedHandlesUniqueUnderConcurrency: ten registrations at once of
// the same local part on different domains all succeed, with ten different
// handles ann, ann2 … ann10: a taken candidate (a unique violation, not a
// look-up first) moves on to the next.
func TestDerivedHandlesUniqueUnderConcurrency(t *testing.T) {
	eachDB(t, accounts.Throttle{}, func(t *testing.T, e *env) {
		const n = 10
		var wg sync.WaitGroup
		users := make([]models.User, n)
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				users[i], errs[i] = e.Register(context.Background(), accounts.Registration{
					Email: fmt.Sprintf("ann@d%d.example", i), Password: goodPassword, DisplayName: "Ann"})
			})
		}
		close(start)
		wg.Wait()
		got := map[string]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("registration %d: %v", i, errs[i])
			}
			got[users[i].Handle] = true
		}
		for i := 1; i <= n; i++ {
			if want := accounts.HandleCandidate("ann", i); !got[want] {
				t.Errorf("handles %v: missing %q", got, want)
			}
		}
	})
}

// TestUpdateProfile: the display name and the handle change together or
// not at all; a handle taken by someone else (in any case) is
// ErrHandleTaken, keeping one's own is fine.
func TestUpdateProfile(t *testing.T) {
	eachDB(t, accounts.Throttle{}, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.register("alice@example.com", "Alice")
		e.register("bob@example.com", "Bob")
		name, taken := "Alice B.", "BOB"
		if _, err := e.UpdateProfile(ctx, alice, accounts.ProfileChange{DisplayName: &name, Handle: &taken}); !errors.Is(err, accounts.ErrHandleTaken) {
			t.Fatalf("a taken handle: %v", err)
		}
		bad, empty := "no spaces", ""
		for _, h := range []*string{&bad, &empty} {
			if _, err := e.UpdateProfile(ctx, alice, accounts.ProfileChange{DisplayName: &name, Handle: h}); fields(t, err)["handle"] == "" {
				t.Fatalf("handle %q: %v", *h, err)
			}
		}
		blank, good := " ", "ally"
		if _, err := e.UpdateProfile(ctx, alice, accounts.ProfileChange{DisplayName: &blank, Handle: &good}); fields(t, err)["display_name"] == "" {
			t.Fatalf("a blank name: %v", err)
		}
		if got, _ := e.store.UserByID(ctx, alice.ID); got != alice {
			t.Fatalf("refused changes changed the account: %+v, was %+v", got, alice)
		}
		own := "ALICE"
		u, err := e.UpdateProfile(ctx, alice, accounts.ProfileChange{Handle: &own})
		if err != nil || u.Handle != "alice" || u.DisplayName != "Alice" {
			t.Fatalf("keeping one's own handle: %+v %v", u, err)
		}
		u, err = e.UpdateProfile(ctx, alice, accounts.ProfileChange{DisplayName: &name, Handle: &good})
		if err != nil || u.Handle != "ally" || u.DisplayName != "Alice B." {
			t.Fatalf("a change: %+v %v", u, err)
		}
		// The old handle is free again.
		if c, err := e.Register(ctx, accounts.Registration{Email: "carol@example.com", Password: goodPassword,
			DisplayName: "Carol", Handle: "alice"}); err != nil || c.Handle != "alice" {
			t.Fatalf("the freed handle: %+v %v", c, err)
		}
	})
}
