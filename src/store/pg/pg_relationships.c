/* PostgreSQL store functions for contact_relationships (SPEC §6, §9.5): a contact's list with
 * the related contact's names, one row, the count of the cap, the duplicate check, the pair
 * insert (each row naming the other in inverse_id, whose foreign key is deferred to COMMIT;
 * ON CONFLICT keeps the transaction usable) and the pair delete (the inverse goes by the
 * inverse_id cascade). */
#include <stdlib.h>

#include "store/pg/pg_contacts.h"
#include "store/pg/pgs.h"
#include "store/store.h"
#include "util/alloc.h"

#define REL_COLS                                                                                   \
	"r.id, r.contact_id, r.related_contact_id, r.inverse_id, " PG_MS(                          \
	    "r.created_at") ", r.type, r.label, c.first_name, c.last_name"
#define REL_FROM                                                                                   \
	" FROM contact_relationships r JOIN contacts c ON c.user_id = r.user_id"                   \
	" AND c.id = r.related_contact_id"

static void read_rel(const PGresult *r, int i, struct relationship_row *o)
{
	o->id = pg_get_i64(r, i, 0);
	o->contact_id = pg_get_i64(r, i, 1);
	o->related_contact_id = pg_get_i64(r, i, 2);
	o->inverse_id = pg_get_i64(r, i, 3);
	o->created_at = pg_get_i64(r, i, 4);
	o->type = pg_get_strdup(r, i, 5);
	o->label = pg_get_strdup(r, i, 6);
	o->related_first_name = pg_get_strdup(r, i, 7);
	o->related_last_name = pg_get_strdup(r, i, 8);
}

int pg_relationships_select(struct db *db, long long user_id, long long contact_id,
			    struct relationship_row **rows)
{
	static const char SQL[] = "SELECT " REL_COLS REL_FROM
				  " WHERE r.user_id = $1::bigint AND r.contact_id = $2::bigint"
				  " ORDER BY r.type, c.first_name_key, c.last_name_key, r.id";
	*rows = NULL;
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, contact_id);
	int rc;
	PGresult *r = pg_exec_prepared(db, "relationships_select", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc == 0) { /* no rows: no array, as on SQLite */
		PQclear(r);
		*rows = NULL;
		return 0;
	}
	struct relationship_row *out = xcalloc((size_t)(rc > 0 ? rc : 1), sizeof *out);
	for (int i = 0; i < rc; i++)
		read_rel(r, i, &out[i]);
	PQclear(r);
	*rows = out;
	return rc;
}

int pg_relationships_select_one(struct db *db, long long user_id, long long id,
				struct relationship_row *out)
{
	static const char SQL[] =
	    "SELECT " REL_COLS REL_FROM " WHERE r.user_id = $1::bigint AND r.id = $2::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, id);
	int rc;
	PGresult *r = pg_exec_prepared(db, "relationships_select_one", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		read_rel(r, 0, out);
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

int pg_relationships_count(struct db *db, long long user_id, long long contact_id, long long *count)
{
	static const char SQL[] = "SELECT count(*) FROM contact_relationships"
				  " WHERE user_id = $1::bigint AND contact_id = $2::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, contact_id);
	int rc;
	PGresult *r = pg_exec_prepared(db, "relationships_count", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	*count = rc > 0 ? pg_get_i64(r, 0, 0) : 0;
	PQclear(r);
	return 1;
}

int pg_relationships_exists(struct db *db, long long user_id, long long contact_id,
			    long long related_id, const char *type)
{
	static const char SQL[] =
	    "SELECT 1 FROM contact_relationships WHERE user_id = $1::bigint"
	    " AND contact_id = $2::bigint AND related_contact_id = $3::bigint AND type = $4";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, contact_id);
	pg_param_i64(&p, related_id);
	pg_param_str(&p, type);
	int rc = pg_run(db, "relationships_exists", SQL, p.n, p.v);
	return rc < 0 ? rc : rc > 0;
}

/* Inserts one row of a pair (inverse_id 0 = NULL for now); ST_CONFLICT when it exists. */
static int insert_one(struct db *db, long long user_id, long long contact_id, long long related_id,
		      const char *type, const char *label, long long inverse_id, long long t,
		      long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO contact_relationships (user_id, contact_id, related_contact_id, type,"
	    " label, inverse_id, created_at) VALUES ($1::bigint, $2::bigint, $3::bigint, $4, $5,"
	    " $6::bigint, " PG_TS("$7") ") ON CONFLICT DO NOTHING RETURNING id";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, contact_id);
	pg_param_i64(&p, related_id);
	pg_param_str(&p, type);
	pg_param_str(&p, label);
	if (inverse_id)
		pg_param_i64(&p, inverse_id);
	else
		pg_param_null(&p);
	pg_param_i64(&p, t);
	int rc;
	PGresult *r = pg_exec_prepared(db, "relationships_insert", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		*id_out = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc > 0 ? 1 : ST_CONFLICT;
}

int pg_relationships_insert_pair(struct db *db, long long user_id, long long contact_id,
				 long long related_id, const char *type, const char *inverse_type,
				 const char *label, long long t, long long *id_out)
{
	static const char LINK[] = "UPDATE contact_relationships SET inverse_id = $3::bigint"
				   " WHERE user_id = $1::bigint AND id = $2::bigint";
	long long first = 0, second = 0;
	int rc = insert_one(db, user_id, contact_id, related_id, type, label, 0, t, &first);
	if (rc < 0)
		return rc;
	rc =
	    insert_one(db, user_id, related_id, contact_id, inverse_type, label, first, t, &second);
	if (rc < 0)
		return rc;
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, first);
	pg_param_i64(&p, second);
	rc = pg_run(db, "relationships_link", LINK, p.n, p.v);
	if (rc > 0)
		*id_out = first;
	return rc < 0 ? rc : 1;
}

int pg_relationships_delete(struct db *db, long long user_id, long long contact_id, long long id)
{
	static const char SQL[] = "DELETE FROM contact_relationships WHERE user_id = $1::bigint"
				  " AND contact_id = $2::bigint AND id = $3::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, contact_id);
	pg_param_i64(&p, id);
	return pg_run(db, "relationships_delete", SQL, p.n, p.v);
}
