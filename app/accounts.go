package app

import "github.com/corkboard/corkboard/app/accounts"

// The names Config and ConfigFromEnv use for accounts' settings (the rules
// themselves are in app/accounts).

// PasswordParams are argon2id's costs (Config.Password).
type PasswordParams = accounts.PasswordParams

// DefaultPasswordParams are OWASP's (m=19 MiB, t=2, p=1).
var DefaultPasswordParams = accounts.DefaultPasswordParams

// newSMTPMailer checks SMTP_URL and MAIL_FROM for ConfigFromEnv (app.New
// builds the mailer with accounts.NewMailer).
func newSMTPMailer(rawURL, from, publicURL string) (accounts.Mailer, error) {
	return accounts.NewSMTPMailer(rawURL, from, publicURL)
}
