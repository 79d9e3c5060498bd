-- 0003_insights_rollups (PostgreSQL): figures the insights of SPEC §11 would otherwise count row
-- by row for every request, kept up to date by triggers in the transaction of every write (so
-- that they are exact at once, whichever code path or cascade writes). The twin of
-- db/sqlite/0003_insights_rollups.sql (same tables, columns and meaning).
--
--   * contacts.interaction_count: the contact's number of interactions. With the index
--     contacts_interaction_count_idx, most-interacted over all time is the first rows of one
--     index range instead of a grouped count of every interaction of the account.
--   * interaction_days (user_id, day, type, n): interactions per UTC day (days since
--     1970-01-01) and type. The trend (whose buckets are whole UTC days, weeks or months; only
--     the part of the last bucket after its last midnight is counted from interactions) and the
--     overview's interaction total read a few thousand of these rows instead of up to a million
--     interactions. Rows whose count falls to 0 are removed.
--   * user_counts (user_id, contacts, notes): the account's number of contacts and notes, for
--     the overview.
--
-- Statement-level triggers with transition tables: a statement that writes many rows (a bulk
-- delete, a contact's cascaded interactions) changes each figure once. The per-row work of a
-- single write is one update of the contact, one upsert of a day and, for contacts and notes,
-- one upsert of the account's counts; writes of one account already queue on its users row
-- (the write order of §6), so these rows add no new waiting.
--
-- Two indexes of 0002 become redundant: (user_id, contact_id) served only the all-time
-- most-interacted count and (user_id, type, occurred_at) only the trend by type.

ALTER TABLE contacts ADD COLUMN interaction_count bigint NOT NULL DEFAULT 0;

CREATE TABLE interaction_days (
	user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	day     integer NOT NULL,
	type    text NOT NULL,
	n       bigint NOT NULL,
	PRIMARY KEY (user_id, day, type)
);

CREATE TABLE user_counts (
	user_id  bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	contacts bigint NOT NULL DEFAULT 0,
	notes    bigint NOT NULL DEFAULT 0
);

-- The day of an interaction: days since 1970-01-01 in UTC.
CREATE FUNCTION crm_utc_day(t timestamptz) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN (t AT TIME ZONE 'UTC')::date - date '1970-01-01';

-- The figures of the rows already stored.
UPDATE contacts c SET interaction_count = x.n
FROM (SELECT user_id, contact_id, count(*) AS n FROM interactions GROUP BY user_id, contact_id) x
WHERE c.user_id = x.user_id AND c.id = x.contact_id;

INSERT INTO interaction_days (user_id, day, type, n)
SELECT user_id, crm_utc_day(occurred_at), type, count(*)
FROM interactions GROUP BY 1, 2, 3;

INSERT INTO user_counts (user_id, contacts, notes)
SELECT u.id, (SELECT count(*) FROM contacts c WHERE c.user_id = u.id),
       (SELECT count(*) FROM notes n WHERE n.user_id = u.id)
FROM users u;

CREATE INDEX contacts_interaction_count_idx ON contacts
	(user_id, interaction_count DESC, last_contacted DESC NULLS LAST, id);
DROP INDEX interactions_contact_idx;
DROP INDEX interactions_type_occurred_idx;

CREATE FUNCTION crm_interactions_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE contacts c SET interaction_count = c.interaction_count + x.n
	FROM (SELECT user_id, contact_id, count(*) AS n FROM new_rows GROUP BY 1, 2) x
	WHERE c.user_id = x.user_id AND c.id = x.contact_id;
	INSERT INTO interaction_days AS d (user_id, day, type, n)
	SELECT user_id, crm_utc_day(occurred_at), type, count(*)
	FROM new_rows GROUP BY 1, 2, 3
	ON CONFLICT (user_id, day, type) DO UPDATE SET n = d.n + excluded.n;
	RETURN NULL;
END $$;

CREATE FUNCTION crm_interactions_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE contacts c SET interaction_count = c.interaction_count - x.n
	FROM (SELECT user_id, contact_id, count(*) AS n FROM old_rows GROUP BY 1, 2) x
	WHERE c.user_id = x.user_id AND c.id = x.contact_id;
	UPDATE interaction_days d SET n = d.n - x.n
	FROM (SELECT user_id, crm_utc_day(occurred_at) AS day,
	             type, count(*) AS n FROM old_rows GROUP BY 1, 2, 3) x
	WHERE d.user_id = x.user_id AND d.day = x.day AND d.type = x.type;
	DELETE FROM interaction_days d
	USING (SELECT DISTINCT user_id, crm_utc_day(occurred_at) AS day, type FROM old_rows) x
	WHERE d.user_id = x.user_id AND d.day = x.day AND d.type = x.type AND d.n <= 0;
	RETURN NULL;
END $$;

-- An update moves a row between contacts, days or types only when those change; the net
-- change per contact and per (day, type) is applied, so an edit of the text changes nothing.
CREATE FUNCTION crm_interactions_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE contacts c SET interaction_count = c.interaction_count + x.k
	FROM (SELECT user_id, contact_id, sum(k) AS k FROM (
		SELECT user_id, contact_id, 1 AS k FROM new_rows
		UNION ALL SELECT user_id, contact_id, -1 FROM old_rows) s
	      GROUP BY 1, 2 HAVING sum(k) <> 0) x
	WHERE c.user_id = x.user_id AND c.id = x.contact_id;
	INSERT INTO interaction_days AS d (user_id, day, type, n)
	SELECT user_id, day, type, sum(k) FROM (
		SELECT user_id, crm_utc_day(occurred_at) AS day,
		       type, 1 AS k FROM new_rows
		UNION ALL SELECT user_id, crm_utc_day(occurred_at),
		       type, -1 FROM old_rows) s
	GROUP BY 1, 2, 3 HAVING sum(k) <> 0
	ON CONFLICT (user_id, day, type) DO UPDATE SET n = d.n + excluded.n;
	DELETE FROM interaction_days d
	USING (SELECT DISTINCT user_id, crm_utc_day(occurred_at) AS day, type FROM old_rows) x
	WHERE d.user_id = x.user_id AND d.day = x.day AND d.type = x.type AND d.n <= 0;
	RETURN NULL;
END $$;

CREATE TRIGGER interactions_rollup_ins AFTER INSERT ON interactions
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_interactions_ins();
CREATE TRIGGER interactions_rollup_del AFTER DELETE ON interactions
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_interactions_del();
CREATE TRIGGER interactions_rollup_upd AFTER UPDATE ON interactions
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION crm_interactions_upd();

-- The account's contacts and notes (kind 'contacts' or 'notes'), changed by k per row.
CREATE FUNCTION crm_user_counts_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO user_counts AS u (user_id, contacts, notes)
	SELECT user_id, CASE WHEN TG_TABLE_NAME = 'contacts' THEN count(*) ELSE 0 END,
	       CASE WHEN TG_TABLE_NAME = 'notes' THEN count(*) ELSE 0 END
	FROM new_rows GROUP BY 1
	ON CONFLICT (user_id) DO UPDATE
	SET contacts = u.contacts + excluded.contacts, notes = u.notes + excluded.notes;
	RETURN NULL;
END $$;

CREATE FUNCTION crm_user_counts_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE user_counts u
	SET contacts = u.contacts - CASE WHEN TG_TABLE_NAME = 'contacts' THEN x.n ELSE 0 END,
	    notes = u.notes - CASE WHEN TG_TABLE_NAME = 'notes' THEN x.n ELSE 0 END
	FROM (SELECT user_id, count(*) AS n FROM old_rows GROUP BY 1) x
	WHERE u.user_id = x.user_id;
	RETURN NULL;
END $$;

CREATE TRIGGER contacts_counts_ins AFTER INSERT ON contacts
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_user_counts_ins();
CREATE TRIGGER contacts_counts_del AFTER DELETE ON contacts
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_user_counts_del();
CREATE TRIGGER notes_counts_ins AFTER INSERT ON notes
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_user_counts_ins();
CREATE TRIGGER notes_counts_del AFTER DELETE ON notes
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_user_counts_del();
