package accounts

// Security events written to the audit log. Part of the API: clients may
// show them, so a name once used keeps its meaning.
const (
	AuditLogin          = "login"            // a session started (sign-in with every factor, or registration)
	AuditLoginFailed    = "login.failed"     // a wrong password for this account
	AuditLocked         = "account.locked"   // too many failures: locked, unlock link mailed
	AuditUnlocked       = "account.unlocked" // the unlock link was used
	AuditResetRequested = "password.reset_requested"
	AuditReset          = "password.reset"   // a reset link set a new password
	AuditPasswordChange = "password.changed" // changed on the account page
	AuditReauth         = "session.reauthenticated"
	AuditIdentityLinked = "identity.linked" // an OpenID provider's identity was linked (detail: issuer, how: linked|created)

	Audit2FAEnabled       = "2fa.enabled"
	Audit2FADisabled      = "2fa.disabled"
	Audit2FAFailed        = "2fa.failed"
	Audit2FALocked        = "2fa.locked"
	AuditBackupCodeUsed   = "2fa.backup_code_used"
	AuditBackupCodesRegen = "2fa.backup_codes_regenerated"
	AuditSessionRevoked   = "session.revoked"
	AuditTokenCreated     = "token.created"
	AuditTokenRevoked     = "token.revoked"
	AuditTokenUsed        = "token.used" // the first use of a token on a (UTC) day
)
