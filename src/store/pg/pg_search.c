/* PostgreSQL store functions for the contact search index and the tombstones (SPEC §6, §9.2):
 * the replacement of a contact's search_terms rows, the note texts those rows are computed
 * from, and the tombstone page, count and retention purge of the change feeds. */
#include <stdlib.h>

#include "store/pg/pg_contacts.h"
#include "store/pg/pgs.h"
#include "store/store.h"
#include "util/alloc.h"

int pg_search_terms_replace(struct db *db, long long user_id, long long contact_id,
			    const char *const *terms, int n)
{
	static const char DEL[] =
	    "DELETE FROM search_terms WHERE user_id = $1::bigint AND contact_id = $2::bigint";
	static const char INS[] = "INSERT INTO search_terms (user_id, contact_id, term)"
				  " SELECT DISTINCT $1::bigint, $2::bigint, w"
				  " FROM unnest($3::text[]) AS w ON CONFLICT DO NOTHING";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, contact_id);
	int rc = pg_run(db, "search_terms_delete", DEL, p.n, p.v);
	if (rc < 0 || n == 0)
		return rc < 0 ? rc : 0;
	char *arr = pg_text_array(terms, n);
	pg_param_str(&p, arr);
	rc = pg_run(db, "search_terms_insert", INS, p.n, p.v);
	free(arr);
	return rc;
}

int pg_search_note_texts(struct db *db, long long user_id, long long contact_id,
			 void (*fn)(void *ctx, const char *text), void *ctx)
{
	static const char SQL[] = "SELECT title, content FROM notes WHERE user_id = $1::bigint"
				  " AND contact_id = $2::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, contact_id);
	int rc;
	PGresult *r = pg_exec_prepared(db, "search_note_texts", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	for (int i = 0; i < rc; i++) {
		if (!PQgetisnull(r, i, 0))
			fn(ctx, PQgetvalue(r, i, 0));
		if (!PQgetisnull(r, i, 1))
			fn(ctx, PQgetvalue(r, i, 1));
	}
	PQclear(r);
	return rc;
}

int pg_tombstones_select_page(struct db *db, long long user_id, const char *kind, long long since,
			      bool after, long long after_t, long long after_id, int limit,
			      struct tombstone_row **rows)
{
	static const char SQL[] = "SELECT record_id, " PG_MS(
	    "deleted_at") " FROM tombstones WHERE user_id = $1::bigint"
			  " AND kind = $2 AND deleted_at >= " PG_TS(
			      "$3") " AND (NOT $4::boolean OR"
				    " (deleted_at, record_id) > (" PG_TS(
					"$5") ", $6::bigint))"
					      " ORDER BY deleted_at, record_id LIMIT $7::int";
	*rows = NULL;
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, kind);
	pg_param_i64(&p, since);
	pg_param_bool(&p, after);
	pg_param_i64(&p, after_t);
	pg_param_i64(&p, after_id);
	pg_param_i64(&p, limit);
	int rc;
	PGresult *r = pg_exec_prepared(db, "tombstones_select_page", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc == 0) { /* no rows: no array, as on SQLite */
		PQclear(r);
		*rows = NULL;
		return 0;
	}
	struct tombstone_row *out = xcalloc((size_t)(rc > 0 ? rc : 1), sizeof *out);
	for (int i = 0; i < rc; i++) {
		out[i].id = pg_get_i64(r, i, 0);
		out[i].deleted_at = pg_get_i64(r, i, 1);
	}
	PQclear(r);
	*rows = out;
	return rc;
}

int pg_tombstones_count(struct db *db, long long user_id, const char *kind, long long since,
			long long *count)
{
	static const char SQL[] = "SELECT count(*) FROM tombstones WHERE user_id = $1::bigint"
				  " AND kind = $2 AND deleted_at >= " PG_TS("$3");
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, kind);
	pg_param_i64(&p, since);
	int rc;
	PGresult *r = pg_exec_prepared(db, "tombstones_count", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	*count = rc > 0 ? pg_get_i64(r, 0, 0) : 0;
	PQclear(r);
	return 1;
}

int pg_tombstones_purge(struct db *db, long long before)
{
	static const char SQL[] = "DELETE FROM tombstones WHERE deleted_at < " PG_TS("$1");
	struct pg_params p = {0};
	pg_param_i64(&p, before);
	return pg_run(db, "tombstones_purge", SQL, p.n, p.v);
}
