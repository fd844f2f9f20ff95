package accounts

import (
	"fmt"
	"time"
)

// The texts of the account mails: plain text, links on PUBLIC_URL.

type message struct{ subject, body string }

func resetMail(name, link string) message {
	return message{"Reset your Corkboard password",
		"Hello " + name + ",\n\nSomeone (we hope you) asked to reset the password of your Corkboard account.\n\n" +
			"This link sets a new one; it works once, for 15 minutes:\n\n" + link + "\n\n" +
			"Setting a new password signs out every session and revokes your personal API tokens.\n\n" +
			"If you did not ask, ignore this mail: your password stays as it is.\n"}
}

func passwordResetMail(name string) message {
	return message{"Your Corkboard password was changed",
		"Hello " + name + ",\n\nThe password of your Corkboard account was just reset with a link sent to this address: " +
			"every session was signed out and your personal API tokens were revoked (scripts using one need a new token).\n\n" +
			"If this was not you, reset it again now from the sign-in page and " +
			"check the security log on your account page.\n"}
}

func lockedMail(name string, failures int, until time.Time, link string) message {
	return message{"Your Corkboard account is locked", fmt.Sprintf(
		"Hello %s,\n\nThere were %d failed attempts to sign in to your Corkboard account (or to confirm its password), so it is locked until %s.\n\n"+
			"If it was you, this link unlocks it now (it works once, for one hour):\n\n%s\n\n"+
			"If it was not you, someone may be guessing your password: the lock stops them, and you may want to choose a stronger one.\n",
		name, failures, until.UTC().Format("2006-01-02 15:04 UTC"), link)}
}
