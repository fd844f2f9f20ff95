package models

// secondRound: the migrations of the second round (planning, conversation,
// getting in and out), appended to firstRound in models/migrations.go. They
// sit in the order their work landed, which is the order they run; their
// ids are what gormigrate records, so the numbers need not be in sequence.
var secondRound = []migration{
	// Planning: estimate scales and capacity policy per project, column
	// categories (what "completed" means), cycles, capacities per member and
	// per cycle, an issue's cycle and its roll-over count. Dates are
	// calendar dates as YYYY-MM-DD text (they sort as dates).
	{"0006_planning", `
ALTER TABLE projects ADD COLUMN estimate_scale TEXT NOT NULL DEFAULT 'free'
	CHECK (estimate_scale IN ('free', 'fibonacci', 'linear', 'exponential', 'tshirt'));
ALTER TABLE projects ADD COLUMN unestimated_effort INTEGER NOT NULL DEFAULT 1
	CHECK (unestimated_effort BETWEEN 0 AND 21);
ALTER TABLE projects ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC' CHECK (length(timezone) BETWEEN 1 AND 64);
ALTER TABLE projects ADD COLUMN capacity_policy TEXT NOT NULL DEFAULT 'warn' CHECK (capacity_policy IN ('warn', 'block'));
ALTER TABLE projects ADD COLUMN cycle_counter BIGINT NOT NULL DEFAULT 0;

ALTER TABLE board_columns ADD COLUMN category TEXT NOT NULL DEFAULT 'todo' CHECK (category IN ('todo', 'started', 'done'));
UPDATE board_columns SET category = 'started' WHERE key = 'in_progress';
UPDATE board_columns SET category = 'done' WHERE key = 'done';

CREATE TABLE cycles (
	id         TEXT PRIMARY KEY,
	project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	number     BIGINT NOT NULL CHECK (number >= 1),
	name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
	starts_on  TEXT NOT NULL CHECK (length(starts_on) = 10),
	ends_on    TEXT NOT NULL CHECK (length(ends_on) = 10 AND ends_on >= starts_on),
	goal       TEXT NOT NULL DEFAULT '' CHECK (length(goal) <= 2000),
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL,
	UNIQUE (project_id, number)
);
CREATE INDEX cycles_dates ON cycles (project_id, starts_on);

ALTER TABLE members ADD COLUMN capacity INTEGER CHECK (capacity IS NULL OR capacity >= 0);

CREATE TABLE cycle_capacities (
	cycle_id TEXT NOT NULL REFERENCES cycles (id) ON DELETE CASCADE,
	user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	points   INTEGER NOT NULL CHECK (points >= 0),
	PRIMARY KEY (cycle_id, user_id)
);

ALTER TABLE issues ADD COLUMN cycle_id TEXT REFERENCES cycles (id) ON DELETE SET NULL;
ALTER TABLE issues ADD COLUMN carryover INTEGER NOT NULL DEFAULT 0 CHECK (carryover >= 0);
CREATE INDEX issues_cycle ON issues (cycle_id, assignee_id);
`},
	// Comments on issues. The issue keeps its comment_count, changed in the
	// same transaction as the comments, so a board of N cards reads it with
	// no count per card. An author's account is never deleted today; the
	// reference has no ON DELETE so whoever adds that decides what happens
	// to their comments (and the counts) rather than inheriting a silent
	// cascade.
	{"0008_comments", `
CREATE TABLE comments (
	id         TEXT PRIMARY KEY,
	project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	issue_id   TEXT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
	author_id  TEXT NOT NULL REFERENCES users (id),
	body       TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 20000),
	version    BIGINT NOT NULL DEFAULT 1,
	created_at {{ts}} NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE INDEX comments_issue ON comments (issue_id, created_at, id);
CREATE INDEX comments_author ON comments (author_id);
ALTER TABLE issues ADD COLUMN comment_count INTEGER NOT NULL DEFAULT 0 CHECK (comment_count >= 0);
`},
	// (0007 was written alongside 0008 and landed after it; migrations run
	// in this list's order and are recorded by id, so the order stays.)
	// Handles (@alice): 2 to 32 of a-z 0-9 _ . -, starting with a letter or
	// digit, stored lower-cased (the CHECK refuses capitals) so the unique
	// index is case-insensitive. The column is added nullable; then
	// backfillHandles (Go, below) gives every existing account one, adds the
	// unique index and makes the column required.
	{"0007_handles", `
ALTER TABLE users ADD COLUMN handle TEXT CHECK (length(handle) BETWEEN 2 AND 32
	AND trim(handle, 'abcdefghijklmnopqrstuvwxyz0123456789_.-') = ''
	AND substr(handle, 1, 1) NOT IN ('_', '.', '-'));
`},
	// Roll-over: when a completed cycle's unfinished issues have all moved
	// on (models/rollover.go). NULL: not yet, so an interrupted run is
	// finished by the next one.
	{"0009_cycle_rollover", `
ALTER TABLE cycles ADD COLUMN rolled_over_at {{ts}};
`},
	// Activity: an event names the issue it is about (issue.* carry the
	// issue, comment.* its issue_id), so an issue's history is one index
	// range, and the prune keeps the events of issues that still exist.
	// Deleting an issue sets its events' issue_id to NULL (the foreign
	// key), which hands them back to EVENT_RETENTION; whatever must read an
	// issue's events before it goes (a purge's redaction) reads them before
	// the DELETE. The prune reads only events with no issue, so its index
	// is partial; events_created_at served the old prune only.
	// backfillEventIssues (Go, below) fills issue_id for existing events.
	{"0010_activity", `
ALTER TABLE events ADD COLUMN issue_id TEXT REFERENCES issues (id) ON DELETE SET NULL;
CREATE INDEX events_issue ON events (issue_id, seq) WHERE issue_id IS NOT NULL;
DROP INDEX events_created_at;
CREATE INDEX events_prunable ON events (created_at) WHERE issue_id IS NULL;
`},
	// OpenID Connect sign-in: an account's identities at providers, found
	// by (issuer, subject) as OpenID Connect says a user is named. The
	// email is the one the provider gave when it was linked (shown on the
	// account page). Accounts made by such a sign-in have no password:
	// an empty password_hash, which no password matches.
	{"0015_identities", `
CREATE TABLE identities (
	issuer     TEXT NOT NULL CHECK (length(issuer) BETWEEN 1 AND 2000),
	subject    TEXT NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	email      TEXT NOT NULL DEFAULT '',
	created_at {{ts}} NOT NULL,
	last_used_at {{ts}} NOT NULL,
	PRIMARY KEY (issuer, subject)
);
CREATE INDEX identities_user ON identities (user_id);
`},
	// (0012 and 0013 land after 0015, which merged first; migrations run in this
	// list's order and are recorded by id.)
	// Trash (models/trash.go): a deleted issue keeps its row, marked with
	// when and by whom, until it is restored or purged (after 30 days, or by
	// an owner). Every read of live issues says deleted_at IS NULL; the
	// purge job finds the expired ones by the partial index.
	{"0012_trash", `
ALTER TABLE issues ADD COLUMN deleted_at {{ts}};
ALTER TABLE issues ADD COLUMN deleted_by TEXT REFERENCES users (id);
CREATE INDEX issues_trash ON issues (project_id, deleted_at) WHERE deleted_at IS NOT NULL;
`},
	// Imports (app/transfer): a job per uploaded file, read by its creator
	// only. project_id is set when the project is created, before it has
	// any member, so a half-written project is invisible to everyone and a
	// failed or interrupted job deletes it (models/import_job.go).
	{"0013_imports", `
CREATE TABLE imports (
	id          TEXT PRIMARY KEY,
	user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	source      TEXT NOT NULL CHECK (source IN ('corkboard', 'trello', 'csv')),
	status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
	done_count  INTEGER NOT NULL DEFAULT 0 CHECK (done_count >= 0),
	total_count INTEGER NOT NULL DEFAULT 0 CHECK (total_count >= 0),
	project_id  TEXT REFERENCES projects (id) ON DELETE SET NULL,
	warnings    TEXT NOT NULL DEFAULT '[]',
	error       TEXT NOT NULL DEFAULT '',
	created_at  {{ts}} NOT NULL,
	updated_at  {{ts}} NOT NULL
);
CREATE INDEX imports_user ON imports (user_id, created_at);
CREATE INDEX imports_unfinished ON imports (updated_at) WHERE status IN ('queued', 'running');
`},
	// A cycle report's replay of the log, kept up to some seq so that a
	// report reads only the events after it (app/planning/cyclereport).
	// params is what the replay depends on besides the log (the cycle's
	// dates, the time zone, the unestimated effort, the state's format): a
	// row whose params differ from the report's is not used. state holds
	// numbers, ids and keys only, never issue titles or text. final: no
	// later event can change it (the prune's refresh skips it).
	{"0016_report_snapshot", `
CREATE TABLE report_snapshots (
	cycle_id   TEXT PRIMARY KEY REFERENCES cycles (id) ON DELETE CASCADE,
	project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	params     TEXT NOT NULL,
	seq        BIGINT NOT NULL CHECK (seq >= 0),
	final      BOOLEAN NOT NULL DEFAULT FALSE,
	state      TEXT NOT NULL,
	updated_at {{ts}} NOT NULL
);
CREATE INDEX report_snapshots_project ON report_snapshots (project_id);
`},
	// Notifications (models/notification.go): one row per person told of
	// something, written in the transaction of the change that caused it.
	// dedupe is set for notices a periodic job writes (due_soon): the
	// unique index makes the job exactly-once across instances and runs.
	// mailed_at: the instant mail or the digest that carried it (NULL: not
	// yet). Watchers: watching is the person's choice; a row with FALSE is
	// someone who stopped, whom automatic watching leaves alone.
	// users.digest_on is the last day (UTC) a daily digest was sent.
	{"0011_notifications", `
ALTER TABLE users ADD COLUMN email_notifications TEXT NOT NULL DEFAULT 'instant'
	CHECK (email_notifications IN ('off', 'instant', 'daily'));
ALTER TABLE users ADD COLUMN digest_on TEXT;

CREATE TABLE notifications (
	id         TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	issue_id   TEXT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL CHECK (kind IN ('mention', 'assigned', 'comment', 'status', 'due_soon', 'over_capacity')),
	actor_id   TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	comment_id TEXT,
	dedupe     TEXT,
	created_at {{ts}} NOT NULL,
	read_at    {{ts}},
	mailed_at  {{ts}}
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_issue ON notifications (issue_id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_unmailed ON notifications (created_at) WHERE mailed_at IS NULL;
CREATE UNIQUE INDEX notifications_dedupe ON notifications (user_id, dedupe) WHERE dedupe IS NOT NULL;

CREATE TABLE issue_watchers (
	issue_id TEXT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
	user_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	watching BOOLEAN NOT NULL,
	PRIMARY KEY (issue_id, user_id)
);
CREATE INDEX issue_watchers_user ON issue_watchers (user_id);
`},
	// Outgoing webhooks (models/webhook.go, app/webhooks). Each webhook
	// keeps its own cursor on the project's log (delivered_seq: every event
	// up to it is delivered or filtered out) and the state of the attempt
	// on the next one, so any instance can carry on where another stopped.
	// Deliveries are the attempts, newest first for the settings page.
	{"0014_webhooks", `
CREATE TABLE webhooks (
	id              TEXT PRIMARY KEY,
	project_id      TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
	url             TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2048),
	events          TEXT NOT NULL DEFAULT '[]',
	description     TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 500),
	secret          TEXT NOT NULL,
	active          BOOLEAN NOT NULL DEFAULT TRUE,
	disabled_reason TEXT NOT NULL DEFAULT '',
	delivered_seq   BIGINT NOT NULL DEFAULT 0 CHECK (delivered_seq >= 0),
	attempt         INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),
	next_attempt_at {{ts}},
	failing_since   {{ts}},
	created_at      {{ts}} NOT NULL,
	updated_at      {{ts}} NOT NULL
);
CREATE INDEX webhooks_project ON webhooks (project_id, created_at);

CREATE TABLE webhook_deliveries (
	id          TEXT PRIMARY KEY,
	webhook_id  TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	message_id  TEXT NOT NULL,
	event_seq   BIGINT NOT NULL,
	event_type  TEXT NOT NULL,
	attempt     INTEGER NOT NULL,
	status_code INTEGER NOT NULL DEFAULT 0,
	error       TEXT NOT NULL DEFAULT '',
	duration_ms INTEGER NOT NULL DEFAULT 0,
	at          {{ts}} NOT NULL
);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (webhook_id, at, id);
`},
	// The columns a project's log starts from, when they are not the
	// default ones: an import creates its board without column events
	// (JSON of []Column; '' means DefaultColumns). The cycle report's
	// replay starts from them (app/planning/cyclereport).
	{"0017_transfer_fix", `
ALTER TABLE projects ADD COLUMN initial_columns TEXT NOT NULL DEFAULT '';
`},
	// PostgreSQL's one-statement move (models/issue_move_pg.go): all of it
	// is the migration's code, move_function.sql.
	{"0018_move_function", ``},
	// move_function.sql again: the rank helpers inline, the issue is read
	// by its primary key (docs/PERFORMANCE.md, where PostgreSQL's time goes).
	{"0019_move_function_inline", ``},
}
