/* PostgreSQL migrations: the embedded db/postgres/NNNN_name.sql files applied in order, each in
 * its own transaction together with its schema_migrations row. Concurrent migrators (several
 * instances starting at once) are serialised by a transaction-scoped advisory lock, and each
 * re-checks under the lock, so no file is applied twice. The statement timeout is lifted for
 * the migration transactions only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"
#include "store/pg/pg_impl.h"
#include "store/pg/pgs.h"
#include "util/alloc.h"

static const char LOCK_SQL[] = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";
static const char NO_TIMEOUT_SQL[] = "SET LOCAL statement_timeout = 0";
static const char CREATE_SQL[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
				 "version integer PRIMARY KEY, "
				 "applied_at timestamptz NOT NULL DEFAULT now())";
static const char HAS_TABLE_SQL[] = "SELECT to_regclass('schema_migrations') IS NOT NULL";
static const char APPLIED_SQL[] =
    "SELECT " PG_MS("applied_at") " FROM schema_migrations WHERE version = $1::integer";
static const char INSERT_SQL[] = "INSERT INTO schema_migrations (version) VALUES ($1::integer)";

/* Opens a migration transaction: no statement timeout, the migrators' lock held. */
static int begin_locked(struct db *db)
{
	struct pg_store *ps = pg_conn_of(db)->store;
	int rc = ps->base.ops->begin(db, true);
	if (rc < 0)
		return rc;
	const char *key[] = {ps->schema ? ps->schema : ""};
	if ((rc = pg_run(db, "crm_mig_notimeout", NO_TIMEOUT_SQL, 0, NULL)) < 0 ||
	    (rc = pg_run(db, "crm_mig_lock", LOCK_SQL, 1, key)) < 0) {
		ps->base.ops->rollback(db);
		return rc;
	}
	return 0;
}

/* Runs parameterless SQL without a client deadline; 0 or < 0. */
static int exec_sql(struct db *db, const char *sql)
{
	int rc;
	PGresult *r = pg_exec_simple(pg_conn_of(db), sql, 0, &rc);
	PQclear(r);
	return rc < 0 ? rc : 0;
}

/* Creates the requested schema and schema_migrations, under the lock (concurrent
 * CREATE ... IF NOT EXISTS can otherwise collide). */
static int prepare_schema(struct db *db)
{
	struct pg_store *ps = pg_conn_of(db)->store;
	int rc = begin_locked(db);
	if (rc < 0)
		return rc;
	if (ps->schema) {
		PGconn *c = pg_handle(db);
		char *id = PQescapeIdentifier(c, ps->schema, strlen(ps->schema));
		char *sql = id ? xasprintf("CREATE SCHEMA IF NOT EXISTS %s", id) : NULL;
		PQfreemem(id);
		rc = sql ? exec_sql(db, sql) : ST_ERROR;
		free(sql);
	}
	if (rc >= 0)
		rc = exec_sql(db, CREATE_SQL);
	if (rc < 0) {
		ps->base.ops->rollback(db);
		return rc;
	}
	return ps->base.ops->commit(db);
}

/* When version is applied: 1 and *at_ms set; 0 when pending; < 0 store_status. */
static int applied(struct db *db, int version, long long *at_ms)
{
	struct pg_params p = {0};
	pg_param_i64(&p, version);
	int rc;
	PGresult *r = pg_exec_prepared(db, "crm_mig_applied", APPLIED_SQL, p.n, p.v, &rc);
	if (r && rc > 0)
		*at_ms = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc;
}

int pg_migrations_list(struct db *db, struct migration_info *out, int max)
{
	int rc;
	PGresult *r = pg_exec_prepared(db, "crm_mig_has_table", HAS_TABLE_SQL, 0, NULL, &rc);
	if (!r)
		return rc;
	bool have = pg_get_bool(r, 0, 0);
	PQclear(r);
	int n = 0;
	for (int i = 0; i < pg_migrations_count && n < max; i++, n++) {
		long long at = 0;
		rc = have ? applied(db, pg_migrations[i].version, &at) : 0;
		if (rc < 0)
			return rc;
		out[n].version = pg_migrations[i].version;
		out[n].name = pg_migrations[i].name;
		out[n].applied = rc > 0;
		out[n].applied_at_ms = rc > 0 ? at : 0;
	}
	return n;
}

/* Applies m unless another migrator already did: 1 applied, 0 skipped, < 0 failed. */
static int apply_one(struct db *db, const struct embedded_migration *m)
{
	const struct store_ops *ops = pg_conn_of(db)->store->base.ops;
	int rc = begin_locked(db);
	if (rc < 0)
		return rc;
	long long at;
	rc = applied(db, m->version, &at);
	if (rc == 0) {
		rc = exec_sql(db, m->sql);
		if (rc < 0)
			log_msg(LOG_ERROR, "postgres: migration %s failed", m->name);
	} else if (rc > 0) {
		ops->rollback(db);
		return 0;
	}
	if (rc >= 0) {
		struct pg_params p = {0};
		pg_param_i64(&p, m->version);
		rc = pg_run(db, "crm_mig_insert", INSERT_SQL, p.n, p.v);
	}
	if (rc < 0) {
		ops->rollback(db);
		return rc;
	}
	rc = ops->commit(db);
	return rc < 0 ? rc : 1;
}

int pg_migrate(struct db *db, FILE *log)
{
	int rc = prepare_schema(db), n = 0;
	for (int i = 0; rc >= 0 && i < pg_migrations_count; i++) {
		rc = apply_one(db, &pg_migrations[i]);
		if (rc > 0) {
			n++;
			if (log) {
				fprintf(log, "applied %s\n", pg_migrations[i].name);
				fflush(log);
			}
		}
	}
	return rc < 0 ? rc : n;
}
