-- 0006_tag_insight_rollups (SQLite): the twin of db/postgres/0006_tag_insight_rollups.sql (same
-- table, column, index and meaning; see there for what each serves), with row triggers
-- (cascaded deletes fire them too). A pair (interaction, tag) is counted while both the
-- interaction and the link exist: whichever of the two is removed first takes the pair away.
-- SQLite fires the triggers of a contact's cascaded deletes row by row as they happen, so the
-- rule alone counts a deleted contact's pairs once (PostgreSQL needs one more trigger).
-- The day of an interaction is written as in 0003_insights_rollups.

CREATE TABLE tag_interaction_days (
	user_id INTEGER NOT NULL,
	tag_id  INTEGER NOT NULL,
	day     INTEGER NOT NULL,
	n       INTEGER NOT NULL,
	PRIMARY KEY (user_id, tag_id, day),
	FOREIGN KEY (user_id, tag_id) REFERENCES tags (user_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

ALTER TABLE contact_tags ADD COLUMN last_contacted INTEGER;

UPDATE contact_tags SET last_contacted = (SELECT c.last_contacted FROM contacts c
	WHERE c.user_id = contact_tags.user_id AND c.id = contact_tags.contact_id);

INSERT INTO tag_interaction_days (user_id, tag_id, day, n)
SELECT ct.user_id, ct.tag_id, (i.occurred_at - ((i.occurred_at % 86400000 + 86400000) % 86400000)) / 86400000, count(*)
FROM contact_tags ct
JOIN interactions i ON i.user_id = ct.user_id AND i.contact_id = ct.contact_id
GROUP BY 1, 2, 3;

CREATE INDEX contact_tags_recent_idx ON contact_tags
	(user_id, tag_id, last_contacted DESC, contact_id DESC);
DROP INDEX contact_tags_tag_idx;

CREATE TRIGGER interactions_tag_days_ins AFTER INSERT ON interactions BEGIN
	INSERT INTO tag_interaction_days (user_id, tag_id, day, n)
	SELECT NEW.user_id, tag_id, (NEW.occurred_at - ((NEW.occurred_at % 86400000 + 86400000) % 86400000)) / 86400000, 1
	FROM contact_tags WHERE user_id = NEW.user_id AND contact_id = NEW.contact_id
	ON CONFLICT (user_id, tag_id, day) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER interactions_tag_days_del AFTER DELETE ON interactions BEGIN
	UPDATE tag_interaction_days SET n = n - 1
	WHERE user_id = OLD.user_id AND day = (OLD.occurred_at - ((OLD.occurred_at % 86400000 + 86400000) % 86400000)) / 86400000
	AND tag_id IN (SELECT tag_id FROM contact_tags
		WHERE user_id = OLD.user_id AND contact_id = OLD.contact_id);
END;

-- A move to another contact or day: the old pairs down, the new pairs up.
CREATE TRIGGER interactions_tag_days_upd AFTER UPDATE OF contact_id, occurred_at ON interactions
WHEN OLD.contact_id <> NEW.contact_id OR (OLD.occurred_at - ((OLD.occurred_at % 86400000 + 86400000) % 86400000)) / 86400000 <> (NEW.occurred_at - ((NEW.occurred_at % 86400000 + 86400000) % 86400000)) / 86400000
BEGIN
	UPDATE tag_interaction_days SET n = n - 1
	WHERE user_id = OLD.user_id AND day = (OLD.occurred_at - ((OLD.occurred_at % 86400000 + 86400000) % 86400000)) / 86400000
	AND tag_id IN (SELECT tag_id FROM contact_tags
		WHERE user_id = OLD.user_id AND contact_id = OLD.contact_id);
	INSERT INTO tag_interaction_days (user_id, tag_id, day, n)
	SELECT NEW.user_id, tag_id, (NEW.occurred_at - ((NEW.occurred_at % 86400000 + 86400000) % 86400000)) / 86400000, 1
	FROM contact_tags WHERE user_id = NEW.user_id AND contact_id = NEW.contact_id
	ON CONFLICT (user_id, tag_id, day) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER contact_tags_tag_days_ins AFTER INSERT ON contact_tags BEGIN
	UPDATE contact_tags SET last_contacted = (SELECT last_contacted FROM contacts
		WHERE user_id = NEW.user_id AND id = NEW.contact_id)
	WHERE id = NEW.id;
	INSERT INTO tag_interaction_days (user_id, tag_id, day, n)
	SELECT NEW.user_id, NEW.tag_id, (occurred_at - ((occurred_at % 86400000 + 86400000) % 86400000)) / 86400000, count(*)
	FROM interactions WHERE user_id = NEW.user_id AND contact_id = NEW.contact_id
	GROUP BY 3
	ON CONFLICT (user_id, tag_id, day) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER contact_tags_tag_days_del AFTER DELETE ON contact_tags BEGIN
	UPDATE tag_interaction_days SET n = n - (SELECT count(*) FROM interactions i
		WHERE i.user_id = OLD.user_id AND i.contact_id = OLD.contact_id
		AND i.occurred_at >= tag_interaction_days.day * 86400000
		AND i.occurred_at < (tag_interaction_days.day + 1) * 86400000)
	WHERE user_id = OLD.user_id AND tag_id = OLD.tag_id AND day IN (
		SELECT (occurred_at - ((occurred_at % 86400000 + 86400000) % 86400000)) / 86400000 FROM interactions
		WHERE user_id = OLD.user_id AND contact_id = OLD.contact_id);
END;

CREATE TRIGGER contacts_last_contacted AFTER UPDATE OF last_contacted ON contacts
WHEN OLD.last_contacted IS NOT NEW.last_contacted BEGIN
	UPDATE contact_tags SET last_contacted = NEW.last_contacted
	WHERE user_id = NEW.user_id AND contact_id = NEW.id;
END;
