/* The SELECT of a contact listing (SPEC §9.2), assembled once for both stores from fixed
 * fragments (never from values; every value is bound, and the one constant a text may hold,
 * the default page's limit, is a fragment too: cq_sql.limit_links): the filters in use —
 * search terms as prefix-range scans on search_terms (user_id, term, contact_id), tags any/all
 * by folded name, company, email, the change-feed bound — then the keyset position, the sort
 * with its id tie-break (nulls last for lastContacted in both directions) and the limit. Text
 * keys compare bytewise (COLLATE "C" columns on PostgreSQL, BINARY on SQLite).
 *
 * Each '?' of the text is the next value of v, in order; a store renders it for its dialect
 * (pg_contacts_list.c, sq_contacts_list.c) by the value's kind: CQ_INT a bigint, CQ_TEXT a text,
 * CQ_TIME a timestamp given in Unix milliseconds, and CQ_TEXTS the whole membership test
 * ("is one of these texts") that follows a column. */
#ifndef CRM_STORE_CONTACT_QUERY_SQL_H
#define CRM_STORE_CONTACT_QUERY_SQL_H

#include <stdbool.h>

#include "store/contact_types.h"
#include "util/buf.h"

#define CQ_MAX_VALUES 64

enum cq_kind { CQ_INT, CQ_TEXT, CQ_TIME, CQ_TEXTS };

struct cq_value {
	enum cq_kind kind;
	long long i;		/* CQ_INT, CQ_TIME */
	const char *s;		/* CQ_TEXT */
	const char *const *arr; /* CQ_TEXTS */
	int narr;
};

struct cq_sql {
	struct buf sql;
	int n;
	struct cq_value v[CQ_MAX_VALUES];
	/* Set by the store before cq_build_page: a page of one tag by -lastContacted with no
	 * filter on the contacts limits the tag's links in a subquery, then joins each to its
	 * contact, the default page's limit a constant of the text (PostgreSQL: one plan for any
	 * values). Unset, the links are joined to the contacts and the join is limited, which
	 * SQLite runs in the index's order with no sort. */
	bool limit_links;
};

/* "SELECT <cols>" and the rest of one page of q for user_id (cols name the contact as c).
 * Strings of q are referenced, not copied. */
void cq_build_page(struct cq_sql *b, const char *cols, long long user_id,
		   const struct contact_query *q);
/* When the best plan of q's page is the same whatever its values (one tag by -lastContacted,
 * read from the tag's links, and no search terms), writes into name a statement name for the
 * shape of its text (as built with that limit_links), the same for every q of that shape,
 * and returns true: a store may then keep it prepared. False for every other page, whose best
 * plan depends on the values. */
#define CQ_NAME_MAX 40
bool cq_stable_name(const struct contact_query *q, bool limit_links, char name[CQ_NAME_MAX]);
/* "SELECT count(*)" over q's filters (no keyset position, no limit). */
void cq_build_count(struct cq_sql *b, long long user_id, const struct contact_query *q);
void cq_free(struct cq_sql *b);

#endif
