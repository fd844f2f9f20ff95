package models_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/models"
)

const rankDigits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// randomRank is a key of random integer part (any length the scheme
// allows, extremes included) and fraction, sometimes malformed.
func randomRank(r *rand.Rand) string {
	var b strings.Builder
	heads := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	head := heads[r.IntN(len(heads))]
	b.WriteByte(head)
	n := int(head-'a') + 2
	if head <= 'Z' {
		n = int('Z'-head) + 2
	}
	digit := func() byte {
		switch r.IntN(4) { // the extremes often, to reach the carries
		case 0:
			return '0'
		case 1:
			return 'z'
		}
		return rankDigits[r.IntN(len(rankDigits))]
	}
	for i := 1; i < n; i++ {
		b.WriteByte(digit())
	}
	for i, f := 0, r.IntN(4); i < f; i++ {
		b.WriteByte(digit())
	}
	k := b.String()
	switch r.IntN(20) {
	case 0:
		return k[:r.IntN(len(k))] // cut short
	case 1:
		return k + "-" // a byte that is no digit
	case 2:
		return "A" + strings.Repeat("0", 26) // the smallest integer: invalid
	}
	return k
}

// TestRankBetweenSQLMatchesGo: corkboard_rank_between answers exactly what
// RankBetween answers (NULL for its errors), over keys made by random
// inserts (the ranks boards hold) and random keys of every shape.
func TestRankBetweenSQLMatchesGo(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *models.Store) {
		if models.Dialect(s) != "postgres" {
			t.Skip("the function is PostgreSQL's")
		}
		r := rand.New(rand.NewPCG(16, 2026))
		var as, bs []string
		pair := func(a, b string) { as, bs = append(as, a), append(bs, b) }
		// Boards' ranks: random inserts, then every neighbouring pair.
		keys := []string{}
		for n := 0; n < 2000; n++ {
			i := r.IntN(len(keys) + 1)
			lo, hi := "", ""
			if i > 0 {
				lo = keys[i-1]
			}
			if i < len(keys) {
				hi = keys[i]
			}
			pair(lo, hi)
			k, err := models.RankBetween(lo, hi)
			if err != nil {
				t.Fatalf("RankBetween(%q, %q): %v", lo, hi, err)
			}
			keys = slices.Insert(keys, i, k)
		}
		// Keys of every shape, in both orders, against each other and no bound.
		for n := 0; n < 20000; n++ {
			a, b := randomRank(r), randomRank(r)
			pair(a, b)
			pair(b, a)
			pair(a, "")
			pair("", b)
		}
		for _, k := range []string{"a0", "Zz", "zzzzzzzzzzzzzzzzzzzzzzzzzzzz", "A000000000000000000000000001", "a", "Z", "b00", "a1", ""} {
			pair(k, "")
			pair("", k)
			pair(k, "a0V")
		}
		got, err := models.RankBetweenSQL(t.Context(), s, as, bs)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(as) {
			t.Fatalf("%d answers for %d pairs", len(got), len(as))
		}
		errs := 0
		for i := range as {
			want, err := models.RankBetween(as[i], bs[i])
			switch {
			case err != nil && got[i] != nil:
				t.Errorf("between %q and %q: Go fails (%v), SQL answers %q", as[i], bs[i], err, *got[i])
			case err == nil && got[i] == nil:
				t.Errorf("between %q and %q: Go answers %q, SQL NULL", as[i], bs[i], want)
			case err == nil && *got[i] != want:
				t.Errorf("between %q and %q: Go answers %q, SQL %q", as[i], bs[i], want, *got[i])
			}
			if err != nil {
				errs++
			}
		}
		if errs == 0 || errs == len(as) {
			t.Fatalf("%d of %d pairs fail in Go: the inputs test only one side", errs, len(as))
		}
		t.Logf("%d pairs, %d refused", len(as), errs)
	})
}
