package models

import (
	"encoding/base64"
	"math"
	"strconv"
	"strings"
	"testing"
)

// FuzzDecodeCursor: any string is refused or read as the issue number it
// encodes; what encodeCursor gives out reads back to its number, and a
// cursor read once reads the same after encoding again. Never a panic.
// (The app's FuzzListCursor drives both list cursors through the API.)
func FuzzDecodeCursor(f *testing.F) {
	for _, seed := range []string{
		encodeCursor(1), encodeCursor(0), encodeCursor(-1), encodeCursor(math.MaxInt64), encodeCursor(math.MinInt64),
		"", "bjox", "n:1", "====", base64.RawURLEncoding.EncodeToString([]byte("n:+7")),
		base64.RawURLEncoding.EncodeToString([]byte("n:99999999999999999999")),
		base64.RawURLEncoding.EncodeToString([]byte("a:1")), base64.StdEncoding.EncodeToString([]byte("n:12")),
	} {
		f.Add(seed, int64(len(seed)))
	}
	f.Fuzz(func(t *testing.T, cursor string, n int64) {
		if got, err := decodeCursor(encodeCursor(n)); err != nil || got != n {
			t.Fatalf("encodeCursor(%d) reads back as %d, %v", n, got, err)
		}
		got, err := decodeCursor(cursor)
		raw, rawErr := base64.RawURLEncoding.DecodeString(cursor)
		digits, prefixed := strings.CutPrefix(string(raw), "n:")
		want, wantErr := strconv.ParseInt(digits, 10, 64)
		if ok := rawErr == nil && prefixed && wantErr == nil; ok != (err == nil) {
			t.Fatalf("%q: decodeCursor gave %d, %v; the reference says valid=%v", cursor, got, err, ok)
		}
		if err != nil {
			return
		}
		if got != want {
			t.Fatalf("%q: read as %d, want %d", cursor, got, want)
		}
		if again, err := decodeCursor(encodeCursor(got)); err != nil || again != got {
			t.Fatalf("%q: %d re-encoded reads as %d, %v", cursor, got, again, err)
		}
	})
}
