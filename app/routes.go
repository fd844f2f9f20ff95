package app

import "github.com/gofiber/fiber/v2"

// routes lists every route of the application, grouped by resource.
func (s *Server) routes(app *fiber.App) {
	app.Get("/health", s.health)
	app.Get("/ready", s.ready)
	app.Get("/api/docs", s.pageAPIReference) // the reference page, from the OpenAPI document

	api := app.Group("/api/v1", s.rateLimit)
	api.Get("/openapi.json", s.apiOpenAPI) // the contract: app/openapi/openapi.json

	// Accounts.
	api.Post("/auth/register", s.passwordSignIn, s.apiRegister) // OIDC_ONLY=1: 403 (web_oidc.go)
	api.Post("/auth/login", s.passwordSignIn, s.apiLogin)
	api.Post("/auth/logout", requireAPIUser, s.apiLogout)
	api.Get("/auth/me", requireAPIUser, s.apiMe)
	api.Patch("/auth/me", requireAPIUser, s.apiUpdateMe)
	api.Post("/auth/forgot-password", s.passwordSignIn, s.apiForgotPassword)
	api.Post("/auth/reset-password", s.passwordSignIn, s.apiResetPassword)
	api.Post("/auth/unlock", s.passwordSignIn, s.apiUnlock)
	api.Get("/auth/audit", requireAPIUser, s.apiAudit)

	// Two-factor authentication, sessions and personal API tokens: a
	// session only (requireSession: API tokens get 403). Sensitive changes
	// also need the password entered recently (requireRecentAuth: sudo.go),
	// which POST /auth/reauth records.
	api.Post("/auth/reauth", requireAPIUser, requireSession, s.apiReauth)
	api.Post("/auth/login/2fa", s.apiLoginSecondFactor)
	api.Post("/auth/2fa/verify", s.apiLoginSecondFactor) // DESIGN.md's name for the same step
	api.Get("/auth/2fa", requireAPIUser, requireSession, s.apiTwoFactorStatus)
	api.Post("/auth/2fa/setup", requireAPIUser, requireSession, s.requireRecentAuth, s.apiTwoFactorSetup)
	api.Post("/auth/2fa/enable", requireAPIUser, requireSession, s.requireRecentAuth, s.apiTwoFactorEnable)
	api.Post("/auth/2fa/disable", requireAPIUser, requireSession, s.requireRecentAuth, s.apiTwoFactorDisable)
	api.Post("/auth/2fa/backup-codes", requireAPIUser, requireSession, s.requireRecentAuth, s.apiRegenerateBackupCodes)
	api.Get("/auth/sessions", requireAPIUser, requireSession, s.apiListSessions)
	api.Post("/auth/sessions/revoke-others", requireAPIUser, requireSession, s.apiRevokeOtherSessions)
	api.Delete("/auth/sessions/:id", requireAPIUser, requireSession, s.apiRevokeSession)
	api.Get("/auth/tokens", requireAPIUser, requireSession, s.apiListTokens)
	api.Post("/auth/tokens", requireAPIUser, requireSession, s.requireRecentAuth, s.apiCreateToken)
	api.Delete("/auth/tokens/:id", requireAPIUser, requireSession, s.apiRevokeToken)

	// Imports (a new project from a file) and their progress.
	api.Post("/imports", requireAPIUser, s.apiCreateImport)
	api.Get("/imports/:id", requireAPIUser, s.apiGetImport)
	// Notifications: the caller's own.
	api.Get("/notifications", requireAPIUser, s.apiListNotifications)
	api.Post("/notifications/read", requireAPIUser, s.apiReadNotifications)

	// Everything below needs a signed-in caller.
	p := api.Group("/projects", requireAPIUser)

	// Projects.
	p.Get("", s.apiListProjects)
	p.Post("", s.apiCreateProject)
	p.Get("/:pid", s.apiGetProject)
	p.Get("/:pid/board", s.apiBoard)
	p.Patch("/:pid", s.apiUpdateProject)
	p.Delete("/:pid", s.apiDeleteProject)
	p.Get("/:pid/export", s.apiExport)

	// Members.
	p.Get("/:pid/members", s.apiListMembers)
	p.Post("/:pid/members", s.apiAddMember)
	p.Patch("/:pid/members/:uid", s.apiUpdateMember)
	p.Delete("/:pid/members/:uid", s.apiRemoveMember)

	// Columns.
	p.Post("/:pid/columns", s.apiAddColumn)
	p.Put("/:pid/columns/order", s.apiReorderColumns)
	p.Patch("/:pid/columns/:key", s.apiUpdateColumn)
	p.Delete("/:pid/columns/:key", s.apiDeleteColumn)

	// Issues.
	p.Get("/:pid/issues", s.apiListIssues)
	p.Post("/:pid/issues", s.apiCreateIssue)
	p.Get("/:pid/issues/:iid", s.apiGetIssue)
	p.Patch("/:pid/issues/:iid", s.apiUpdateIssue)
	p.Delete("/:pid/issues/:iid", s.apiDeleteIssue)
	p.Post("/:pid/issues/:iid/move", s.apiMoveIssue)
	p.Put("/:pid/issues/:iid/watch", s.apiWatch)
	p.Delete("/:pid/issues/:iid/watch", s.apiUnwatch)
	p.Post("/:pid/issues/:iid/restore", s.apiRestoreIssue)

	// The trash.
	p.Get("/:pid/trash", s.apiListTrash)
	p.Delete("/:pid/trash", s.apiPurgeTrash)
	p.Delete("/:pid/trash/:iid", s.apiPurgeTrash)

	// Cycles and capacities (planning).
	p.Get("/:pid/cycles", s.apiListCycles)
	p.Post("/:pid/cycles", s.apiCreateCycle)
	p.Post("/:pid/cycles/schedule", s.apiScheduleCycles)
	p.Get("/:pid/cycles/:cid", s.apiGetCycle)
	p.Get("/:pid/cycles/:cid/report", s.apiCycleReport)
	p.Patch("/:pid/cycles/:cid", s.apiUpdateCycle)
	p.Delete("/:pid/cycles/:cid", s.apiDeleteCycle)
	p.Put("/:pid/cycles/:cid/capacity/:uid", s.apiSetCycleCapacity)

	// Comments.
	p.Get("/:pid/issues/:iid/activity", s.apiIssueActivity)
	p.Get("/:pid/issues/:iid/comments", s.apiListComments)
	p.Post("/:pid/issues/:iid/comments", s.apiCreateComment)
	p.Patch("/:pid/issues/:iid/comments/:cid", s.apiUpdateComment)
	p.Delete("/:pid/issues/:iid/comments/:cid", s.apiDeleteComment)

	// Outgoing webhooks (owners).
	p.Get("/:pid/webhooks", s.apiListWebhooks)
	p.Post("/:pid/webhooks", s.apiCreateWebhook)
	p.Get("/:pid/webhooks/:wid", s.apiGetWebhook)
	p.Patch("/:pid/webhooks/:wid", s.apiUpdateWebhook)
	p.Delete("/:pid/webhooks/:wid", s.apiDeleteWebhook)
	p.Get("/:pid/webhooks/:wid/deliveries", s.apiWebhookDeliveries)
	p.Post("/:pid/webhooks/:wid/redeliver", s.apiRedeliverWebhook)

	// The event log.
	p.Get("/:pid/events", s.apiEvents)
	p.Get("/:pid/ws", s.apiWebSocket)

	// Pages (server-rendered; forms post back to the same paths). The
	// account forms reach argon2 or send mail: they share the API's
	// per-client budget (rateLimitForm).
	app.Get("/", s.pageHome)
	app.Get("/login", s.pageLogin)
	app.Post("/login", s.passwordSignIn, s.rateLimitForm, s.pageLoginSubmit)
	app.Get("/register", s.passwordSignIn, s.pageRegister)
	app.Post("/register", s.passwordSignIn, s.rateLimitForm, s.pageRegisterSubmit)
	app.Get("/auth/oidc/start", s.rateLimitForm, s.pageOIDCStart) // single sign-on (web_oidc.go)
	app.Get(oidcCallbackPath, s.rateLimitForm, s.pageOIDCCallback)
	app.Post("/logout", s.pageLogout)
	app.Get("/login/2fa", s.pageLoginCode)
	app.Post("/login/2fa", s.rateLimitForm, s.pageLoginCodeSubmit)
	app.Get("/forgot-password", s.passwordSignIn, s.pageForgotPassword)
	app.Post("/forgot-password", s.passwordSignIn, s.rateLimitForm, s.pageForgotPasswordSubmit)
	app.Get("/reset-password", s.passwordSignIn, s.pageResetPassword)
	app.Post("/reset-password", s.passwordSignIn, s.rateLimitForm, s.pageResetPasswordSubmit)
	app.Get("/unlock", s.passwordSignIn, s.pageUnlock)
	app.Post("/unlock", s.passwordSignIn, s.rateLimitForm, s.pageUnlockSubmit)

	app.Get("/mail-off", s.pageMailOff) // the signed link in notification mail: no sign-in
	app.Post("/mail-off", s.rateLimitForm, s.pageMailOffSubmit)

	// Signed-in pages. (Not a Group: Fiber would run a group's middleware
	// for every later path, API 404s included.) Every settings form is
	// rate-limited per user: they check passwords and codes, and any added
	// later is covered.
	pages := signedIn{app, []fiber.Handler{s.requirePageUser}}
	settings := signedIn{app, []fiber.Handler{s.requirePageUser, s.rateLimitForm}}
	pages.Get("/settings", s.pageAccount)
	pages.Get("/settings/reauth", s.pageReauth) // sudo.go
	settings.Post("/settings/reauth", s.pageReauthSubmit)
	settings.Post("/settings/profile", s.pageAccountProfile)
	settings.Post("/settings/password", s.recentAuthPage("/settings#password"), s.pageAccountPassword)
	settings.Post("/settings/presence", s.pageAccountPresence)
	pages.Get("/settings/2fa", s.recentAuthPage("/settings/2fa"), s.pageTwoFactor) // shows the pending secret
	settings.Post("/settings/2fa/setup", s.recentAuthPage("/settings#two-factor"), s.pageTwoFactorSetup)
	settings.Post("/settings/2fa/enable", s.recentAuthPage("/settings/2fa"), s.pageTwoFactorEnable)
	settings.Post("/settings/2fa/disable", s.recentAuthPage("/settings#two-factor"), s.pageTwoFactorDisable)
	settings.Post("/settings/2fa/backup-codes", s.recentAuthPage("/settings#two-factor"), s.pageRegenerateBackupCodes)
	settings.Post("/settings/sessions/revoke-others", s.pageRevokeOtherSessions)
	settings.Post("/settings/sessions/:id/revoke", s.pageRevokeSession)
	settings.Post("/settings/tokens", s.recentAuthPage("/settings#tokens"), s.pageCreateToken)
	settings.Post("/settings/tokens/:id/revoke", s.pageRevokeToken)
	pages.Get("/notifications", s.pageNotifications)
	pages.Post("/notifications/read", s.pageReadNotifications)
	settings.Post("/settings/notifications", s.pageAccountEmail)
	pages.Get("/projects", s.pageProjects)
	pages.Get("/projects/new", s.pageNewProject)
	pages.Post("/projects", s.pageCreateProject)
	pages.Get("/imports/new", s.pageNewImport)
	pages.Post("/imports", s.pageCreateImport)
	pages.Get("/imports/:id", s.pageImport)
	pages.Get("/projects/:pid", s.pageBoard)
	pages.Post("/projects/:pid/issues", s.pageCreateIssue)
	pages.Get("/projects/:pid/issues/:iid", s.pageIssue)
	pages.Post("/projects/:pid/issues/:iid", s.pageUpdateIssue)
	pages.Post("/projects/:pid/issues/:iid/delete", s.pageDeleteIssue)
	pages.Get("/projects/:pid/issues/:iid/panel", s.pagePanel)               // the card panel (an HTML fragment)
	pages.Get("/projects/:pid/issues/:iid/activity", s.pageActivityFragment) // fragment, for live updates
	pages.Post("/projects/:pid/issues/:iid/watch", s.pageWatchIssue)
	pages.Get("/projects/:pid/trash", s.pageTrash)
	pages.Post("/projects/:pid/trash/purge", s.pagePurgeTrash)
	pages.Post("/projects/:pid/trash/:iid/restore", s.pageRestoreIssue)
	pages.Post("/projects/:pid/trash/:iid/purge", s.pagePurgeTrash)
	pages.Post("/projects/:pid/issues/:iid/comments", s.pageCreateComment)
	pages.Get("/projects/:pid/issues/:iid/comments/:cid", s.pageCommentFragment) // one comment, rendered
	pages.Post("/projects/:pid/issues/:iid/comments/:cid", s.pageUpdateComment)
	pages.Post("/projects/:pid/issues/:iid/comments/:cid/delete", s.pageDeleteComment)
	pages.Get("/projects/:pid/settings", s.pageProjectSettings)
	pages.Post("/projects/:pid/settings", s.pageUpdateProject)
	pages.Post("/projects/:pid/settings/planning", s.pageUpdatePlanning)
	pages.Get("/projects/:pid/cycles", s.pageCycles) // web_cycle.go
	pages.Post("/projects/:pid/cycles", s.pageCreateCycle)
	pages.Post("/projects/:pid/cycles/schedule", s.pageScheduleCycles)
	pages.Get("/projects/:pid/cycles/:cid", s.pageCycle)
	pages.Post("/projects/:pid/cycles/:cid", s.pageUpdateCycle)
	pages.Post("/projects/:pid/cycles/:cid/delete", s.pageDeleteCycle)
	pages.Post("/projects/:pid/cycles/:cid/capacity/:uid", s.pageSetCycleCapacity)
	pages.Post("/projects/:pid/delete", s.pageDeleteProject)
	pages.Post("/projects/:pid/members", s.pageAddMember)
	pages.Post("/projects/:pid/members/:uid", s.pageUpdateMember)
	pages.Post("/projects/:pid/members/:uid/remove", s.pageRemoveMember)
	pages.Post("/projects/:pid/columns", s.pageAddColumn)
	pages.Post("/projects/:pid/columns/:key", s.pageUpdateColumn)
	pages.Post("/projects/:pid/columns/:key/delete", s.pageDeleteColumn)
	pages.Post("/projects/:pid/columns/:key/move", s.pageMoveColumn)
	pages.Post("/projects/:pid/webhooks", s.pageCreateWebhook) // web_webhooks.go
	pages.Post("/projects/:pid/webhooks/:wid", s.pageUpdateWebhook)
	pages.Post("/projects/:pid/webhooks/:wid/edit", s.pageEditWebhook)
	pages.Post("/projects/:pid/webhooks/:wid/redeliver", s.pageRedeliverWebhook)
	pages.Post("/projects/:pid/webhooks/:wid/delete", s.pageDeleteWebhook)
}

// signedIn registers page routes behind requirePageUser (and, for
// settings, rateLimitForm after it, so the budget is the user's).
type signedIn struct {
	app  *fiber.App
	gate []fiber.Handler
}

// Get and Post take the handler after any guards of its own
// (recentAuthPage).
func (r signedIn) Get(path string, h ...fiber.Handler)  { r.app.Get(path, r.with(h)...) }
func (r signedIn) Post(path string, h ...fiber.Handler) { r.app.Post(path, r.with(h)...) }

func (r signedIn) with(h []fiber.Handler) []fiber.Handler {
	return append(append(make([]fiber.Handler, 0, len(r.gate)+len(h)), r.gate...), h...)
}
