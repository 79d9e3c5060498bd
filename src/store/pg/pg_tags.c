/* PostgreSQL store functions for tags and contact_tags (SPEC §6, §9.3, §9.4): lookups by folded
 * name, insert (get-or-create runs under the user lock; ON CONFLICT keeps the transaction
 * usable), counts, the /tags page with usage counts, rename and delete (both touching the
 * linked contacts), and the links of many contacts at once (one statement over unnest). */
#include <stdlib.h>

#include "store/pg/pg_contacts.h"
#include "store/pg/pgs.h"
#include "store/store.h"
#include "util/alloc.h"

/* The tag columns read_tags expects; contact_count is kept by triggers on contact_tags
 * (db/postgres/0005_tag_contact_counts.sql). */
#define TAG_COLS                                                                                   \
	"t.id, t.name, t.name_key, " PG_MS("t.created_at") ", " PG_MS(                             \
	    "t.updated_at") ", "                                                                   \
			    "t.contact_count"

/* Runs a tag query and converts its rows into a new array. */
static int run_tags(struct db *db, const char *name, const char *sql, struct pg_params *p,
		    struct tag_row **rows)
{
	*rows = NULL;
	int rc;
	PGresult *r = pg_exec_prepared(db, name, sql, p->n, p->v, &rc);
	if (!r)
		return rc;
	if (rc == 0) { /* no rows: no array, as on SQLite */
		PQclear(r);
		*rows = NULL;
		return 0;
	}
	struct tag_row *out = xcalloc((size_t)(rc > 0 ? rc : 1), sizeof *out);
	for (int i = 0; i < rc; i++) {
		out[i].id = pg_get_i64(r, i, 0);
		out[i].name = pg_get_strdup(r, i, 1);
		out[i].name_key = pg_get_strdup(r, i, 2);
		out[i].created_at = pg_get_i64(r, i, 3);
		out[i].updated_at = pg_get_i64(r, i, 4);
		out[i].contact_count = pg_get_i64(r, i, 5);
	}
	PQclear(r);
	*rows = out;
	return rc;
}

static int count_one(struct db *db, const char *name, const char *sql, struct pg_params *p,
		     long long *count)
{
	int rc;
	PGresult *r = pg_exec_prepared(db, name, sql, p->n, p->v, &rc);
	if (!r)
		return rc;
	*count = rc > 0 ? pg_get_i64(r, 0, 0) : 0;
	PQclear(r);
	return 1;
}

int pg_tags_select_by_keys(struct db *db, long long user_id, const char *const *keys, int n,
			   struct tag_row **rows)
{
	static const char SQL[] = "SELECT " TAG_COLS " FROM tags t WHERE t.user_id = $1::bigint"
				  " AND t.name_key = ANY($2::text[])";
	*rows = NULL;
	if (n == 0)
		return 0;
	char *arr = pg_text_array(keys, n);
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, arr);
	int rc = run_tags(db, "tags_select_by_keys", SQL, &p, rows);
	free(arr);
	return rc;
}

int pg_tags_insert(struct db *db, long long user_id, const char *name, const char *name_key,
		   long long t, long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO tags (user_id, name, name_key, created_at, updated_at)"
	    " VALUES ($1::bigint, $2, $3, " PG_TS("$4") ", " PG_TS(
		"$4") ")"
		      " ON CONFLICT DO NOTHING RETURNING id";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, name);
	pg_param_str(&p, name_key);
	pg_param_i64(&p, t);
	int rc;
	PGresult *r = pg_exec_prepared(db, "tags_insert", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		*id_out = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

int pg_tags_count(struct db *db, long long user_id, long long *count)
{
	static const char SQL[] = "SELECT count(*) FROM tags WHERE user_id = $1::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	return count_one(db, "tags_count", SQL, &p, count);
}

int pg_tags_select(struct db *db, long long user_id, long long id, struct tag_row *out)
{
	static const char SQL[] = "SELECT " TAG_COLS " FROM tags t WHERE t.user_id = $1::bigint"
				  " AND t.id = $2::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, id);
	struct tag_row *rows = NULL;
	int rc = run_tags(db, "tags_select", SQL, &p, &rows);
	if (rc > 0) {
		*out = rows[0];
		rows[0] = (struct tag_row){0};
	}
	tag_rows_free(rows, rc > 0 ? rc : 0);
	return rc < 0 ? rc : rc > 0;
}

/* $2/$3: the q prefix range (NULL: none); $4: name_key equality (NULL: none). */
#define TAG_FILTERS                                                                                \
	" WHERE t.user_id = $1::bigint AND ($2::text IS NULL OR (t.name_key >= $2::text"           \
	" AND t.name_key < $3::text)) AND ($4::text IS NULL OR t.name_key = $4::text)"

static void param_tag_query(struct pg_params *p, long long user_id, const struct tag_query *q)
{
	pg_param_i64(p, user_id);
	pg_param_str(p, q->prefix_lo);
	pg_param_str(p, q->prefix_hi);
	pg_param_str(p, q->name_key);
}

int pg_tags_select_page(struct db *db, long long user_id, const struct tag_query *q,
			struct tag_row **rows)
{
	static const char SQL[] = "SELECT " TAG_COLS " FROM tags t" TAG_FILTERS
				  " AND (NOT $5::boolean OR (t.name_key, t.id) > ($6::text,"
				  " $7::bigint)) ORDER BY t.name_key, t.id LIMIT $8::int";
	struct pg_params p = {0};
	param_tag_query(&p, user_id, q);
	pg_param_bool(&p, q->has_after);
	pg_param_str(&p, q->has_after ? q->after_key : "");
	pg_param_i64(&p, q->after_id);
	pg_param_i64(&p, q->limit);
	return run_tags(db, "tags_select_page", SQL, &p, rows);
}

int pg_tags_count_matching(struct db *db, long long user_id, const struct tag_query *q,
			   long long *count)
{
	static const char SQL[] = "SELECT count(*) FROM tags t" TAG_FILTERS;
	struct pg_params p = {0};
	param_tag_query(&p, user_id, q);
	return count_one(db, "tags_count_matching", SQL, &p, count);
}

/* updated_at = t on every contact linked to tag id. */
static int touch_linked(struct db *db, long long user_id, long long id, long long t)
{
	static const char SQL[] = "UPDATE contacts SET updated_at = " PG_TS(
	    "$3") " WHERE user_id = $1::bigint"
		  " AND id IN (SELECT contact_id FROM contact_tags WHERE user_id = $1::bigint"
		  " AND tag_id = $2::bigint)";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, id);
	pg_param_i64(&p, t);
	return pg_run(db, "tags_touch_linked", SQL, p.n, p.v);
}

int pg_tags_update(struct db *db, long long user_id, long long id, const char *name,
		   const char *name_key, long long t)
{
	static const char SQL[] = "UPDATE tags SET name = $3, name_key = $4, updated_at = " PG_TS(
	    "$5") " WHERE user_id = $1::bigint AND id = $2::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, id);
	pg_param_str(&p, name);
	pg_param_str(&p, name_key);
	pg_param_i64(&p, t);
	int rc = pg_run(db, "tags_update", SQL, p.n, p.v);
	if (rc > 0) {
		int r2 = touch_linked(db, user_id, id, t);
		if (r2 < 0)
			return r2;
	}
	return rc;
}

int pg_tags_delete(struct db *db, long long user_id, long long id, long long t)
{
	static const char SQL[] = "DELETE FROM tags WHERE user_id = $1::bigint AND id = $2::bigint";
	int rc = touch_linked(db, user_id, id, t);
	if (rc < 0)
		return rc;
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, id);
	return pg_run(db, "tags_delete", SQL, p.n, p.v);
}

int pg_contact_tags_select(struct db *db, long long user_id, const long long *contact_ids, int n,
			   struct tag_ref **rows)
{
	static const char SQL[] =
	    "SELECT ct.contact_id, t.id, t.name, t.name_key, ct.id FROM contact_tags ct"
	    " JOIN tags t ON t.user_id = ct.user_id AND t.id = ct.tag_id"
	    " WHERE ct.user_id = $1::bigint AND ct.contact_id = ANY($2::bigint[])"
	    " ORDER BY ct.contact_id, t.name_key, t.id";
	*rows = NULL;
	if (n == 0)
		return 0;
	char *arr = pg_id_array(contact_ids, n);
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, arr);
	int rc;
	PGresult *r = pg_exec_prepared(db, "contact_tags_select", SQL, p.n, p.v, &rc);
	free(arr);
	if (!r)
		return rc;
	if (rc == 0) { /* no rows: no array, as on SQLite */
		PQclear(r);
		*rows = NULL;
		return 0;
	}
	struct tag_ref *out = xcalloc((size_t)(rc > 0 ? rc : 1), sizeof *out);
	for (int i = 0; i < rc; i++) {
		out[i].contact_id = pg_get_i64(r, i, 0);
		out[i].id = pg_get_i64(r, i, 1);
		out[i].name = pg_get_strdup(r, i, 2);
		out[i].name_key = pg_get_strdup(r, i, 3);
		out[i].link_id = pg_get_i64(r, i, 4);
	}
	PQclear(r);
	*rows = out;
	return rc;
}

int pg_contact_tags_insert(struct db *db, long long user_id, const long long *contact_ids, int nc,
			   const long long *tag_ids, int nt, long long t)
{
	static const char SQL[] =
	    "INSERT INTO contact_tags (user_id, contact_id, tag_id, created_at)"
	    " SELECT $1::bigint, c, g, " PG_TS(
		"$4") " FROM unnest($2::bigint[]) AS c"
		      " CROSS JOIN unnest($3::bigint[]) AS g ON CONFLICT DO NOTHING";
	if (nc == 0 || nt == 0)
		return 0;
	char *ca = pg_id_array(contact_ids, nc), *ta = pg_id_array(tag_ids, nt);
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, ca);
	pg_param_str(&p, ta);
	pg_param_i64(&p, t);
	int rc = pg_run(db, "contact_tags_insert", SQL, p.n, p.v);
	free(ca);
	free(ta);
	return rc;
}

int pg_contact_tags_delete(struct db *db, long long user_id, const long long *contact_ids, int nc,
			   const long long *tag_ids, int nt)
{
	static const char SOME[] =
	    "DELETE FROM contact_tags WHERE user_id = $1::bigint"
	    " AND contact_id = ANY($2::bigint[]) AND tag_id = ANY($3::bigint[])";
	static const char ALL[] = "DELETE FROM contact_tags WHERE user_id = $1::bigint"
				  " AND contact_id = ANY($2::bigint[])";
	if (nc == 0 || nt == 0)
		return 0;
	char *ca = pg_id_array(contact_ids, nc);
	char *ta = nt > 0 ? pg_id_array(tag_ids, nt) : NULL;
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, ca);
	if (ta)
		pg_param_str(&p, ta);
	int rc = ta ? pg_run(db, "contact_tags_delete", SOME, p.n, p.v)
		    : pg_run(db, "contact_tags_delete_all", ALL, p.n, p.v);
	free(ca);
	free(ta);
	return rc;
}
