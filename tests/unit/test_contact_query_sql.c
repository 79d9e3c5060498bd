/* The contact listing's SELECT (store/contact_query_sql.c): which pages are built in two
 * phases, the text of each phase for a search (bench/run.sh runs the same text against the
 * store), one bound value per '?', and the sort written the same way for every phase. */
#include <stdbool.h>
#include <string.h>

#include "store/contact_query_sql.h"
#include "test.h"

static const char *const LO[] = {"ann", "odd"};
static const char *const HI[] = {"ano", "ode"};
static const char *const TAGS[] = {"tag 3"};

static int placeholders(const char *sql)
{
	int n = 0;
	for (; *sql; sql++)
		n += *sql == '?';
	return n;
}

/* Builds q's page in phase; checks one value per '?'; returns the text (owned by b). */
static const char *build(struct cq_sql *b, enum cq_phase phase, const struct contact_query *q)
{
	*b = (struct cq_sql){.phase = phase, .limit_links = true};
	cq_build_page(b, "c.id", 7, q);
	CHECK_INT(placeholders(b->sql.data), b->n);
	return b->sql.data;
}

TEST(a_search_outside_a_tags_links_walks)
{
	struct contact_query q = {.term_lo = LO, .term_hi = HI, .nterms = 1, .limit = 26};
	CHECK(cq_walks(&q));
	q.nterms = 0;
	CHECK(!cq_walks(&q));
	/* one tag by -lastContacted is read from the tag's links, with or without terms */
	q = (struct contact_query){.sort = CSORT_LAST_CONTACTED,
				   .desc = true,
				   .term_lo = LO,
				   .term_hi = HI,
				   .nterms = 1,
				   .tag_keys = TAGS,
				   .ntags = 1,
				   .limit = 26};
	CHECK(!cq_walks(&q));
	q.desc = false; /* a tag filter the other way walks the contacts */
	CHECK(cq_walks(&q));
}

TEST(search_phases_text)
{
	struct contact_query q = {.term_lo = LO, .term_hi = HI, .nterms = 1, .limit = 26};
	struct cq_sql b;
	CHECK_STR(
	    build(&b, CQ_WALK, &q),
	    "SELECT c.id FROM (SELECT c.user_id, c.id, c.first_name_key, c.last_name_key FROM"
	    " (SELECT c.user_id, c.id, c.first_name_key, c.last_name_key FROM contacts c WHERE"
	    " c.user_id = ? AND (SELECT count(*) FROM (SELECT 1 FROM search_terms s WHERE"
	    " s.user_id = ? AND s.term >= ? AND s.term < ? LIMIT 250) s) = 250 ORDER BY"
	    " c.first_name_key, c.last_name_key, c.id LIMIT 1000) c WHERE"
	    " (SELECT 1 FROM search_terms s WHERE s.user_id = ? AND s.contact_id = c.id AND"
	    " s.term >= ? AND s.term < ? LIMIT 1) IS NOT NULL ORDER BY c.first_name_key,"
	    " c.last_name_key, c.id LIMIT 26) w CROSS JOIN contacts c WHERE c.user_id = w.user_id"
	    " AND c.id = w.id ORDER BY w.first_name_key, w.last_name_key, w.id");
	CHECK_INT(b.n, 7);
	CHECK(b.v[2].kind == CQ_TEXT && strcmp(b.v[2].s, "ann") == 0);
	CHECK(b.v[5].kind == CQ_TEXT && strcmp(b.v[5].s, "ann") == 0);
	char name[CQ_NAME_MAX];
	CHECK(cq_stable_name(&b, &q, name)); /* the default page's walk stays prepared */
	CHECK_STR(name, "contacts_walk_00_1_0");
	cq_free(&b);
	q.limit = 11; /* any other limit is bound, and the walk planned for its values */
	CHECK(strstr(build(&b, CQ_WALK, &q), ", c.id LIMIT ?") != NULL);
	CHECK(!cq_stable_name(&b, &q, name));
	cq_free(&b);
	q.limit = 26;
	q.company_key = "odd works"; /* so is a walk with other filters */
	/* which reads the walked contacts' rows, not only the sort's index */
	CHECK(strstr(build(&b, CQ_WALK, &q), " FROM (SELECT * FROM contacts c WHERE") != NULL);
	CHECK(strstr(b.sql.data, ") c WHERE c.company_key = ? AND (SELECT 1") != NULL);
	CHECK(!cq_stable_name(&b, &q, name));
	cq_free(&b);
	q.company_key = NULL;
	CHECK_STR(build(&b, CQ_MATCHES, &q),
		  "WITH m AS MATERIALIZED (SELECT c.id, c.first_name_key, c.last_name_key FROM"
		  " contacts c WHERE c.user_id = ? AND c.id IN (SELECT s.contact_id FROM"
		  " search_terms s WHERE s.user_id = ? AND s.term >= ? AND s.term < ?)) SELECT c.id"
		  " FROM (SELECT * FROM m ORDER BY m.first_name_key, m.last_name_key, m.id LIMIT ?)"
		  " m CROSS JOIN contacts c WHERE c.user_id = ? AND c.id = m.id ORDER BY"
		  " m.first_name_key, m.last_name_key, m.id");
	CHECK_INT(b.n, 6);
	CHECK(b.v[4].kind == CQ_INT && b.v[4].i == 26);
	CHECK(b.v[5].kind == CQ_INT && b.v[5].i == 7);
	CHECK(!cq_stable_name(&b, &q, name)); /* planned for its values */
	cq_free(&b);
}

/* The walk runs only when every term has CQ_GATE_WORDS search words: one count per term, each
 * bounded, none referring to the walked rows (so that the store runs it once, before the walk). */
TEST(the_walks_gate_counts_each_terms_words_up_to_its_cap)
{
	struct contact_query q = {.term_lo = LO, .term_hi = HI, .nterms = 2, .limit = 26};
	struct cq_sql b;
	const char *walk = build(&b, CQ_WALK, &q);
	CHECK(strstr(walk, "FROM contacts c WHERE c.user_id = ? AND (SELECT count(*) FROM (SELECT 1"
			   " FROM search_terms s WHERE s.user_id = ? AND s.term >= ? AND"
			   " s.term < ? LIMIT 250) s) = 250 AND (SELECT count(*) FROM (SELECT 1"
			   " FROM search_terms s WHERE s.user_id = ? AND s.term >= ? AND"
			   " s.term < ? LIMIT 250) s) = 250 ORDER BY") != NULL);
	CHECK(b.v[5].kind == CQ_TEXT && strcmp(b.v[5].s, "odd") == 0);
	char name[CQ_NAME_MAX];
	CHECK(cq_stable_name(&b, &q, name));
	CHECK_STR(name, "contacts_walk_00_2_0");
	cq_free(&b);
	/* the matches have no gate */
	CHECK(strstr(build(&b, CQ_MATCHES, &q), "count(*)") == NULL);
	cq_free(&b);
}

TEST(every_phase_sorts_alike_and_keeps_the_keyset)
{
	struct contact_query q = {.sort = CSORT_LAST_CONTACTED,
				  .desc = true,
				  .term_lo = LO,
				  .term_hi = HI,
				  .nterms = 2,
				  .company_key = "odd works",
				  .has_after = true,
				  .after_n = 1700000000000LL,
				  .after_id = 9,
				  .limit = 11};
	const char *order = " ORDER BY c.last_contacted DESC NULLS LAST, c.id DESC";
	struct cq_sql b;
	const char *one = build(&b, CQ_ONE, &q);
	CHECK(strstr(one, order) != NULL);
	CHECK(strstr(one, "(c.last_contacted, c.id) < (?, ?)") != NULL);
	cq_free(&b);
	const char *walk = build(&b, CQ_WALK, &q);
	CHECK(strstr(walk, order) != NULL);
	/* the keyset bounds the walk itself, and the filters apply to what it read */
	CHECK(strstr(walk, "(c.last_contacted, c.id) < (?, ?)) ORDER BY") != NULL);
	CHECK(strstr(walk, "c.company_key = ?") > strstr(walk, "LIMIT 1000"));
	cq_free(&b);
	const char *m = build(&b, CQ_MATCHES, &q);
	CHECK(strstr(m, "SELECT c.id, c.last_contacted FROM contacts c") != NULL);
	CHECK(strstr(m, " ORDER BY m.last_contacted DESC NULLS LAST, m.id DESC LIMIT ?") != NULL);
	cq_free(&b);
	q.sort = CSORT_LAST_NAME;
	q.desc = false;
	q.has_after = false;
	CHECK(strstr(build(&b, CQ_ONE, &q), " ORDER BY c.last_name_key, c.first_name_key, c.id") !=
	      NULL);
	cq_free(&b);
}

/* With join_tags the page is a subquery joined to its tags that carries the columns it is
 * sorted on, so that the join keeps that order without a sort (a contact's tags come in no
 * order: the store sorts them); the user id of the join is the last value. */
TEST(a_page_joined_to_its_tags_keeps_its_order)
{
	struct contact_query q = {
	    .sort = CSORT_LAST_CONTACTED, .desc = true, .tag_keys = TAGS, .ntags = 1, .limit = 26};
	struct cq_sql b = {.limit_links = true, .join_tags = true};
	cq_build_page(&b, "c.id, c.last_contacted", 7, &q);
	CHECK_INT(placeholders(b.sql.data), b.n);
	CHECK_STR(b.sql.data,
		  "SELECT p.*, t.id, t.name, t.name_key FROM (SELECT c.id, c.last_contacted,"
		  " ct.last_contacted AS sort_key1 FROM (SELECT ct.user_id, ct.contact_id,"
		  " ct.last_contacted FROM contact_tags ct WHERE ct.user_id = ? AND ct.tag_id ="
		  " (SELECT t.id FROM tags t WHERE t.user_id = ? AND t.name_key = ?) ORDER BY"
		  " ct.last_contacted DESC NULLS LAST, ct.contact_id DESC LIMIT 26) ct CROSS JOIN"
		  " contacts c WHERE c.user_id = ct.user_id AND c.id = ct.contact_id ORDER BY"
		  " ct.last_contacted DESC NULLS LAST, ct.contact_id DESC) p LEFT JOIN"
		  " contact_tags l ON l.user_id = ? AND l.contact_id = p.id LEFT JOIN tags t ON"
		  " t.user_id = l.user_id AND t.id = l.tag_id ORDER BY p.sort_key1 DESC NULLS"
		  " LAST, p.id DESC");
	CHECK(b.v[b.n - 1].kind == CQ_INT && b.v[b.n - 1].i == 7);
	char name[CQ_NAME_MAX];
	CHECK(cq_stable_name(&b, &q, name)); /* still one plan for any values */
	cq_free(&b);
	/* every phase is wrapped alike */
	q = (struct contact_query){.term_lo = LO, .term_hi = HI, .nterms = 1, .limit = 26};
	b = (struct cq_sql){.join_tags = true, .phase = CQ_MATCHES};
	cq_build_page(&b, "c.id", 7, &q);
	CHECK(strncmp(b.sql.data,
		      "SELECT p.*, t.id, t.name, t.name_key FROM (WITH m AS MATERIALIZED",
		      65) == 0);
	CHECK(strstr(b.sql.data, ") SELECT c.id, m.first_name_key AS sort_key1, m.last_name_key"
				 " AS sort_key2 FROM (SELECT * FROM m ORDER BY") != NULL);
	CHECK(strstr(b.sql.data,
		     ") p LEFT JOIN contact_tags l ON l.user_id = ? AND l.contact_id ="
		     " p.id LEFT JOIN tags t ON t.user_id = l.user_id AND t.id = l.tag_id"
		     " ORDER BY p.sort_key1, p.sort_key2, p.id") != NULL);
	cq_free(&b);
	/* the walk's keys, and the contacts' own in one statement */
	b = (struct cq_sql){.join_tags = true, .phase = CQ_WALK};
	q.sort = CSORT_CREATED_AT;
	q.desc = true;
	cq_build_page(&b, "c.id", 7, &q);
	CHECK(strstr(b.sql.data,
		     "SELECT c.id, w.created_at AS sort_key1 FROM (SELECT c.user_id,") != NULL);
	CHECK(strstr(b.sql.data, " ORDER BY p.sort_key1 DESC, p.id DESC") != NULL);
	cq_free(&b);
	b = (struct cq_sql){.join_tags = true};
	q.nterms = 0;
	cq_build_page(&b, "c.id", 7, &q);
	CHECK(strstr(b.sql.data, "(SELECT c.id, c.created_at AS sort_key1 FROM contacts c WHERE") !=
	      NULL);
	cq_free(&b);
}

/* Every filter at its limit at once, with a keyset position: the most values a page binds, within
 * CQ_MAX_VALUES. */
TEST(a_page_with_every_filter_binds_at_most_its_values)
{
	static const char *const lo[10] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
	static const char *const hi[10] = {"b", "c", "d", "e", "f", "g", "h", "i", "j", "k"};
	static const char *const tags[10] = {"t0", "t1", "t2", "t3", "t4",
					     "t5", "t6", "t7", "t8", "t9"};
	struct contact_query q = {.term_lo = lo,
				  .term_hi = hi,
				  .nterms = 10,
				  .tag_keys = tags,
				  .ntags = 10,
				  .tag_all = true,
				  .company_key = "acme",
				  .email_key = "a@b.c",
				  .has_since = true,
				  .has_after = true,
				  .after_s1 = "x",
				  .after_s2 = "y",
				  .after_id = 3,
				  .limit = 101};
	static const int most[] = {[CQ_ONE] = 42, [CQ_WALK] = 72, [CQ_MATCHES] = 43};
	for (int phase = CQ_ONE; phase <= CQ_MATCHES; phase++) {
		struct cq_sql b = {.phase = (enum cq_phase)phase, .join_tags = true};
		cq_build_page(&b, "c.id", 7, &q);
		CHECK_INT(placeholders(b.sql.data), b.n);
		CHECK_INT(b.n, most[phase]);
		CHECK(b.n <= CQ_MAX_VALUES);
		cq_free(&b);
	}
}

int main(void)
{
	return run_tests("test_contact_query_sql");
}
