// Package accounts holds the rules of signing in and of an account's
// security, without HTTP: the app's API and page handlers decode a
// request, call one method of the Service with plain values (a Client
// instead of a request), and write the answer, mapping the errors here to
// problem+json or a page message. It never imports Fiber.
//
//   - service.go: the Service, built once from its Deps (store, kv, mailer,
//     clock, log, hasher, throttle, keys, public URL); the audit writes and
//     the background work (Wait) they share.
//   - errors.go, events.go: the refusals (sentinels, *CodeLocked) and the
//     audit event types.
//   - throttle.go: the throttle on guessing (Guard). Every password check
//     and every second-factor code is reserved, counted before it is
//     checked, in one atomic step of the kv store, so a burst of
//     simultaneous guesses gets no more checks than the same guesses one
//     after another.
//   - signin.go: sign-in (Login, and CompleteSignIn with the pending token
//     of the second step), Register, the current-password check
//     (CheckPassword, ChangePassword) and re-authentication.
//   - lockout.go: what a wrong password leaves: its audit, the lock's, and
//     the unlock mail.
//   - twofactor.go, totp.go: TOTP set-up, enabling, verifying (step reuse
//     refused, the 5-code lock), backup codes, turning it off.
//   - reset.go: mailed reset and unlock tokens (single use, expiring, 3 an
//     hour), the reset that ends every session and revokes every API token.
//   - tokens.go: personal API tokens (create, revoke; only hashes stored).
//   - password.go, strength.go: argon2id with a bounded number at once;
//     zxcvbn's strength check.
//   - mail.go, mails.go: the Mailer (SMTP or the log) and the mails' texts.
//   - sudo.go: the re-authentication window for sensitive changes.
package accounts
