/* One table of `crm migrate-to-postgres`: its columns read from both catalogs (the PostgreSQL
 * column's type decides each conversion, so a new column of a known type needs no code here),
 * its rows streamed from one SQLite SELECT into one COPY FROM STDIN in text format, and its
 * identity counter set past the highest id SQLite ever issued. Values travel only as COPY data,
 * never inside SQL text; the SQL carries nothing but identifiers from the two schemas, and only
 * plain lower-case ones are accepted. */
#include "store/migrate_copy.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

/* COPY data is handed to libpq in pieces of about this size. */
#define FLUSH_BYTES (256 * 1024)
#define MS_PER_DAY 86400000LL

/* How a SQLite value becomes COPY text, by the PostgreSQL column's type. */
enum kind {
	K_INT,	     /* bigint, integer, smallint <- INTEGER */
	K_BOOL,	     /* boolean <- INTEGER 0|1 */
	K_TIMESTAMP, /* timestamptz <- INTEGER Unix milliseconds */
	K_TEXT,	     /* text, jsonb <- TEXT as stored (jsonb parses and checks it) */
};

struct column {
	char *name;
	enum kind kind;
	bool identity;
};

struct table {
	const char *name;
	struct column *cols;
	int n;
	int identity; /* index of the identity column, or -1 */
};

char *copy_format_timestamp(long long ms, char *out, size_t n)
{
	long long days = ms / MS_PER_DAY, rem = ms % MS_PER_DAY;
	if (rem < 0) {
		rem += MS_PER_DAY;
		days--;
	}
	/* Days since 1970-01-01 to a proleptic Gregorian date with astronomical years (year 0
	 * is 1 BC), by whole 400-year eras (Howard Hinnant's civil_from_days), so any int64
	 * works without time_t or gmtime limits. */
	long long z = days + 719468;
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long long mp = (5 * doy + 2) / 153;
	long long day = doy - (153 * mp + 2) / 5 + 1;
	long long month = mp < 10 ? mp + 3 : mp - 9;
	long long year = yoe + era * 400 + (month <= 2);
	bool bc = year <= 0;
	snprintf(out, n, "%04lld-%02lld-%02lld %02lld:%02lld:%02lld.%03lld+00%s",
		 bc ? 1 - year : year, month, day, rem / 3600000, rem / 60000 % 60, rem / 1000 % 60,
		 rem % 1000, bc ? " BC" : "");
	return out;
}

/* Identifiers go into SQL text, so only [a-z_][a-z0-9_]* is accepted (all of ours are). */
static bool plain_identifier(const char *s)
{
	if (!s || !*s || (*s >= '0' && *s <= '9'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* The status of a failed PostgreSQL result, its reason printed to err. */
static int pg_failure(PGconn *c, const PGresult *r, const char *table, const char *what, FILE *err)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *ctx = r ? PQresultErrorField(r, PG_DIAG_CONTEXT) : NULL;
	if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0))
		return ST_RETRY;
	fprintf(err, "crm: %s: %s failed on PostgreSQL: %s%s%s\n", table, what,
		msg ? msg : PQerrorMessage(c), ctx ? "; " : "", ctx ? ctx : "");
	if (PQstatus(c) == CONNECTION_BAD)
		return ST_UNAVAILABLE;
	if (state && (strcmp(state, "57014") == 0 || strcmp(state, "55P03") == 0))
		return ST_TIMEOUT;
	return ST_ERROR;
}

static int sqlite_failure(sqlite3 *h, const char *table, const char *what, FILE *err)
{
	fprintf(err, "crm: %s: %s failed on SQLite: %s\n", table, what, sqlite3_errmsg(h));
	return ST_ERROR;
}

static void table_free(struct table *t)
{
	for (int i = 0; i < t->n; i++)
		free(t->cols[i].name);
	free(t->cols);
}

static bool kind_of(const char *pg_type, enum kind *k)
{
	static const struct {
		const char *type;
		enum kind kind;
	} map[] = {
	    {"bigint", K_INT},
	    {"integer", K_INT},
	    {"smallint", K_INT},
	    {"boolean", K_BOOL},
	    {"text", K_TEXT},
	    {"jsonb", K_TEXT},
	    {"timestamp with time zone", K_TIMESTAMP},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (strcmp(pg_type, map[i].type) == 0) {
			*k = map[i].kind;
			return true;
		}
	}
	return false;
}

/* Reads the PostgreSQL columns of t->name (in their order) into t. 0 or < 0. */
static int pg_columns(PGconn *c, struct table *t, FILE *err)
{
	static const char SQL[] =
	    "SELECT a.attname, format_type(a.atttypid, NULL), a.attidentity <> ''"
	    " FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0"
	    " AND NOT a.attisdropped ORDER BY a.attnum";
	const char *v[] = {t->name};
	PGresult *r = PQexecParams(c, SQL, 1, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		int rc = pg_failure(c, r, t->name, "reading the columns", err);
		PQclear(r);
		return rc;
	}
	t->n = PQntuples(r);
	t->cols = xcalloc((size_t)(t->n ? t->n : 1), sizeof *t->cols);
	t->identity = -1;
	int rc = 0;
	for (int i = 0; i < t->n; i++) {
		struct column *col = &t->cols[i];
		col->name = xstrdup(PQgetvalue(r, i, 0));
		col->identity = PQgetvalue(r, i, 2)[0] == 't';
		if (!plain_identifier(col->name)) {
			fprintf(err, "crm: %s: unexpected column name \"%s\"\n", t->name,
				col->name);
			rc = ST_ERROR;
		} else if (!kind_of(PQgetvalue(r, i, 1), &col->kind)) {
			fprintf(err, "crm: %s.%s: PostgreSQL type %s has no conversion\n", t->name,
				col->name, PQgetvalue(r, i, 1));
			rc = ST_ERROR;
		}
		if (col->identity)
			t->identity = i;
	}
	PQclear(r);
	return rc;
}

/* Checks that SQLite's table has exactly the columns of t (by name). 0 or < 0. */
static int match_sqlite_columns(sqlite3 *h, const struct table *t, FILE *err)
{
	static const char SQL[] = "SELECT name FROM pragma_table_info(?1) ORDER BY cid";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(h, SQL, -1, &st, NULL) != SQLITE_OK)
		return sqlite_failure(h, t->name, "reading the columns", err);
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	int n = 0, rc = 0, step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		n++;
		bool found = false;
		for (int i = 0; i < t->n && !found; i++)
			found = name && strcmp(name, t->cols[i].name) == 0;
		if (!found) {
			fprintf(err, "crm: %s.%s exists on SQLite but not on PostgreSQL\n", t->name,
				name ? name : "?");
			rc = ST_ERROR;
		}
	}
	if (step != SQLITE_DONE)
		rc = sqlite_failure(h, t->name, "reading the columns", err);
	sqlite3_finalize(st);
	if (rc == 0 && n != t->n) {
		fprintf(err, "crm: %s has %d columns on PostgreSQL but %d on SQLite\n", t->name,
			t->n, n);
		rc = ST_ERROR;
	}
	return rc;
}

/* "a", "b", "c": the column list of both statements. */
static void put_column_list(struct buf *b, const struct table *t)
{
	for (int i = 0; i < t->n; i++)
		buf_printf(b, "%s\"%s\"", i ? ", " : "", t->cols[i].name);
}

/* Appends n bytes of text escaped for COPY's text format. */
static void put_copy_text(struct buf *b, const unsigned char *s, int n)
{
	for (int i = 0; i < n; i++) {
		switch (s[i]) {
		case '\\':
			buf_append(b, "\\\\", 2);
			break;
		case '\n':
			buf_append(b, "\\n", 2);
			break;
		case '\r':
			buf_append(b, "\\r", 2);
			break;
		case '\t':
			buf_append(b, "\\t", 2);
			break;
		default:
			buf_putc(b, (char)s[i]);
		}
	}
}

/* Appends column i of the current row as a COPY field. false (reason in why) when the SQLite
 * value does not have the storage class the column needs. */
static bool put_value(struct buf *b, sqlite3_stmt *st, int i, const struct column *col,
		      long long *max_id, const char **why)
{
	int type = sqlite3_column_type(st, i);
	if (type == SQLITE_NULL) {
		buf_append(b, "\\N", 2);
		return true;
	}
	if (col->kind == K_TEXT) {
		if (type != SQLITE_TEXT) {
			*why = "is not TEXT";
			return false;
		}
		const unsigned char *s = sqlite3_column_text(st, i);
		put_copy_text(b, s, sqlite3_column_bytes(st, i));
		return true;
	}
	if (type != SQLITE_INTEGER) {
		*why = "is not an INTEGER";
		return false;
	}
	long long v = sqlite3_column_int64(st, i);
	char ts[48];
	switch (col->kind) {
	case K_INT:
		buf_printf(b, "%lld", v);
		if (col->identity && v > *max_id)
			*max_id = v;
		return true;
	case K_BOOL:
		if (v != 0 && v != 1) {
			*why = "is a boolean other than 0 or 1";
			return false;
		}
		buf_putc(b, v ? 't' : 'f');
		return true;
	case K_TIMESTAMP:
		buf_puts(b, copy_format_timestamp(v, ts, sizeof ts));
		return true;
	case K_TEXT:
		break;
	}
	return false;
}

/* Discards whatever results are still pending, so the connection is idle again. */
static void drain(PGconn *c)
{
	PGresult *r;
	while ((r = PQgetResult(c)))
		PQclear(r);
}

/* Collects the results after the end of COPY: 0 when it succeeded and stored rows rows. */
static int finish_copy(PGconn *c, const struct table *t, long long rows, FILE *err)
{
	int rc = 0;
	PGresult *r;
	while ((r = PQgetResult(c))) {
		if (rc == 0 && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = pg_failure(c, r, t->name, "COPY", err);
		else if (rc == 0 && atoll(PQcmdTuples(r)) != rows) {
			fprintf(err, "crm: %s: PostgreSQL stored %s rows of %lld\n", t->name,
				PQcmdTuples(r), rows);
			rc = ST_ERROR;
		}
		PQclear(r);
	}
	return rc;
}

/* Streams every row of t from SQLite into COPY. Returns the row count or < 0. */
static long long stream_rows(sqlite3 *src, PGconn *dst, const struct table *t, long long *max_id,
			     FILE *err)
{
	struct buf sql = {0};
	buf_puts(&sql, "SELECT ");
	put_column_list(&sql, t);
	buf_printf(&sql, " FROM \"%s\"", t->name);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(src, sql.data, -1, &st, NULL) != SQLITE_OK) {
		buf_free(&sql);
		return sqlite_failure(src, t->name, "SELECT", err);
	}
	sql.len = 0;
	buf_printf(&sql, "COPY \"%s\" (", t->name);
	put_column_list(&sql, t);
	buf_puts(&sql, ") FROM STDIN");
	PGresult *r = PQexec(dst, sql.data);
	buf_free(&sql);
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		int rc = pg_failure(dst, r, t->name, "COPY", err);
		PQclear(r);
		drain(dst);
		sqlite3_finalize(st);
		return rc;
	}
	PQclear(r);

	struct buf data = {0};
	long long rows = 0;
	const char *abort_why = NULL;
	char reason[200];
	int step;
	while (!abort_why && (step = sqlite3_step(st)) == SQLITE_ROW) {
		rows++;
		for (int i = 0; i < t->n && !abort_why; i++) {
			const char *why = NULL;
			if (i)
				buf_putc(&data, '\t');
			if (!put_value(&data, st, i, &t->cols[i], max_id, &why)) {
				snprintf(reason, sizeof reason, "row %lld: %s.%s %s", rows, t->name,
					 t->cols[i].name, why);
				abort_why = reason;
			}
		}
		buf_putc(&data, '\n');
		if (!abort_why && data.len >= FLUSH_BYTES) {
			if (PQputCopyData(dst, data.data, (int)data.len) != 1)
				abort_why = "sending the rows failed";
			data.len = 0;
		}
	}
	if (!abort_why && step != SQLITE_DONE) {
		snprintf(reason, sizeof reason, "reading SQLite failed: %s", sqlite3_errmsg(src));
		abort_why = reason;
	}
	sqlite3_finalize(st);
	if (!abort_why && data.len && PQputCopyData(dst, data.data, (int)data.len) != 1)
		abort_why = "sending the rows failed";
	buf_free(&data);
	if (abort_why) {
		fprintf(err, "crm: %s: %s\n", t->name, abort_why);
		/* The server answers the abandoned COPY with an error: already explained. */
		PQputCopyEnd(dst, abort_why);
		drain(dst);
		return ST_ERROR;
	}
	if (PQputCopyEnd(dst, NULL) != 1) {
		fprintf(err, "crm: %s: ending COPY failed: %s", t->name, PQerrorMessage(dst));
		return ST_UNAVAILABLE;
	}
	int rc = finish_copy(dst, t, rows, err);
	return rc < 0 ? rc : rows;
}

/* The highest id SQLite's AUTOINCREMENT ever gave out in table (0 when none): it can exceed
 * the highest id present when the newest rows were deleted, and ids are never reused. */
static long long sqlite_sequence(sqlite3 *h, const char *table)
{
	static const char SQL[] = "SELECT seq FROM sqlite_sequence WHERE name = ?1";
	sqlite3_stmt *st;
	long long seq = 0;
	if (sqlite3_prepare_v2(h, SQL, -1, &st, NULL) != SQLITE_OK)
		return 0; /* no AUTOINCREMENT table at all */
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return seq;
}

/* Sets the identity counter of t so that the next id is past last. */
static int set_identity(PGconn *c, const struct table *t, long long last, FILE *err)
{
	static const char SQL[] =
	    "SELECT setval(pg_get_serial_sequence($1, $2), $3::bigint, $4::boolean)";
	char num[24];
	snprintf(num, sizeof num, "%lld", last > 0 ? last : 1);
	const char *v[] = {t->name, t->cols[t->identity].name, num, last > 0 ? "true" : "false"};
	PGresult *r = PQexecParams(c, SQL, 4, NULL, v, NULL, NULL, 0);
	int rc = PQresultStatus(r) == PGRES_TUPLES_OK
		     ? 0
		     : pg_failure(c, r, t->name, "setting the identity counter", err);
	PQclear(r);
	return rc;
}

int copy_table_rows(sqlite3 *src, PGconn *dst, const char *table, struct copy_count *out, FILE *err)
{
	memset(out, 0, sizeof *out);
	struct table t = {.name = table, .identity = -1};
	if (!plain_identifier(table)) {
		fprintf(err, "crm: unexpected table name \"%s\"\n", table);
		return ST_ERROR;
	}
	int rc = pg_columns(dst, &t, err);
	if (rc == 0)
		rc = match_sqlite_columns(src, &t, err);
	long long max_id = 0, rows = 0;
	if (rc == 0) {
		rows = stream_rows(src, dst, &t, &max_id, err);
		rc = rows < 0 ? (int)rows : 0;
	}
	if (rc == 0 && t.identity >= 0) {
		long long seq = sqlite_sequence(src, table);
		long long last = seq > max_id ? seq : max_id;
		rc = set_identity(dst, &t, last, err);
		out->next_id = last + 1;
	}
	out->rows = rows;
	table_free(&t);
	return rc;
}
