// Package accounts holds the rules of accounts that need no HTTP: the
// handlers in app/ decode a request, call in here with plain values, and
// write the answer. It never imports Fiber.
//
// For now it holds the throttle on guessing (throttle.go): every password
// check (sign-in, and each "current password" a signed-in user types in
// settings) and every second-factor code is reserved, counted before it is
// checked, in one atomic step of the kv store, so a burst of simultaneous
// guesses gets no more checks than the same guesses one after another.
// The rest of accounts (registration, resets, sessions) moves here next.
package accounts
