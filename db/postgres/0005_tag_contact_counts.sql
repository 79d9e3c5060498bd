-- 0005_tag_contact_counts (PostgreSQL): tags.contact_count, the number of the tag's contacts
-- (Tag.contactCount of SPEC §9.4, and contactCount of the tag insights of §11), kept by triggers
-- on contact_tags in the transaction of every link written or removed (cascades included), so
-- that neither a tag listing nor the tag insights count every link of a large account (133,333
-- links of the bench's heavy account: about 30 ms per request). The twin of
-- db/sqlite/0005_tag_contact_counts.sql.
ALTER TABLE tags ADD COLUMN contact_count bigint NOT NULL DEFAULT 0;

UPDATE tags t SET contact_count = x.n
FROM (SELECT user_id, tag_id, count(*) AS n FROM contact_tags GROUP BY user_id, tag_id) x
WHERE t.user_id = x.user_id AND t.id = x.tag_id;

CREATE FUNCTION crm_tag_counts_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE tags t SET contact_count = t.contact_count + x.n
	FROM (SELECT user_id, tag_id, count(*) AS n FROM new_rows GROUP BY 1, 2) x
	WHERE t.user_id = x.user_id AND t.id = x.tag_id;
	RETURN NULL;
END $$;

CREATE FUNCTION crm_tag_counts_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE tags t SET contact_count = t.contact_count - x.n
	FROM (SELECT user_id, tag_id, count(*) AS n FROM old_rows GROUP BY 1, 2) x
	WHERE t.user_id = x.user_id AND t.id = x.tag_id;
	RETURN NULL;
END $$;

CREATE TRIGGER contact_tags_counts_ins AFTER INSERT ON contact_tags
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_tag_counts_ins();
CREATE TRIGGER contact_tags_counts_del AFTER DELETE ON contact_tags
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_tag_counts_del();
