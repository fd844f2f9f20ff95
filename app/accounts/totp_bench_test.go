package accounts

import (
	"testing"
	"time"
)

// BenchmarkVerifyTOTP is the CPU of checking one code: open the sealed
// secret (AES-GCM) and try three steps (HMAC-SHA1 each).
func BenchmarkVerifyTOTP(b *testing.B) {
	box, err := newSecretBox("a key of at least thirty-two characters")
	if err != nil {
		b.Fatal(err)
	}
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	sealed, err := box.seal(secret, "user-1")
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for b.Loop() {
		plain, err := box.open(sealed, "user-1")
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := matchTOTP(plain, "000000", now); ok { // wrong: all three steps tried
			b.Fatal("matched")
		}
	}
}
