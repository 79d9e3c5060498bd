/* PostgreSQL store functions for the exports (SPEC §8, §9.6): keyset chunks in ascending id of
 * a user's contacts, tags, notes, interactions and security events, and the tags and
 * relationships of a range of contact ids. Every statement is scoped by user_id and served by a
 * key that starts with it: the (user_id, id) primary keys of the data tables, the unique keys
 * (user_id, contact_id, ...) of links and relationships. Each chunk is its own statement,
 * outside any transaction (autocommit), so no snapshot or lock outlives it. */
#include <stdlib.h>

#include "store/pg/pg_contacts.h"
#include "store/pg/pg_exports.h"
#include "store/pg/pgs.h"
#include "store/store.h"
#include "util/alloc.h"

/* The columns each reader below expects, in order (timestamps as bigint Unix ms). */
#define REL_COLS                                                                                   \
	"r.id, r.contact_id, r.related_contact_id, r.inverse_id, " PG_MS(                          \
	    "r.created_at") ", r.type, r.label, c.first_name, c.last_name"
#define TAG_COLS                                                                                   \
	"t.id, t.name, t.name_key, " PG_MS("t.created_at") ", " PG_MS(                             \
	    "t.updated_at") ", (SELECT count(*) FROM contact_tags ct WHERE ct.user_id = "          \
			    "t.user_id AND ct.tag_id = t.id)"
#define NOTE_COLS "id, contact_id, title, content, " PG_MS("created_at") ", " PG_MS("updated_at")
#define INTERACTION_COLS                                                                           \
	"id, contact_id, type, " PG_MS("occurred_at") ", notes, duration_minutes, " PG_MS(         \
	    "created_at") ", " PG_MS("updated_at")
#define EVENT_COLS "id, event, " PG_MS("created_at") ", ip"

/* Runs the statement with $1 user, $2 after_id / lo, $3 limit / hi (and $4 when four is set:
 * the relationship limit). Returns the result with *n the row count, or NULL with *n < 0. */
static PGresult *run3(struct db *db, const char *name, const char *sql, long long user_id,
		      long long a, long long b, const long long *four, int *n)
{
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, a);
	pg_param_i64(&p, b);
	if (four)
		pg_param_i64(&p, *four);
	return pg_exec_prepared(db, name, sql, p.n, p.v, n);
}

int pg_export_contacts(struct db *db, long long user_id, long long after_id, int limit,
		       struct contact_row **rows)
{
	static const char SQL[] = "SELECT " PG_CONTACT_COLS " FROM contacts c"
				  " WHERE c.user_id = $1::bigint AND c.id > $2::bigint"
				  " ORDER BY c.id LIMIT $3::int";
	*rows = NULL;
	int n;
	PGresult *r = run3(db, "export_contacts", SQL, user_id, after_id, limit, NULL, &n);
	if (!r)
		return n;
	if (n == 0) { /* no rows: no array, as on SQLite */
		PQclear(r);
		*rows = NULL;
		return 0;
	}
	struct contact_row *out = xcalloc((size_t)(n > 0 ? n : 1), sizeof *out);
	for (int i = 0; i < n; i++)
		pg_read_contact(r, i, &out[i]);
	PQclear(r);
	*rows = out;
	return n;
}

int pg_export_contact_tags(struct db *db, long long user_id, long long lo_id, long long hi_id,
			   struct tag_ref **rows)
{
	static const char SQL[] =
	    "SELECT ct.contact_id, t.id, t.name, t.name_key FROM contact_tags ct"
	    " JOIN tags t ON t.user_id = ct.user_id AND t.id = ct.tag_id"
	    " WHERE ct.user_id = $1::bigint AND ct.contact_id BETWEEN $2::bigint AND $3::bigint"
	    " ORDER BY ct.contact_id, t.name_key, t.id";
	*rows = NULL;
	int n;
	PGresult *r = run3(db, "export_contact_tags", SQL, user_id, lo_id, hi_id, NULL, &n);
	if (!r)
		return n;
	if (n == 0) { /* no rows: no array, as on SQLite */
		PQclear(r);
		*rows = NULL;
		return 0;
	}
	struct tag_ref *out = xcalloc((size_t)(n > 0 ? n : 1), sizeof *out);
	for (int i = 0; i < n; i++) {
		out[i].contact_id = pg_get_i64(r, i, 0);
		out[i].id = pg_get_i64(r, i, 1);
		out[i].name = pg_get_strdup(r, i, 2);
		out[i].name_key = pg_get_strdup(r, i, 3);
	}
	PQclear(r);
	*rows = out;
	return n;
}

int pg_export_relationships(struct db *db, long long user_id, long long lo_id, long long hi_id,
			    int limit, struct relationship_row **rows)
{
	static const char SQL[] = "SELECT " REL_COLS " FROM contact_relationships r JOIN contacts c"
				  " ON c.user_id = r.user_id AND c.id = r.related_contact_id"
				  " WHERE r.user_id = $1::bigint"
				  " AND r.contact_id BETWEEN $2::bigint AND $3::bigint"
				  " ORDER BY r.contact_id, r.id LIMIT $4::int";
	*rows = NULL;
	long long lim = limit;
	int n;
	PGresult *r = run3(db, "export_relationships", SQL, user_id, lo_id, hi_id, &lim, &n);
	if (!r)
		return n;
	if (n == 0) { /* no rows: no array, as on SQLite */
		PQclear(r);
		*rows = NULL;
		return 0;
	}
	struct relationship_row *out = xcalloc((size_t)(n > 0 ? n : 1), sizeof *out);
	for (int i = 0; i < n; i++) {
		out[i].id = pg_get_i64(r, i, 0);
		out[i].contact_id = pg_get_i64(r, i, 1);
		out[i].related_contact_id = pg_get_i64(r, i, 2);
		out[i].inverse_id = pg_get_i64(r, i, 3);
		out[i].created_at = pg_get_i64(r, i, 4);
		out[i].type = pg_get_strdup(r, i, 5);
		out[i].label = pg_get_strdup(r, i, 6);
		out[i].related_first_name = pg_get_strdup(r, i, 7);
		out[i].related_last_name = pg_get_strdup(r, i, 8);
	}
	PQclear(r);
	*rows = out;
	return n;
}

int pg_export_tags(struct db *db, long long user_id, long long after_id, int limit,
		   struct tag_row **rows)
{
	static const char SQL[] = "SELECT " TAG_COLS " FROM tags t"
				  " WHERE t.user_id = $1::bigint AND t.id > $2::bigint"
				  " ORDER BY t.id LIMIT $3::int";
	*rows = NULL;
	int n;
	PGresult *r = run3(db, "export_tags", SQL, user_id, after_id, limit, NULL, &n);
	if (!r)
		return n;
	if (n == 0) { /* no rows: no array, as on SQLite */
		PQclear(r);
		*rows = NULL;
		return 0;
	}
	struct tag_row *out = xcalloc((size_t)(n > 0 ? n : 1), sizeof *out);
	for (int i = 0; i < n; i++) {
		out[i].id = pg_get_i64(r, i, 0);
		out[i].name = pg_get_strdup(r, i, 1);
		out[i].name_key = pg_get_strdup(r, i, 2);
		out[i].created_at = pg_get_i64(r, i, 3);
		out[i].updated_at = pg_get_i64(r, i, 4);
		out[i].contact_count = pg_get_i64(r, i, 5);
	}
	PQclear(r);
	*rows = out;
	return n;
}

int pg_export_notes(struct db *db, long long user_id, long long after_id, int limit,
		    struct note_row **rows)
{
	static const char SQL[] = "SELECT " NOTE_COLS " FROM notes"
				  " WHERE user_id = $1::bigint AND id > $2::bigint"
				  " ORDER BY id LIMIT $3::int";
	*rows = NULL;
	int n;
	PGresult *r = run3(db, "export_notes", SQL, user_id, after_id, limit, NULL, &n);
	if (!r)
		return n;
	if (n == 0) { /* no rows: no array, as on SQLite */
		PQclear(r);
		*rows = NULL;
		return 0;
	}
	struct note_row *out = xcalloc((size_t)(n > 0 ? n : 1), sizeof *out);
	for (int i = 0; i < n; i++) {
		out[i].id = pg_get_i64(r, i, 0);
		out[i].contact_id = pg_get_i64(r, i, 1);
		out[i].title = pg_get_strdup(r, i, 2);
		out[i].content = pg_get_strdup(r, i, 3);
		out[i].created_at = pg_get_i64(r, i, 4);
		out[i].updated_at = pg_get_i64(r, i, 5);
	}
	PQclear(r);
	*rows = out;
	return n;
}

int pg_export_interactions(struct db *db, long long user_id, long long after_id, int limit,
			   struct interaction_row **rows)
{
	static const char SQL[] = "SELECT " INTERACTION_COLS " FROM interactions"
				  " WHERE user_id = $1::bigint AND id > $2::bigint"
				  " ORDER BY id LIMIT $3::int";
	*rows = NULL;
	int n;
	PGresult *r = run3(db, "export_interactions", SQL, user_id, after_id, limit, NULL, &n);
	if (!r)
		return n;
	if (n == 0) { /* no rows: no array, as on SQLite */
		PQclear(r);
		*rows = NULL;
		return 0;
	}
	struct interaction_row *out = xcalloc((size_t)(n > 0 ? n : 1), sizeof *out);
	for (int i = 0; i < n; i++) {
		out[i].id = pg_get_i64(r, i, 0);
		out[i].contact_id = pg_get_i64(r, i, 1);
		out[i].type = pg_get_strdup(r, i, 2);
		out[i].occurred_at = pg_get_i64(r, i, 3);
		out[i].notes = pg_get_strdup(r, i, 4);
		out[i].has_duration = !PQgetisnull(r, i, 5);
		out[i].duration_minutes = (int)pg_get_i64(r, i, 5);
		out[i].created_at = pg_get_i64(r, i, 6);
		out[i].updated_at = pg_get_i64(r, i, 7);
	}
	PQclear(r);
	*rows = out;
	return n;
}

int pg_export_security_events(struct db *db, long long user_id, long long after_id, int limit,
			      struct security_event_row **rows)
{
	/* details, user_agent and request_id are never read: the export shows none of them. */
	static const char SQL[] = "SELECT " EVENT_COLS " FROM audit_log"
				  " WHERE user_id = $1::bigint AND id > $2::bigint"
				  " ORDER BY id LIMIT $3::int";
	*rows = NULL;
	int n;
	PGresult *r = run3(db, "export_security_events", SQL, user_id, after_id, limit, NULL, &n);
	if (!r)
		return n;
	if (n == 0) { /* no rows: no array, as on SQLite */
		PQclear(r);
		*rows = NULL;
		return 0;
	}
	struct security_event_row *out = xcalloc((size_t)(n > 0 ? n : 1), sizeof *out);
	for (int i = 0; i < n; i++) {
		out[i].id = pg_get_i64(r, i, 0);
		out[i].event = pg_get_strdup(r, i, 1);
		out[i].created_at = pg_get_i64(r, i, 2);
		out[i].ip = pg_get_strdup(r, i, 3);
	}
	PQclear(r);
	*rows = out;
	return n;
}
