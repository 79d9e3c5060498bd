/* Unit tests of `crm migrate-to-postgres` (store/migrate_copy.h): copy_tables names every table
 * that the embedded migrations of each store create, once, in foreign-key order (so a table
 * added later cannot be left out of the copy unnoticed), and copy_format_timestamp writes
 * literals that PostgreSQL reads back to the same millisecond. The PostgreSQL half uses
 * CRM_TEST_DATABASE_URL (a fresh schema, dropped after); without it the test pg_required
 * fails, unless CRM_TEST_NO_PG=1 asks for SQLite alone. The copy itself is tested black-box by
 * tests/cross/migrate_to_postgres.test.mjs. */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/migrate_copy.h"
#include "store/store.h"
#include "test.h"
#include "util/alloc.h"

static const char *pg_url(void)
{
	const char *u = getenv("CRM_TEST_DATABASE_URL");
	return u && u[0] ? u : NULL;
}

static int list_index(const char *name)
{
	for (int i = 0; i < copy_tables_count; i++)
		if (strcmp(copy_tables[i], name) == 0)
			return i;
	return -1;
}

/* Checks that names (n of them, each seen once) are exactly copy_tables. */
static void check_same_set(char **names, int n, const char *store)
{
	for (int i = 0; i < n; i++) {
		if (list_index(names[i]) < 0) {
			fprintf(stderr, "  %s table %s is missing from copy_tables\n", store,
				names[i]);
			test_failed_checks++;
		}
	}
	for (int i = 0; i < copy_tables_count; i++) {
		bool found = false;
		for (int j = 0; j < n && !found; j++)
			found = strcmp(names[j], copy_tables[i]) == 0;
		if (!found) {
			fprintf(stderr, "  copy_tables names %s, which %s does not have\n",
				copy_tables[i], store);
			test_failed_checks++;
		}
		for (int j = 0; j < i; j++)
			if (strcmp(copy_tables[i], copy_tables[j]) == 0) {
				fprintf(stderr, "  copy_tables names %s twice\n", copy_tables[i]);
				test_failed_checks++;
			}
	}
}

/* Checks that table comes after referenced in copy_tables (self-references are fine). */
static void check_order(const char *table, const char *referenced, const char *store)
{
	if (strcmp(table, referenced) == 0)
		return;
	int a = list_index(table), b = list_index(referenced);
	if (a < 0 || b < 0 || b > a) {
		fprintf(stderr, "  %s: %s references %s, so it must come after it in copy_tables\n",
			store, table, referenced);
		test_failed_checks++;
	}
}

/* ---- SQLite ---- */

static sqlite3 *sqlite_schema(void)
{
	sqlite3 *h = NULL;
	if (sqlite3_open(":memory:", &h) != SQLITE_OK)
		return NULL;
	for (int i = 0; i < sqlite_migrations_count; i++) {
		char *err = NULL;
		if (sqlite3_exec(h, sqlite_migrations[i].sql, NULL, NULL, &err) != SQLITE_OK) {
			fprintf(stderr, "  %s: %s\n", sqlite_migrations[i].name, err ? err : "?");
			sqlite3_free(err);
			sqlite3_close(h);
			return NULL;
		}
	}
	return h;
}

TEST(tables_cover_sqlite_schema)
{
	sqlite3 *h = sqlite_schema();
	CHECK(h != NULL);
	if (!h)
		return;
	sqlite3_stmt *st;
	CHECK(sqlite3_prepare_v2(h,
				 "SELECT name FROM sqlite_master WHERE type = 'table'"
				 " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
				 -1, &st, NULL) == SQLITE_OK);
	char *names[128];
	int n = 0;
	while (n < 128 && sqlite3_step(st) == SQLITE_ROW)
		names[n++] = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	CHECK(n >= 18);
	check_same_set(names, n, "SQLite");
	for (int i = 0; i < n; i++)
		free(names[i]);
	sqlite3_close(h);
}

TEST(tables_in_sqlite_foreign_key_order)
{
	sqlite3 *h = sqlite_schema();
	CHECK(h != NULL);
	if (!h)
		return;
	sqlite3_stmt *st;
	CHECK(sqlite3_prepare_v2(h, "SELECT \"table\" FROM pragma_foreign_key_list(?1)", -1, &st,
				 NULL) == SQLITE_OK);
	int refs = 0;
	for (int i = 0; i < copy_tables_count; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, copy_tables[i], -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			check_order(copy_tables[i], (const char *)sqlite3_column_text(st, 0),
				    "SQLite");
			refs++;
		}
	}
	sqlite3_finalize(st);
	CHECK(refs > 20); /* the check saw the schema's foreign keys */
	sqlite3_close(h);
}

/* ---- timestamps ---- */

TEST(timestamp_literals)
{
	char b[48];
	CHECK_STR(copy_format_timestamp(0, b, sizeof b), "1970-01-01 00:00:00.000+00");
	CHECK_STR(copy_format_timestamp(-1, b, sizeof b), "1969-12-31 23:59:59.999+00");
	CHECK_STR(copy_format_timestamp(1751290334000LL, b, sizeof b),
		  "2025-06-30 13:32:14.000+00");
	CHECK_STR(copy_format_timestamp(951782400123LL, b, sizeof b), "2000-02-29 00:00:00.123+00");
	CHECK_STR(copy_format_timestamp(253402300799999LL, b, sizeof b),
		  "9999-12-31 23:59:59.999+00");
	CHECK_STR(copy_format_timestamp(253402300800000LL, b, sizeof b),
		  "10000-01-01 00:00:00.000+00");
	CHECK_STR(copy_format_timestamp(-62135596800000LL, b, sizeof b),
		  "0001-01-01 00:00:00.000+00");
	CHECK_STR(copy_format_timestamp(-62135596800001LL, b, sizeof b),
		  "0001-12-31 23:59:59.999+00 BC");
}

/* ---- PostgreSQL ---- */

TEST(pg_required)
{
	const char *no = getenv("CRM_TEST_NO_PG");
	if (pg_url() || (no && strcmp(no, "1") == 0))
		return;
	fprintf(stderr, "  CRM_TEST_DATABASE_URL is unset, so the PostgreSQL half did not run"
			" (CRM_TEST_NO_PG=1 runs SQLite alone on purpose)\n");
	test_failed_checks++;
}

static bool pg_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);
	bool ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
	if (!ok)
		fprintf(stderr, "  %s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	return ok;
}

/* A connection whose search_path is a fresh schema holding the PostgreSQL migrations. */
static PGconn *pg_schema(char *schema, size_t n)
{
	PGconn *c = PQconnectdb(pg_url());
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "  cannot connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	snprintf(schema, n, "t_copy_%d", (int)getpid());
	char *sql = xasprintf("SET client_min_messages = warning;"
			      " DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s;"
			      " SET search_path TO %s",
			      schema, schema, schema);
	bool ok = pg_ok(c, sql);
	free(sql);
	for (int i = 0; ok && i < pg_migrations_count; i++)
		ok = pg_ok(c, pg_migrations[i].sql);
	if (!ok) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

static void pg_drop(PGconn *c, const char *schema)
{
	char *sql = xasprintf("DROP SCHEMA IF EXISTS %s CASCADE", schema);
	pg_ok(c, sql);
	free(sql);
	PQfinish(c);
}

TEST(tables_cover_postgres_schema_in_foreign_key_order)
{
	if (!pg_url())
		return;
	char schema[64];
	PGconn *c = pg_schema(schema, sizeof schema);
	CHECK(c != NULL);
	if (!c)
		return;
	const char *v[] = {schema};
	PGresult *r = PQexecParams(c,
				   "SELECT tablename FROM pg_tables WHERE schemaname = $1"
				   " ORDER BY tablename",
				   1, NULL, v, NULL, NULL, 0);
	CHECK(PQresultStatus(r) == PGRES_TUPLES_OK);
	char *names[128];
	int n = 0;
	for (int i = 0; i < PQntuples(r) && n < 128; i++)
		names[n++] = xstrdup(PQgetvalue(r, i, 0));
	PQclear(r);
	CHECK(n >= 18);
	check_same_set(names, n, "PostgreSQL");
	for (int i = 0; i < n; i++)
		free(names[i]);

	r = PQexecParams(c,
			 "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text"
			 " FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace"
			 " WHERE c.contype = 'f' AND s.nspname = $1",
			 1, NULL, v, NULL, NULL, 0);
	CHECK(PQresultStatus(r) == PGRES_TUPLES_OK);
	CHECK(PQntuples(r) > 20);
	for (int i = 0; i < PQntuples(r); i++)
		check_order(PQgetvalue(r, i, 0), PQgetvalue(r, i, 1), "PostgreSQL");
	PQclear(r);
	pg_drop(c, schema);
}

TEST(timestamp_literals_read_back_exactly)
{
	if (!pg_url())
		return;
	PGconn *c = PQconnectdb(pg_url());
	CHECK(PQstatus(c) == CONNECTION_OK);
	/* The literal carries its own offset, so the session's zone must not matter. */
	CHECK(pg_ok(c, "SET TimeZone = 'America/St_Johns'"));
	static const long long ms[] = {
	    0,
	    -1,
	    1,
	    999,
	    1751290334000LL,
	    1751290334999LL,
	    951782400123LL,
	    -86400001LL,
	    253402300799999LL,
	    253402300800000LL,
	    -62135596800000LL,
	    -62135596800001LL,
	    -210866803200000LL, /* 4714-11-24 BC, PostgreSQL's first day */
	    9224318015999999LL, /* 294276-12-31, its last */
	};
	for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
		char lit[48], want[24];
		copy_format_timestamp(ms[i], lit, sizeof lit);
		snprintf(want, sizeof want, "%lld", ms[i]);
		const char *v[] = {lit};
		PGresult *r = PQexecParams(
		    c, "SELECT (extract(epoch FROM $1::timestamptz(3)) * 1000)::bigint", 1, NULL, v,
		    NULL, NULL, 0);
		bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
		if (!ok || strcmp(PQgetvalue(r, 0, 0), want) != 0) {
			fprintf(stderr, "  %s read back as %s, expected %s %s\n", lit,
				ok ? PQgetvalue(r, 0, 0) : "(error)", want,
				ok ? "" : PQerrorMessage(c));
			test_failed_checks++;
		}
		PQclear(r);
	}
	PQfinish(c);
}

int main(void)
{
	return RUN_TESTS();
}
