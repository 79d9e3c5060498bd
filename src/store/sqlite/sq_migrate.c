/* SQLite migrations: the embedded db/sqlite/NNNN_name.sql files applied in order, each in its
 * own write transaction together with its schema_migrations row, so a failed file leaves no
 * trace and two migrators (BEGIN IMMEDIATE serialises them) never apply one twice. */
#include <stdio.h>

#include "log/log.h"
#include "store/sqlite/sq.h"
#include "store/sqlite/sq_impl.h"
#include "util/timefmt.h"

static const char CREATE_SQL[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
				 "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT";
static const char HAS_TABLE_SQL[] =
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
static const char APPLIED_SQL[] = "SELECT applied_at FROM schema_migrations WHERE version = ?1";
static const char INSERT_SQL[] =
    "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)";

/* When version is applied: 1 and *at_ms set; 0 when pending; < 0 store_status. */
static int applied(struct db *db, int version, long long *at_ms)
{
	sqlite3_stmt *st = sq_prepare(db, APPLIED_SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int(st, 1, version);
	int rc = sq_step(db, st);
	if (rc > 0) {
		*at_ms = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return rc;
}

int sq_migrations_list(struct db *db, struct migration_info *out, int max)
{
	sqlite3_stmt *st = sq_prepare(db, HAS_TABLE_SQL);
	if (!st)
		return ST_ERROR;
	int have = sq_step(db, st);
	if (have < 0)
		return have;
	sqlite3_reset(st);
	int n = 0;
	for (int i = 0; i < sqlite_migrations_count && n < max; i++, n++) {
		long long at = 0;
		int rc = have ? applied(db, sqlite_migrations[i].version, &at) : 0;
		if (rc < 0)
			return rc;
		out[n].version = sqlite_migrations[i].version;
		out[n].name = sqlite_migrations[i].name;
		out[n].applied = rc > 0;
		out[n].applied_at_ms = rc > 0 ? at : 0;
	}
	return n;
}

/* Applies migration m unless another migrator already did: 1 applied, 0 skipped, < 0 failed. */
static int apply_one(struct db *db, const struct embedded_migration *m)
{
	const struct store_ops *ops = sq_conn_of(db)->store->base.ops;
	int rc = ops->begin(db, true);
	if (rc < 0)
		return rc;
	long long at;
	rc = applied(db, m->version, &at);
	if (rc != 0) {
		ops->rollback(db);
		return rc < 0 ? rc : 0;
	}
	char *err = NULL;
	int src = sqlite3_exec(sq_handle(db), m->sql, NULL, NULL, &err);
	if (src != SQLITE_OK) {
		log_msg(LOG_ERROR, "sqlite: migration %s failed: %s", m->name, err ? err : "?");
		sqlite3_free(err);
		ops->rollback(db);
		return ST_ERROR;
	}
	sqlite3_stmt *st = sq_prepare(db, INSERT_SQL);
	rc = st ? 0 : ST_ERROR;
	if (st) {
		sqlite3_bind_int(st, 1, m->version);
		sqlite3_bind_int64(st, 2, now_ms());
		rc = sq_run(db, st);
	}
	if (rc < 0) {
		ops->rollback(db);
		return rc;
	}
	rc = ops->commit(db);
	return rc < 0 ? rc : 1;
}

int sq_migrate(struct db *db, FILE *log)
{
	struct sq_conn *c = sq_conn_of(db);
	int saved = c->timeout_ms;
	c->timeout_ms = 0; /* a migration may legitimately run long */
	int rc = sq_exec(db, CREATE_SQL), n = 0;
	for (int i = 0; rc >= 0 && i < sqlite_migrations_count; i++) {
		rc = apply_one(db, &sqlite_migrations[i]);
		if (rc > 0) {
			n++;
			if (log) {
				fprintf(log, "applied %s\n", sqlite_migrations[i].name);
				fflush(log);
			}
		}
	}
	c->timeout_ms = saved;
	return rc < 0 ? rc : n;
}
