/* PostgreSQL store functions for the notes table (SPEC §6, §10.1): insert, lookups, the partial
 * update, deletion with its tombstone, keyset pages and the change feed, and counts.
 *
 * Listings use one fixed statement per shape, as on SQLite (sq_notes.c), with the same
 * parameter numbers. Every statement of a shape family takes all the parameters even where a
 * shape does not need one (no contact filter, no cursor, no feed): PostgreSQL must know the type
 * of each, so PTYPES names them all once in a condition on parameters only, which is always
 * true and which the planner evaluates once per execution (a one-time filter). */
#include <stdlib.h>
#include <string.h>

#include "store/pg/pg_notes.h"
#include "store/store.h"
#include "util/alloc.h"

#define NOTE_COLS                                                                                  \
	"id, contact_id, title, content, " PG_MS("created_at") ", " PG_MS("updated_at") ", false"
#define PTYPES                                                                                     \
	" AND num_nulls($2::bigint, $3::text, $4::bigint, $5::bigint, $6::bigint, $7::bigint,"     \
	" $8::bigint, $9::bigint) >= 0"
#define FILTERS                                                                                    \
	" AND ($3::text IS NULL OR title_key = $3::text)"                                          \
	" AND ($4::bigint IS NULL OR created_at >= " PG_TS(                                        \
	    "$4") ")"                                                                              \
		  " AND ($5::bigint IS NULL OR created_at < " PG_TS("$5") ")"
#define ALL ""
#define ONE " AND contact_id = $2::bigint"
#define NOCUR(col, cmp) ""
#define CUR(col, cmp) " AND (" col ", id) " cmp " (" PG_TS("$6") ", $7::bigint)"
#define PAGE(contact, cur, col, cmp, dir)                                                          \
	"SELECT " NOTE_COLS " FROM notes WHERE user_id = $1::bigint" contact FILTERS PTYPES cur(   \
	    col, cmp) " ORDER BY " col " " dir ", id " dir " LIMIT $8::bigint"
#define PAGES(contact, cur)                                                                        \
	PAGE(contact, cur, "created_at", ">", "ASC"),                                              \
	    PAGE(contact, cur, "created_at", "<", "DESC"),                                         \
	    PAGE(contact, cur, "updated_at", ">", "ASC"),                                          \
	    PAGE(contact, cur, "updated_at", "<", "DESC")

/* Index: cursor 8 + contact 4 + updated_at 2 + descending 1. */
static const char *const PAGE_SQL[16] = {PAGES(ALL, NOCUR), PAGES(ONE, NOCUR), PAGES(ALL, CUR),
					 PAGES(ONE, CUR)};

#define TOMB_CUR " AND (deleted_at, record_id) > (" PG_TS("$6") ", $7::bigint)"
#define FEED(contact, cur, tcur)                                                                   \
	"SELECT " NOTE_COLS " FROM notes WHERE user_id = $1::bigint" contact FILTERS PTYPES        \
	" AND updated_at >= " PG_TS("$9")                                                          \
	    cur("updated_at",                                                                      \
		">") " UNION ALL SELECT record_id, 0::bigint, NULL::text, NULL::text, 0::bigint,"  \
		     " " PG_MS("deleted_at") ", true FROM tombstones WHERE user_id = $1::bigint"   \
					     " AND kind = 'note' AND deleted_at >= " PG_TS("$9")   \
						 tcur " ORDER BY 6, 1 LIMIT $8::bigint"

/* Index: cursor 2 + contact 1. */
static const char *const FEED_SQL[4] = {FEED(ALL, NOCUR, ""), FEED(ONE, NOCUR, ""),
					FEED(ALL, CUR, TOMB_CUR), FEED(ONE, CUR, TOMB_CUR)};

#define COUNT(contact)                                                                             \
	"SELECT count(*) FROM notes WHERE user_id = $1::bigint" contact FILTERS PTYPES
#define FEED_COUNT(contact)                                                                        \
	"SELECT (" COUNT(contact) " AND updated_at >= " PG_TS(                                     \
	    "$9") ") + (SELECT count(*) FROM tombstones WHERE user_id = $1::bigint"                \
		  " AND kind = 'note' AND deleted_at >= " PG_TS("$9") ")"

/* Index: feed 2 + contact 1. */
static const char *const COUNT_SQL[4] = {COUNT(ALL), COUNT(ONE), FEED_COUNT(ALL), FEED_COUNT(ONE)};

void pg_list_params(struct pg_params *p, long long user_id, const struct list_query *q, bool types)
{
	pg_param_i64(p, user_id);
	pg_param_i64(p, q->contact_id);
	pg_param_str(p, q->title_key);
	if (q->has_from)
		pg_param_i64(p, q->from);
	else
		pg_param_null(p);
	if (q->has_to)
		pg_param_i64(p, q->to);
	else
		pg_param_null(p);
	if (q->has_after) {
		pg_param_i64(p, q->after_key);
		pg_param_i64(p, q->after_id);
	} else {
		pg_param_null(p);
		pg_param_null(p);
	}
	pg_param_i64(p, q->limit);
	pg_param_i64(p, q->since);
	if (!types)
		return;
	pg_param_i64(p, q->ntypes);
	for (int i = 0; i < INTERACTION_MAX_TYPE_FILTERS; i++)
		pg_param_str(p, i < q->ntypes ? q->types[i] : NULL);
}

static void read_note(const PGresult *r, int row, struct note_row *n)
{
	n->id = pg_get_i64(r, row, 0);
	n->contact_id = pg_get_i64(r, row, 1);
	n->title = pg_get_strdup(r, row, 2);
	n->content = pg_get_strdup(r, row, 3);
	n->created_at = pg_get_i64(r, row, 4);
	n->updated_at = pg_get_i64(r, row, 5);
	n->deleted = pg_get_bool(r, row, 6);
}

/* A title clash is detected in SQL (nothing inserted: ST_CONFLICT), so the transaction stays
 * usable as on SQLite. */
int pg_notes_insert(struct db *db, long long user_id, long long contact_id, const char *title,
		    const char *title_key, const char *content, long long t, long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO notes (user_id, contact_id, title, title_key, content, created_at,"
	    " updated_at) VALUES ($1::bigint, $2::bigint, $3, $4, $5, " PG_TS("$6") ", " PG_TS(
		"$6") ") ON CONFLICT (user_id, contact_id, title_key) DO NOTHING RETURNING id";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, contact_id);
	pg_param_str(&p, title);
	pg_param_str(&p, title_key);
	pg_param_str(&p, content);
	pg_param_i64(&p, t);
	int rc;
	PGresult *r = pg_exec_prepared(db, "notes_insert", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0 && id_out)
		*id_out = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc > 0 ? 1 : ST_CONFLICT;
}

int pg_notes_select(struct db *db, long long user_id, long long id, struct note_row *out)
{
	static const char SQL[] =
	    "SELECT " NOTE_COLS " FROM notes WHERE user_id = $1::bigint AND id = $2::bigint";
	memset(out, 0, sizeof *out);
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, id);
	int rc;
	PGresult *r = pg_exec_prepared(db, "notes_select", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		read_note(r, 0, out);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

int pg_notes_select_by_title(struct db *db, long long user_id, long long contact_id,
			     const char *title_key, long long except_id, long long *id_out)
{
	static const char SQL[] =
	    "SELECT id FROM notes WHERE user_id = $1::bigint AND contact_id = $2::bigint"
	    " AND title_key = $3::text AND id <> $4::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, contact_id);
	pg_param_str(&p, title_key);
	pg_param_i64(&p, except_id);
	int rc;
	PGresult *r = pg_exec_prepared(db, "notes_select_by_title", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0 && id_out)
		*id_out = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

/* Callers check the title first (notes_select_by_title) under the user lock, so a clash here
 * (ST_CONFLICT, transaction aborted) only follows a bug or a write outside the write order. */
int pg_notes_update(struct db *db, long long user_id, long long id, const struct note_patch *p,
		    long long t)
{
	static const char SQL[] =
	    "UPDATE notes SET"
	    " title = CASE WHEN $4::boolean THEN $5::text ELSE title END,"
	    " title_key = CASE WHEN $4::boolean THEN $6::text ELSE title_key END,"
	    " content = CASE WHEN $7::boolean THEN $8::text ELSE content END,"
	    " contact_id = CASE WHEN $9::boolean THEN $10::bigint ELSE contact_id END,"
	    " updated_at = " PG_TS("$3") " WHERE user_id = $1::bigint AND id = $2::bigint";
	struct pg_params q = {0};
	pg_param_i64(&q, user_id);
	pg_param_i64(&q, id);
	pg_param_i64(&q, t);
	pg_param_bool(&q, p->set_title);
	pg_param_str(&q, p->title);
	pg_param_str(&q, p->title_key);
	pg_param_bool(&q, p->set_content);
	pg_param_str(&q, p->content);
	pg_param_bool(&q, p->set_contact);
	pg_param_i64(&q, p->contact_id);
	return pg_run(db, "notes_update", SQL, q.n, q.v);
}

/* The note and its tombstone in one statement. */
int pg_notes_delete(struct db *db, long long user_id, long long id, long long t,
		    long long *contact_id_out)
{
	static const char SQL[] =
	    "WITH d AS (DELETE FROM notes WHERE user_id = $1::bigint AND id = $2::bigint"
	    " RETURNING contact_id),"
	    " tomb AS (INSERT INTO tombstones (user_id, kind, record_id, deleted_at)"
	    " SELECT $1::bigint, 'note', $2::bigint, " PG_TS(
		"$3") " FROM d"
		      " ON CONFLICT (user_id, kind, record_id) DO UPDATE SET deleted_at = "
		      "excluded.deleted_at)"
		      " SELECT contact_id FROM d";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, id);
	pg_param_i64(&p, t);
	int rc;
	PGresult *r = pg_exec_prepared(db, "notes_delete", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0 && contact_id_out)
		*contact_id_out = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

int pg_notes_select_many(struct db *db, long long user_id, const struct list_query *q,
			 struct note_row **rows)
{
	*rows = NULL;
	int v;
	const char *sql;
	char name[32];
	if (q->feed) {
		v = (q->has_after ? 2 : 0) + (q->contact_id ? 1 : 0);
		sql = FEED_SQL[v];
		snprintf(name, sizeof name, "notes_feed_%d", v);
	} else {
		v = (q->has_after ? 8 : 0) + (q->contact_id ? 4 : 0) +
		    (q->sort == SORT_UPDATED_AT ? 2 : 0) + (q->desc ? 1 : 0);
		sql = PAGE_SQL[v];
		snprintf(name, sizeof name, "notes_page_%d", v);
	}
	struct pg_params p = {0};
	pg_list_params(&p, user_id, q, false);
	int rc;
	PGresult *r = pg_exec_prepared(db, name, sql, p.n, p.v, &rc);
	if (!r)
		return rc;
	struct note_row *out = rc > 0 ? xcalloc((size_t)rc, sizeof *out) : NULL;
	for (int i = 0; i < rc; i++)
		read_note(r, i, &out[i]);
	PQclear(r);
	*rows = out;
	return rc;
}

int pg_notes_count(struct db *db, long long user_id, const struct list_query *q, long long *count)
{
	static const char ALL_SQL[] = "SELECT count(*) FROM notes WHERE user_id = $1::bigint";
	struct pg_params p = {0};
	int rc;
	PGresult *r;
	if (q) {
		int v = (q->feed ? 2 : 0) + (q->contact_id ? 1 : 0);
		char name[32];
		snprintf(name, sizeof name, "notes_count_%d", v);
		pg_list_params(&p, user_id, q, false);
		r = pg_exec_prepared(db, name, COUNT_SQL[v], p.n, p.v, &rc);
	} else {
		pg_param_i64(&p, user_id);
		r = pg_exec_prepared(db, "notes_count_all", ALL_SQL, p.n, p.v, &rc);
	}
	if (!r)
		return rc;
	*count = pg_get_i64(r, 0, 0);
	PQclear(r);
	return 1;
}

/* The id span (max - min + 1, each from the primary key) bounds the count from above, since
 * ids are unique: below cap the count is skipped. Otherwise the count stops at cap. */
int pg_notes_at_cap(struct db *db, long long user_id, long long cap)
{
	static const char SQL[] =
	    "SELECT CASE WHEN COALESCE((SELECT max(id) FROM notes WHERE user_id = $1::bigint)"
	    " - (SELECT min(id) FROM notes WHERE user_id = $1::bigint) + 1, 0) < $2::bigint"
	    " THEN false ELSE (SELECT count(*) FROM (SELECT 1 FROM notes"
	    " WHERE user_id = $1::bigint LIMIT $2::bigint) AS c) >= $2::bigint END";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, cap);
	int rc;
	PGresult *r = pg_exec_prepared(db, "notes_at_cap", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	int at = pg_get_bool(r, 0, 0);
	PQclear(r);
	return at;
}
