/* PostgreSQL store functions for the contact listing (SPEC §9.2): the SELECT of
 * store/contact_query_sql.c rendered with typed $n parameters, with the page's tags in the same
 * statement. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store/contact_query_sql.h"
#include "store/pg/pg_contacts.h"
#include "store/pg/pgs.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

/* Appends before, $k, after. */
static void put_param(struct buf *sql, const char *before, int k, const char *after)
{
	buf_puts(sql, before);
	buf_putc(sql, '$');
	buf_put_i64(sql, k);
	buf_puts(sql, after);
}

/* Renders b (contact_query_sql.h) as PostgreSQL: each '?' becomes $n with its value's type,
 * text arrays as array literals in owned[], then runs it planned for its actual values: with a
 * generic (prepared) plan, a heavy user's search scanned all of their contacts (126 ms) where
 * the plan for the values walks an index (0.5 ms); see bench/README.md. Only a page of q whose
 * best plan does not depend on the values (cq_stable_name) stays prepared, saving its planning
 * on every request (q NULL: the count, never). */
static PGresult *run_built(struct db *db, struct cq_sql *b, const struct contact_query *q, int *rc)
{
	struct buf sql = {0};
	struct pg_params p = {0};
	char *owned[CQ_MAX_VALUES];
	int nowned = 0, k = 0;
	for (const char *f = b->sql.data; *f;) {
		size_t run = strcspn(f, "?");
		buf_append(&sql, f, run);
		f += run;
		if (!*f)
			break;
		f++;
		const struct cq_value *v = &b->v[k++];
		switch (v->kind) {
		case CQ_INT:
			put_param(&sql, "", k, "::bigint");
			pg_param_i64(&p, v->i);
			break;
		case CQ_TIME:
			buf_printf(&sql, PG_TS("$%d"), k);
			pg_param_i64(&p, v->i);
			break;
		case CQ_TEXT:
			put_param(&sql, "", k, "::text");
			pg_param_str(&p, v->s);
			break;
		case CQ_TEXTS:
			put_param(&sql, "= ANY(", k, "::text[])");
			owned[nowned] = pg_text_array(v->arr, v->narr);
			pg_param_str(&p, owned[nowned++]);
			break;
		}
	}
	cq_free(b);
	char name[CQ_NAME_MAX];
	PGresult *r = q && cq_stable_name(b, q, name)
			  ? pg_exec_prepared(db, name, sql.data, p.n, p.v, rc)
			  : pg_exec_params(db, sql.data, p.n, p.v, rc);
	buf_free(&sql);
	for (int i = 0; i < nowned; i++)
		free(owned[i]);
	return r;
}

/* The page's columns: the contact's (PG_CONTACT_COLS) and its tags as one JSON array of
 * [id, name, name_key, link id], by name_key, id (NULL: none). PostgreSQL evaluates the subquery
 * only for the rows the limit keeps (an expensive output column is computed after the sort). */
#define PAGE_TAGS_COL PG_CONTACT_NCOLS
#define PAGE_COLS                                                                                  \
	PG_CONTACT_COLS ", (SELECT json_agg(json_build_array(t.id, t.name, t.name_key, l.id)"      \
			" ORDER BY t.name_key, t.id)::text FROM contact_tags l JOIN tags t"        \
			" ON t.user_id = l.user_id AND t.id = l.tag_id"                            \
			" WHERE l.user_id = c.user_id AND l.contact_id = c.id)"

/* Appends the tags of contact_id from their JSON array text (PAGE_COLS) to *out. */
static int read_page_tags(const char *text, long long contact_id, struct tag_ref **out, int *n,
			  int *cap)
{
	json_t *arr = json_loads(text, 0, NULL);
	if (!json_is_array(arr)) {
		json_decref(arr);
		return ST_ERROR;
	}
	size_t k;
	json_t *v;
	json_array_foreach(arr, k, v)
	{
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 32;
			*out = xrealloc(*out, (size_t)*cap * sizeof **out);
		}
		struct tag_ref *t = &(*out)[(*n)++];
		t->contact_id = contact_id;
		t->id = json_integer_value(json_array_get(v, 0));
		const char *name = json_string_value(json_array_get(v, 1));
		const char *key = json_string_value(json_array_get(v, 2));
		t->name = xstrdup(name ? name : "");
		t->name_key = xstrdup(key ? key : "");
		t->link_id = json_integer_value(json_array_get(v, 3));
	}
	json_decref(arr);
	return 0;
}

/* Runs b, a statement of one number, into *v (0 without a row); 1, or a negative ST_*. */
static int run_number(struct db *db, struct cq_sql *b, const struct contact_query *q, long long *v)
{
	int rc;
	PGresult *r = run_built(db, b, q, &rc);
	if (!r)
		return rc;
	*v = rc > 0 ? pg_get_i64(r, 0, 0) : 0;
	PQclear(r);
	return 1;
}

/* The first statement of a search's page (contact_query_sql.h): its matches when one term has
 * fewer search words than a walk has rows, else the walk. */
static int search_phase(struct db *db, long long user_id, const struct contact_query *q,
			enum cq_phase *phase)
{
	struct cq_sql b = {.phase = CQ_GATE};
	cq_build_page(&b, NULL, user_id, q);
	long long words = 0;
	int rc = run_number(db, &b, q, &words);
	*phase = words < CQ_WALK_ROWS ? CQ_MATCHES : CQ_WALK;
	return rc;
}

int pg_contacts_select_page(struct db *db, long long user_id, const struct contact_query *q,
			    struct contact_row **rows, struct tag_ref **tags, int *ntags)
{
	*rows = NULL;
	*tags = NULL;
	*ntags = 0;
	int rc;
	enum cq_phase phase = CQ_ONE;
	if (cq_walks(q) && (rc = search_phase(db, user_id, q, &phase)) < 0)
		return rc;
	/* A walk short of the page: the page from the matches instead (contact_query_sql.h). That
	 * statement alone makes the page, so the statements need no common snapshot. */
	PGresult *r;
	for (;;) {
		struct cq_sql b = {.limit_links = true, .phase = phase};
		cq_build_page(&b, PAGE_COLS, user_id, q);
		r = run_built(db, &b, q, &rc);
		if (!r)
			return rc;
		if (phase != CQ_WALK || rc >= q->limit)
			break;
		PQclear(r);
		phase = CQ_MATCHES;
	}
	int n = rc < q->limit ? rc : q->limit;
	if (n == 0) { /* no rows: no array, as on SQLite */
		PQclear(r);
		return 0;
	}
	struct contact_row *out = xcalloc((size_t)n, sizeof *out);
	struct tag_ref *tout = NULL;
	int nt = 0, cap = 0;
	for (int i = 0; i < n; i++) {
		pg_read_contact(r, i, &out[i]);
		if (!PQgetisnull(r, i, PAGE_TAGS_COL) &&
		    read_page_tags(PQgetvalue(r, i, PAGE_TAGS_COL), out[i].id, &tout, &nt, &cap) <
			0) {
			PQclear(r);
			contact_rows_free(out, n);
			tag_refs_free(tout, nt);
			return ST_ERROR;
		}
	}
	PQclear(r);
	*rows = out;
	*tags = tout;
	*ntags = nt;
	return n;
}

int pg_contacts_count_matching(struct db *db, long long user_id, const struct contact_query *q,
			       long long *count)
{
	struct cq_sql b = {0};
	cq_build_count(&b, user_id, q);
	return run_number(db, &b, NULL, count);
}
