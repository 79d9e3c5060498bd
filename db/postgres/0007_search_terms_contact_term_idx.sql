-- 0007_search_terms_contact_term_idx (PostgreSQL): a search page that walks contacts in the
-- sort's order (src/store/contact_query_sql.h, CQ_WALK) asks, for each contact, whether one of
-- its words starts with a term. With the index on (user_id, contact_id) alone every probe read
-- the heap rows of all the contact's words (about 8 on the bench's heavy account) to test the
-- term; with term in the index the probe is one index-only range. The new index serves every
-- lookup the old one did (a contact's words, the cascade from contacts), so it replaces it.
-- The twin db/sqlite/0007_search_terms_contact_term_idx.sql does the same.
CREATE INDEX search_terms_contact_term_idx ON search_terms (user_id, contact_id, term);
DROP INDEX search_terms_contact_idx;
