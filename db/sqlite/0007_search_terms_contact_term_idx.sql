-- 0007_search_terms_contact_term_idx (SQLite): nothing to add. The PostgreSQL twin puts the word
-- into the index on a contact's search words, for the search page that walks contacts in the
-- sort's order and looks up each one's words (CQ_WALK, src/store/contact_query_sql.h). SQLite
-- does not walk that way: it reads each term's range of the primary key once into a list and
-- tests every contact of the walk against it. The file keeps both stores at the same migration
-- number.
SELECT 1;
