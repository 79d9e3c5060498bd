/* PostgreSQL store functions for the contact listing (SPEC §9.2): the SELECT of
 * store/contact_query_sql.c rendered with typed $n parameters, with the page's tags in the same
 * statement. */
#include <stdbool.h>
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

/* A listing's statement rendered for PostgreSQL, with what its text and parameters use. */
struct built {
	struct pg_stmt st; /* name NULL: unnamed, planned for its values */
	struct buf sql;
	char *owned[CQ_MAX_VALUES];
	int nowned;
	char name[CQ_NAME_MAX];
};

/* Renders b (contact_query_sql.h, then freed) into x->st: each '?' becomes $n with its
 * value's type, text arrays as array literals in owned[]. The statement is planned for its
 * actual values: with a generic (prepared) plan, a heavy user's search scanned all of their
 * contacts (126 ms) where the plan for the values walks an index (0.5 ms); see
 * bench/README.md. Only a page of q whose best plan does not depend on the values
 * (cq_stable_name) stays prepared, saving its planning on every request (q NULL: the count,
 * never). */
static void render(struct cq_sql *b, const struct contact_query *q, struct built *x)
{
	memset(x, 0, sizeof *x);
	struct pg_params *p = &x->st.p;
	int k = 0;
	for (const char *f = b->sql.data; *f;) {
		size_t run = strcspn(f, "?");
		buf_append(&x->sql, f, run);
		f += run;
		if (!*f)
			break;
		f++;
		const struct cq_value *v = &b->v[k++];
		switch (v->kind) {
		case CQ_INT:
			put_param(&x->sql, "", k, "::bigint");
			pg_param_i64(p, v->i);
			break;
		case CQ_TIME:
			buf_printf(&x->sql, PG_TS("$%d"), k);
			pg_param_i64(p, v->i);
			break;
		case CQ_TEXT:
			put_param(&x->sql, "", k, "::text");
			pg_param_str(p, v->s);
			break;
		case CQ_TEXTS:
			put_param(&x->sql, "= ANY(", k, "::text[])");
			x->owned[x->nowned] = pg_text_array(v->arr, v->narr);
			pg_param_str(p, x->owned[x->nowned++]);
			break;
		}
	}
	x->st.sql = x->sql.data;
	x->st.name = q && cq_stable_name(b, q, x->name) ? x->name : NULL;
	cq_free(b);
}

static void built_free(struct built *x)
{
	buf_free(&x->sql);
	for (int i = 0; i < x->nowned; i++)
		free(x->owned[i]);
}

/* Runs b (render); with before (else NULL), in the same round trip as *before, whose result
 * is left in it. */
static PGresult *run_built(struct db *db, struct pg_stmt *before, struct cq_sql *b,
			   const struct contact_query *q, int *rc)
{
	struct built x;
	render(b, q, &x);
	struct pg_stmt *s = &x.st;
	PGresult *r;
	if (before) {
		struct pg_stmt *both[] = {before, s};
		pg_exec_pipeline(db, both, 2);
		*rc = s->rc;
		r = s->r;
	} else {
		r = s->name ? pg_exec_prepared(db, s->name, s->sql, s->p.n, s->p.v, rc)
			    : pg_exec_params(db, s->sql, s->p.n, s->p.v, rc);
	}
	built_free(&x);
	return r;
}

/* The page's rows (contact_query_sql.h, join_tags): the contact's columns (PG_CONTACT_COLS),
 * the sort keys it carries, then its tag's id, name and name_key (the last three columns), one
 * row per tag, a contact's tags in no particular order. */
#define TAG_ID(nf) ((nf)-3)
#define TAG_NAME(nf) ((nf)-2)
#define TAG_KEY(nf) ((nf)-1)

/* Whether the tag of row i sorts before that of row j: by name_key bytewise, then id, the
 * order of a contact's tags (SPEC §9.1). */
static bool tag_before(const PGresult *r, int nf, int i, int j)
{
	int c = strcmp(PQgetvalue(r, i, TAG_KEY(nf)), PQgetvalue(r, j, TAG_KEY(nf)));
	return c < 0 || (c == 0 && pg_get_i64(r, i, TAG_ID(nf)) < pg_get_i64(r, j, TAG_ID(nf)));
}

/* Whether row i of r starts a contact (the rows of one contact are adjacent). */
static bool starts_contact(const PGresult *r, int i)
{
	return i == 0 || strcmp(PQgetvalue(r, i, 0), PQgetvalue(r, i - 1, 0)) != 0;
}

/* The number of contacts in r's nrows rows. */
static int page_contacts(const PGresult *r, int nrows)
{
	int n = 0;
	for (int i = 0; i < nrows; i++)
		n += starts_contact(r, i);
	return n;
}

int pg_contacts_select_page_after(struct db *db, struct pg_stmt *before, long long user_id,
				  const struct contact_query *q, struct contact_row **rows,
				  struct tag_ref **tags, int *ntags)
{
	*rows = NULL;
	*tags = NULL;
	*ntags = 0;
	int rc;
	enum cq_phase phase = cq_walks(q) ? CQ_WALK : CQ_ONE;
	/* A walk its gate stopped, or short of the page: the page from the matches instead
	 * (contact_query_sql.h). That statement alone makes the page, so the statements need no
	 * common snapshot. */
	PGresult *r;
	int n;
	for (;;) {
		struct cq_sql b = {.limit_links = true, .join_tags = true, .phase = phase};
		cq_build_page(&b, PG_CONTACT_COLS, user_id, q);
		r = run_built(db, before, &b, q, &rc);
		before = NULL;
		if (!r)
			return rc;
		n = page_contacts(r, rc);
		if (phase != CQ_WALK || n >= q->limit)
			break;
		PQclear(r);
		phase = CQ_MATCHES;
	}
	if (n == 0) { /* no rows: no array, as on SQLite */
		PQclear(r);
		return 0;
	}
	struct contact_row *out = xcalloc((size_t)n, sizeof *out);
	struct tag_ref *tout = NULL;
	int *row_of = NULL; /* the row of each tag of tout */
	int nf = PQnfields(r), k = -1, nt = 0, cap = 0, first = 0;
	for (int i = 0; i < rc; i++) {
		if (starts_contact(r, i)) {
			pg_read_contact(r, i, &out[++k]);
			first = nt;
		}
		if (PQgetisnull(r, i, TAG_ID(nf)))
			continue;
		if (nt == cap) {
			cap = cap ? cap * 2 : 32;
			tout = xrealloc(tout, (size_t)cap * sizeof *tout);
			row_of = xrealloc(row_of, (size_t)cap * sizeof *row_of);
		}
		/* in order among the contact's tags so far (a contact has a few) */
		int at = nt++;
		for (; at > first && tag_before(r, nf, i, row_of[at - 1]); at--) {
			tout[at] = tout[at - 1];
			row_of[at] = row_of[at - 1];
		}
		tout[at] = (struct tag_ref){.contact_id = out[k].id,
					    .id = pg_get_i64(r, i, TAG_ID(nf)),
					    .name = xstrdup(PQgetvalue(r, i, TAG_NAME(nf)))};
		row_of[at] = i;
	}
	free(row_of);
	PQclear(r);
	*rows = out;
	*tags = tout;
	*ntags = nt;
	return n;
}

int pg_contacts_select_page(struct db *db, long long user_id, const struct contact_query *q,
			    struct contact_row **rows, struct tag_ref **tags, int *ntags)
{
	return pg_contacts_select_page_after(db, NULL, user_id, q, rows, tags, ntags);
}

int pg_contacts_count_matching(struct db *db, long long user_id, const struct contact_query *q,
			       long long *count)
{
	struct cq_sql b = {0};
	cq_build_count(&b, user_id, q);
	int rc;
	PGresult *r = run_built(db, NULL, &b, NULL, &rc);
	if (!r)
		return rc;
	*count = rc > 0 ? pg_get_i64(r, 0, 0) : 0;
	PQclear(r);
	return 1;
}
