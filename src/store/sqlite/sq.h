/* The SQLite backend's internal API for the store functions of src/store/sqlite/sq_*.c: the
 * per-connection statement cache, stepping with status mapping, and small bind/column helpers.
 * Nothing outside src/store includes this header (store.c only for sq_store_open).
 *
 * How a store function is written:
 *
 *	int sq_tags_insert(struct db *db, long long user_id, const char *name,
 *			   const char *name_key, long long t, long long *id_out)
 *	{
 *		static const char SQL[] = "INSERT INTO tags (user_id, name, name_key, created_at,"
 *					  " updated_at) VALUES (?1, ?2, ?3, ?4, ?4)";
 *		sqlite3_stmt *st = sq_prepare(db, SQL);
 *		if (!st)
 *			return ST_ERROR;
 *		sqlite3_bind_int64(st, 1, user_id);
 *		sq_bind_text(st, 2, name);
 *		sq_bind_text(st, 3, name_key);
 *		sqlite3_bind_int64(st, 4, t);
 *		int rc = sq_run(db, st);            // 1 row inserted, or ST_CONFLICT, ...
 *		if (rc > 0)
 *			*id_out = sq_last_insert_id(db);
 *		return rc;
 *	}
 *
 * and a reading one loops `while ((rc = sq_step(db, st)) > 0) { ...columns... }`, then returns
 * rc < 0 ? rc : count. The SQL is a static string: the cache is keyed by its address (and checks
 * the text, so a reused address can never run the wrong statement). Every value is bound; SQL
 * text is never assembled from values. */
#ifndef CRM_STORE_SQ_H
#define CRM_STORE_SQ_H

#include <sqlite3.h>

struct db;
struct config;
struct store;

/* Opens the SQLite store at cfg->sqlite_path (default DATA_DIR/crm.sqlite3), creating its
 * directory (mode 0700) and file (mode 0600) when missing, and opens the calling thread's
 * connection at once so an unusable path fails here. Returns NULL (logged) on failure. The
 * caller owns the store (store_close). */
struct store *sq_store_open(const struct config *cfg);

/* The raw handle of this connection, for what the helpers do not cover (sqlite3_changes,
 * pragmas in tests). Owned by the store; never close it. */
sqlite3 *sq_handle(struct db *db);

/* Returns the connection's cached statement for sql (prepared on first use, kept until the
 * store closes), reset and with its bindings cleared, and starts the statement timeout
 * (DB_STATEMENT_TIMEOUT_MS) from now. sql should be a string with static storage: the cache is
 * keyed by its address. The statement stays owned by the cache: never finalize it. Returns NULL
 * (logged) when preparing fails, or when a writing statement is prepared inside a read-only
 * transaction (store_tx with write=false), which keeps SQLite as strict as PostgreSQL there. */
sqlite3_stmt *sq_prepare(struct db *db, const char *sql);

/* sq_prepare for SQL assembled at run time from fixed fragments (never from values): the text
 * is interned once per process (a bounded set: one copy per distinct text, kept until exit), so
 * the statement is cached per connection under that copy's address like a static string. */
sqlite3_stmt *sq_prepare_text(struct db *db, const char *sql);

/* Steps st once: 1 = a row is ready, 0 = done (st is reset), < 0 = enum store_status (st is
 * reset; unexpected errors are logged). */
int sq_step(struct db *db, sqlite3_stmt *st);

/* Runs a statement that returns no rows (INSERT/UPDATE/DELETE) to completion and resets it.
 * Returns the number of rows it changed (0 = none matched) or < 0 = enum store_status. */
int sq_run(struct db *db, sqlite3_stmt *st);

/* Runs one or more parameterless statements (sqlite3_exec), uncached: for DDL and pragmas, not
 * for data statements. Returns 0 or < 0 = enum store_status. */
int sq_exec(struct db *db, const char *sql);

/* Maps an SQLite result code of this connection to enum store_status (0 for OK/ROW/DONE),
 * logging unexpected failures with the library's message (log only, never to a client):
 * BUSY (busy_timeout spent) -> ST_TIMEOUT, BUSY_SNAPSHOT/BUSY_RECOVERY/LOCKED -> ST_RETRY,
 * INTERRUPT (statement timeout) -> ST_TIMEOUT, CONSTRAINT_UNIQUE/PRIMARYKEY -> ST_CONFLICT,
 * CONSTRAINT_FOREIGNKEY -> ST_FK, I/O, full disk, read-only or unopenable file ->
 * ST_UNAVAILABLE, anything else -> ST_ERROR. */
int sq_status(struct db *db, int rc);

/* Binds s as TEXT (copied), or NULL when s is NULL. */
void sq_bind_text(sqlite3_stmt *st, int idx, const char *s);

/* Returns a copy of a TEXT column (caller frees), or NULL when the value is NULL. */
char *sq_col_strdup(sqlite3_stmt *st, int col);

/* The rowid of this connection's last successful INSERT. */
long long sq_last_insert_id(struct db *db);

/* The constraint of the last ST_CONFLICT / ST_FK on this connection as SQLite names it (e.g.
 * "users.username_key", from "UNIQUE constraint failed: users.username_key"), or "" when none:
 * lets a store function tell which unique key was hit. Valid until the next statement. */
const char *sq_last_constraint(struct db *db);

#endif
