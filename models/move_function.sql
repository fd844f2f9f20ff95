-- Migration 0018 (PostgreSQL only, models/issue_move_pg.go): a card move in
-- one statement. corkboard_rank_between is models/rank.go's RankBetween,
-- step for step (NULL where Go returns errRank); corkboard_move is
-- MoveIssue's change without the event row: lock the project row, role,
-- issue row, version, column, neighbours, rank, UPDATE, seq. It writes
-- nothing unless the move succeeds (code 0), so a refused move leaves its
-- batch's transaction as it found it. Every comparison of ranks and ids is
-- bytewise (COLLATE "C"), as Go compares strings.
--
-- Migration 0019 runs this file again: corkboard_rank_digit and
-- corkboard_rank_int_len are no longer STRICT (they answer NULL for NULL
-- all the same), so the planner inlines them into the calling expression
-- instead of running each call through fmgr_sql (12 µs a call, two calls
-- a move); corkboard_move reads the issue by its primary key alone, a plan
-- that does not depend on the table's statistics.
CREATE OR REPLACE FUNCTION corkboard_rank_digit(c text) RETURNS int
LANGUAGE sql IMMUTABLE AS $f$
	SELECT strpos('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', c) - 1
$f$;

CREATE OR REPLACE FUNCTION corkboard_rank_int_len(head text) RETURNS int
LANGUAGE sql IMMUTABLE AS $f$
	SELECT CASE
		WHEN ascii(head) BETWEEN ascii('a') AND ascii('z') THEN ascii(head) - ascii('a') + 2
		WHEN ascii(head) BETWEEN ascii('A') AND ascii('Z') THEN ascii('Z') - ascii(head) + 2
	END
$f$;

CREATE OR REPLACE FUNCTION corkboard_rank_valid(k text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT AS $f$
DECLARE
	n int;
BEGIN
	IF k = 'A00000000000000000000000000' OR k ~ '[^0-9A-Za-z]' OR k = '' THEN
		RETURN false;
	END IF;
	n := corkboard_rank_int_len(left(k, 1));
	IF n IS NULL OR n > length(k) THEN
		RETURN false;
	END IF;
	RETURN NOT (length(k) > n AND right(k, 1) = '0');
END
$f$;

CREATE OR REPLACE FUNCTION corkboard_rank_midpoint(a text, b text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $f$
DECLARE
	digits CONSTANT text := '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
	n int := 0;
	ca text;
	da int := 0;
	db int := 62;
BEGIN
	IF b <> '' AND a >= b COLLATE "C" THEN
		RETURN NULL;
	END IF;
	IF right(a, 1) = '0' OR right(b, 1) = '0' THEN
		RETURN NULL;
	END IF;
	IF b <> '' THEN
		LOOP
			ca := CASE WHEN n < length(a) THEN substr(a, n + 1, 1) ELSE '0' END;
			EXIT WHEN n >= length(b) OR ca <> substr(b, n + 1, 1);
			n := n + 1;
		END LOOP;
		IF n > 0 THEN
			RETURN left(b, n) || corkboard_rank_midpoint(substr(a, n + 1), substr(b, n + 1));
		END IF;
	END IF;
	IF a <> '' THEN
		da := corkboard_rank_digit(left(a, 1));
	END IF;
	IF b <> '' THEN
		db := corkboard_rank_digit(left(b, 1));
	END IF;
	IF db - da > 1 THEN
		RETURN substr(digits, (da + db + 1) / 2 + 1, 1);
	END IF;
	IF length(b) > 1 THEN
		RETURN left(b, 1);
	END IF;
	RETURN substr(digits, da + 1, 1) || corkboard_rank_midpoint(substr(a, 2), '');
END
$f$;

-- corkboard_rank_step adds (by = 1) or subtracts (by = -1) one to an
-- integer part; NULL past the largest or smallest.
CREATE OR REPLACE FUNCTION corkboard_rank_step(x text, by int) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $f$
DECLARE
	digits CONSTANT text := '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
	head text := left(x, 1);
	digs text := substr(x, 2);
	i int := length(digs);
	d int;
BEGIN
	WHILE i >= 1 LOOP
		d := corkboard_rank_digit(substr(digs, i, 1)) + by;
		IF d = 62 THEN
			digs := overlay(digs PLACING '0' FROM i FOR 1);
		ELSIF d = -1 THEN
			digs := overlay(digs PLACING 'z' FROM i FOR 1);
		ELSE
			RETURN head || overlay(digs PLACING substr(digits, d + 1, 1) FROM i FOR 1);
		END IF;
		i := i - 1;
	END LOOP;
	IF by = 1 THEN
		IF head = 'Z' THEN
			RETURN 'a0';
		ELSIF head = 'z' THEN
			RETURN NULL;
		ELSIF head >= 'a' COLLATE "C" THEN
			RETURN chr(ascii(head) + 1) || digs || '0';
		END IF;
		RETURN chr(ascii(head) + 1) || left(digs, length(digs) - 1);
	END IF;
	IF head = 'a' THEN
		RETURN 'Zz';
	ELSIF head = 'A' THEN
		RETURN NULL;
	ELSIF head <= 'Z' COLLATE "C" THEN
		RETURN chr(ascii(head) - 1) || digs || 'z';
	END IF;
	RETURN chr(ascii(head) - 1) || left(digs, length(digs) - 1);
END
$f$;

-- corkboard_rank_between(a, b): a key strictly between a and b ('' for no
-- bound), or NULL where RankBetween fails.
CREATE OR REPLACE FUNCTION corkboard_rank_between(a text, b text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $f$
DECLARE
	ia text;
	ib text;
	i text;
BEGIN
	IF (a <> '' AND NOT corkboard_rank_valid(a)) OR (b <> '' AND NOT corkboard_rank_valid(b)) THEN
		RETURN NULL;
	END IF;
	IF a <> '' AND b <> '' AND a >= b COLLATE "C" THEN
		RETURN NULL;
	END IF;
	IF a = '' AND b = '' THEN
		RETURN 'a0';
	END IF;
	IF a <> '' THEN
		ia := left(a, corkboard_rank_int_len(left(a, 1)));
	END IF;
	IF b <> '' THEN
		ib := left(b, corkboard_rank_int_len(left(b, 1)));
	END IF;
	IF a = '' THEN
		IF ib = 'A00000000000000000000000000' THEN
			RETURN ib || corkboard_rank_midpoint('', substr(b, length(ib) + 1));
		ELSIF ib < b COLLATE "C" THEN
			RETURN ib;
		END IF;
		RETURN corkboard_rank_step(ib, -1);
	END IF;
	IF b = '' THEN
		i := corkboard_rank_step(ia, 1);
		IF i IS NULL THEN
			RETURN ia || corkboard_rank_midpoint(substr(a, length(ia) + 1), '');
		END IF;
		RETURN i;
	END IF;
	IF ia = ib THEN
		RETURN ia || corkboard_rank_midpoint(substr(a, length(ia) + 1), substr(b, length(ib) + 1));
	END IF;
	i := corkboard_rank_step(ia, 1);
	IF i IS NULL THEN
		RETURN NULL;
	ELSIF i < b COLLATE "C" THEN
		RETURN i;
	END IF;
	RETURN ia || corkboard_rank_midpoint(substr(a, length(ia) + 1), '');
END
$f$;

-- corkboard_move answers o_code: 0 moved, 1 not found (project, member or
-- issue), 2 forbidden (not an editor), 3 stale (the row is the current
-- one), 4 invalid (o_field, o_message), 5 no rank between the neighbours.
-- A move to another column answers the issue's watchers too (o_watching,
-- o_unwatched: user ids joined by commas), for the notifications.
-- p_status_ok, p_after_ok and p_before_ok are Go's checks of the input's
-- form (a column key, uuids), made where MoveIssue makes them.
CREATE OR REPLACE FUNCTION corkboard_move(p_project text, p_actor text, p_issue text, p_status text,
	p_after text, p_before text, p_version bigint, p_now timestamptz,
	p_status_ok boolean, p_after_ok boolean, p_before_ok boolean,
	OUT o_code int, OUT o_field text, OUT o_message text, OUT o_seq bigint, OUT o_key text, OUT o_old_status text,
	OUT o_id text, OUT o_project_id text, OUT o_number bigint, OUT o_title text, OUT o_description text,
	OUT o_status text, OUT o_priority text, OUT o_assignee_id text, OUT o_author_id text, OUT o_labels text,
	OUT o_effort int, OUT o_due_date text, OUT o_rank text, OUT o_version bigint, OUT o_created_at timestamptz,
	OUT o_updated_at timestamptz, OUT o_cycle_id text, OUT o_carryover int, OUT o_comment_count int,
	OUT o_watching text, OUT o_unwatched text)
LANGUAGE plpgsql VOLATILE AS $f$
DECLARE
	r issues%ROWTYPE;
	v_key text;
	v_role text;
	a_id text;
	a_status text;
	a_rank text;
	b_id text;
	b_status text;
	b_rank text;
	lo text := '';
	hi text := '';
	col text := 'is not an issue in column ' || p_status;
BEGIN
	o_code := 1; o_field := ''; o_message := ''; o_seq := 0; o_key := ''; o_old_status := '';
	o_id := ''; o_project_id := ''; o_number := 0; o_title := ''; o_description := ''; o_status := '';
	o_priority := ''; o_labels := '[]'; o_rank := ''; o_version := 0; o_created_at := p_now;
	o_updated_at := p_now; o_carryover := 0; o_comment_count := 0; o_watching := ''; o_unwatched := '';
	-- Each statement of a volatile function takes a new snapshot: once
	-- the project row is locked, the reads below see every earlier change.
	SELECT p.key INTO v_key FROM projects p WHERE p.id = p_project FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	o_key := v_key;
	SELECT m.role INTO v_role FROM members m WHERE m.project_id = p_project AND m.user_id = p_actor;
	IF NOT FOUND THEN
		RETURN;
	ELSIF v_role NOT IN ('editor', 'owner') THEN
		o_code := 2;
		RETURN;
	END IF;
	-- By id alone: the primary key's plan, whatever the statistics say
	-- (a never analyzed table had it scan the project's issues).
	SELECT * INTO r FROM issues WHERE id = p_issue;
	IF NOT FOUND OR r.project_id <> p_project OR r.deleted_at IS NOT NULL THEN
		RETURN;
	END IF;
	o_id := r.id; o_project_id := r.project_id; o_number := r.number; o_title := r.title;
	o_description := r.description; o_status := r.status; o_priority := r.priority;
	o_assignee_id := r.assignee_id; o_author_id := r.author_id; o_labels := r.labels; o_effort := r.effort;
	o_due_date := r.due_date; o_rank := r.rank; o_version := r.version; o_created_at := r.created_at;
	o_updated_at := r.updated_at; o_cycle_id := r.cycle_id; o_carryover := r.carryover;
	o_comment_count := r.comment_count; o_old_status := r.status;
	IF p_version IS NOT NULL AND r.version <> p_version THEN
		o_code := 3;
		RETURN;
	END IF;
	o_code := 4;
	IF NOT p_status_ok OR NOT EXISTS (SELECT FROM board_columns c WHERE c.project_id = p_project AND c.key = p_status) THEN
		o_field := 'status'; o_message := 'is not a column of this board';
		RETURN;
	ELSIF NOT p_after_ok THEN
		o_field := 'after_id'; o_message := col;
		RETURN;
	ELSIF NOT p_before_ok THEN
		o_field := 'before_id'; o_message := col;
		RETURN;
	END IF;
	IF p_after <> '' THEN
		IF p_after = r.id THEN
			o_field := 'after_id'; o_message := 'cannot be the issue being moved';
			RETURN;
		END IF;
		SELECT i.id, i.status, i.rank INTO a_id, a_status, a_rank FROM issues i
			WHERE i.id = p_after AND i.project_id = p_project AND i.deleted_at IS NULL;
		IF a_id IS NULL OR a_status <> p_status THEN
			o_field := 'after_id'; o_message := col;
			RETURN;
		END IF;
	END IF;
	IF p_before <> '' THEN
		IF p_before = r.id THEN
			o_field := 'before_id'; o_message := 'cannot be the issue being moved';
			RETURN;
		END IF;
		SELECT i.id, i.status, i.rank INTO b_id, b_status, b_rank FROM issues i
			WHERE i.id = p_before AND i.project_id = p_project AND i.deleted_at IS NULL;
		IF b_id IS NULL OR b_status <> p_status THEN
			o_field := 'before_id'; o_message := col;
			RETURN;
		END IF;
	END IF;
	-- The neighbour queries are issue_move.go's.
	IF a_id IS NOT NULL THEN
		IF b_id IS NOT NULL AND (a_rank > b_rank COLLATE "C" OR (a_rank = b_rank AND a_id >= b_id COLLATE "C")) THEN
			o_field := 'before_id'; o_message := 'must come below after_id in the column';
			RETURN;
		END IF;
		lo := a_rank;
		SELECT i.rank INTO hi FROM issues i WHERE i.project_id = p_project AND i.status = p_status AND i.id <> r.id
			AND (i.rank > a_rank OR (i.rank = a_rank AND i.id > a_id)) ORDER BY i.rank, i.id LIMIT 1;
	ELSIF b_id IS NOT NULL THEN
		hi := b_rank;
		SELECT i.rank INTO lo FROM issues i WHERE i.project_id = p_project AND i.status = p_status AND i.id <> r.id
			AND (i.rank < b_rank OR (i.rank = b_rank AND i.id < b_id)) ORDER BY i.rank DESC, i.id DESC LIMIT 1;
	ELSE
		SELECT i.rank INTO lo FROM issues i WHERE i.project_id = p_project AND i.status = p_status AND i.id <> r.id
			ORDER BY i.rank DESC, i.id DESC LIMIT 1;
	END IF;
	lo := coalesce(lo, ''); hi := coalesce(hi, '');
	IF lo <> '' AND hi <> '' AND lo >= hi COLLATE "C" THEN
		hi := '';
		SELECT i.rank INTO hi FROM issues i WHERE i.project_id = p_project AND i.status = p_status AND i.id <> r.id
			AND i.rank > lo ORDER BY i.rank, i.id LIMIT 1;
		hi := coalesce(hi, '');
	END IF;
	o_rank := corkboard_rank_between(lo, hi);
	IF o_rank IS NULL THEN
		o_code := 5; o_rank := r.rank;
		RETURN;
	END IF;
	UPDATE issues SET status = p_status, rank = o_rank, version = r.version + 1, updated_at = p_now WHERE id = r.id;
	UPDATE projects SET seq = seq + 1 WHERE id = p_project RETURNING seq INTO o_seq;
	o_code := 0; o_status := p_status; o_version := r.version + 1; o_updated_at := p_now;
	IF r.status <> p_status THEN
		SELECT coalesce(string_agg(w.user_id, ',') FILTER (WHERE w.watching), ''),
			coalesce(string_agg(w.user_id, ',') FILTER (WHERE NOT w.watching), '')
			INTO o_watching, o_unwatched FROM issue_watchers w WHERE w.issue_id = r.id;
	END IF;
END
$f$;
