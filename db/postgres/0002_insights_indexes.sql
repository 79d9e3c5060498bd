-- 0002_insights_indexes (PostgreSQL): indexes for the insights of SPEC §11, so that each insight
-- is one or two index-only range scans or counts, never a scan per contact. The twin of
-- db/sqlite/0002_insights_indexes.sql (same indexes).
--
--   * (user_id, contact_id): per-contact interaction counts (most-interacted over all time). It
--     duplicates a prefix of interactions_contact_occurred_idx on purpose: without occurred_at
--     every contact's entries deduplicate into a few posting lists, so the index is about a
--     fifth of the size and the grouped count over a million rows is correspondingly cheaper.
--   * (user_id, occurred_at, contact_id): per-contact counts within a time range (most-interacted
--     with from/to, the interactionCount of tag insights) straight from the index.
--   * (user_id, type, occurred_at): the interactions trend filtered by type, one range count per
--     bucket and type without reading the table.
CREATE INDEX interactions_contact_idx ON interactions (user_id, contact_id);
CREATE INDEX interactions_occurred_contact_idx ON interactions (user_id, occurred_at, contact_id);
CREATE INDEX interactions_type_occurred_idx ON interactions (user_id, type, occurred_at);
