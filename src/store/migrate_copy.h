/* `crm migrate-to-postgres`: copies the embedded SQLite store into an empty PostgreSQL store,
 * every table in one PostgreSQL transaction, so that the API answers the same afterwards.
 * migrate_copy.c runs the whole copy (source checks, migrations, the transaction, the identity
 * counters); migrate_copy_table.c streams one table through COPY, converting each value to the
 * PostgreSQL column's type. */
#ifndef CRM_STORE_MIGRATE_COPY_H
#define CRM_STORE_MIGRATE_COPY_H

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>

struct config;

/* Every table of the schema except schema_migrations (each store's migration runner keeps its
 * own), in foreign-key order: each table comes after every table it references. The one list of
 * what is copied: tests/unit/test_migrate_copy.c checks it against the tables the embedded
 * migrations of both stores create, and the copy refuses a source that holds a table missing
 * here, so a new table cannot be left behind silently. */
extern const char *const copy_tables[];
extern const int copy_tables_count;

enum copy_status {
	COPY_DONE = 0,
	COPY_REFUSED, /* the target holds data, or the source is in use: nothing was copied */
	COPY_FAILED,  /* unreadable source, unreachable target, a row PostgreSQL rejected... */
	COPY_SCHEMA,  /* a migration failed, or the source is not at this binary's schema */
};

/* Copies the SQLite database at sqlite_path into the PostgreSQL database of cfg->database_url
 * (which must be set): refuses while another process has the SQLite file open; opens it
 * read-only (it is never written) and reads it in one snapshot; applies the pending PostgreSQL
 * migrations; then, in one transaction, refuses if any copied table already holds a row, copies
 * every table of copy_tables and sets each identity counter past the highest id SQLite ever
 * issued. Progress and the rows per table go to out, problems to err. */
enum copy_status store_copy_sqlite_to_pg(const struct config *cfg, const char *sqlite_path,
					 FILE *out, FILE *err);

/* ---- shared by migrate_copy.c and migrate_copy_table.c (and their unit test) ---- */

/* What one table's copy did. */
struct copy_count {
	long long rows;
	long long next_id; /* the identity counter's next value, or 0 when the table has none */
};

/* Copies table from the SQLite connection src (inside its read transaction) into the
 * PostgreSQL connection dst (inside the copy transaction) with COPY FROM STDIN, then sets the
 * table's identity counter. Columns are matched by name and must be the same set on both sides;
 * each value is converted by the PostgreSQL column's type (timestamptz from Unix milliseconds,
 * boolean from 0|1, jsonb and text as they are). Returns 0 with *out filled, ST_RETRY when
 * PostgreSQL reports a serialization failure or deadlock, or another negative store status
 * (the reason printed to err; dst's transaction is then aborted). */
int copy_table_rows(sqlite3 *src, PGconn *dst, const char *table, struct copy_count *out,
		    FILE *err);

/* Writes ms (Unix milliseconds) as a timestamptz literal in UTC that PostgreSQL reads back to
 * the same millisecond whatever its TimeZone setting: "2025-06-30 13:32:14.000+00", years
 * before 1 as "0044-03-15 12:00:00.000+00 BC". out needs 40 bytes. Returns out. */
char *copy_format_timestamp(long long ms, char *out, size_t n);

#endif
