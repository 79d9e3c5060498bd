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

#define CQ_MAX_VALUES 96

enum cq_kind { CQ_INT, CQ_TEXT, CQ_TIME, CQ_TEXTS };

struct cq_value {
	enum cq_kind kind;
	long long i;		/* CQ_INT, CQ_TIME */
	const char *s;		/* CQ_TEXT */
	const char *const *arr; /* CQ_TEXTS */
	int narr;
};

/* On PostgreSQL a page of a search (cq_walks) takes one or two statements, so that its cost
 * is bounded by neither the account's size nor where the matches fall in the sort order.
 * CQ_WALK reads the first CQ_WALK_ROWS contacts after the keyset position in the sort's index
 * order and keeps those that match, which finds the page of a search that matches many
 * contacts spread through the order; it runs only when each term has at least CQ_GATE_WORDS
 * search words (its gate, counted in the same statement). When the gate stops it, or the walk
 * gives fewer rows than the page's limit, the page is read from the matches instead
 * (CQ_MATCHES: every contact the filters find, the terms' ranges first, sorted). A single
 * statement leaves the choice to the planner, which assumes matches spread evenly through the
 * sort order: q=zoe on the bench's heavy account (100,000 contacts, 3,846 of them named Zoe,
 * the last first name in the sort) walked 96,180 contacts by first name, probing each one's
 * words, to find 26 (372 ms; now 19 ms). SQLite builds the single statement (CQ_ONE): it walks
 * the sort's index and tests each contact against the terms' ranges read once into a list,
 * about 80 ns a contact (q=zoe 16 ms), where its walk phase sorted the walked rows in a
 * temporary B-tree (4–5 ms for q=ann instead of 1 ms; bench/README.md). */
enum cq_phase { CQ_ONE, CQ_WALK, CQ_MATCHES };
#define CQ_WALK_ROWS 1000
/* The walk finds a page of 25 (and one more) when at least one in 40 of its rows matches: in
 * an account of up to 10,000 contacts, a term of 250 search words spread through it. Counting
 * up to CQ_WALK_ROWS instead cost every search of a frequent term (the short prefixes a
 * search-as-you-type sends) a range of 1,000 index entries, a quarter of its time on the
 * store (q=ann on the bench's heavy account, bench/README.md); a term of 250 to 999 words
 * that the walk misses costs at most one walk of CQ_WALK_ROWS rows more than before. */
#define CQ_GATE_WORDS 250

struct cq_sql {
	struct buf sql;
	enum cq_phase phase; /* set by the store before cq_build_page (CQ_ONE: zero) */
	int n;
	struct cq_value v[CQ_MAX_VALUES];
	/* Set by the store before cq_build_page: a page of one tag by -lastContacted with no
	 * filter on the contacts limits the tag's links in a subquery, then joins each to its
	 * contact, the default page's limit a constant of the text (PostgreSQL: one plan for any
	 * values). Unset, the links are joined to the contacts and the join is limited, which
	 * SQLite runs in the index's order with no sort. */
	bool limit_links;
	/* Set by the store before cq_build_page: the page becomes a subquery p joined to its
	 * contacts' tags, one row per tag, with the columns the page is sorted on after cols
	 * (sort_key1, sort_key2: the walk's, the matches', the tag's links' or the contacts'
	 * own), then t.id, t.name and t.name_key as the last three columns (NULL for a contact
	 * without tags), sorted by the page's sort on those carried columns, which PostgreSQL
	 * then knows the page already has: no sort of the joined rows (the walk of q=ann, the
	 * statement alone, 2 clients: 199–258 → 183–224 µs of the machine's CPU a page;
	 * bench/README.md). A contact's tags come in no order: the store sorts them by name_key,
	 * id. On PostgreSQL this join costs less than aggregating each contact's tags in a
	 * correlated subquery (the bench's tag page, the statement alone, 4 clients:
	 * 6,357–6,962 → 8,610–9,698 a second). */
	bool join_tags;
};

/* "SELECT <cols>" and the rest of one page of q for user_id (cols name the contact as c).
 * Strings of q are referenced, not copied. */
void cq_build_page(struct cq_sql *b, const char *cols, long long user_id,
		   const struct contact_query *q);
/* True when q's page can be built in two phases (enum cq_phase): a search outside a tag's
 * links. */
bool cq_walks(const struct contact_query *q);
/* When the best plan of the page b is built for (its phase and limit_links, set) is the same
 * whatever q's values (one tag by -lastContacted, read from the tag's links, and no search
 * terms; or the default page's walk with no filter but its terms), writes into name a
 * statement name for the shape of its text, the same for every q of that shape, and returns
 * true: a store may then keep it prepared. False for every other page, whose best plan
 * depends on the values. */
#define CQ_NAME_MAX 40
bool cq_stable_name(const struct cq_sql *b, const struct contact_query *q, char name[CQ_NAME_MAX]);
/* "SELECT count(*)" over q's filters (no keyset position, no limit). */
void cq_build_count(struct cq_sql *b, long long user_id, const struct contact_query *q);
void cq_free(struct cq_sql *b);

#endif
