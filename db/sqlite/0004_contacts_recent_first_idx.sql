-- 0004_contacts_recent_first_idx (SQLite): nothing to add. The PostgreSQL twin creates an index
-- ordered (last_contacted DESC NULLS LAST, id DESC) for the -lastContacted listing; SQLite sorts
-- NULLs first, so contacts_last_contacted_idx (user_id, last_contacted, id) read backwards
-- already gives that order. The file keeps both stores at the same migration number.
SELECT 1;
