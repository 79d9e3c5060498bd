-- 0004_contacts_recent_first_idx (PostgreSQL): the contact listing sorted by -lastContacted
-- (SPEC §9.2: newest first, never-contacted last, then id descending) in index order.
-- contacts_last_contacted_idx read backwards gives NULLS FIRST, so that order was a sort of every
-- matching contact (6,666 for one tag of the bench's heavy account: 35 ms); this index lets a
-- filtered page walk the contacts newest first and stop after `limit` matches (under 1 ms for
-- the same page). The twin db/sqlite/0004_contacts_recent_first_idx.sql adds nothing: SQLite
-- orders NULLs first, so its index read backwards already gives this order.
CREATE INDEX contacts_recent_first_idx ON contacts
	(user_id, last_contacted DESC NULLS LAST, id DESC);
