-- 0003_insights_rollups (SQLite): the twin of db/postgres/0003_insights_rollups.sql (same
-- tables, columns and meaning; see there for what each figure serves). SQLite has only row
-- triggers: each inserted, deleted or moved interaction, contact or note changes the figures
-- by one, in the statement's own transaction (cascaded deletes fire them too).
--
-- The day of an interaction is floor(occurred_at / 86400000) (days since 1970-01-01 UTC),
-- written as (t - ((t % D + D) % D)) / D because SQLite's integer division truncates.

ALTER TABLE contacts ADD COLUMN interaction_count INTEGER NOT NULL DEFAULT 0;

CREATE TABLE interaction_days (
	user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	day     INTEGER NOT NULL,
	type    TEXT NOT NULL,
	n       INTEGER NOT NULL,
	PRIMARY KEY (user_id, day, type)
) STRICT, WITHOUT ROWID;

CREATE TABLE user_counts (
	user_id  INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
	contacts INTEGER NOT NULL DEFAULT 0,
	notes    INTEGER NOT NULL DEFAULT 0
) STRICT;

UPDATE contacts SET interaction_count = (SELECT count(*) FROM interactions i
	WHERE i.user_id = contacts.user_id AND i.contact_id = contacts.id);

INSERT INTO interaction_days (user_id, day, type, n)
SELECT user_id, (occurred_at - ((occurred_at % 86400000 + 86400000) % 86400000)) / 86400000,
       type, count(*)
FROM interactions GROUP BY 1, 2, 3;

INSERT INTO user_counts (user_id, contacts, notes)
SELECT u.id, (SELECT count(*) FROM contacts c WHERE c.user_id = u.id),
       (SELECT count(*) FROM notes n WHERE n.user_id = u.id)
FROM users u;

CREATE INDEX contacts_interaction_count_idx ON contacts
	(user_id, interaction_count DESC, last_contacted DESC, id);
DROP INDEX interactions_contact_idx;
DROP INDEX interactions_type_occurred_idx;

CREATE TRIGGER interactions_rollup_ins AFTER INSERT ON interactions BEGIN
	UPDATE contacts SET interaction_count = interaction_count + 1
	WHERE user_id = NEW.user_id AND id = NEW.contact_id;
	INSERT INTO interaction_days (user_id, day, type, n)
	VALUES (NEW.user_id, (NEW.occurred_at - ((NEW.occurred_at % 86400000 + 86400000)
		% 86400000)) / 86400000, NEW.type, 1)
	ON CONFLICT (user_id, day, type) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER interactions_rollup_del AFTER DELETE ON interactions BEGIN
	UPDATE contacts SET interaction_count = interaction_count - 1
	WHERE user_id = OLD.user_id AND id = OLD.contact_id;
	UPDATE interaction_days SET n = n - 1
	WHERE user_id = OLD.user_id AND type = OLD.type AND day = (OLD.occurred_at
		- ((OLD.occurred_at % 86400000 + 86400000) % 86400000)) / 86400000;
	DELETE FROM interaction_days
	WHERE user_id = OLD.user_id AND type = OLD.type AND day = (OLD.occurred_at
		- ((OLD.occurred_at % 86400000 + 86400000) % 86400000)) / 86400000 AND n <= 0;
END;

-- A move between contacts, days or types: the old row's figures down, the new row's up.
CREATE TRIGGER interactions_rollup_upd_contact AFTER UPDATE OF contact_id ON interactions
WHEN OLD.contact_id <> NEW.contact_id BEGIN
	UPDATE contacts SET interaction_count = interaction_count - 1
	WHERE user_id = OLD.user_id AND id = OLD.contact_id;
	UPDATE contacts SET interaction_count = interaction_count + 1
	WHERE user_id = NEW.user_id AND id = NEW.contact_id;
END;

CREATE TRIGGER interactions_rollup_upd_day AFTER UPDATE OF occurred_at, type ON interactions
WHEN OLD.type <> NEW.type OR (OLD.occurred_at - ((OLD.occurred_at % 86400000 + 86400000)
	% 86400000)) <> (NEW.occurred_at - ((NEW.occurred_at % 86400000 + 86400000) % 86400000))
BEGIN
	UPDATE interaction_days SET n = n - 1
	WHERE user_id = OLD.user_id AND type = OLD.type AND day = (OLD.occurred_at
		- ((OLD.occurred_at % 86400000 + 86400000) % 86400000)) / 86400000;
	DELETE FROM interaction_days
	WHERE user_id = OLD.user_id AND type = OLD.type AND day = (OLD.occurred_at
		- ((OLD.occurred_at % 86400000 + 86400000) % 86400000)) / 86400000 AND n <= 0;
	INSERT INTO interaction_days (user_id, day, type, n)
	VALUES (NEW.user_id, (NEW.occurred_at - ((NEW.occurred_at % 86400000 + 86400000)
		% 86400000)) / 86400000, NEW.type, 1)
	ON CONFLICT (user_id, day, type) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER contacts_counts_ins AFTER INSERT ON contacts BEGIN
	INSERT INTO user_counts (user_id, contacts) VALUES (NEW.user_id, 1)
	ON CONFLICT (user_id) DO UPDATE SET contacts = contacts + 1;
END;

CREATE TRIGGER contacts_counts_del AFTER DELETE ON contacts BEGIN
	UPDATE user_counts SET contacts = contacts - 1 WHERE user_id = OLD.user_id;
END;

CREATE TRIGGER notes_counts_ins AFTER INSERT ON notes BEGIN
	INSERT INTO user_counts (user_id, notes) VALUES (NEW.user_id, 1)
	ON CONFLICT (user_id) DO UPDATE SET notes = notes + 1;
END;

CREATE TRIGGER notes_counts_del AFTER DELETE ON notes BEGIN
	UPDATE user_counts SET notes = notes - 1 WHERE user_id = OLD.user_id;
END;
