/* The store interface: everything the service keeps lives behind this struct of function
 * pointers, implemented twice (store/sqlite: embedded default; store/pg: PostgreSQL selected by
 * DATABASE_URL) with identical behaviour. Domain code never sees SQL.
 *
 * Status convention for every store function that touches data: negative = failure (one of
 * enum store_status), 0 = no row matched, positive = rows affected/found.
 *
 * Connections: a caller obtains a `struct db *` with store_acquire (PostgreSQL: from the pool,
 * waiting up to 2 s; SQLite: this thread's connection) and gives it back with store_release.
 * Multi-step changes go through store_tx, the one transaction runner, which retries
 * serialization failures and deadlocks. */
#ifndef CRM_STORE_H
#define CRM_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "store/contact_types.h"
#include "store/export_types.h"
#include "store/types.h"
#include "store/types_notes.h"
#include "store/types_insights.h"

struct config;

enum store_status {
	ST_ERROR = -1,       /* unexpected failure (logged by the store, never shown to clients) */
	ST_UNAVAILABLE = -2, /* store unreachable, pool exhausted, or connection lost */
	ST_TIMEOUT = -3,     /* statement or lock timeout */
	ST_CONFLICT = -4,    /* unique or exclusion violation */
	ST_RETRY = -5,       /* serialization failure or deadlock: the transaction may be retried */
	ST_FK = -6,          /* foreign-key violation */
	/* store_tx only: a write transaction's COMMIT was sent but never confirmed (timeout or
	 * lost connection), so it may or may not have been applied. */
	ST_UNCONFIRMED = -7,
};

struct db; /* one connection, opaque; owned by its store */

struct store_pool_stats {
	int in_use, idle;
};

/* Result of one migration step, for `crm migrate` output. */
struct migration_info {
	int version;
	const char *name; /* e.g. "0001_init" */
	bool applied;
	long long applied_at_ms; /* 0 when pending */
};

struct store;

struct store_ops {
	const char *name; /* "sqlite" or "postgres" */
	/* contacts_select_page reads the page and its tags in one statement, which is consistent
	 * on its own, so that a page needs no transaction (PostgreSQL: no BEGIN and COMMIT round
	 * trips); otherwise it takes two and the caller opens a transaction. */
	bool page_one_statement;
	void (*close)(struct store *s);

	int (*acquire)(struct store *s, struct db **out);
	void (*release)(struct store *s, struct db *db);
	/* write: the transaction will write (SQLite: BEGIN IMMEDIATE). */
	int (*begin)(struct db *db, bool write);
	int (*commit)(struct db *db);
	void (*rollback)(struct db *db);

	/* A trivial query with the given timeout; 1 on success. */
	int (*ping)(struct db *db, int timeout_ms);
	void (*pool_stats)(struct store *s, struct store_pool_stats *out);

	/* Lists known migrations (embedded in the binary) with their state; returns the count
	 * written into out (at most max) or a negative status. */
	int (*migrations)(struct db *db, struct migration_info *out, int max);
	/* Applies pending migrations in order, each in its own transaction, printing one line
	 * per applied version to log (may be NULL). Returns the number applied or < 0. */
	int (*migrate)(struct db *db, FILE *log);

	/* Data operations, one group per resource. */

	/* ---- Accounts (users, sessions, tokens, throttles, audit, outbox). All times are Unix
	 * ms passed in by the caller ("now"), so both stores agree and tests can reason. ---- */

	/* Locks the user's row for the rest of the transaction (PostgreSQL SELECT … FOR UPDATE;
	 * SQLite: the single writer already serialises). 1 when the user exists, else 0. */
	int (*users_lock)(struct db *db, long long user_id);
	/* The write time of §6 for a transaction writing the user's data tables: locks the user
	 * row, sets *t = max(now, last_write_at + 1) and stores it as last_write_at. Every
	 * created_at/updated_at/deleted_at the transaction writes uses *t, so a user's write times
	 * strictly increase in commit order. 1 when the user exists, else 0. */
	int (*users_write_time)(struct db *db, long long user_id, long long now, long long *t);
	/* Inserts a user (role USER, active) with created_at = updated_at = now; *id_out set.
	 * ST_CONFLICT when email_key or username_key is taken. */
	int (*users_insert)(struct db *db, const struct user_new *in, long long now, long long *id_out);
	/* Reads one user by id / by email_key / by username_key into out (caller frees with
	 * user_row_free). 1 found, 0 none. */
	int (*users_select)(struct db *db, long long id, struct user_row *out);
	int (*users_select_by_email_key)(struct db *db, const char *email_key, struct user_row *out);
	int (*users_select_by_username_key)(struct db *db, const char *username_key,
					    struct user_row *out);
	/* Applies the set_* fields of p and updated_at = now. 1 updated, 0 no such user,
	 * ST_CONFLICT when the new username_key is taken. */
	int (*users_update)(struct db *db, long long id, const struct user_patch *p, long long now);
	/* Deletes the user and (by cascade) every row carrying its user_id, including outbox
	 * and audit rows (audit has no FK: deleted explicitly). 1 deleted, 0 none. */
	int (*users_delete)(struct db *db, long long id);

	/* Opens a session; *id_out set. */
	int (*sessions_insert)(struct db *db, long long user_id, const char *auth_method,
			       long long now, long long expires_at, const char *ip,
			       const char *user_agent, long long *id_out);
	int (*sessions_select)(struct db *db, long long id, struct session_row *out);
	/* Live sessions of a user (unrevoked, expires_at > now), newest created first. *rows is
	 * a new array (caller frees each with session_row_free, then the array). Returns count. */
	int (*sessions_select_live)(struct db *db, long long user_id, long long now,
				    struct session_row **rows);
	/* last_used_at = now and the ip / user agent seen (refresh). */
	int (*sessions_touch)(struct db *db, long long id, long long now, const char *ip,
			      const char *user_agent);
	/* Revokes one live session of user (revoked_at = now, reason). Returns rows changed. */
	int (*sessions_revoke)(struct db *db, long long user_id, long long id, long long now,
			       const char *reason);
	/* Revokes every live session of user except except_id (0: none). Returns rows changed. */
	int (*sessions_revoke_all)(struct db *db, long long user_id, long long except_id,
				   long long now, const char *reason);
	/* Revokes the least recently used live sessions so that at most keep remain. */
	int (*sessions_trim)(struct db *db, long long user_id, long long now, int keep,
			     const char *reason);
	/* The per-request check: session id with its user, in one indexed lookup. 1 when the
	 * session row exists (then out says whether it is live and the user active), else 0. */
	int (*auth_lookup)(struct db *db, long long session_id, long long now, struct auth_row *out);
	/* auth_lookup, and contacts_select_with_tags of read->user_id and read->id (the user the
	 * token names) into read: one round trip on PostgreSQL, for a route whose answer is that
	 * contact. Returns auth_lookup's value; read->rc is the contact read's, and its outputs
	 * are set only when read->rc is 1. The caller uses the contact only once the session
	 * proves to be that user's. */
	int (*auth_lookup_contact)(struct db *db, long long session_id, long long now,
				   struct auth_row *out, struct contact_read *read);
	/* auth_lookup, and contacts_select_page of read->user_id and read->q into read, the
	 * page's first statement in the same round trip as the session's (NULL where
	 * page_one_statement is false: the page then needs a transaction of its own). Returns
	 * auth_lookup's value; read->rc is the page's. Used like auth_lookup_contact. */
	int (*auth_lookup_page)(struct db *db, long long session_id, long long now,
				struct auth_row *out, struct contact_page_read *read);

	/* Stores a new refresh token (its SHA-256 hex) of a session. */
	int (*refresh_insert)(struct db *db, long long user_id, long long session_id,
			      const char *token_hash, long long now);
	/* Atomically marks the token used (only if unused): 1 consumed (out filled), 0 not
	 * consumed (then refresh_select tells whether it exists and when it was used). */
	int (*refresh_consume)(struct db *db, const char *token_hash, long long now,
			       struct refresh_row *out);
	int (*refresh_select)(struct db *db, const char *token_hash, struct refresh_row *out);

	/* Issues an email token; first invalidates (invalidated_at = now, password_hash
	 * erased) every unused, uninvalidated token of the same user and purpose. */
	int (*email_tokens_insert)(struct db *db, long long user_id, const char *purpose,
				   const char *token_hash, const char *email,
				   const char *password_hash, long long now, long long expires_at);
	/* Reads a token by hash (any state). 1 found, 0 none. */
	int (*email_tokens_select)(struct db *db, const char *token_hash,
				   struct email_token_row *out);
	/* Marks a live token used (used_at = now, password_hash erased) only when unused,
	 * uninvalidated and unexpired. 1 used now, 0 not live. */
	int (*email_tokens_use)(struct db *db, long long id, long long now);
	/* Invalidates every live token of (user, purpose). Returns rows changed. */
	int (*email_tokens_invalidate)(struct db *db, long long user_id, const char *purpose,
				       long long now);

	/* Records one failed login for an identifier (SHA-256 hex of its folded form). */
	int (*login_failures_insert)(struct db *db, const char *key_hash, const char *ip,
				     long long now);
	/* Failures of key_hash (from ip, or from any address when ip is NULL) since `since`.
	 * Sets *count, and when *count >= max, *release_at = created_at of the failure whose
	 * leaving the window brings the count below max. Returns 1 (or < 0). */
	int (*login_failures_window)(struct db *db, const char *key_hash, const char *ip,
				     long long since, int max, int *count, long long *release_at);
	/* Deletes failures of key_hash (from ip, or all addresses when ip is NULL). */
	int (*login_failures_clear)(struct db *db, const char *key_hash, const char *ip);
	/* Deletes failures created before `before`. */
	int (*login_failures_purge)(struct db *db, long long before);

	/* Writes one audit row (created_at = now). */
	int (*audit_insert)(struct db *db, const struct audit_new *a, long long now);

	/* Queues a mail (status pending, next_attempt_at = now). *id_out set when not NULL. */
	int (*outbox_insert)(struct db *db, const struct outbox_new *m, long long now,
			     long long *id_out);
	/* Mails of one template to one address created since `since` (the mail throttle). */
	int (*outbox_count_recent)(struct db *db, const char *to_address, const char *template_name,
				   long long since, int *count);
	/* Up to max pending rows due at now, oldest first (caller frees). Returns count. */
	int (*outbox_select_due)(struct db *db, long long now, int max, struct outbox_row **rows);
	/* Claims a row for one delivery attempt: moves next_attempt_at to `until` if the row is
	 * still pending and due at now. Returns 1 when claimed, 0 when another worker (another
	 * node on the same store) claimed or finished it first. */
	int (*outbox_claim)(struct db *db, long long id, long long now, long long until);
	/* Marks sent (sent_at = now); erase_bodies clears subject-independent bodies. */
	int (*outbox_mark_sent)(struct db *db, long long id, long long now, bool erase_bodies);
	/* Schedules a retry (attempts + 1, next_attempt_at, last_error) or, when failed is
	 * true, marks the row failed (bodies erased when erase_bodies). */
	int (*outbox_mark_retry)(struct db *db, long long id, long long next_attempt_at,
				 const char *last_error, bool failed, bool erase_bodies);
	/* Erases bodies of rows of the given template created before `before`; deletes sent
	 * rows sent before `sent_before`. Returns rows changed. */
	int (*outbox_purge)(struct db *db, const char *template_name, long long before,
			    long long sent_before);
	/* Pending rows (the crm_email_outbox_pending gauge). */
	int (*outbox_pending)(struct db *db, int *count);

	/* ---- OAuth identities (oauth_accounts, SPEC §6, §7.3): unique (provider,
	 * provider_user_id) and unique (user_id, provider); rows go with their user. ---- */

	/* Links the identity to user_id with created_at = last_login_at = now; *id_out set when
	 * not NULL. ST_CONFLICT when the identity, or another identity of this provider for the
	 * user, exists (without aborting a PostgreSQL transaction). */
	int (*oauth_accounts_insert)(struct db *db, long long user_id, const char *provider,
				     const char *provider_user_id, const char *email, long long now,
				     long long *id_out);
	/* The identity (provider, provider_user_id) into out (oauth_account_row_free). 1 found,
	 * 0 none. */
	int (*oauth_accounts_select)(struct db *db, const char *provider,
				     const char *provider_user_id, struct oauth_account_row *out);
	/* The user's identity of provider into out. 1 found, 0 none. */
	int (*oauth_accounts_select_by_user)(struct db *db, long long user_id, const char *provider,
					     struct oauth_account_row *out);
	/* Every identity of the user, ordered by provider. *rows is a new array (caller frees each
	 * with oauth_account_row_free, then the array). Returns the count. */
	int (*oauth_accounts_select_many)(struct db *db, long long user_id,
					  struct oauth_account_row **rows);
	/* Unlinks the user's identity of provider. Returns rows deleted (0 or 1). */
	int (*oauth_accounts_delete)(struct db *db, long long user_id, const char *provider);
	/* A sign-in through identity id: last_login_at = now and email = what the provider
	 * reports now (NULL keeps the stored one). 1 updated, 0 none. */
	int (*oauth_accounts_touch)(struct db *db, long long id, long long now, const char *email);

	/* ---- Contacts, tags, relationships, search terms, tombstones (SPEC §6, §9). Every
	 * statement is scoped by user_id; t is the transaction's write time (users_write_time);
	 * the row types are in store/contact_types.h. Id arrays hold at most 500 ids. ---- */

	/* 1 when contact id is the user's, else 0. */
	int (*contacts_exists)(struct db *db, long long user_id, long long id);
	/* Sets updated_at = t on the user's contact id. 1 updated, 0 none. */
	int (*contacts_touch)(struct db *db, long long user_id, long long id, long long t);
	/* The number of the user's contacts into *count (the kept figure of user_counts, not a
	 * count of the rows). */
	int (*contacts_count)(struct db *db, long long user_id, long long *count);
	/* Inserts a contact with created_at = updated_at = t; *id_out set. ST_CONFLICT when its
	 * email_key is taken (without aborting a PostgreSQL transaction). */
	int (*contacts_insert)(struct db *db, long long user_id, const struct contact_write *c,
			       long long t, long long *id_out);
	/* Rewrites every writable column of contact id and sets updated_at = t. 1 updated,
	 * 0 none; ST_CONFLICT when the email_key is another contact's (callers check first). */
	int (*contacts_update)(struct db *db, long long user_id, long long id,
			       const struct contact_write *c, long long t);
	/* Reads one contact into out (caller frees with contact_row_free). 1 found, 0 none. */
	int (*contacts_select)(struct db *db, long long user_id, long long id,
			       struct contact_row *out);
	/* contacts_select and the contact's tags (*tags, *ntags; ordered as contact_tags_select)
	 * in one statement, so one consistent read without a transaction. 1 found, 0 none. */
	int (*contacts_select_with_tags)(struct db *db, long long user_id, long long id,
					 struct contact_row *out, struct tag_ref **tags,
					 int *ntags);
	/* The id of the user's contact with this email_key other than except_id (0: none):
	 * 1 with *id_out set, 0 none. */
	int (*contacts_select_by_email_key)(struct db *db, long long user_id, const char *email_key,
					    long long except_id, long long *id_out);
	/* Marks which of ids[0..n) are the user's contacts (found[i]). Returns how many are. */
	int (*contacts_owned)(struct db *db, long long user_id, const long long *ids, int n,
			      bool *found);
	/* Deletes the user's contacts ids[0..n) (links, notes, interactions, relationships in
	 * both directions and search terms go by cascade) and writes one `contact` tombstone
	 * (deleted_at = t) per deleted contact. Returns the number deleted. */
	int (*contacts_delete)(struct db *db, long long user_id, const long long *ids, int n,
			       long long t);
	/* One page of a listing (at most q->limit rows, in q's order) and its contacts' tags
	 * (*tags, *ntags: grouped by contact, each contact's by name_key, id), in one statement
	 * where page_one_statement. *rows is a new array (contact_rows_free), *tags too
	 * (tag_refs_free). Returns the count of rows. */
	int (*contacts_select_page)(struct db *db, long long user_id, const struct contact_query *q,
				    struct contact_row **rows, struct tag_ref **tags, int *ntags);
	/* The number of contacts matching q's filters (its keyset position is ignored). */
	int (*contacts_count_matching)(struct db *db, long long user_id,
				       const struct contact_query *q, long long *count);

	/* Tombstones of kind ("contact", "note", "interaction") with deleted_at >= since, in
	 * (deleted_at, record_id) order, strictly after (after_t, after_id) when after is true;
	 * at most limit. *rows is a new array (caller frees). Returns the count. */
	int (*tombstones_select_page)(struct db *db, long long user_id, const char *kind,
				      long long since, bool after, long long after_t,
				      long long after_id, int limit, struct tombstone_row **rows);
	/* The number of tombstones of kind with deleted_at >= since. */
	int (*tombstones_count)(struct db *db, long long user_id, const char *kind, long long since,
				long long *count);
	/* Deletes every user's tombstones deleted before `before` (the retention purge).
	 * Returns rows deleted. */
	int (*tombstones_purge)(struct db *db, long long before);

	/* The user's tags whose name_key is one of keys[0..n). *rows is a new array
	 * (tag_rows_free; contact_count not filled). Returns the count. */
	int (*tags_select_by_keys)(struct db *db, long long user_id, const char *const *keys, int n,
				   struct tag_row **rows);
	/* Inserts a tag (created_at = updated_at = t): 1 with *id_out, 0 when name_key exists. */
	int (*tags_insert)(struct db *db, long long user_id, const char *name, const char *name_key,
			   long long t, long long *id_out);
	/* The number of the user's tags into *count. */
	int (*tags_count)(struct db *db, long long user_id, long long *count);
	/* One tag with its contact count (tag_row_free). 1 found, 0 none. */
	int (*tags_select)(struct db *db, long long user_id, long long id, struct tag_row *out);
	/* One page of tags in (name_key, id) order with contact counts (tag_rows_free). */
	int (*tags_select_page)(struct db *db, long long user_id, const struct tag_query *q,
				struct tag_row **rows);
	/* The number of tags matching q's filters. */
	int (*tags_count_matching)(struct db *db, long long user_id, const struct tag_query *q,
				   long long *count);
	/* Renames tag id (updated_at = t) and sets updated_at = t on its linked contacts.
	 * 1 updated, 0 none; ST_CONFLICT when name_key is another tag's (callers check first). */
	int (*tags_update)(struct db *db, long long user_id, long long id, const char *name,
			   const char *name_key, long long t);
	/* Sets updated_at = t on the tag's linked contacts, then deletes the tag (its links go by
	 * cascade). 1 deleted, 0 none. */
	int (*tags_delete)(struct db *db, long long user_id, long long id, long long t);

	/* The tags of the contacts ids[0..n), ordered by contact_id, name_key, id. *rows is a
	 * new array (tag_refs_free). Returns the count. */
	int (*contact_tags_select)(struct db *db, long long user_id, const long long *contact_ids,
				   int n, struct tag_ref **rows);
	/* Links every contact of contact_ids[0..nc) with every tag of tag_ids[0..nt)
	 * (created_at = t), keeping existing links. Returns the number of links added. */
	int (*contact_tags_insert)(struct db *db, long long user_id, const long long *contact_ids,
				   int nc, const long long *tag_ids, int nt, long long t);
	/* Removes the links between those contacts and those tags; nt < 0 removes every link of
	 * the contacts. Returns the number of links removed. */
	int (*contact_tags_delete)(struct db *db, long long user_id, const long long *contact_ids,
				   int nc, const long long *tag_ids, int nt);

	/* The relationships whose contact_id is contact_id, ordered by type, the related
	 * contact's first_name_key and last_name_key, then id (relationship_rows_free). */
	int (*relationships_select)(struct db *db, long long user_id, long long contact_id,
				    struct relationship_row **rows);
	/* One relationship by id (relationship_row_free). 1 found, 0 none. */
	int (*relationships_select_one)(struct db *db, long long user_id, long long id,
					struct relationship_row *out);
	/* The number of relationships whose contact_id is contact_id. */
	int (*relationships_count)(struct db *db, long long user_id, long long contact_id,
				   long long *count);
	/* 1 when (contact_id, related_id, type) exists, else 0. */
	int (*relationships_exists)(struct db *db, long long user_id, long long contact_id,
				    long long related_id, const char *type);
	/* Writes the pair: (contact_id, related_id, type) and its inverse (related_id, contact_id,
	 * inverse_type), same label, created_at = t, each naming the other in inverse_id.
	 * *id_out is the first row's id. 1, or ST_CONFLICT when either row exists. */
	int (*relationships_insert_pair)(struct db *db, long long user_id, long long contact_id,
					 long long related_id, const char *type,
					 const char *inverse_type, const char *label, long long t,
					 long long *id_out);
	/* Deletes relationship id if its contact_id is contact_id, and its inverse. 1, 0 none. */
	int (*relationships_delete)(struct db *db, long long user_id, long long contact_id,
				    long long id);

	/* Replaces the contact's search_terms rows with terms[0..n) (distinct). */
	int (*search_terms_replace)(struct db *db, long long user_id, long long contact_id,
				    const char *const *terms, int n);
	/* Calls fn(ctx, text) with the title and then the content of each of the contact's notes.
	 * Returns the number of notes or < 0. */
	int (*search_note_texts)(struct db *db, long long user_id, long long contact_id,
				 void (*fn)(void *ctx, const char *text), void *ctx);

	/* ---- Notes and interactions (SPEC §6, §10). Every statement is scoped by user_id; t is
	 * the write time of the caller's transaction (users_write_time), used for created_at,
	 * updated_at and tombstone deleted_at. ---- */

	/* Inserts a note with created_at = updated_at = t; *id_out set. ST_CONFLICT when the
	 * contact already has a note with this title_key (the transaction stays usable). */
	int (*notes_insert)(struct db *db, long long user_id, long long contact_id,
			    const char *title, const char *title_key, const char *content, long long t,
			    long long *id_out);
	/* Reads one note of the user into out (caller frees with note_row_free). 1 found, 0 none. */
	int (*notes_select)(struct db *db, long long user_id, long long id, struct note_row *out);
	/* The id of the user's note of contact_id with this title_key other than except_id (0:
	 * none excepted). 1 found (*id_out set), 0 none. */
	int (*notes_select_by_title)(struct db *db, long long user_id, long long contact_id,
				     const char *title_key, long long except_id, long long *id_out);
	/* Applies the set_* fields of p and updated_at = t. 1 updated, 0 no such note,
	 * ST_CONFLICT when the title_key is taken in the (new) contact. */
	int (*notes_update)(struct db *db, long long user_id, long long id,
			    const struct note_patch *p, long long t);
	/* Deletes the note and writes its tombstone (kind note, deleted_at = t); *contact_id_out
	 * receives its contact. 1 deleted, 0 no such note. */
	int (*notes_delete)(struct db *db, long long user_id, long long id, long long t,
			    long long *contact_id_out);
	/* One page of notes as q describes (types ignored). *rows is a new array (caller frees
	 * with note_rows_free). Returns the number of rows. */
	int (*notes_select_many)(struct db *db, long long user_id, const struct list_query *q,
				 struct note_row **rows);
	/* Sets *count to the number of items q matches, ignoring its position and limit (feed
	 * mode: tombstones included); q NULL counts every note of the user (the cap). Returns 1. */
	int (*notes_count)(struct db *db, long long user_id, const struct list_query *q,
			   long long *count);
	/* The per-account cap (§17): 1 when the user has at least cap notes, else 0. Cheap while
	 * the span of the user's note ids is below cap (two index lookups); counts otherwise. */
	int (*notes_at_cap)(struct db *db, long long user_id, long long cap);

	/* Inserts an interaction with created_at = updated_at = t; *id_out set. */
	int (*interactions_insert)(struct db *db, long long user_id,
				   const struct interaction_new *in, long long t, long long *id_out);
	/* Reads one interaction of the user (caller frees with interaction_row_free). 1 / 0. */
	int (*interactions_select)(struct db *db, long long user_id, long long id,
				   struct interaction_row *out);
	/* Applies the set_* fields of p and updated_at = t. 1 updated, 0 no such interaction. */
	int (*interactions_update)(struct db *db, long long user_id, long long id,
				   const struct interaction_patch *p, long long t);
	/* Deletes the interaction and writes its tombstone (kind interaction, deleted_at = t);
	 * *contact_id_out receives its contact. 1 deleted, 0 none. */
	int (*interactions_delete)(struct db *db, long long user_id, long long id, long long t,
				   long long *contact_id_out);
	/* One page of interactions as q describes (title_key ignored); *rows as notes_select_many
	 * (interaction_rows_free). Returns the number of rows. */
	int (*interactions_select_many)(struct db *db, long long user_id,
					const struct list_query *q, struct interaction_row **rows);
	/* As notes_count, for interactions. */
	int (*interactions_count)(struct db *db, long long user_id, const struct list_query *q,
				  long long *count);
	/* As notes_at_cap, for interactions. */
	int (*interactions_at_cap)(struct db *db, long long user_id, long long cap);
	/* The derived value of §6: sets the contact's last_contacted to the greatest occurred_at
	 * of its interactions (NULL when none) and, only when that changes it, updated_at = t.
	 * 1 changed, 0 unchanged or no such contact. */
	int (*contacts_recompute_last_contacted)(struct db *db, long long user_id,
						 long long contact_id, long long t);

	/* ---- Exports (SPEC §8 /me/export, §9.6 CSV). Keyset chunks in ascending id: rows of
	 * user_id with id > after_id, at most limit; each call is one short read outside any
	 * transaction, so a long export never holds a connection between chunks. *rows is a new
	 * array freed with the row type's *_rows_free / *_refs_free; each returns the count. ---- */

	/* Contacts (contact_rows_free). */
	int (*export_contacts)(struct db *db, long long user_id, long long after_id, int limit,
			       struct contact_row **rows);
	/* The tags of the user's contacts with lo_id <= id <= hi_id, ordered by contact_id, name_key,
	 * tag id (tag_refs_free; link_id not filled). */
	int (*export_contact_tags)(struct db *db, long long user_id, long long lo_id, long long hi_id,
				   struct tag_ref **rows);
	/* The relationships whose contact_id lies in [lo_id, hi_id], ordered by contact_id, id, with
	 * the related contact's names; at most limit (relationship_rows_free). */
	int (*export_relationships)(struct db *db, long long user_id, long long lo_id,
				    long long hi_id, int limit, struct relationship_row **rows);
	/* Tags with their contact counts (tag_rows_free). */
	int (*export_tags)(struct db *db, long long user_id, long long after_id, int limit,
			   struct tag_row **rows);
	/* Notes (note_rows_free). */
	int (*export_notes)(struct db *db, long long user_id, long long after_id, int limit,
			    struct note_row **rows);
	/* Interactions (interaction_rows_free). */
	int (*export_interactions)(struct db *db, long long user_id, long long after_id, int limit,
				   struct interaction_row **rows);
	/* The user's audit rows as security events: event, created_at, ip only
	 * (security_event_rows_free). */
	int (*export_security_events)(struct db *db, long long user_id, long long after_id, int limit,
				      struct security_event_row **rows);

	/* ---- Subscriptions and Stripe events (SPEC §6, §12). The subscriptions row is the
	 * only place the plan comes from (§5); stripe_events makes each webhook event apply once;
	 * the outbox insert with a dedupe key makes "one mail per invoice" a plain insert. ---- */

	/* The user's subscriptions row into out (subscription_row_free). 1 found, 0 none. */
	int (*subscriptions_select)(struct db *db, long long user_id, struct subscription_row *out);
	/* The row whose stripe_customer_id is customer_id. 1 found, 0 none. */
	int (*subscriptions_select_by_customer)(struct db *db, const char *customer_id,
						struct subscription_row *out);
	/* Stores the user's Stripe customer: creates the row (status none) when missing, or sets
	 * the customer of a row without one. 1 stored, 0 the row already has a customer (kept),
	 * ST_CONFLICT when customer_id is another user's. */
	int (*subscriptions_set_customer)(struct db *db, long long user_id, const char *customer_id,
					  long long now);
	/* Writes every column of s into the user's row, updated_at = now. 1 updated, 0 no row. */
	int (*subscriptions_store_state)(struct db *db, long long user_id,
					 const struct subscription_state *s, long long now);
	/* 1 when event_id is already in stripe_events, else 0. */
	int (*stripe_events_select)(struct db *db, const char *event_id);
	/* Records an event (received_at = now; created in Unix ms, 0 = NULL; outcome "applied" or
	 * "ignored") unless its id is present: 1 inserted, 0 already recorded (the transaction
	 * stays usable). */
	int (*stripe_events_insert)(struct db *db, const char *event_id, const char *type,
				    long long created, const char *outcome, long long now);
	/* outbox_insert with a dedupe key: 1 queued, 0 a mail with this key exists already (the
	 * transaction stays usable). */
	int (*outbox_insert_dedupe)(struct db *db, const struct outbox_new *m,
				    const char *dedupe_key, long long now);

	/* ---- Insights (SPEC §11). Read-only aggregates; every statement, subquery and join is
	 * scoped by user_id. Times are Unix ms passed in by the caller (now, and since = now minus
	 * the window in days), so both stores agree; "recent" means occurred_at within [since,
	 * now] and "stale" never contacted or last_contacted < since. Row types are in
	 * store/types_insights.h; row arrays are new (caller frees with their *_free). ---- */

	/* The overview counts into *out. Returns 1. */
	int (*insights_overview)(struct db *db, long long user_id, long long since, long long now,
				 struct insights_overview_row *out);
	/* Up to limit contacts with a last_contacted, newest first, ties by ascending id. Returns
	 * the count. */
	int (*insights_recently_contacted)(struct db *db, long long user_id, int limit,
					   struct insight_contact_row **rows);
	/* Up to limit stale contacts (last_contacted NULL or < cutoff) after pos: never-contacted
	 * ones by id first, then the others by (last_contacted, id). Returns the count. */
	int (*insights_stale_page)(struct db *db, long long user_id, long long cutoff,
				   const struct stale_position *pos, int limit,
				   struct insight_contact_row **rows);
	/* The number of stale contacts into *count. Returns 1. */
	int (*insights_stale_count)(struct db *db, long long user_id, long long cutoff,
				    long long *count);
	/* Up to limit contacts with at least one interaction with occurred_at in [from, to) (an
	 * absent bound is open), by that count (row.count) desc, last_contacted desc, id asc.
	 * Returns the count of rows. */
	int (*insights_most_interacted)(struct db *db, long long user_id, bool has_from,
					long long from, bool has_to, long long to, int limit,
					struct insight_contact_row **rows);
	/* For most-interacted over [from, to): *floor = the limit-th largest count in the range
	 * among the `sample` contacts with the most interactions of all time (0 when fewer than
	 * limit of them have one in the range), a lower bound of the true limit-th largest count;
	 * *candidates = the number of contacts with at least max(floor, 1) interactions of all
	 * time, counted up to cap. Returns 1. */
	int (*insights_most_floor)(struct db *db, long long user_id, long long from, long long to,
				   int limit, int sample, long long cap, long long *floor,
				   long long *candidates);
	/* As insights_most_interacted over [from, to), reading only the contacts with at least
	 * floor (>= 1) interactions of all time, each counted in the range: exact whenever floor
	 * is at most the limit-th largest count (insights_most_floor). Returns the count of rows. */
	int (*insights_most_interacted_floor)(struct db *db, long long user_id, long long from,
					      long long to, int limit, long long floor,
					      struct insight_contact_row **rows);
	/* The summary figures of the user's contact contact_id. 1 found, 0 no such contact. */
	int (*insights_summary)(struct db *db, long long user_id, long long contact_id,
				long long since, long long now, struct insight_summary_row *out);
	/* The contact's interaction counts per type, by count desc, then type. Returns the count. */
	int (*insights_summary_types)(struct db *db, long long user_id, long long contact_id,
				      struct insight_type_count **rows);
	/* The count of each bucket of q into counts[0..q->nbuckets). Returns 1. */
	int (*insights_trend)(struct db *db, long long user_id, const struct insight_trend_query *q,
			      long long *counts);
	/* As insights_trend for contact_id 0, from the per-day figures (interaction_days): every
	 * bound of q is a UTC midnight. Returns 1. */
	int (*insights_trend_days)(struct db *db, long long user_id,
				   const struct insight_trend_query *q, long long *counts);
	/* Every tag of the user with its figures, by contacts desc, name_key, id. Returns the
	 * count. */
	int (*insights_tags)(struct db *db, long long user_id, long long since, long long now,
			     struct insight_tag_row **rows);
};

/* Time callers waited in store_acquire, as a histogram (crm_db_pool_wait_seconds). */
#define STORE_WAIT_BUCKETS 8
extern const double store_wait_bounds[STORE_WAIT_BUCKETS];
struct store_wait_stats {
	_Atomic unsigned long long counts[STORE_WAIT_BUCKETS]; /* cumulative (le) */
	_Atomic unsigned long long total;
	_Atomic unsigned long long sum_us;
	_Atomic unsigned long long errors[3]; /* timeout, unavailable, other (crm_db_errors_total) */
};

struct store {
	const struct store_ops *ops;
	void *impl; /* implementation state */
	struct store_wait_stats wait;
};

/* Opens the store the configuration selects. Returns NULL (and logs why) on failure.
 * Opening does not require the database to be reachable for PostgreSQL (connections are
 * made on demand and re-made after an outage). */
struct store *store_open(const struct config *cfg);
void store_close(struct store *s);

/* Takes a connection (timing the wait); < 0 when the store is unavailable. */
int store_acquire(struct store *s, struct db **out);
/* Counts a failed store call by kind for crm_db_errors_total. */
void store_count_error(struct store *s, int status);
static inline void store_release(struct store *s, struct db *db)
{
	s->ops->release(s, db);
}

/* Runs fn(db, ctx) inside one transaction, committing when fn returns >= 0 and rolling back
 * otherwise. Retries up to 5 times when fn or the commit returns ST_RETRY. Returns fn's result,
 * or the failing status of acquire/begin/commit; ST_UNCONFIRMED when a write's commit timed out
 * or lost its connection (its outcome is unknown). */
typedef int (*store_tx_fn)(struct db *db, void *ctx);
int store_tx(struct store *s, bool write, store_tx_fn fn, void *ctx);

/* Number of known migrations and whether all of them are applied (1), some pending (0),
 * or the store failed (< 0). */
int store_schema_current(struct store *s);

/* Embedded migration files, generated at build time from db/<store>/NNNN_name.sql. */
struct embedded_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct embedded_migration sqlite_migrations[];
extern const int sqlite_migrations_count;
extern const struct embedded_migration pg_migrations[];
extern const int pg_migrations_count;

#endif
