/* PostgreSQL store functions for the interactions table (SPEC §6, §10.2): insert, lookup, the
 * partial update, deletion with its tombstone, keyset pages and the change feed, counts, and
 * the derived contacts.last_contacted.
 *
 * Listings follow pg_notes.c (fixed statements per shape, every parameter typed once through
 * PTYPES), with the type filter in $10 (count) and $11..$20 (NULL in unused slots, which
 * `type IN (...)` never matches). */
#include <stdlib.h>
#include <string.h>

#include "store/pg/pg_notes.h"
#include "store/store.h"
#include "util/alloc.h"

#define INTERACTION_COLS                                                                           \
	"id, contact_id, type, " PG_MS("occurred_at") ", notes, duration_minutes, " PG_MS(         \
	    "created_at") ", " PG_MS("updated_at") ", false"
#define PTYPES                                                                                     \
	" AND num_nulls($2::bigint, $3::text, $4::bigint, $5::bigint, $6::bigint, $7::bigint,"     \
	" $8::bigint, $9::bigint) >= 0"
#define FILTERS                                                                                    \
	" AND ($10::int = 0 OR type IN ($11::text, $12::text, $13::text, $14::text, $15::text,"    \
	" $16::text, $17::text, $18::text, $19::text, $20::text))"                                 \
	" AND ($4::bigint IS NULL OR occurred_at >= " PG_TS(                                       \
	    "$4") ")"                                                                              \
		  " AND ($5::bigint IS NULL OR occurred_at < " PG_TS("$5") ")"
#define ALL ""
#define ONE " AND contact_id = $2::bigint"
#define NOCUR(col, cmp) ""
#define CUR(col, cmp) " AND (" col ", id) " cmp " (" PG_TS("$6") ", $7::bigint)"
#define PAGE(contact, cur, col, cmp, dir)                                                          \
	"SELECT " INTERACTION_COLS                                                                 \
	" FROM interactions WHERE user_id = $1::bigint" contact FILTERS PTYPES                     \
	cur(col, cmp) " ORDER BY " col " " dir ", id " dir " LIMIT $8::bigint"
#define PAGES(contact, cur)                                                                        \
	PAGE(contact, cur, "created_at", ">", "ASC"),                                              \
	    PAGE(contact, cur, "created_at", "<", "DESC"),                                         \
	    PAGE(contact, cur, "occurred_at", ">", "ASC"),                                         \
	    PAGE(contact, cur, "occurred_at", "<", "DESC")

/* Index: cursor 8 + contact 4 + occurred_at 2 + descending 1. */
static const char *const PAGE_SQL[16] = {PAGES(ALL, NOCUR), PAGES(ONE, NOCUR), PAGES(ALL, CUR),
					 PAGES(ONE, CUR)};

#define TOMB_CUR " AND (deleted_at, record_id) > (" PG_TS("$6") ", $7::bigint)"
#define FEED(contact, cur, tcur)                                                                   \
	"SELECT " INTERACTION_COLS                                                                 \
	" FROM interactions WHERE user_id = $1::bigint" contact FILTERS PTYPES                     \
	" AND updated_at >= " PG_TS("$9")                                                          \
	    cur("updated_at",                                                                      \
		">") " UNION ALL SELECT record_id, 0::bigint, NULL::text, 0::bigint, NULL::text, " \
		     "NULL::integer,"                                                              \
		     " 0::bigint, " PG_MS(                                                         \
			 "deleted_at") ", true FROM tombstones WHERE user_id = $1::bigint"         \
				       " AND kind = 'interaction' AND deleted_at >= " PG_TS("$9")  \
					   tcur " ORDER BY 8, 1 LIMIT $8::bigint"

/* Index: cursor 2 + contact 1. */
static const char *const FEED_SQL[4] = {FEED(ALL, NOCUR, ""), FEED(ONE, NOCUR, ""),
					FEED(ALL, CUR, TOMB_CUR), FEED(ONE, CUR, TOMB_CUR)};

#define COUNT(contact)                                                                             \
	"SELECT count(*) FROM interactions WHERE user_id = $1::bigint" contact FILTERS PTYPES
#define FEED_COUNT(contact)                                                                        \
	"SELECT (" COUNT(contact) " AND updated_at >= " PG_TS(                                     \
	    "$9") ") + (SELECT count(*) FROM tombstones WHERE user_id = $1::bigint"                \
		  " AND kind = 'interaction' AND deleted_at >= " PG_TS("$9") ")"

/* Index: feed 2 + contact 1. */
static const char *const COUNT_SQL[4] = {COUNT(ALL), COUNT(ONE), FEED_COUNT(ALL), FEED_COUNT(ONE)};

static void read_interaction(const PGresult *r, int row, struct interaction_row *x)
{
	x->id = pg_get_i64(r, row, 0);
	x->contact_id = pg_get_i64(r, row, 1);
	x->type = pg_get_strdup(r, row, 2);
	x->occurred_at = pg_get_i64(r, row, 3);
	x->notes = pg_get_strdup(r, row, 4);
	x->has_duration = !PQgetisnull(r, row, 5);
	x->duration_minutes = (int)pg_get_i64(r, row, 5);
	x->created_at = pg_get_i64(r, row, 6);
	x->updated_at = pg_get_i64(r, row, 7);
	x->deleted = pg_get_bool(r, row, 8);
}

static void param_duration(struct pg_params *p, bool has, int minutes)
{
	if (has)
		pg_param_i64(p, minutes);
	else
		pg_param_null(p);
}

int pg_interactions_insert(struct db *db, long long user_id, const struct interaction_new *in,
			   long long t, long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO interactions (user_id, contact_id, type, occurred_at, notes,"
	    " duration_minutes, created_at, updated_at) VALUES ($1::bigint, $2::bigint, $3, " PG_TS(
		"$4") ", $5, $6::integer, " PG_TS("$7") ", " PG_TS("$7") ") RETURNING id";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, in->contact_id);
	pg_param_str(&p, in->type);
	pg_param_i64(&p, in->occurred_at);
	pg_param_str(&p, in->notes);
	param_duration(&p, in->has_duration, in->duration_minutes);
	pg_param_i64(&p, t);
	int rc;
	PGresult *r = pg_exec_prepared(db, "interactions_insert", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0 && id_out)
		*id_out = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc;
}

int pg_interactions_select(struct db *db, long long user_id, long long id,
			   struct interaction_row *out)
{
	static const char SQL[] =
	    "SELECT " INTERACTION_COLS
	    " FROM interactions WHERE user_id = $1::bigint AND id = $2::bigint";
	memset(out, 0, sizeof *out);
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, id);
	int rc;
	PGresult *r = pg_exec_prepared(db, "interactions_select", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		read_interaction(r, 0, out);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

int pg_interactions_update(struct db *db, long long user_id, long long id,
			   const struct interaction_patch *p, long long t)
{
	static const char SQL[] =
	    "UPDATE interactions SET"
	    " contact_id = CASE WHEN $4::boolean THEN $5::bigint ELSE contact_id END,"
	    " type = CASE WHEN $6::boolean THEN $7::text ELSE type END,"
	    " occurred_at = CASE WHEN $8::boolean THEN " PG_TS(
		"$9") " ELSE occurred_at END,"
		      " notes = CASE WHEN $10::boolean THEN $11::text ELSE notes END,"
		      " duration_minutes = CASE WHEN $12::boolean THEN $13::integer ELSE "
		      "duration_minutes END,"
		      " updated_at = " PG_TS(
			  "$3") " WHERE user_id = $1::bigint AND id = $2::bigint";
	struct pg_params q = {0};
	pg_param_i64(&q, user_id);
	pg_param_i64(&q, id);
	pg_param_i64(&q, t);
	pg_param_bool(&q, p->set_contact);
	pg_param_i64(&q, p->contact_id);
	pg_param_bool(&q, p->set_type);
	pg_param_str(&q, p->type);
	pg_param_bool(&q, p->set_occurred_at);
	pg_param_i64(&q, p->occurred_at);
	pg_param_bool(&q, p->set_notes);
	pg_param_str(&q, p->notes);
	pg_param_bool(&q, p->set_duration);
	param_duration(&q, p->has_duration, p->duration_minutes);
	return pg_run(db, "interactions_update", SQL, q.n, q.v);
}

/* The interaction and its tombstone in one statement. */
int pg_interactions_delete(struct db *db, long long user_id, long long id, long long t,
			   long long *contact_id_out)
{
	static const char SQL[] =
	    "WITH d AS (DELETE FROM interactions WHERE user_id = $1::bigint AND id = $2::bigint"
	    " RETURNING contact_id),"
	    " tomb AS (INSERT INTO tombstones (user_id, kind, record_id, deleted_at)"
	    " SELECT $1::bigint, 'interaction', $2::bigint, " PG_TS(
		"$3") " FROM d"
		      " ON CONFLICT (user_id, kind, record_id) DO UPDATE SET deleted_at = "
		      "excluded.deleted_at)"
		      " SELECT contact_id FROM d";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, id);
	pg_param_i64(&p, t);
	int rc;
	PGresult *r = pg_exec_prepared(db, "interactions_delete", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0 && contact_id_out)
		*contact_id_out = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

int pg_interactions_select_many(struct db *db, long long user_id, const struct list_query *q,
				struct interaction_row **rows)
{
	*rows = NULL;
	int v;
	const char *sql;
	char name[40];
	if (q->feed) {
		v = (q->has_after ? 2 : 0) + (q->contact_id ? 1 : 0);
		sql = FEED_SQL[v];
		snprintf(name, sizeof name, "interactions_feed_%d", v);
	} else {
		v = (q->has_after ? 8 : 0) + (q->contact_id ? 4 : 0) +
		    (q->sort == SORT_OCCURRED_AT ? 2 : 0) + (q->desc ? 1 : 0);
		sql = PAGE_SQL[v];
		snprintf(name, sizeof name, "interactions_page_%d", v);
	}
	struct pg_params p = {0};
	pg_list_params(&p, user_id, q, true);
	int rc;
	PGresult *r = pg_exec_prepared(db, name, sql, p.n, p.v, &rc);
	if (!r)
		return rc;
	struct interaction_row *out = rc > 0 ? xcalloc((size_t)rc, sizeof *out) : NULL;
	for (int i = 0; i < rc; i++)
		read_interaction(r, i, &out[i]);
	PQclear(r);
	*rows = out;
	return rc;
}

int pg_interactions_count(struct db *db, long long user_id, const struct list_query *q,
			  long long *count)
{
	static const char ALL_SQL[] =
	    "SELECT count(*) FROM interactions WHERE user_id = $1::bigint";
	struct pg_params p = {0};
	int rc;
	PGresult *r;
	if (q) {
		int v = (q->feed ? 2 : 0) + (q->contact_id ? 1 : 0);
		char name[40];
		snprintf(name, sizeof name, "interactions_count_%d", v);
		pg_list_params(&p, user_id, q, true);
		r = pg_exec_prepared(db, name, COUNT_SQL[v], p.n, p.v, &rc);
	} else {
		pg_param_i64(&p, user_id);
		r = pg_exec_prepared(db, "interactions_count_all", ALL_SQL, p.n, p.v, &rc);
	}
	if (!r)
		return rc;
	*count = pg_get_i64(r, 0, 0);
	PQclear(r);
	return 1;
}

/* MAX(occurred_at) comes from the (user_id, contact_id, occurred_at) index; updated_at moves
 * only when the value changes. */
int pg_contacts_recompute_last_contacted(struct db *db, long long user_id, long long contact_id,
					 long long t)
{
	static const char SQL[] =
	    "WITH m AS (SELECT MAX(occurred_at) AS v FROM interactions"
	    " WHERE user_id = $1::bigint AND contact_id = $2::bigint)"
	    " UPDATE contacts c SET last_contacted = m.v, updated_at = " PG_TS(
		"$3") " FROM m"
		      " WHERE c.user_id = $1::bigint AND c.id = $2::bigint"
		      " AND c.last_contacted IS DISTINCT FROM m.v";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, contact_id);
	pg_param_i64(&p, t);
	return pg_run(db, "contacts_recompute_last_contacted", SQL, p.n, p.v);
}

/* As pg_notes_at_cap: the id span bounds the count, so the count runs only near the cap. */
int pg_interactions_at_cap(struct db *db, long long user_id, long long cap)
{
	static const char SQL[] =
	    "SELECT CASE WHEN COALESCE((SELECT max(id) FROM interactions WHERE user_id = "
	    "$1::bigint)"
	    " - (SELECT min(id) FROM interactions WHERE user_id = $1::bigint) + 1, 0) < $2::bigint"
	    " THEN false ELSE (SELECT count(*) FROM (SELECT 1 FROM interactions"
	    " WHERE user_id = $1::bigint LIMIT $2::bigint) AS c) >= $2::bigint END";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, cap);
	int rc;
	PGresult *r = pg_exec_prepared(db, "interactions_at_cap", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	int at = pg_get_bool(r, 0, 0);
	PQclear(r);
	return at;
}
