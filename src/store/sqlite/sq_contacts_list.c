/* SQLite store functions for the contact listing (SPEC §9.2): the SELECT of
 * store/contact_query_sql.c with anonymous parameters. */
#include <stdlib.h>

#include "store/contact_query_sql.h"
#include "store/sqlite/sq.h"
#include "store/sqlite/sq_contacts.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

/* Renders b (contact_query_sql.h) as SQLite: each '?' stays an anonymous parameter, bound in
 * order; a text array is the test "IN (SELECT value FROM json_each(?))" bound to its JSON array.
 * The statement is cached per connection by its text (sq_prepare_text); the set of texts is
 * bounded by the combinations of fragments. */
static sqlite3_stmt *prepare_bound(struct db *db, struct cq_sql *b)
{
	struct buf sql = {0};
	int k = 0;
	for (const char *f = b->sql.data; *f; f++) {
		if (*f == '?' && b->v[k++].kind == CQ_TEXTS)
			buf_puts(&sql, "IN (SELECT value FROM json_each(?))");
		else
			buf_putc(&sql, *f);
	}
	sqlite3_stmt *st = sq_prepare_text(db, sql.data);
	buf_free(&sql);
	if (st) {
		for (int i = 0; i < b->n; i++) {
			const struct cq_value *v = &b->v[i];
			if (v->kind == CQ_INT || v->kind == CQ_TIME)
				sqlite3_bind_int64(st, i + 1, v->i);
			else if (v->kind == CQ_TEXT)
				sq_bind_text(st, i + 1, v->s);
			else
				sq_bind_text_array(st, i + 1, v->arr, v->narr);
		}
	}
	cq_free(b);
	return st;
}

int sq_contacts_select_page(struct db *db, long long user_id, const struct contact_query *q,
			    struct contact_row **rows, struct tag_ref **tags, int *ntags)
{
	*rows = NULL;
	*tags = NULL;
	*ntags = 0;
	struct cq_sql b = {0};
	cq_build_page(&b, SQ_CONTACT_COLS, user_id, q);
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
	if (n > 0) { /* the page's tags: a second statement in the caller's transaction */
		long long *ids = xcalloc((size_t)n, sizeof *ids);
		for (int i = 0; i < n; i++)
			ids[i] = out[i].id;
		int nt = sq_contact_tags_select(db, user_id, ids, n, tags);
		free(ids);
		if (nt < 0) {
			contact_rows_free(out, n);
			return nt;
		}
		*ntags = nt;
	}
	*rows = out;
	return n;
}

int sq_contacts_count_matching(struct db *db, long long user_id, const struct contact_query *q,
			       long long *count)
{
	struct cq_sql b = {0};
	cq_build_count(&b, user_id, q);
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
