/* PostgreSQL store functions for the contact listing (SPEC §9.2): one SELECT assembled from fixed
 * fragments (never from values; every value is bound) for the filters in use — search terms as
 * prefix-range scans on search_terms (user_id, term, contact_id), tags any/all by folded name,
 * company, email, the change-feed bound — then the keyset position, the sort with its id
 * tie-break (nulls last for lastContacted in both directions) and the limit. The statement is
 * planned for its actual values each time (an unnamed statement), because the best plan for a
 * rare term and a common one differ by orders of magnitude. Text keys compare bytewise
 * (COLLATE "C" columns). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/pg_contacts.h"
#include "store/pg/pgs.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

/* The SQL being assembled and its text parameters, numbered $1, $2, ... in order. Each "?" of
 * a fragment becomes the next $n with the cast the fragment gives after it. */
struct sqlb {
	struct buf sql;
	struct pg_params p;
	char *owned[PG_MAX_PARAMS]; /* array literals built here */
	int nowned;
	int next; /* parameters numbered so far */
};

/* Appends fragment, replacing each '?' by the next parameter number. */
static void put(struct sqlb *b, const char *fragment)
{
	for (const char *f = fragment; *f; f++) {
		if (*f == '?')
			buf_printf(&b->sql, "$%d", ++b->next);
		else
			buf_putc(&b->sql, *f);
	}
}

static void bind_i(struct sqlb *b, long long v)
{
	pg_param_i64(&b->p, v);
}

static void bind_s(struct sqlb *b, const char *s)
{
	pg_param_str(&b->p, s);
}

static void bind_arr(struct sqlb *b, const char *const *arr, int n)
{
	char *lit = pg_text_array(arr, n);
	b->owned[b->nowned++] = lit;
	pg_param_str(&b->p, lit);
}

static void sqlb_free(struct sqlb *b)
{
	buf_free(&b->sql);
	for (int i = 0; i < b->nowned; i++)
		free(b->owned[i]);
}

/* The WHERE clause of q's filters (no keyset position). */
static void where_filters(struct sqlb *b, long long user_id, const struct contact_query *q)
{
	put(b, " FROM contacts c WHERE c.user_id = ?::bigint");
	bind_i(b, user_id);
	if (q->has_since) {
		put(b, " AND c.updated_at >= " PG_TS("?"));
		bind_i(b, q->since);
	}
	if (q->company_key) {
		put(b, " AND c.company_key = ?::text");
		bind_s(b, q->company_key);
	}
	if (q->email_key) {
		put(b, " AND c.email_key = ?::text");
		bind_s(b, q->email_key);
	}
	for (int i = 0; i < q->nterms; i++) {
		put(b, " AND c.id IN (SELECT s.contact_id FROM search_terms s"
		       " WHERE s.user_id = ?::bigint AND s.term >= ?::text AND s.term < ?::text)");
		bind_i(b, user_id);
		bind_s(b, q->term_lo[i]);
		bind_s(b, q->term_hi[i]);
	}
	if (q->ntags > 0) {
		put(b,
		    " AND c.id IN (SELECT ct.contact_id FROM contact_tags ct JOIN tags t"
		    " ON t.user_id = ct.user_id AND t.id = ct.tag_id WHERE ct.user_id = ?::bigint"
		    " AND t.name_key = ANY(?::text[])");
		bind_i(b, user_id);
		bind_arr(b, q->tag_keys, q->ntags);
		if (q->tag_all) {
			put(b, " GROUP BY ct.contact_id HAVING count(*) = ?::bigint");
			bind_i(b, q->ntags);
		}
		put(b, ")");
	}
}

/* The keyset position: rows strictly after the cursor in the sort order. */
static void where_after(struct sqlb *b, const struct contact_query *q)
{
	if (!q->has_after)
		return;
	const char *op = q->desc ? "<" : ">";
	switch (q->sort) {
	case CSORT_FIRST_NAME:
	case CSORT_LAST_NAME:
		put(b, q->sort == CSORT_FIRST_NAME
			   ? " AND (c.first_name_key, c.last_name_key, c.id) "
			   : " AND (c.last_name_key, c.first_name_key, c.id) ");
		put(b, op);
		put(b, " (?::text, ?::text, ?::bigint)");
		bind_s(b, q->after_s1);
		bind_s(b, q->after_s2);
		bind_i(b, q->after_id);
		break;
	case CSORT_CREATED_AT:
	case CSORT_UPDATED_AT:
		put(b, q->sort == CSORT_CREATED_AT ? " AND (c.created_at, c.id) "
						   : " AND (c.updated_at, c.id) ");
		put(b, op);
		put(b, " (" PG_TS("?") ", ?::bigint)");
		bind_i(b, q->after_n);
		bind_i(b, q->after_id);
		break;
	case CSORT_LAST_CONTACTED:
		/* nulls come last in both directions */
		if (q->after_null) {
			put(b, " AND c.last_contacted IS NULL AND c.id ");
			put(b, op);
			put(b, " ?::bigint");
			bind_i(b, q->after_id);
		} else {
			put(b, " AND (c.last_contacted IS NULL OR (c.last_contacted, c.id) ");
			put(b, op);
			put(b, " (" PG_TS("?") ", ?::bigint))");
			bind_i(b, q->after_n);
			bind_i(b, q->after_id);
		}
		break;
	}
}

static void order_by(struct sqlb *b, const struct contact_query *q)
{
	static const char *const asc[] = {
	    [CSORT_FIRST_NAME] = " ORDER BY c.first_name_key, c.last_name_key, c.id",
	    [CSORT_LAST_NAME] = " ORDER BY c.last_name_key, c.first_name_key, c.id",
	    [CSORT_CREATED_AT] = " ORDER BY c.created_at, c.id",
	    [CSORT_UPDATED_AT] = " ORDER BY c.updated_at, c.id",
	    [CSORT_LAST_CONTACTED] = " ORDER BY c.last_contacted NULLS LAST, c.id",
	};
	static const char *const desc[] = {
	    [CSORT_FIRST_NAME] = " ORDER BY c.first_name_key DESC, c.last_name_key DESC, c.id DESC",
	    [CSORT_LAST_NAME] = " ORDER BY c.last_name_key DESC, c.first_name_key DESC, c.id DESC",
	    [CSORT_CREATED_AT] = " ORDER BY c.created_at DESC, c.id DESC",
	    [CSORT_UPDATED_AT] = " ORDER BY c.updated_at DESC, c.id DESC",
	    [CSORT_LAST_CONTACTED] = " ORDER BY c.last_contacted DESC NULLS LAST, c.id DESC",
	};
	put(b, q->desc ? desc[q->sort] : asc[q->sort]);
}

/* Runs the assembled statement planned for its actual values: with a generic (prepared)
 * plan, a heavy user's search scanned all of their contacts (126 ms) where the plan for the
 * values walks an index (0.5 ms); see bench/README.md. */
static PGresult *run_built(struct db *db, struct sqlb *b, int *rc)
{
	PGresult *r = pg_exec_params(db, b->sql.data, b->p.n, b->p.v, rc);
	sqlb_free(b);
	return r;
}

int pg_contacts_select_page(struct db *db, long long user_id, const struct contact_query *q,
			    struct contact_row **rows)
{
	*rows = NULL;
	struct sqlb b = {0};
	put(&b, "SELECT " PG_CONTACT_COLS);
	where_filters(&b, user_id, q);
	where_after(&b, q);
	order_by(&b, q);
	put(&b, " LIMIT ?::int");
	bind_i(&b, q->limit);
	int rc;
	PGresult *r = run_built(db, &b, &rc);
	if (!r)
		return rc;
	int n = rc < q->limit ? rc : q->limit;
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

int pg_contacts_count_matching(struct db *db, long long user_id, const struct contact_query *q,
			       long long *count)
{
	struct sqlb b = {0};
	put(&b, "SELECT count(*)");
	where_filters(&b, user_id, q);
	int rc;
	PGresult *r = run_built(db, &b, &rc);
	if (!r)
		return rc;
	*count = rc > 0 ? pg_get_i64(r, 0, 0) : 0;
	PQclear(r);
	return 1;
}
