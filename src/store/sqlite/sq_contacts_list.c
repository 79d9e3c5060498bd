/* SQLite store functions for the contact listing (SPEC §9.2): one SELECT assembled from fixed
 * fragments (never from values; every value is bound) for the filters in use — search terms as
 * prefix-range scans on search_terms (user_id, term, contact_id), tags any/all by folded name,
 * company, email, the change-feed bound — then the keyset position, the sort with its id
 * tie-break (nulls last for lastContacted in both directions) and the limit. The statement is
 * cached per connection by its text (sq_prepare_text); the set of texts is bounded by the
 * combinations of fragments. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sq.h"
#include "store/sqlite/sq_contacts.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

#define MAX_BINDS 48

/* The SQL being assembled and its values, bound in order to its anonymous parameters. */
struct sqlb {
	struct buf sql;
	int n;
	struct {
		enum { B_INT, B_TEXT, B_TEXTS } kind;
		long long i;
		const char *s;
		const char *const *arr;
		int narr;
	} v[MAX_BINDS];
};

static void put(struct sqlb *b, const char *fragment)
{
	buf_puts(&b->sql, fragment);
}

static void bind_i(struct sqlb *b, long long v)
{
	b->v[b->n].kind = B_INT;
	b->v[b->n++].i = v;
}

static void bind_s(struct sqlb *b, const char *s)
{
	b->v[b->n].kind = B_TEXT;
	b->v[b->n++].s = s;
}

static void bind_arr(struct sqlb *b, const char *const *arr, int n)
{
	b->v[b->n].kind = B_TEXTS;
	b->v[b->n].arr = arr;
	b->v[b->n++].narr = n;
}

/* The WHERE clause of q's filters (no keyset position). */
static void where_filters(struct sqlb *b, long long user_id, const struct contact_query *q)
{
	put(b, " FROM contacts c WHERE c.user_id = ?");
	bind_i(b, user_id);
	if (q->has_since) {
		put(b, " AND c.updated_at >= ?");
		bind_i(b, q->since);
	}
	if (q->company_key) {
		put(b, " AND c.company_key = ?");
		bind_s(b, q->company_key);
	}
	if (q->email_key) {
		put(b, " AND c.email_key = ?");
		bind_s(b, q->email_key);
	}
	for (int i = 0; i < q->nterms; i++) {
		put(b, " AND c.id IN (SELECT s.contact_id FROM search_terms s WHERE s.user_id = ?"
		       " AND s.term >= ? AND s.term < ?)");
		bind_i(b, user_id);
		bind_s(b, q->term_lo[i]);
		bind_s(b, q->term_hi[i]);
	}
	if (q->ntags > 0) {
		put(b, " AND c.id IN (SELECT ct.contact_id FROM contact_tags ct JOIN tags t"
		       " ON t.user_id = ct.user_id AND t.id = ct.tag_id WHERE ct.user_id = ?"
		       " AND t.name_key IN (SELECT value FROM json_each(?))");
		bind_i(b, user_id);
		bind_arr(b, q->tag_keys, q->ntags);
		if (q->tag_all) {
			put(b, " GROUP BY ct.contact_id HAVING count(*) = ?");
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
		put(b, " (?, ?, ?)");
		bind_s(b, q->after_s1);
		bind_s(b, q->after_s2);
		bind_i(b, q->after_id);
		break;
	case CSORT_CREATED_AT:
	case CSORT_UPDATED_AT:
		put(b, q->sort == CSORT_CREATED_AT ? " AND (c.created_at, c.id) "
						   : " AND (c.updated_at, c.id) ");
		put(b, op);
		put(b, " (?, ?)");
		bind_i(b, q->after_n);
		bind_i(b, q->after_id);
		break;
	case CSORT_LAST_CONTACTED:
		/* nulls come last in both directions */
		if (q->after_null) {
			put(b, " AND c.last_contacted IS NULL AND c.id ");
			put(b, op);
			put(b, " ?");
			bind_i(b, q->after_id);
		} else {
			put(b, " AND (c.last_contacted IS NULL OR (c.last_contacted, c.id) ");
			put(b, op);
			put(b, " (?, ?))");
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

/* Prepares the assembled statement and binds its values. */
static sqlite3_stmt *prepare_bound(struct db *db, struct sqlb *b)
{
	sqlite3_stmt *st = sq_prepare_text(db, b->sql.data);
	buf_free(&b->sql);
	if (!st)
		return NULL;
	for (int i = 0; i < b->n; i++) {
		if (b->v[i].kind == B_INT)
			sqlite3_bind_int64(st, i + 1, b->v[i].i);
		else if (b->v[i].kind == B_TEXT)
			sq_bind_text(st, i + 1, b->v[i].s);
		else
			sq_bind_text_array(st, i + 1, b->v[i].arr, b->v[i].narr);
	}
	return st;
}

int sq_contacts_select_page(struct db *db, long long user_id, const struct contact_query *q,
			    struct contact_row **rows)
{
	*rows = NULL;
	struct sqlb b = {0};
	put(&b, "SELECT " SQ_CONTACT_COLS);
	where_filters(&b, user_id, q);
	where_after(&b, q);
	order_by(&b, q);
	put(&b, " LIMIT ?");
	bind_i(&b, q->limit);
	sqlite3_stmt *st = prepare_bound(db, &b);
	if (!st)
		return ST_ERROR;
	struct contact_row *out = xcalloc((size_t)(q->limit > 0 ? q->limit : 1), sizeof *out);
	int rc, n = 0;
	while ((rc = sq_step(db, st)) > 0)
		if (n < q->limit)
			sq_read_contact(st, &out[n++]);
	if (rc < 0) {
		contact_rows_free(out, n);
		return rc;
	}
	*rows = out;
	return n;
}

int sq_contacts_count_matching(struct db *db, long long user_id, const struct contact_query *q,
			       long long *count)
{
	struct sqlb b = {0};
	put(&b, "SELECT count(*)");
	where_filters(&b, user_id, q);
	sqlite3_stmt *st = prepare_bound(db, &b);
	if (!st)
		return ST_ERROR;
	int rc = sq_step(db, st);
	if (rc > 0) {
		*count = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	return rc < 0 ? rc : 1;
}
