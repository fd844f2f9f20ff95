// Package notify holds the rules of mentions, watching and notifications,
// without HTTP or SQL: which handles a text newly mentions, who watches an
// issue and who is told what of a change (Rules, which the store applies
// inside the change's transaction), when an issue is due soon, what the
// mails say and the signed one-click link that turns them off. The app's
// API, pages and workers call it; nothing here imports Fiber or GORM.
package notify
