package accounts_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/corkboard/corkboard/app/accounts"
	"github.com/corkboard/corkboard/models"
)

// TestValidatePassword: length first, then zxcvbn's score, with the reason
// named; the email and name count as easy to guess.
func TestValidatePassword(t *testing.T) {
	for _, tc := range []struct{ password, reason string }{
		{"short", "must be at least 8 characters"},
		{strings.Repeat("é", 7), "must be at least 8 characters"}, // runes, not bytes
		{strings.Repeat("x", 257), "must be at most 256 bytes"},
		{"password1", "commonly used password"},
		{"qwertyuiop", "commonly used password"},
		{"carol@example.com", "your email or name"},
		{"Carol Carolsen 1", "your email or name"},
		{"abcdefghijk", "too easy to guess"},
		{"correct horse battery", ""},
		{"a fresh new passphrase", ""},
		{strings.Repeat("ab", 20) + " horse battery staple " + strings.Repeat("z", 150), ""}, // strong in its first 64
	} {
		v := &models.ValidationError{}
		accounts.ValidatePassword(v, "pw", tc.password, "carol@example.com", "Carol Carolsen")
		if tc.reason == "" {
			if err := v.Err(); err != nil {
				t.Errorf("%.20q: %v, want accepted", tc.password, err)
			}
			continue
		}
		if len(v.Fields) != 1 || v.Fields[0].Field != "pw" || !strings.Contains(v.Fields[0].Message, tc.reason) {
			t.Errorf("%.20q: %+v, want %q", tc.password, v.Fields, tc.reason)
		}
	}
}

// TestHasher: argon2id in PHC form; a hash is checked with the parameters
// stored in it, whatever the checker's own.
func TestHasher(t *testing.T) {
	h := accounts.NewHasher(accounts.PasswordParams{Memory: 1024, Time: 1, Threads: 1})
	hash, err := h.Hash("correct horse battery")
	if err != nil || !strings.HasPrefix(hash, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("hash %q %v", hash, err)
	}
	if again, _ := h.Hash("correct horse battery"); again == hash {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	other := accounts.NewHasher(accounts.PasswordParams{})
	if other.Params != accounts.DefaultPasswordParams() || cap(other.Slots) < 2 {
		t.Fatalf("defaults: %+v, %d slots", other.Params, cap(other.Slots))
	}
	for pw, want := range map[string]bool{"correct horse battery": true, "correct horse batter": false, "": false} {
		if ok, err := other.Check(pw, hash); ok != want || err != nil {
			t.Errorf("check %q: %v %v, want %v", pw, ok, err, want)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1024,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=18$m=1024,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=x$c2FsdA$a2V5", "$argon2id$v=19$m=1024,t=1,p=1$!!$a2V5"} {
		if _, err := h.Check("x", bad); !errors.Is(err, accounts.ErrBadHash) {
			t.Errorf("hash %q: %v, want ErrBadHash", bad, err)
		}
	}
}
