package models

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRankRandomInsertsKeepStrictOrder inserts at random positions (front,
// back, between any two neighbours) and checks after every insert that the
// list is strictly increasing and every key is valid.
func TestRankRandomInsertsKeepStrictOrder(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		r := rand.New(rand.NewPCG(seed, seed*7))
		keys := []string{}
		for n := 0; n < 500; n++ {
			i := r.IntN(len(keys) + 1)
			lo, hi := "", ""
			if i > 0 {
				lo = keys[i-1]
			}
			if i < len(keys) {
				hi = keys[i]
			}
			k, err := RankBetween(lo, hi)
			if err != nil {
				t.Fatalf("seed %d: RankBetween(%q, %q): %v", seed, lo, hi, err)
			}
			if lo != "" && !(lo < k) || hi != "" && !(k < hi) {
				t.Fatalf("seed %d: %q not strictly between %q and %q", seed, k, lo, hi)
			}
			if err := validateRank(k); err != nil {
				t.Fatalf("seed %d: produced invalid key %q", seed, k)
			}
			keys = slices.Insert(keys, i, k)
		}
		if !slices.IsSorted(keys) {
			t.Fatalf("seed %d: keys not sorted", seed)
		}
	}
}

// TestRankRepeatedSameGap hammers one gap (always just after the first key),
// the worst case for key growth, and checks order holds.
func TestRankRepeatedSameGap(t *testing.T) {
	first, _ := RankBetween("", "")
	last, _ := RankBetween(first, "")
	hi := last
	for n := 0; n < 2000; n++ {
		k, err := RankBetween(first, hi)
		if err != nil {
			t.Fatalf("step %d: %v", n, err)
		}
		if !(first < k && k < hi) {
			t.Fatalf("step %d: %q not between %q and %q", n, k, first, hi)
		}
		hi = k
	}
}

func TestRankAppendsAndPrependsStayShort(t *testing.T) {
	k := ""
	for n := 0; n < 10000; n++ {
		next, err := RankBetween(k, "")
		if err != nil || (k != "" && next <= k) {
			t.Fatalf("append %d: %q after %q: %v", n, next, k, err)
		}
		k = next
	}
	if len(k) > 4 {
		t.Fatalf("after 10,000 appends key is %q (%d chars), want <= 4", k, len(k))
	}
	k = "a0"
	for n := 0; n < 10000; n++ {
		next, err := RankBetween("", k)
		if err != nil || next >= k {
			t.Fatalf("prepend %d: %q before %q: %v", n, next, k, err)
		}
		k = next
	}
	if len(k) > 4 {
		t.Fatalf("after 10,000 prepends key is %q, want <= 4 chars", k)
	}
}

func TestRankRejectsBadInput(t *testing.T) {
	for _, c := range [][2]string{{"a1", "a0"}, {"a1", "a1"}, {"!", ""}, {"a10", ""}, {"", "b"}} {
		if _, err := RankBetween(c[0], c[1]); err == nil {
			t.Errorf("RankBetween(%q, %q) succeeded, want error", c[0], c[1])
		}
	}
}

func FuzzRankBetween(f *testing.F) {
	f.Add(uint16(1), uint16(2))
	f.Fuzz(func(t *testing.T, x, y uint16) {
		k := ""
		keys := []string{}
		for i := 0; i < int(x%64)+2; i++ {
			k, _ = RankBetween(k, "")
			keys = append(keys, k)
		}
		i := int(y) % (len(keys) - 1)
		m, err := RankBetween(keys[i], keys[i+1])
		if err != nil || !(keys[i] < m && m < keys[i+1]) {
			t.Fatalf("between %q and %q got %q, %v", keys[i], keys[i+1], m, err)
		}
	})
}
