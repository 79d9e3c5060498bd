-- 0001_init (SQLite): the whole data model of SPEC §6 in one step, so later features add code,
-- not schema. The twin of db/postgres/0001_init.sql: same tables, columns, keys and rules.
--
-- Conventions:
--   * Tables are STRICT, so a value of the wrong type is an error instead of being stored.
--   * ids are INTEGER PRIMARY KEY AUTOINCREMENT (an id is never reused, even after the newest
--     row is deleted: tombstones and cursors rely on that); timestamps are INTEGER Unix
--     milliseconds; booleans are INTEGER 0|1 with a CHECK; JSON is TEXT checked by json_valid.
--   * Text compares bytewise (BINARY, SQLite's default), like COLLATE "C" on PostgreSQL.
--   * contacts.last_name_key is NOT NULL ('' when there is no last name) so the name sorts and
--     their keyset cursors never meet NULL ordering differences between the stores.
--   * Data tables (contacts, tags, contact_tags, contact_relationships, notes, interactions,
--     search_terms, tombstones) carry the same composite foreign keys as on PostgreSQL; their
--     targets are a UNIQUE (user_id, id) next to the INTEGER PRIMARY KEY.
--   * Every user-owned row references users(id) ON DELETE CASCADE, except audit_log (no foreign
--     key: the account.deleted row outlives the user). The connection runs with
--     PRAGMA foreign_keys=ON, so deleting a user removes all of its rows; the domain deletes its
--     audit rows explicitly (§6 Cascades).
--   * No timestamp has a default: the service supplies every time (the per-user write time T of
--     §6 "Write order"), except users.last_write_at which starts at 0.
--   * schema_migrations is created by the migration runner, not here.

-- Accounts --------------------------------------------------------------------------------------

CREATE TABLE users (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	email          TEXT NOT NULL,
	email_key      TEXT NOT NULL,
	username       TEXT NOT NULL,
	username_key   TEXT NOT NULL,
	password_hash  TEXT,                        -- NULL: no password (OAuth-only account)
	first_name     TEXT NOT NULL,
	last_name      TEXT,
	avatar_url     TEXT,
	email_verified INTEGER NOT NULL DEFAULT 0 CHECK (email_verified IN (0, 1)),
	active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
	role           TEXT NOT NULL DEFAULT 'USER' CHECK (role IN ('USER', 'ADMIN')),
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	last_login_at  INTEGER,
	deactivated_at INTEGER,
	last_write_at  INTEGER NOT NULL DEFAULT 0,
	CONSTRAINT users_email_key_uq UNIQUE (email_key),
	CONSTRAINT users_username_key_uq UNIQUE (username_key)
) STRICT;

CREATE TABLE oauth_accounts (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	provider         TEXT NOT NULL CHECK (provider IN ('google', 'github')),
	provider_user_id TEXT NOT NULL,
	email            TEXT,
	created_at       INTEGER NOT NULL,
	last_login_at    INTEGER,
	CONSTRAINT oauth_accounts_provider_uq UNIQUE (provider, provider_user_id),
	CONSTRAINT oauth_accounts_user_provider_uq UNIQUE (user_id, provider)
) STRICT;

CREATE TABLE sessions (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	auth_method   TEXT NOT NULL CHECK (auth_method IN ('password', 'google', 'github')),
	created_at    INTEGER NOT NULL,
	last_used_at  INTEGER NOT NULL,
	expires_at    INTEGER NOT NULL,
	revoked_at    INTEGER,
	revoke_reason TEXT,
	ip            TEXT,
	user_agent    TEXT CHECK (length(user_agent) <= 256)
) STRICT;
CREATE INDEX sessions_user_live_idx ON sessions (user_id, revoked_at, expires_at);

CREATE TABLE refresh_tokens (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	token_hash TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	used_at    INTEGER,
	CONSTRAINT refresh_tokens_hash_uq UNIQUE (token_hash)
) STRICT;
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id); -- for the user cascade

CREATE TABLE email_tokens (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	purpose        TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
	token_hash     TEXT NOT NULL,
	email          TEXT NOT NULL,
	password_hash  TEXT,                        -- set only on re-registration (§7.1)
	created_at     INTEGER NOT NULL,
	expires_at     INTEGER NOT NULL,
	used_at        INTEGER,
	invalidated_at INTEGER,
	CONSTRAINT email_tokens_hash_uq UNIQUE (token_hash)
) STRICT;
CREATE INDEX email_tokens_user_purpose_idx ON email_tokens (user_id, purpose);

-- Data tables -----------------------------------------------------------------------------------

CREATE TABLE contacts (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	first_name      TEXT NOT NULL,
	first_name_key  TEXT NOT NULL,
	last_name       TEXT,
	last_name_key   TEXT NOT NULL DEFAULT '',   -- '' when last_name is NULL
	email           TEXT,
	email_key       TEXT,
	phone           TEXT,
	phone_digits    TEXT,
	address         TEXT,
	company         TEXT,
	company_key     TEXT,
	job_role        TEXT,
	birthday_year   INTEGER CHECK (birthday_year BETWEEN 1 AND 9999),
	birthday_month  INTEGER CHECK (birthday_month BETWEEN 1 AND 12),
	birthday_day    INTEGER CHECK (birthday_day BETWEEN 1 AND 31),
	custom_fields   TEXT CHECK (custom_fields IS NULL
		OR (json_valid(custom_fields) AND json_type(custom_fields) = 'object')),
	last_contacted  INTEGER,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	CONSTRAINT contacts_user_id_uq UNIQUE (user_id, id),
	-- a birthday is month and day, with or without a year
	CONSTRAINT contacts_birthday_ck CHECK ((birthday_month IS NULL) = (birthday_day IS NULL)
		AND (birthday_year IS NULL OR birthday_month IS NOT NULL)),
	CONSTRAINT contacts_email_ck CHECK ((email IS NULL) = (email_key IS NULL))
) STRICT;
CREATE UNIQUE INDEX contacts_user_email_uq ON contacts (user_id, email_key)
	WHERE email_key IS NOT NULL;
CREATE INDEX contacts_first_name_idx ON contacts (user_id, first_name_key, last_name_key, id);
CREATE INDEX contacts_last_name_idx ON contacts (user_id, last_name_key, first_name_key, id);
CREATE INDEX contacts_created_idx ON contacts (user_id, created_at, id);
CREATE INDEX contacts_updated_idx ON contacts (user_id, updated_at, id);
CREATE INDEX contacts_last_contacted_idx ON contacts (user_id, last_contacted, id);
CREATE INDEX contacts_company_idx ON contacts (user_id, company_key);

CREATE TABLE tags (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	name_key   TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	CONSTRAINT tags_user_id_uq UNIQUE (user_id, id),
	CONSTRAINT tags_user_name_uq UNIQUE (user_id, name_key)
) STRICT;

CREATE TABLE contact_tags (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	contact_id INTEGER NOT NULL,
	tag_id     INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	CONSTRAINT contact_tags_user_id_uq UNIQUE (user_id, id),
	CONSTRAINT contact_tags_uq UNIQUE (user_id, contact_id, tag_id),
	FOREIGN KEY (user_id, contact_id) REFERENCES contacts (user_id, id) ON DELETE CASCADE,
	FOREIGN KEY (user_id, tag_id) REFERENCES tags (user_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX contact_tags_tag_idx ON contact_tags (user_id, tag_id);

-- Rows come in inverse pairs (§9.5). inverse_id may be NULL for the moment between inserting the
-- first row of a pair and the second; its check is deferred to COMMIT so a pair can also be
-- written with both ids chosen up front. Deleting one row of a pair deletes the other.
CREATE TABLE contact_relationships (
	id                 INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id            INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	contact_id         INTEGER NOT NULL,
	related_contact_id INTEGER NOT NULL,
	type               TEXT NOT NULL CHECK (type IN ('spouse', 'parent', 'child', 'sibling',
		'friend', 'colleague', 'manager', 'report', 'other')),
	label              TEXT,
	inverse_id         INTEGER,
	created_at         INTEGER NOT NULL,
	CONSTRAINT contact_relationships_user_id_uq UNIQUE (user_id, id),
	CONSTRAINT contact_relationships_uq UNIQUE (user_id, contact_id, related_contact_id, type),
	CONSTRAINT contact_relationships_self_ck CHECK (contact_id <> related_contact_id),
	FOREIGN KEY (user_id, contact_id) REFERENCES contacts (user_id, id) ON DELETE CASCADE,
	FOREIGN KEY (user_id, related_contact_id) REFERENCES contacts (user_id, id) ON DELETE CASCADE,
	CONSTRAINT contact_relationships_inverse_fk FOREIGN KEY (user_id, inverse_id)
		REFERENCES contact_relationships (user_id, id) ON DELETE CASCADE
		DEFERRABLE INITIALLY DEFERRED
) STRICT;
CREATE INDEX contact_relationships_related_idx ON contact_relationships (user_id, related_contact_id);
CREATE INDEX contact_relationships_inverse_idx ON contact_relationships (user_id, inverse_id);

CREATE TABLE notes (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	contact_id INTEGER NOT NULL,
	title      TEXT NOT NULL,
	title_key  TEXT NOT NULL,
	content    TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	CONSTRAINT notes_user_id_uq UNIQUE (user_id, id),
	CONSTRAINT notes_title_uq UNIQUE (user_id, contact_id, title_key),
	FOREIGN KEY (user_id, contact_id) REFERENCES contacts (user_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX notes_created_idx ON notes (user_id, created_at, id);
CREATE INDEX notes_contact_created_idx ON notes (user_id, contact_id, created_at);

CREATE TABLE interactions (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	contact_id       INTEGER NOT NULL,
	type             TEXT NOT NULL,
	occurred_at      INTEGER NOT NULL,
	notes            TEXT,
	duration_minutes INTEGER CHECK (duration_minutes BETWEEN 0 AND 10080),
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	CONSTRAINT interactions_user_id_uq UNIQUE (user_id, id),
	FOREIGN KEY (user_id, contact_id) REFERENCES contacts (user_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX interactions_occurred_idx ON interactions (user_id, occurred_at, id);
CREATE INDEX interactions_contact_occurred_idx ON interactions (user_id, contact_id, occurred_at);
CREATE INDEX interactions_type_idx ON interactions (user_id, type);

-- The contact's search words (§9.2).
CREATE TABLE search_terms (
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	contact_id INTEGER NOT NULL,
	term       TEXT NOT NULL,
	PRIMARY KEY (user_id, term, contact_id),
	FOREIGN KEY (user_id, contact_id) REFERENCES contacts (user_id, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX search_terms_contact_idx ON search_terms (user_id, contact_id);

CREATE TABLE tombstones (
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	kind       TEXT NOT NULL CHECK (kind IN ('contact', 'note', 'interaction')),
	record_id  INTEGER NOT NULL,
	deleted_at INTEGER NOT NULL,
	PRIMARY KEY (user_id, kind, record_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX tombstones_kind_deleted_idx ON tombstones (user_id, kind, deleted_at);
CREATE INDEX tombstones_purge_idx ON tombstones (deleted_at); -- TOMBSTONE_RETENTION_DAYS purge

-- Billing ---------------------------------------------------------------------------------------

CREATE TABLE subscriptions (
	id                     INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id                INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	stripe_customer_id     TEXT,
	stripe_subscription_id TEXT,
	subscription_created   INTEGER,             -- Stripe's `created` of the tracked subscription
	status                 TEXT NOT NULL DEFAULT 'none' CHECK (status IN ('none', 'incomplete',
		'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')),
	price_id               TEXT,
	current_period_start   INTEGER,
	current_period_end     INTEGER,
	cancel_at_period_end   INTEGER NOT NULL DEFAULT 0 CHECK (cancel_at_period_end IN (0, 1)),
	trial_end              INTEGER,
	trial_used             INTEGER NOT NULL DEFAULT 0 CHECK (trial_used IN (0, 1)),
	payment_failed_at      INTEGER,
	created_at             INTEGER NOT NULL,
	updated_at             INTEGER NOT NULL,
	CONSTRAINT subscriptions_user_uq UNIQUE (user_id),
	CONSTRAINT subscriptions_customer_uq UNIQUE (stripe_customer_id),
	CONSTRAINT subscriptions_subscription_uq UNIQUE (stripe_subscription_id)
) STRICT;

CREATE TABLE stripe_events (
	event_id    TEXT PRIMARY KEY NOT NULL,
	type        TEXT NOT NULL,
	created     INTEGER,                        -- the event's own `created`
	received_at INTEGER NOT NULL,
	outcome     TEXT NOT NULL CHECK (outcome IN ('applied', 'ignored'))
) STRICT;

-- Audit, mail, login throttle -------------------------------------------------------------------

CREATE TABLE audit_log (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id    INTEGER,                         -- no foreign key (see the header)
	event      TEXT NOT NULL,
	ip         TEXT,
	user_agent TEXT,
	request_id TEXT,
	details    TEXT CHECK (details IS NULL OR json_valid(details)), -- JSON, never secrets
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX audit_log_user_idx ON audit_log (user_id, created_at);
CREATE INDEX audit_log_purge_idx ON audit_log (created_at); -- 365-day purge

-- user_id NULL: mail not tied to an account. A user's rows (pending mail included) go with the
-- user. dedupe_key (optional, unique) makes "one mail per invoice id" / "per (subscription,
-- trial_end)" (§12.2) a plain INSERT ... ON CONFLICT DO NOTHING.
CREATE TABLE email_outbox (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id         INTEGER REFERENCES users (id) ON DELETE CASCADE,
	to_address      TEXT NOT NULL,
	template        TEXT NOT NULL,
	subject         TEXT NOT NULL,
	body_text       TEXT,                       -- NULL once erased (§14)
	body_html       TEXT,
	status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_attempt_at INTEGER NOT NULL,
	last_error      TEXT,
	dedupe_key      TEXT,
	created_at      INTEGER NOT NULL,
	sent_at         INTEGER,
	CONSTRAINT email_outbox_dedupe_uq UNIQUE (dedupe_key)
) STRICT;
CREATE INDEX email_outbox_due_idx ON email_outbox (status, next_attempt_at);
CREATE INDEX email_outbox_recent_idx ON email_outbox (to_address, template, created_at);
CREATE INDEX email_outbox_user_idx ON email_outbox (user_id); -- for the user cascade

CREATE TABLE login_failures (
	id                  INTEGER PRIMARY KEY AUTOINCREMENT,
	identifier_key_hash TEXT NOT NULL,
	ip                  TEXT NOT NULL,
	created_at          INTEGER NOT NULL
) STRICT;
CREATE INDEX login_failures_ident_ip_idx ON login_failures (identifier_key_hash, ip, created_at);
CREATE INDEX login_failures_ident_idx ON login_failures (identifier_key_hash, created_at);
CREATE INDEX login_failures_purge_idx ON login_failures (created_at);
