// Package accounts holds the rules of signing in and of an account's
// security, as plain functions and small services without HTTP: the app's
// API and page handlers decode a request, call in here with plain values,
// and write the answer. It never imports Fiber.
//
//   - throttle.go: the throttle on guessing. Every password check (sign-in,
//     and each "current password" a signed-in user types: settings,
//     re-authentication, turning 2FA off) and every second-factor code is
//     reserved, counted before it is checked, in one atomic step of the kv
//     store, so a burst of simultaneous guesses gets no more checks than
//     the same guesses one after another.
//   - sudo.go: the re-authentication window for sensitive changes.
//
// The rest of accounts (registration, resets, sessions) moves here next.
package accounts
