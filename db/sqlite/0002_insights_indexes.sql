-- 0002_insights_indexes (SQLite): indexes for the insights of SPEC §11, so that each insight is
-- one or two covering-index range scans or counts, never a scan per contact. The twin of
-- db/postgres/0002_insights_indexes.sql (same indexes; see there for why each exists).
CREATE INDEX interactions_contact_idx ON interactions (user_id, contact_id);
CREATE INDEX interactions_occurred_contact_idx ON interactions (user_id, occurred_at, contact_id);
CREATE INDEX interactions_type_occurred_idx ON interactions (user_id, type, occurred_at);
