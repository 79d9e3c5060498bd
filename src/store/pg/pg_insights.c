/* PostgreSQL store functions for the insights (SPEC §11): read-only aggregates over contacts,
 * interactions, notes, tags and their links. Every statement, subquery and join is scoped by
 * user_id. Each insight is one statement (two for a summary or a counted stale page), shaped so
 * that it reads indexes only (db/postgres/0002_insights_indexes.sql says which serves what) or
 * the figures triggers keep (0003_insights_rollups.sql: totals, per-contact and per-day counts):
 * counts are index-only scans, lists are ordered index range scans with LIMIT, per-contact
 * counts in a range are one grouped pass over a covering index, and the trend is one sum of
 * per-day rows per bucket, so no figure is computed by a loop over contacts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/pg_insights.h"
#include "store/pg/pgs.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

/* Instants outside every stored time, standing in for an absent from / to. */
#define TIME_MIN (-62135596800000LL) /* 0001-01-01 */
#define TIME_MAX 253402300800000LL   /* 10000-01-01 */

/* The columns read_contact expects, in order, from contacts aliased c. */
#define CONTACT_COLS                                                                               \
	"c.id, c.first_name, c.last_name, c.email, c.phone, c.company, c.job_role, " PG_MS(        \
	    "c.last_contacted")

/* Reads the CONTACT_COLS at columns 0..7 of row, and the count at column 8 when present. */
static void read_contact(const PGresult *r, int row, struct insight_contact_row *x)
{
	memset(x, 0, sizeof *x);
	x->id = pg_get_i64(r, row, 0);
	x->first_name = pg_get_strdup(r, row, 1);
	x->last_name = pg_get_strdup(r, row, 2);
	x->email = pg_get_strdup(r, row, 3);
	x->phone = pg_get_strdup(r, row, 4);
	x->company = pg_get_strdup(r, row, 5);
	x->job_role = pg_get_strdup(r, row, 6);
	x->has_last_contacted = !PQgetisnull(r, row, 7);
	x->last_contacted = pg_get_i64(r, row, 7);
	if (PQnfields(r) > 8)
		x->count = pg_get_i64(r, row, 8);
}

/* Generic plans are wrong for these statements: they estimate `user_id = $1` as an average
 * account's share of the table, so after five runs PostgreSQL would switch a large account to
 * nested loops over what it thinks are a few hundred rows. Every insight first asks for custom
 * plans (planned with the real user id) for the rest of its read transaction, without JIT
 * compilation (tens of milliseconds per statement, which pays off only on far longer queries),
 * with work_mem for the 100,000-group sorts and hashes of a large account in memory (the
 * default 4 MB spills most-interacted's sort to disk), and with PostgreSQL's default of up to
 * two parallel workers, which the store's connections otherwise turn off (pg.c). */
static int custom_plans(struct db *db)
{
	static const char SQL[] =
	    "SELECT set_config('plan_cache_mode', 'force_custom_plan', true),"
	    " set_config('jit', 'off', true), set_config('work_mem', '32MB', true),"
	    " set_config('max_parallel_workers_per_gather', '2', true)";
	int rc = pg_run(db, "insights_custom_plans", SQL, 0, NULL);
	return rc < 0 ? rc : 0;
}

/* pg_exec_prepared after custom_plans. */
static PGresult *exec(struct db *db, const char *name, const char *sql, const struct pg_params *p,
		      int *rc)
{
	*rc = custom_plans(db);
	if (*rc < 0)
		return NULL;
	return pg_exec_prepared(db, name, sql, p->n, p->v, rc);
}

/* Runs a statement returning contact rows into a new *rows array. Returns the count or < 0. */
static int contact_rows(struct db *db, const char *name, const char *sql, struct pg_params *p,
			struct insight_contact_row **rows)
{
	*rows = NULL;
	int rc;
	PGresult *r = exec(db, name, sql, p, &rc);
	if (!r)
		return rc;
	int n = PQntuples(r);
	*rows = n ? xcalloc((size_t)n, sizeof **rows) : NULL;
	for (int i = 0; i < n; i++)
		read_contact(r, i, &(*rows)[i]);
	PQclear(r);
	return n;
}

/* Totals come from the figures kept by triggers (db/postgres/0003_insights_rollups.sql):
 * user_counts for contacts and notes, the per-day rows for interactions; the rest are index
 * range counts. */
int pg_insights_overview(struct db *db, long long user_id, long long since, long long now,
			 struct insights_overview_row *out)
{
	/* clang-format off */
	static const char SQL[] =
	    "SELECT COALESCE((SELECT contacts FROM user_counts WHERE user_id = $1::bigint), 0),"
	    " (SELECT COALESCE(sum(n), 0)::bigint FROM interaction_days WHERE user_id = $1::bigint),"
	    " COALESCE((SELECT notes FROM user_counts WHERE user_id = $1::bigint), 0),"
	    " (SELECT count(*) FROM tags WHERE user_id = $1::bigint),"
	    " (SELECT count(*) FROM contacts WHERE user_id = $1::bigint"
	    "  AND last_contacted IS NULL),"
	    " (SELECT count(*) FROM interactions WHERE user_id = $1::bigint"
	    "  AND occurred_at >= " PG_TS("$2") " AND occurred_at <= " PG_TS("$3") "),"
	    " (SELECT count(*) FROM contacts WHERE user_id = $1::bigint"
	    "  AND last_contacted < " PG_TS("$2") ")";
	/* clang-format on */
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, since);
	pg_param_i64(&p, now);
	int rc;
	PGresult *r = exec(db, "insights_overview", SQL, &p, &rc);
	if (!r)
		return rc;
	out->contacts = pg_get_i64(r, 0, 0);
	out->interactions = pg_get_i64(r, 0, 1);
	out->notes = pg_get_i64(r, 0, 2);
	out->tags = pg_get_i64(r, 0, 3);
	out->never_contacted = pg_get_i64(r, 0, 4);
	out->interactions_recent = pg_get_i64(r, 0, 5);
	out->stale = out->never_contacted + pg_get_i64(r, 0, 6);
	PQclear(r);
	return 1;
}

/* The (user_id, last_contacted, id) index read backwards gives last_contacted descending; the
 * ascending id among equal times is an incremental sort of each (small) group of ties. */
int pg_insights_recently_contacted(struct db *db, long long user_id, int limit,
				   struct insight_contact_row **rows)
{
	static const char SQL[] = "SELECT " CONTACT_COLS " FROM contacts c"
				  " WHERE c.user_id = $1::bigint AND c.last_contacted IS NOT NULL"
				  " ORDER BY c.last_contacted DESC, c.id LIMIT $2::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, limit);
	return contact_rows(db, "insights_recently_contacted", SQL, &p, rows);
}

/* Never-contacted contacts come first by id, then the contacted ones by (last_contacted, id),
 * each branch a range of the (user_id, last_contacted, id) index with its own LIMIT (the first
 * is ordered by (last_contacted, id) too, all NULL, so that the planner walks the IS NULL range
 * of that index instead of filtering the primary key when never-contacted contacts are rare);
 * the outer ORDER BY sorts at most 2 * limit rows. */
#define STALE_NEVER                                                                                \
	"(SELECT " CONTACT_COLS " FROM contacts c WHERE c.user_id = $1::bigint"                    \
	" AND c.last_contacted IS NULL AND c.id > $3::bigint ORDER BY c.last_contacted, c.id "     \
	"LIMIT $5::bigint)"
#define STALE_DATED(after)                                                                         \
	"(SELECT " CONTACT_COLS " FROM contacts c WHERE c.user_id = $1::bigint"                    \
	" AND c.last_contacted < " PG_TS("$2") after                                               \
	    " ORDER BY c.last_contacted, c.id LIMIT $5::bigint)"
#define STALE_ORDER " ORDER BY 8 NULLS FIRST, 1 LIMIT $5::bigint"

int pg_insights_stale_page(struct db *db, long long user_id, long long cutoff,
			   const struct stale_position *pos, int limit,
			   struct insight_contact_row **rows)
{
	/* $4 keeps the parameter list the same in both statements. */
	static const char FROM_NEVER[] =
	    "SELECT * FROM (" STALE_NEVER
	    " UNION ALL " STALE_DATED(" AND $4::bigint IS NOT NULL") ") s" STALE_ORDER;
	static const char FROM_DATED[] = "SELECT * FROM (" STALE_DATED(
	    " AND (c.last_contacted, c.id) > (" PG_TS("$4") ", $3::bigint)") ") s" STALE_ORDER;
	bool dated = pos->phase == STALE_AFTER_DATED;
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, cutoff);
	pg_param_i64(&p, pos->phase == STALE_START ? 0 : pos->after_id);
	pg_param_i64(&p, dated ? pos->after_lc : 0);
	pg_param_i64(&p, limit);
	return dated ? contact_rows(db, "insights_stale_dated", FROM_DATED, &p, rows)
		     : contact_rows(db, "insights_stale_never", FROM_NEVER, &p, rows);
}

int pg_insights_stale_count(struct db *db, long long user_id, long long cutoff, long long *count)
{
	static const char SQL[] =
	    "SELECT (SELECT count(*) FROM contacts WHERE user_id = $1::bigint"
	    " AND last_contacted IS NULL) + (SELECT count(*) FROM contacts"
	    " WHERE user_id = $1::bigint AND last_contacted < " PG_TS("$2") ")";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, cutoff);
	int rc;
	PGresult *r = exec(db, "insights_stale_count", SQL, &p, &rc);
	if (!r)
		return rc;
	*count = pg_get_i64(r, 0, 0);
	PQclear(r);
	return 1;
}

/* Over all time, the first rows of contacts_interaction_count_idx (interaction_count is kept by
 * triggers, db/postgres/0003_insights_rollups.sql). Over a range, the counts per contact come
 * from one grouped pass over (user_id, occurred_at, contact_id); only the top `limit` groups and
 * every group tied with the last of them (WITH TIES) are joined to contacts (a primary-key probe
 * each), which orders the ties by last_contacted and id. */
#define MOST_ORDER " ORDER BY x.n DESC, c.last_contacted DESC NULLS LAST, c.id LIMIT $2::bigint"

int pg_insights_most_interacted(struct db *db, long long user_id, bool has_from, long long from,
				bool has_to, long long to, int limit,
				struct insight_contact_row **rows)
{
	static const char ALL_SQL[] =
	    "SELECT " CONTACT_COLS ", c.interaction_count FROM contacts c"
	    " WHERE c.user_id = $1::bigint AND c.interaction_count > 0"
	    " ORDER BY c.interaction_count DESC, c.last_contacted DESC NULLS LAST, c.id"
	    " LIMIT $2::bigint";
	static const char RANGE_SQL[] =
	    "SELECT " CONTACT_COLS ", x.n FROM (SELECT contact_id, count(*) AS n FROM interactions"
	    " WHERE user_id = $1::bigint AND occurred_at >= " PG_TS(
		"$3") " AND occurred_at < " PG_TS("$4") " GROUP BY contact_id ORDER BY n DESC "
							"FETCH FIRST ($2::bigint) ROWS WITH TIES) x"
							" JOIN contacts c ON c.user_id = "
							"$1::bigint AND c.id = "
							"x.contact_id" MOST_ORDER;
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, limit);
	if (!has_from && !has_to)
		return contact_rows(db, "insights_most_interacted", ALL_SQL, &p, rows);
	pg_param_i64(&p, has_from ? from : TIME_MIN);
	pg_param_i64(&p, has_to ? to : TIME_MAX);
	return contact_rows(db, "insights_most_interacted_range", RANGE_SQL, &p, rows);
}

/* The range count of contact c, one range of (user_id, contact_id, occurred_at). */
#define RANGE_COUNT(from, to)                                                                      \
	"(SELECT count(*) FROM interactions i WHERE i.user_id = $1::bigint AND i.contact_id = "    \
	"c.id"                                                                                     \
	" AND i.occurred_at >= " PG_TS(from) " AND i.occurred_at < " PG_TS(to) ")"

int pg_insights_most_floor(struct db *db, long long user_id, long long from, long long to,
			   int limit, int sample, long long cap, long long *floor,
			   long long *candidates)
{
	static const char SQL[] = "WITH top AS (SELECT " RANGE_COUNT(
	    "$3", "$4") " AS n FROM contacts c"
			" WHERE c.user_id = $1::bigint AND c.interaction_count > 0"
			" ORDER BY c.interaction_count DESC LIMIT $5::bigint),"
			" f AS (SELECT COALESCE((SELECT n FROM top WHERE n > 0 ORDER BY n DESC"
			" OFFSET $2::bigint - 1 LIMIT 1), 0) AS v)"
			" SELECT f.v, (SELECT count(*) FROM (SELECT 1 FROM contacts c WHERE "
			"c.user_id = $1::bigint"
			" AND c.interaction_count >= GREATEST(f.v, 1) LIMIT $6::bigint) k) FROM f";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, limit);
	pg_param_i64(&p, from);
	pg_param_i64(&p, to);
	pg_param_i64(&p, sample);
	pg_param_i64(&p, cap);
	int rc;
	PGresult *r = exec(db, "insights_most_floor", SQL, &p, &rc);
	if (!r)
		return rc;
	*floor = pg_get_i64(r, 0, 0);
	*candidates = pg_get_i64(r, 0, 1);
	PQclear(r);
	return 1;
}

/* Columns 1..8 are CONTACT_COLS, 9 the range count; lastContacted is never NULL for a contact
 * with interactions. */
int pg_insights_most_interacted_floor(struct db *db, long long user_id, long long from,
				      long long to, int limit, long long floor,
				      struct insight_contact_row **rows)
{
	static const char SQL[] = "SELECT * FROM (SELECT " CONTACT_COLS ", " RANGE_COUNT(
	    "$3",
	    "$4") " AS n"
		  " FROM contacts c WHERE c.user_id = $1::bigint AND c.interaction_count >= "
		  "$5::bigint) x"
		  " WHERE x.n >= $5::bigint ORDER BY 9 DESC, 8 DESC NULLS LAST, 1 LIMIT $2::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, limit);
	pg_param_i64(&p, from);
	pg_param_i64(&p, to);
	pg_param_i64(&p, floor);
	return contact_rows(db, "insights_most_interacted_floor", SQL, &p, rows);
}

int pg_insights_summary(struct db *db, long long user_id, long long contact_id, long long since,
			long long now, struct insight_summary_row *out)
{
	/* clang-format off */
	static const char SQL[] =
	    "SELECT " PG_MS("c.last_contacted") ", s.n, " PG_MS("s.first") ", s.recent,"
	    " (SELECT count(*) FROM notes WHERE user_id = $1::bigint AND contact_id = $2::bigint),"
	    " (SELECT count(*) FROM contact_tags WHERE user_id = $1::bigint"
	    "  AND contact_id = $2::bigint),"
	    " (SELECT count(*) FROM contact_relationships WHERE user_id = $1::bigint"
	    "  AND contact_id = $2::bigint)"
	    " FROM contacts c CROSS JOIN (SELECT count(*) AS n, min(occurred_at) AS first,"
	    "  count(*) FILTER (WHERE occurred_at >= " PG_TS("$3")
	    "   AND occurred_at <= " PG_TS("$4") ") AS recent"
	    "  FROM interactions WHERE user_id = $1::bigint AND contact_id = $2::bigint) s"
	    " WHERE c.user_id = $1::bigint AND c.id = $2::bigint";
	/* clang-format on */
	memset(out, 0, sizeof *out);
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, contact_id);
	pg_param_i64(&p, since);
	pg_param_i64(&p, now);
	int rc;
	PGresult *r = exec(db, "insights_summary", SQL, &p, &rc);
	if (!r)
		return rc;
	if (rc > 0) {
		out->has_last_contacted = !PQgetisnull(r, 0, 0);
		out->last_contacted = pg_get_i64(r, 0, 0);
		out->total = pg_get_i64(r, 0, 1);
		out->has_first = !PQgetisnull(r, 0, 2);
		out->first_at = pg_get_i64(r, 0, 2);
		out->recent = pg_get_i64(r, 0, 3);
		out->notes = pg_get_i64(r, 0, 4);
		out->tags = pg_get_i64(r, 0, 5);
		out->relationships = pg_get_i64(r, 0, 6);
	}
	PQclear(r);
	return rc > 0 ? 1 : 0;
}

int pg_insights_summary_types(struct db *db, long long user_id, long long contact_id,
			      struct insight_type_count **rows)
{
	static const char SQL[] =
	    "SELECT type, count(*) FROM interactions WHERE user_id = $1::bigint"
	    " AND contact_id = $2::bigint GROUP BY type ORDER BY 2 DESC, 1";
	*rows = NULL;
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, contact_id);
	int rc;
	PGresult *r = exec(db, "insights_summary_types", SQL, &p, &rc);
	if (!r)
		return rc;
	int n = PQntuples(r);
	*rows = n ? xcalloc((size_t)n, sizeof **rows) : NULL;
	for (int i = 0; i < n; i++) {
		(*rows)[i].type = pg_get_strdup(r, i, 0);
		(*rows)[i].count = pg_get_i64(r, i, 1);
	}
	PQclear(r);
	return n;
}

/* One range count per bucket, each an index range scan: (user_id, occurred_at, ...) for
 * everything, (user_id, contact_id, occurred_at) for one contact, filtered by type when asked
 * (unused type slots are NULL, which IN never matches). */
#define TREND_TYPES                                                                                \
	" AND i.type IN ($5::text, $6::text, $7::text, $8::text, $9::text, $10::text, $11::text,"  \
	" $12::text, $13::text, $14::text)"
#define TREND(filters)                                                                             \
	"SELECT (SELECT count(*) FROM interactions i WHERE i.user_id = $1::bigint"                 \
	" AND i.occurred_at >= " PG_TS("b.s") " AND i.occurred_at < " PG_TS("b.e") filters         \
	    ") FROM unnest($2::bigint[], $3::bigint[]) WITH ORDINALITY AS b(s, e, k)"              \
	    " WHERE num_nulls($4::bigint, $5::text, $6::text, $7::text, $8::text, $9::text,"       \
	    " $10::text, $11::text, $12::text, $13::text, $14::text) >= 0 ORDER BY b.k"

/* Writes "{a,b,...}" for v[0..n) into b. */
static void int_array(struct buf *b, const long long *v, int n)
{
	buf_puts(b, "{");
	for (int i = 0; i < n; i++)
		buf_printf(b, "%s%lld", i ? "," : "", v[i]);
	buf_puts(b, "}");
}

int pg_insights_trend(struct db *db, long long user_id, const struct insight_trend_query *q,
		      long long *counts)
{
	static const char *const SQL[4] = {
	    TREND(""),
	    TREND(" AND i.contact_id = $4::bigint"),
	    TREND(TREND_TYPES),
	    TREND(" AND i.contact_id = $4::bigint" TREND_TYPES),
	};
	int v = (q->contact_id ? 1 : 0) + (q->ntypes ? 2 : 0);
	char name[32];
	snprintf(name, sizeof name, "insights_trend_%d", v);
	struct buf starts = {0}, ends = {0};
	int_array(&starts, q->bounds, q->nbuckets);
	int_array(&ends, q->bounds + 1, q->nbuckets);
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, starts.data);
	pg_param_str(&p, ends.data);
	pg_param_i64(&p, q->contact_id);
	for (int i = 0; i < INSIGHT_MAX_TYPES; i++)
		pg_param_str(&p, i < q->ntypes ? q->types[i] : NULL);
	int rc;
	PGresult *r = exec(db, name, SQL[v], &p, &rc);
	buf_free(&starts);
	buf_free(&ends);
	if (!r)
		return rc;
	int n = PQntuples(r);
	for (int i = 0; i < q->nbuckets; i++)
		counts[i] = i < n ? pg_get_i64(r, i, 0) : 0;
	PQclear(r);
	return 1;
}

/* The sums of the per-day figures (interaction_days) per bucket, the days as numbers since
 * 1970-01-01: a few thousand rows of one primary-key range for a year, whatever the number of
 * interactions. */
#define TREND_DAYS(filters)                                                                        \
	"SELECT (SELECT COALESCE(sum(d.n), 0)::bigint FROM interaction_days d"                     \
	" WHERE d.user_id = $1::bigint AND d.day >= b.s AND d.day < b.e" filters                   \
	") FROM unnest($2::integer[], $3::integer[]) WITH ORDINALITY AS b(s, e, k) ORDER BY b.k"

int pg_insights_trend_days(struct db *db, long long user_id, const struct insight_trend_query *q,
			   long long *counts)
{
	static const char *const SQL[2] = {
	    TREND_DAYS(""),
	    TREND_DAYS(" AND d.type IN ($4::text, $5::text, $6::text, $7::text, $8::text,"
		       " $9::text, $10::text, $11::text, $12::text, $13::text)"),
	};
	int v = q->ntypes ? 1 : 0;
	long long *days = xcalloc((size_t)q->nbuckets + 1, sizeof *days);
	for (int i = 0; i <= q->nbuckets; i++)
		days[i] = q->bounds[i] / INSIGHT_DAY_MS;
	struct buf starts = {0}, ends = {0};
	int_array(&starts, days, q->nbuckets);
	int_array(&ends, days + 1, q->nbuckets);
	free(days);
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_str(&p, starts.data);
	pg_param_str(&p, ends.data);
	for (int i = 0; v && i < INSIGHT_MAX_TYPES; i++)
		pg_param_str(&p, i < q->ntypes ? q->types[i] : NULL);
	int rc;
	PGresult *r =
	    exec(db, v ? "insights_trend_days_types" : "insights_trend_days", SQL[v], &p, &rc);
	buf_free(&starts);
	buf_free(&ends);
	if (!r)
		return rc;
	int n = PQntuples(r);
	for (int i = 0; i < q->nbuckets; i++)
		counts[i] = i < n ? pg_get_i64(r, i, 0) : 0;
	PQclear(r);
	return 1;
}

/* The tag figures from what triggers keep (db/postgres/0005_tag_contact_counts.sql and
 * 0006_tag_insight_rollups.sql): contactCount is tags.contact_count; interactionCount sums the
 * window's whole UTC days of tag_interaction_days (one primary-key range per tag) and counts the
 * interactions of its two partial days (since to the next midnight, the last midnight to now)
 * joined to their links; the non-stale contacts of a tag are one range of contact_tags_recent_idx
 * and its lastContacted that range's first entry. No statement reads more than a day's interactions
 * or a tag's non-stale links. */
int pg_insights_tags(struct db *db, long long user_id, long long since, long long now,
		     struct insight_tag_row **rows)
{
	/* clang-format off */
	static const char SQL[] =
	    "WITH e AS (SELECT ct.tag_id, count(*) AS n FROM ("
	    "   SELECT contact_id FROM interactions WHERE user_id = $1::bigint"
	    "   AND occurred_at >= " PG_TS("$2") " AND occurred_at < " PG_TS("$4::bigint * 86400000")
	    "   UNION ALL SELECT contact_id FROM interactions WHERE user_id = $1::bigint"
	    "   AND occurred_at >= " PG_TS("$5::bigint * 86400000") " AND occurred_at <= " PG_TS("$3")
	    "  ) i JOIN contact_tags ct ON ct.user_id = $1::bigint AND ct.contact_id = i.contact_id"
	    "  GROUP BY ct.tag_id)"
	    " SELECT t.id, t.name, t.contact_count, COALESCE(e.n, 0) + COALESCE((SELECT sum(d.n)"
	    "   FROM tag_interaction_days d WHERE d.user_id = $1::bigint AND d.tag_id = t.id"
	    "   AND d.day >= $4::bigint AND d.day < $5::bigint), 0),"
	    "  t.contact_count - (SELECT count(*) FROM contact_tags l WHERE l.user_id = $1::bigint"
	    "   AND l.tag_id = t.id AND l.last_contacted >= " PG_TS("$2") "),"
	    "  " PG_MS("(SELECT l.last_contacted FROM contact_tags l WHERE l.user_id = $1::bigint"
	    "   AND l.tag_id = t.id ORDER BY l.last_contacted DESC NULLS LAST, l.contact_id DESC"
	    "   LIMIT 1)")
	    " FROM tags t LEFT JOIN e ON e.tag_id = t.id"
	    " WHERE t.user_id = $1::bigint ORDER BY 3 DESC, t.name_key, t.id";
	/* clang-format on */
	*rows = NULL;
	struct pg_params p = {0};
	pg_param_i64(&p, user_id);
	pg_param_i64(&p, since);
	pg_param_i64(&p, now);
	pg_param_i64(&p, insight_utc_day(since) + 1); /* the first whole day */
	pg_param_i64(&p, insight_utc_day(now));	      /* the day of now, partial */
	int rc;
	PGresult *r = exec(db, "insights_tags", SQL, &p, &rc);
	if (!r)
		return rc;
	int n = PQntuples(r);
	*rows = n ? xcalloc((size_t)n, sizeof **rows) : NULL;
	for (int i = 0; i < n; i++) {
		struct insight_tag_row *x = &(*rows)[i];
		x->id = pg_get_i64(r, i, 0);
		x->name = pg_get_strdup(r, i, 1);
		x->contacts = pg_get_i64(r, i, 2);
		x->interactions = pg_get_i64(r, i, 3);
		x->stale = pg_get_i64(r, i, 4);
		x->has_last_contacted = !PQgetisnull(r, i, 5);
		x->last_contacted = pg_get_i64(r, i, 5);
	}
	PQclear(r);
	return n;
}
