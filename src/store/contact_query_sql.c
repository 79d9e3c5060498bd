/* The contact listing's SELECT for both stores: see contact_query_sql.h. */
#include "store/contact_query_sql.h"

#include <stdio.h>
#include <stdlib.h>

static void put(struct cq_sql *b, const char *fragment)
{
	buf_puts(&b->sql, fragment);
}

static struct cq_value *value(struct cq_sql *b, enum cq_kind kind)
{
	if (b->n >= CQ_MAX_VALUES) /* bounded by the query's limits (§9.2: ≤ 10 tags, ≤ 10 terms) */
		abort();
	struct cq_value *v = &b->v[b->n++];
	*v = (struct cq_value){.kind = kind};
	return v;
}

static void bind_i(struct cq_sql *b, long long i)
{
	value(b, CQ_INT)->i = i;
}

static void bind_t(struct cq_sql *b, long long ms)
{
	value(b, CQ_TIME)->i = ms;
}

static void bind_s(struct cq_sql *b, const char *s)
{
	value(b, CQ_TEXT)->s = s;
}

static void bind_arr(struct cq_sql *b, const char *const *arr, int n)
{
	struct cq_value *v = value(b, CQ_TEXTS);
	v->arr = arr;
	v->narr = n;
}

/* A page of one tag's contacts by lastContacted, newest first, is read from the tag's links
 * (contact_tags_recent_idx of 0006_tag_insight_rollups.sql, both stores: (user_id, tag_id,
 * last_contacted DESC, contact_id DESC), each link carrying its contact's last_contacted) as far
 * as the page reaches, each joined to its contact by primary key, instead of walking every
 * contact of the account by lastContacted and probing its links (405 contacts for a 25-row page
 * of one tag in 20 on the bench's heavy account: 3.6 ms against 0.2 ms on PostgreSQL). */
static bool by_links(const struct contact_query *q)
{
	return q->ntags == 1 && q->sort == CSORT_LAST_CONTACTED && q->desc;
}

/* With b->limit_links (contact_query_sql.h) and no filter on the contacts themselves (no
 * since, company or email), such a page is the first links of the tag in the index's order:
 * the links are limited in a subquery, then each joined to its contact. The contact is joined
 * on the link's own user_id (which the subquery scopes), not on a second bound user id: a plan
 * made for unknown values (a prepared statement's generic plan) then has no way to read the
 * account's contacts but one by primary key per link, since the only other way is a scan of
 * every account's contacts. */
static bool links_first(const struct contact_query *q, bool limit_links)
{
	return limit_links && by_links(q) && !q->has_since && !q->company_key && !q->email_key &&
	       q->nterms == 0;
}

/* A walk (CQ_WALK) with no filter on the contacts but its search terms: its plan is fixed by
 * its text (the sort's index, at most CQ_WALK_ROWS rows, one lookup per row), so a store may
 * keep it prepared. */
static bool plain_walk(const struct cq_sql *b, const struct contact_query *q)
{
	return b->phase == CQ_WALK && !q->has_since && !q->company_key && !q->email_key &&
	       q->ntags == 0;
}

/* The limit of the default page (SPEC §1.4: 25 contacts and one more, which tells whether a
 * next page exists) is written into the text of a links_first page or a plain walk as a
 * constant, like its fragments; every other limit is bound as a value. PostgreSQL estimates a
 * bound limit as a tenth of the rows, so the generic plan of the prepared statement looked
 * ten times dearer than a plan for the actual values, and the statement was planned again on
 * every request (the tag page: 0.3–0.6 ms, as long as running it); with the constant, the
 * generic plan is the plan for any values, and PostgreSQL keeps it (bench/README.md). */
#define CQ_PLANNED_LIMIT 26
#define CQ_STR_(x) #x
#define CQ_STR(x) CQ_STR_(x)

static bool planned_limit(const struct cq_sql *b, const struct contact_query *q)
{
	return (links_first(q, b->limit_links) || plain_walk(b, q)) && q->limit == CQ_PLANNED_LIMIT;
}

/* The links of q's one tag in the account: the condition on contact_tags ct, bound. */
static void tag_links(struct cq_sql *b, long long user_id, const struct contact_query *q)
{
	put(b, "ct.user_id = ? AND ct.tag_id ="
	       " (SELECT t.id FROM tags t WHERE t.user_id = ? AND t.name_key = ?)");
	bind_i(b, user_id);
	bind_i(b, user_id);
	bind_s(b, q->tag_keys[0]);
}

/* Appends one condition: it opens the WHERE clause when *where (then clears it), else " AND ". */
static void cond(struct cq_sql *b, bool *where, const char *text)
{
	put(b, *where ? " WHERE " : " AND ");
	*where = false;
	put(b, text);
}

/* The conditions of q's filters on the contacts c, each " AND …" (with where, the first opens
 * the WHERE clause). A search term is a range
 * of search_terms (user_id, term, contact_id) that gives its contacts (IN), or with probe a
 * lookup of c's own words in search_terms (user_id, contact_id, term), written as a scalar
 * subquery: PostgreSQL turns an EXISTS into a join, and chose a hash join, which reads the
 * whole range and gives up the walk's order (a sort of every walked row, 3 ms on the bench's
 * heavy account), where a lookup per contact lets the limit stop the walk. */
static void contact_filters(struct cq_sql *b, long long user_id, const struct contact_query *q,
			    bool links, bool probe, bool where)
{
	if (q->has_since) {
		cond(b, &where, "c.updated_at >= ?");
		bind_t(b, q->since);
	}
	if (q->company_key) {
		cond(b, &where, "c.company_key = ?");
		bind_s(b, q->company_key);
	}
	if (q->email_key) {
		cond(b, &where, "c.email_key = ?");
		bind_s(b, q->email_key);
	}
	for (int i = 0; i < q->nterms; i++) {
		cond(b, &where,
		     probe ? "(SELECT 1 FROM search_terms s WHERE s.user_id = ?"
			     " AND s.contact_id = c.id AND s.term >= ? AND s.term < ?"
			     " LIMIT 1) IS NOT NULL"
			   : "c.id IN (SELECT s.contact_id FROM search_terms s"
			     " WHERE s.user_id = ? AND s.term >= ? AND s.term < ?)");
		bind_i(b, user_id);
		bind_s(b, q->term_lo[i]);
		bind_s(b, q->term_hi[i]);
	}
	if (q->ntags > 0 && !links) {
		cond(b, &where,
		     "c.id IN (SELECT ct.contact_id FROM contact_tags ct JOIN tags t"
		     " ON t.user_id = ct.user_id AND t.id = ct.tag_id WHERE ct.user_id = ?"
		     " AND t.name_key ?");
		bind_i(b, user_id);
		bind_arr(b, q->tag_keys, q->ntags);
		if (q->tag_all) {
			put(b, " GROUP BY ct.contact_id HAVING count(*) = ?");
			bind_i(b, q->ntags);
		}
		put(b, ")");
	}
}

/* FROM and the WHERE clause of q's filters (no keyset position). */
static void where_filters(struct cq_sql *b, long long user_id, const struct contact_query *q,
			  bool links)
{
	if (links) {
		/* CROSS JOIN: SQLite keeps the links as the outer loop (with ANALYZE statistics
		 * of many small accounts it would otherwise walk the contacts of a large one);
		 * PostgreSQL plans it as the inner join it is. */
		put(b, " FROM contact_tags ct CROSS JOIN contacts c WHERE ");
		tag_links(b, user_id, q);
		put(b, " AND c.user_id = ? AND c.id = ct.contact_id");
	} else {
		put(b, " FROM contacts c WHERE c.user_id = ?");
	}
	bind_i(b, user_id);
	contact_filters(b, user_id, q, links, false, false);
}

/* The keyset position: rows strictly after the cursor in the sort order. From the links, the
 * lastContacted position is on the link's columns (the same values), so that it bounds the
 * index range. */
static void where_after(struct cq_sql *b, const struct contact_query *q, bool links)
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
		bind_t(b, q->after_n);
		bind_i(b, q->after_id);
		break;
	case CSORT_LAST_CONTACTED:
		/* nulls come last in both directions */
		if (q->after_null) {
			put(b, links ? " AND ct.last_contacted IS NULL AND ct.contact_id "
				     : " AND c.last_contacted IS NULL AND c.id ");
			put(b, op);
			put(b, " ?");
			bind_i(b, q->after_id);
		} else {
			put(b, links
				   ? " AND (ct.last_contacted IS NULL"
				     " OR (ct.last_contacted, ct.contact_id) "
				   : " AND (c.last_contacted IS NULL OR (c.last_contacted, c.id) ");
			put(b, op);
			put(b, " (?, ?))");
			bind_t(b, q->after_n);
			bind_i(b, q->after_id);
		}
		break;
	}
}

/* The sort's key columns in order; the id tie-break follows them (SPEC §9.2). */
static const char *const SORT_KEYS[][2] = {
    [CSORT_FIRST_NAME] = {"first_name_key", "last_name_key"},
    [CSORT_LAST_NAME] = {"last_name_key", "first_name_key"},
    [CSORT_CREATED_AT] = {"created_at"},
    [CSORT_UPDATED_AT] = {"updated_at"},
    [CSORT_LAST_CONTACTED] = {"last_contacted"},
};

/* " ORDER BY" q's sort on alias's columns named keys (as many as the sort's), then id (nulls
 * last for lastContacted either way). */
static void order_named(struct cq_sql *b, const struct contact_query *q, const char *alias,
			const char *const keys[2])
{
	put(b, " ORDER BY ");
	for (int i = 0; i < 2 && SORT_KEYS[q->sort][i]; i++) {
		put(b, alias);
		put(b, ".");
		put(b, keys[i]);
		put(b, q->desc ? " DESC" : "");
		put(b, q->sort == CSORT_LAST_CONTACTED ? " NULLS LAST, " : ", ");
	}
	put(b, alias);
	put(b, q->desc ? ".id DESC" : ".id");
}

/* " ORDER BY" q's sort on the columns of alias. */
static void order_on(struct cq_sql *b, const struct contact_query *q, const char *alias)
{
	order_named(b, q, alias, SORT_KEYS[q->sort]);
}

static void order_by(struct cq_sql *b, const struct contact_query *q, bool links)
{
	if (links) /* the index's order */
		put(b, " ORDER BY ct.last_contacted DESC NULLS LAST, ct.contact_id DESC");
	else
		order_on(b, q, "c");
}

static void limit(struct cq_sql *b, const struct contact_query *q)
{
	if (planned_limit(b, q)) {
		put(b, " LIMIT " CQ_STR(CQ_PLANNED_LIMIT));
		return;
	}
	put(b, " LIMIT ?");
	bind_i(b, q->limit);
}

bool cq_walks(const struct contact_query *q)
{
	return q->nterms > 0 && !by_links(q);
}

/* ", c.<key>" for each of the sort's key columns. */
static void put_sort_keys(struct cq_sql *b, const struct contact_query *q)
{
	for (int i = 0; i < 2 && SORT_KEYS[q->sort][i]; i++) {
		put(b, ", c.");
		put(b, SORT_KEYS[q->sort][i]);
	}
}

/* The columns a walk carries: user_id, id and the sort's keys of c. */
static void walk_cols(struct cq_sql *b, const struct contact_query *q)
{
	put(b, "c.user_id, c.id");
	put_sort_keys(b, q);
}

/* The walk's gate: for each term, its search words counted up to CQ_GATE_WORDS (an index-only
 * range of at most that many entries), and the walk runs only when every term has that many.
 * Each count refers to nothing the walk reads, so PostgreSQL runs it once, before the walk
 * (an InitPlan under a one-time filter): a term with fewer words makes the walk read nothing,
 * and the page comes from its matches. In the walk's statement rather than one of its own, a
 * search of frequent terms is one statement and one round trip (bench/README.md). */
static void walk_gate(struct cq_sql *b, long long user_id, const struct contact_query *q)
{
	static const char COUNT[] = " AND (SELECT count(*) FROM (SELECT 1 FROM search_terms s"
				    " WHERE s.user_id = ? AND s.term >= ? AND s.term < ?"
				    " LIMIT " CQ_STR(CQ_GATE_WORDS) ") s) = " CQ_STR(CQ_GATE_WORDS);
	for (int i = 0; i < q->nterms; i++) {
		put(b, COUNT);
		bind_i(b, user_id);
		bind_s(b, q->term_lo[i]);
		bind_s(b, q->term_hi[i]);
	}
}

/* CQ_WALK: the first CQ_WALK_ROWS contacts after the keyset position in the sort's index
 * order, each tested against the filters, its search terms by a lookup of its own words; the
 * limit stops the walk at the page's last row, whose contacts are then read by primary key. The
 * walked rows are the account's (the subquery is scoped to it): a second user_id condition on
 * them made PostgreSQL estimate a generic plan's page at one row of a full walk. With no filter
 * but the terms (plain_walk) the walk reads only the sort's index (an index-only scan): a
 * generic plan then costs what a plan for the values does, so PostgreSQL keeps it instead of
 * planning the walk again on every request (bench/README.md). */
static void build_walk(struct cq_sql *b, long long user_id, const struct contact_query *q)
{
	put(b, " FROM (SELECT ");
	walk_cols(b, q);
	put(b, " FROM (SELECT ");
	if (plain_walk(b, q))
		walk_cols(b, q);
	else
		put(b, "*");
	put(b, " FROM contacts c WHERE c.user_id = ?");
	bind_i(b, user_id);
	walk_gate(b, user_id, q);
	where_after(b, q, false);
	order_on(b, q, "c");
	put(b, " LIMIT " CQ_STR(CQ_WALK_ROWS) ") c");
	contact_filters(b, user_id, q, false, true, true);
	order_on(b, q, "c");
	limit(b, q);
	put(b, ") w CROSS JOIN contacts c WHERE c.user_id = w.user_id AND c.id = w.id");
	order_on(b, q, "w");
}

/* CQ_MATCHES: every contact the filters find (the search terms' ranges first), with its sort
 * columns, materialised, so that no plan can read them in an index's order instead; the page
 * is sorted from those columns, then each of its rows read by primary key. */
static void build_matches(struct cq_sql *b, const char *cols, long long user_id,
			  const struct contact_query *q)
{
	put(b, "WITH m AS MATERIALIZED (SELECT c.id");
	put_sort_keys(b, q);
	where_filters(b, user_id, q, false);
	where_after(b, q, false);
	put(b, ") SELECT ");
	put(b, cols);
	put(b, " FROM (SELECT * FROM m");
	order_on(b, q, "m");
	limit(b, q);
	put(b, ") m CROSS JOIN contacts c WHERE c.user_id = ? AND c.id = m.id");
	bind_i(b, user_id);
	order_on(b, q, "m");
}

static void build_page(struct cq_sql *b, const char *cols, long long user_id,
		       const struct contact_query *q)
{
	if (b->phase == CQ_MATCHES) {
		build_matches(b, cols, user_id, q);
		return;
	}
	put(b, "SELECT ");
	put(b, cols);
	if (b->phase == CQ_WALK) {
		build_walk(b, user_id, q);
		return;
	}
	if (links_first(q, b->limit_links)) {
		put(b, " FROM (SELECT ct.user_id, ct.contact_id, ct.last_contacted"
		       " FROM contact_tags ct WHERE ");
		tag_links(b, user_id, q);
		where_after(b, q, true);
		order_by(b, q, true);
		limit(b, q);
		put(b, ") ct CROSS JOIN contacts c WHERE c.user_id = ct.user_id"
		       " AND c.id = ct.contact_id");
		order_by(b, q, true);
		return;
	}
	bool links = by_links(q);
	where_filters(b, user_id, q, links);
	where_after(b, q, links);
	order_by(b, q, links);
	limit(b, q);
}

/* The names a page joined to its tags gives the sort keys it carries (join_tags). */
static const char *const CARRIED_KEYS[2] = {"sort_key1", "sort_key2"};

/* cols, then the page's sort keys as CARRIED_KEYS: the columns build_page's text orders its
 * rows by (the walk's, the matches', the tag's links' or the contacts' own), whose id column
 * is the contact's id or, for the links, equal to it. */
static void cols_with_keys(struct buf *out, const struct cq_sql *b, const char *cols,
			   const struct contact_query *q)
{
	const char *src = b->phase == CQ_MATCHES ? "m."
			  : b->phase == CQ_WALK	 ? "w."
			  : by_links(q)		 ? "ct."
						 : "c.";
	buf_puts(out, cols);
	for (int i = 0; i < 2 && SORT_KEYS[q->sort][i]; i++)
		buf_printf(out, ", %s%s AS %s", src, SORT_KEYS[q->sort][i], CARRIED_KEYS[i]);
}

void cq_build_page(struct cq_sql *b, const char *cols, long long user_id,
		   const struct contact_query *q)
{
	if (!b->join_tags) {
		build_page(b, cols, user_id, q);
		return;
	}
	struct buf with_keys = {0};
	cols_with_keys(&with_keys, b, cols, q);
	put(b, "SELECT p.*, t.id, t.name, t.name_key FROM (");
	build_page(b, with_keys.data, user_id, q);
	buf_free(&with_keys);
	put(b, ") p LEFT JOIN contact_tags l ON l.user_id = ? AND l.contact_id = p.id"
	       " LEFT JOIN tags t ON t.user_id = l.user_id AND t.id = l.tag_id");
	bind_i(b, user_id);
	order_named(b, q, "p", CARRIED_KEYS);
}

bool cq_stable_name(const struct cq_sql *b, const struct contact_query *q, char name[CQ_NAME_MAX])
{
	/* every fragment the text of such a page may hold */
	int after = q->has_after ? 1 + q->after_null : 0;
	if (b->phase == CQ_WALK) {
		/* the default page only: at most 5 sorts × 2 directions × 10 terms × 3 keysets */
		if (!planned_limit(b, q))
			return false;
		snprintf(name, CQ_NAME_MAX, "contacts_walk_%d%d_%d_%d", (int)q->sort, q->desc,
			 q->nterms, after);
		return true;
	}
	if (b->phase != CQ_ONE || !by_links(q) || q->nterms > 0)
		return false;
	snprintf(name, CQ_NAME_MAX, "contacts_by_tag_%d%d%d%d%d", q->has_since,
		 q->company_key != NULL, q->email_key != NULL, after, planned_limit(b, q));
	return true;
}

void cq_build_count(struct cq_sql *b, long long user_id, const struct contact_query *q)
{
	put(b, "SELECT count(*)");
	where_filters(b, user_id, q, false);
}

void cq_free(struct cq_sql *b)
{
	buf_free(&b->sql);
}
