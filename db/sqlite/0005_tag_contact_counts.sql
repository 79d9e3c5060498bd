-- 0005_tag_contact_counts (SQLite): the twin of db/postgres/0005_tag_contact_counts.sql (same
-- column and meaning), with row triggers (cascaded deletes fire them too).
ALTER TABLE tags ADD COLUMN contact_count INTEGER NOT NULL DEFAULT 0;

UPDATE tags SET contact_count = (SELECT count(*) FROM contact_tags ct
	WHERE ct.user_id = tags.user_id AND ct.tag_id = tags.id);

CREATE TRIGGER contact_tags_counts_ins AFTER INSERT ON contact_tags BEGIN
	UPDATE tags SET contact_count = contact_count + 1
	WHERE user_id = NEW.user_id AND id = NEW.tag_id;
END;

CREATE TRIGGER contact_tags_counts_del AFTER DELETE ON contact_tags BEGIN
	UPDATE tags SET contact_count = contact_count - 1
	WHERE user_id = OLD.user_id AND id = OLD.tag_id;
END;
