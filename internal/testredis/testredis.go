// Package testredis gives tests the Redis on TEST_REDIS_URL and a key
// prefix of their own, so tests running at once never see each other's
// keys. It is imported only by tests.
package testredis

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
)

// URL is TEST_REDIS_URL. Without it the test is skipped with a message,
// except under CI=true, where it fails: CI must run the Redis tests.
func URL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("TEST_REDIS_URL")
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_REDIS_URL is not set but CI=true: Redis tests must run")
		}
		t.Skip("TEST_REDIS_URL not set: skipping the Redis run")
	}
	return url
}

// Prefix is a fresh key prefix ("name:<12 hex digits>:").
func Prefix(name string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return name + ":" + hex.EncodeToString(b) + ":"
}
