-- 0006_tag_insight_rollups (PostgreSQL): the figures of the tag insights of SPEC §11 without
-- joining every recent interaction and every fresh contact to its links (about 100 ms for the
-- bench's heavy account: 41,000 interactions and 39,000 links in a 30-day window). The twin of
-- db/sqlite/0006_tag_insight_rollups.sql (same tables, columns and meaning).
--
--   * tag_interaction_days (user_id, tag_id, day, n): per tag and UTC day (days since
--     1970-01-01), the number of interactions on that day with contacts carrying the tag. The
--     insight reads the window's whole days from here and counts only the interactions of its
--     first and last partial day. Rows whose count falls to 0 stay (at most one per tag and
--     day; a tag's delete removes its rows), so a write never has to look for them.
--   * contact_tags.last_contacted: the contact's last_contacted, copied onto each of its links,
--     with the index contact_tags_recent_idx (user_id, tag_id, last_contacted DESC NULLS LAST,
--     contact_id DESC). A tag's non-stale contacts are one range of it and its latest
--     lastContacted its first entry; the index replaces contact_tags_tag_idx.
--
-- A pair (interaction, tag) is counted while both the interaction and the link exist: whichever
-- of the two is removed first takes the pair away (the other then finds nothing to join). A
-- contact's delete removes both at once: PostgreSQL fires the triggers of the cascaded deletes
-- at the end of the contact's statement, when neither finds the other any more, so the
-- contact's pairs are taken away by a trigger before its row goes.

CREATE TABLE tag_interaction_days (
	user_id bigint NOT NULL,
	tag_id  bigint NOT NULL,
	day     integer NOT NULL,
	n       bigint NOT NULL,
	PRIMARY KEY (user_id, tag_id, day),
	FOREIGN KEY (user_id, tag_id) REFERENCES tags (user_id, id) ON DELETE CASCADE
);

ALTER TABLE contact_tags ADD COLUMN last_contacted timestamptz(3);

UPDATE contact_tags ct SET last_contacted = c.last_contacted
FROM contacts c
WHERE c.user_id = ct.user_id AND c.id = ct.contact_id AND c.last_contacted IS NOT NULL;

INSERT INTO tag_interaction_days (user_id, tag_id, day, n)
SELECT ct.user_id, ct.tag_id, crm_utc_day(i.occurred_at), count(*)
FROM contact_tags ct
JOIN interactions i ON i.user_id = ct.user_id AND i.contact_id = ct.contact_id
GROUP BY 1, 2, 3;

CREATE INDEX contact_tags_recent_idx ON contact_tags
	(user_id, tag_id, last_contacted DESC NULLS LAST, contact_id DESC);
DROP INDEX contact_tags_tag_idx;

-- The pairs of written interactions and the links of their contacts, by (tag, day).
CREATE FUNCTION crm_tag_days_interactions_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO tag_interaction_days AS d (user_id, tag_id, day, n)
	SELECT i.user_id, ct.tag_id, crm_utc_day(i.occurred_at), count(*)
	FROM new_rows i
	JOIN contact_tags ct ON ct.user_id = i.user_id AND ct.contact_id = i.contact_id
	GROUP BY 1, 2, 3
	ON CONFLICT (user_id, tag_id, day) DO UPDATE SET n = d.n + excluded.n;
	RETURN NULL;
END $$;

CREATE FUNCTION crm_tag_days_interactions_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE tag_interaction_days d SET n = d.n - x.n
	FROM (SELECT i.user_id, ct.tag_id, crm_utc_day(i.occurred_at) AS day, count(*) AS n
	      FROM old_rows i
	      JOIN contact_tags ct ON ct.user_id = i.user_id AND ct.contact_id = i.contact_id
	      GROUP BY 1, 2, 3) x
	WHERE d.user_id = x.user_id AND d.tag_id = x.tag_id AND d.day = x.day;
	RETURN NULL;
END $$;

-- An update moves pairs only when the contact or the day changes: the net change is applied.
CREATE FUNCTION crm_tag_days_interactions_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO tag_interaction_days AS d (user_id, tag_id, day, n)
	SELECT user_id, tag_id, day, sum(k) FROM (
		SELECT i.user_id, ct.tag_id, crm_utc_day(i.occurred_at) AS day, 1 AS k
		FROM new_rows i
		JOIN contact_tags ct ON ct.user_id = i.user_id AND ct.contact_id = i.contact_id
		UNION ALL
		SELECT i.user_id, ct.tag_id, crm_utc_day(i.occurred_at), -1
		FROM old_rows i
		JOIN contact_tags ct ON ct.user_id = i.user_id AND ct.contact_id = i.contact_id) s
	GROUP BY 1, 2, 3 HAVING sum(k) <> 0
	ON CONFLICT (user_id, tag_id, day) DO UPDATE SET n = d.n + excluded.n;
	RETURN NULL;
END $$;

CREATE TRIGGER interactions_tag_days_ins AFTER INSERT ON interactions
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION crm_tag_days_interactions_ins();
CREATE TRIGGER interactions_tag_days_del AFTER DELETE ON interactions
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION crm_tag_days_interactions_del();
CREATE TRIGGER interactions_tag_days_upd AFTER UPDATE ON interactions
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION crm_tag_days_interactions_upd();

-- The pairs of written links and their contacts' interactions.
CREATE FUNCTION crm_tag_days_links_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO tag_interaction_days AS d (user_id, tag_id, day, n)
	SELECT ct.user_id, ct.tag_id, crm_utc_day(i.occurred_at), count(*)
	FROM new_rows ct
	JOIN interactions i ON i.user_id = ct.user_id AND i.contact_id = ct.contact_id
	GROUP BY 1, 2, 3
	ON CONFLICT (user_id, tag_id, day) DO UPDATE SET n = d.n + excluded.n;
	RETURN NULL;
END $$;

CREATE FUNCTION crm_tag_days_links_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE tag_interaction_days d SET n = d.n - x.n
	FROM (SELECT ct.user_id, ct.tag_id, crm_utc_day(i.occurred_at) AS day, count(*) AS n
	      FROM old_rows ct
	      JOIN interactions i ON i.user_id = ct.user_id AND i.contact_id = ct.contact_id
	      GROUP BY 1, 2, 3) x
	WHERE d.user_id = x.user_id AND d.tag_id = x.tag_id AND d.day = x.day;
	RETURN NULL;
END $$;

CREATE TRIGGER contact_tags_tag_days_ins AFTER INSERT ON contact_tags
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION crm_tag_days_links_ins();
CREATE TRIGGER contact_tags_tag_days_del AFTER DELETE ON contact_tags
	REFERENCING OLD TABLE AS old_rows
	FOR EACH STATEMENT EXECUTE FUNCTION crm_tag_days_links_del();

-- A new link takes its contact's last_contacted; a contact's new last_contacted reaches its
-- links (a row trigger: PostgreSQL gives no transition tables to a trigger with a column list).
CREATE FUNCTION crm_link_last_contacted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	SELECT c.last_contacted INTO NEW.last_contacted FROM contacts c
	WHERE c.user_id = NEW.user_id AND c.id = NEW.contact_id;
	RETURN NEW;
END $$;

CREATE FUNCTION crm_contact_last_contacted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE contact_tags SET last_contacted = NEW.last_contacted
	WHERE user_id = NEW.user_id AND contact_id = NEW.id;
	RETURN NULL;
END $$;

CREATE TRIGGER contact_tags_last_contacted BEFORE INSERT ON contact_tags
	FOR EACH ROW EXECUTE FUNCTION crm_link_last_contacted();
CREATE TRIGGER contacts_last_contacted AFTER UPDATE OF last_contacted ON contacts
	FOR EACH ROW WHEN (OLD.last_contacted IS DISTINCT FROM NEW.last_contacted)
	EXECUTE FUNCTION crm_contact_last_contacted();

-- A deleted contact's pairs, while its links and interactions are still there.
CREATE FUNCTION crm_tag_days_contact_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE tag_interaction_days d SET n = d.n - x.n
	FROM (SELECT ct.tag_id, crm_utc_day(i.occurred_at) AS day, count(*) AS n
	      FROM contact_tags ct
	      JOIN interactions i ON i.user_id = ct.user_id AND i.contact_id = ct.contact_id
	      WHERE ct.user_id = OLD.user_id AND ct.contact_id = OLD.id
	      GROUP BY 1, 2) x
	WHERE d.user_id = OLD.user_id AND d.tag_id = x.tag_id AND d.day = x.day;
	RETURN OLD;
END $$;

CREATE TRIGGER contacts_tag_days_del BEFORE DELETE ON contacts
	FOR EACH ROW EXECUTE FUNCTION crm_tag_days_contact_del();
