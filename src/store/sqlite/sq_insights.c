/* SQLite store functions for the insights (SPEC §11): the same read-only aggregates as
 * pg_insights.c, over the same indexes and trigger-kept figures (db/sqlite/0002 and 0003), every
 * statement, subquery and join scoped by user_id. SQLite has no FETCH ... WITH TIES, so
 * most-interacted keeps the groups whose count reaches the limit-th largest one; the trend runs one
 * cached range-count statement per bucket (in process, so a round trip costs nothing). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sq.h"
#include "store/sqlite/sq_insights.h"
#include "store/store.h"
#include "util/alloc.h"

/* The columns read_contact expects, in order, from contacts aliased c. */
#define CONTACT_COLS                                                                               \
	"c.id, c.first_name, c.last_name, c.email, c.phone, c.company, c.job_role, "               \
	"c.last_contacted"

static void read_contact(sqlite3_stmt *st, struct insight_contact_row *x)
{
	memset(x, 0, sizeof *x);
	x->id = sqlite3_column_int64(st, 0);
	x->first_name = sq_col_strdup(st, 1);
	x->last_name = sq_col_strdup(st, 2);
	x->email = sq_col_strdup(st, 3);
	x->phone = sq_col_strdup(st, 4);
	x->company = sq_col_strdup(st, 5);
	x->job_role = sq_col_strdup(st, 6);
	x->has_last_contacted = sqlite3_column_type(st, 7) != SQLITE_NULL;
	x->last_contacted = sqlite3_column_int64(st, 7);
	if (sqlite3_column_count(st) > 8)
		x->count = sqlite3_column_int64(st, 8);
}

/* Steps a bound statement returning contact rows into a new *rows array. Returns the count or
 * < 0 (then *rows is NULL). */
static int contact_rows(struct db *db, sqlite3_stmt *st, struct insight_contact_row **rows)
{
	*rows = NULL;
	int n = 0, cap = 0, rc;
	struct insight_contact_row *out = NULL;
	while ((rc = sq_step(db, st)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			out = xrealloc(out, (size_t)cap * sizeof *out);
		}
		read_contact(st, &out[n++]);
	}
	if (rc < 0) {
		insight_contact_rows_free(out, n);
		return rc;
	}
	*rows = out;
	return n;
}

/* As pg_insights_overview: totals from the trigger-kept figures (0003_insights_rollups.sql). */
int sq_insights_overview(struct db *db, long long user_id, long long since, long long now,
			 struct insights_overview_row *out)
{
	static const char SQL[] =
	    "SELECT COALESCE((SELECT contacts FROM user_counts WHERE user_id = ?1), 0),"
	    " (SELECT COALESCE(sum(n), 0) FROM interaction_days WHERE user_id = ?1),"
	    " COALESCE((SELECT notes FROM user_counts WHERE user_id = ?1), 0),"
	    " (SELECT count(*) FROM tags WHERE user_id = ?1),"
	    " (SELECT count(*) FROM contacts WHERE user_id = ?1 AND last_contacted IS NULL),"
	    " (SELECT count(*) FROM interactions WHERE user_id = ?1"
	    " AND occurred_at >= ?2 AND occurred_at <= ?3),"
	    " (SELECT count(*) FROM contacts WHERE user_id = ?1 AND last_contacted < ?2)";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, now);
	int rc = sq_step(db, st);
	if (rc <= 0)
		return rc < 0 ? rc : ST_ERROR;
	out->contacts = sqlite3_column_int64(st, 0);
	out->interactions = sqlite3_column_int64(st, 1);
	out->notes = sqlite3_column_int64(st, 2);
	out->tags = sqlite3_column_int64(st, 3);
	out->never_contacted = sqlite3_column_int64(st, 4);
	out->interactions_recent = sqlite3_column_int64(st, 5);
	out->stale = out->never_contacted + sqlite3_column_int64(st, 6);
	sqlite3_reset(st);
	return 1;
}

int sq_insights_recently_contacted(struct db *db, long long user_id, int limit,
				   struct insight_contact_row **rows)
{
	static const char SQL[] = "SELECT " CONTACT_COLS " FROM contacts c"
				  " WHERE c.user_id = ?1 AND c.last_contacted IS NOT NULL"
				  " ORDER BY c.last_contacted DESC, c.id LIMIT ?2";
	*rows = NULL;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int(st, 2, limit);
	return contact_rows(db, st, rows);
}

/* As pg_insights.c: never-contacted contacts by id, then the contacted ones by
 * (last_contacted, id); SQLite sorts NULL first in ascending order. */
#define STALE_NEVER                                                                                \
	"SELECT * FROM (SELECT " CONTACT_COLS " FROM contacts c WHERE c.user_id = ?1"              \
	" AND c.last_contacted IS NULL AND c.id > ?3 ORDER BY c.last_contacted, c.id LIMIT ?5)"
#define STALE_DATED(after)                                                                         \
	"SELECT * FROM (SELECT " CONTACT_COLS " FROM contacts c WHERE c.user_id = ?1"              \
	" AND c.last_contacted < ?2" after " ORDER BY c.last_contacted, c.id LIMIT ?5)"
#define STALE_ORDER " ORDER BY 8, 1 LIMIT ?5"

int sq_insights_stale_page(struct db *db, long long user_id, long long cutoff,
			   const struct stale_position *pos, int limit,
			   struct insight_contact_row **rows)
{
	static const char FROM_NEVER[] =
	    "SELECT * FROM (" STALE_NEVER
	    " UNION ALL " STALE_DATED(" AND ?4 IS NOT NULL") ")" STALE_ORDER;
	static const char FROM_DATED[] = "SELECT * FROM (" STALE_DATED(
	    " AND (c.last_contacted, c.id) > (?4, ?3)") ")" STALE_ORDER;
	*rows = NULL;
	bool dated = pos->phase == STALE_AFTER_DATED;
	sqlite3_stmt *st = sq_prepare(db, dated ? FROM_DATED : FROM_NEVER);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, cutoff);
	sqlite3_bind_int64(st, 3, pos->phase == STALE_START ? 0 : pos->after_id);
	sqlite3_bind_int64(st, 4, dated ? pos->after_lc : 0);
	sqlite3_bind_int(st, 5, limit);
	return contact_rows(db, st, rows);
}

/* Runs a statement whose single row holds one count. */
static int one_count(struct db *db, sqlite3_stmt *st, long long *count)
{
	int rc = sq_step(db, st);
	if (rc <= 0)
		return rc < 0 ? rc : ST_ERROR;
	*count = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 1;
}

int sq_insights_stale_count(struct db *db, long long user_id, long long cutoff, long long *count)
{
	static const char SQL[] =
	    "SELECT (SELECT count(*) FROM contacts WHERE user_id = ?1 AND last_contacted IS NULL)"
	    " + (SELECT count(*) FROM contacts WHERE user_id = ?1 AND last_contacted < ?2)";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, cutoff);
	return one_count(db, st, count);
}

/* Over all time, the first rows of contacts_interaction_count_idx (kept by triggers,
 * 0003_insights_rollups.sql; a contact with interactions has a last_contacted, so DESC's nulls
 * last are moot). Over a range, x: the counts per contact (one grouped pass over a covering
 * index); only the groups at or above the limit-th largest count are joined to contacts for the
 * tie-breaks. */
int sq_insights_most_interacted(struct db *db, long long user_id, bool has_from, long long from,
				bool has_to, long long to, int limit,
				struct insight_contact_row **rows)
{
	static const char ALL_SQL[] =
	    "SELECT " CONTACT_COLS ", c.interaction_count FROM contacts c"
	    " WHERE c.user_id = ?1 AND c.interaction_count > 0"
	    " ORDER BY c.interaction_count DESC, c.last_contacted DESC, c.id LIMIT ?2";
	static const char RANGE_SQL[] =
	    "WITH x AS MATERIALIZED (SELECT contact_id, count(*) AS n FROM interactions"
	    " WHERE user_id = ?1 AND occurred_at >= ?3 AND occurred_at < ?4 GROUP BY contact_id)"
	    " SELECT " CONTACT_COLS ", x.n FROM x"
	    " JOIN contacts c ON c.user_id = ?1 AND c.id = x.contact_id"
	    " WHERE x.n >= COALESCE((SELECT n FROM x ORDER BY n DESC LIMIT 1 OFFSET ?2 - 1), 0)"
	    " ORDER BY x.n DESC, c.last_contacted DESC, c.id LIMIT ?2";
	*rows = NULL;
	bool range = has_from || has_to;
	sqlite3_stmt *st = sq_prepare(db, range ? RANGE_SQL : ALL_SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int(st, 2, limit);
	if (range) {
		sqlite3_bind_int64(st, 3, has_from ? from : INT64_MIN);
		sqlite3_bind_int64(st, 4, has_to ? to : INT64_MAX);
	}
	return contact_rows(db, st, rows);
}

/* As pg_insights_most_floor and pg_insights_most_interacted_floor. */
#define RANGE_COUNT                                                                                \
	"(SELECT count(*) FROM interactions i WHERE i.user_id = ?1 AND i.contact_id = c.id"        \
	" AND i.occurred_at >= ?3 AND i.occurred_at < ?4)"

int sq_insights_most_floor(struct db *db, long long user_id, long long from, long long to,
			   int limit, int sample, long long cap, long long *floor,
			   long long *candidates)
{
	static const char SQL[] =
	    "WITH top AS (SELECT " RANGE_COUNT " AS n FROM contacts c"
	    " WHERE c.user_id = ?1 AND c.interaction_count > 0"
	    " ORDER BY c.interaction_count DESC LIMIT ?5),"
	    " f AS (SELECT COALESCE((SELECT n FROM top WHERE n > 0 ORDER BY n DESC"
	    " LIMIT 1 OFFSET ?2 - 1), 0) AS v)"
	    " SELECT f.v, (SELECT count(*) FROM (SELECT 1 FROM contacts c WHERE c.user_id = ?1"
	    " AND c.interaction_count >= max(f.v, 1) LIMIT ?6)) FROM f";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int(st, 2, limit);
	sqlite3_bind_int64(st, 3, from);
	sqlite3_bind_int64(st, 4, to);
	sqlite3_bind_int(st, 5, sample);
	sqlite3_bind_int64(st, 6, cap);
	int rc = sq_step(db, st);
	if (rc <= 0)
		return rc < 0 ? rc : ST_ERROR;
	*floor = sqlite3_column_int64(st, 0);
	*candidates = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return 1;
}

int sq_insights_most_interacted_floor(struct db *db, long long user_id, long long from,
				      long long to, int limit, long long floor,
				      struct insight_contact_row **rows)
{
	static const char SQL[] =
	    "SELECT * FROM (SELECT " CONTACT_COLS ", " RANGE_COUNT " AS n"
	    " FROM contacts c WHERE c.user_id = ?1 AND c.interaction_count >= ?5)"
	    " WHERE n >= ?5 ORDER BY 9 DESC, 8 DESC, 1 LIMIT ?2";
	*rows = NULL;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int(st, 2, limit);
	sqlite3_bind_int64(st, 3, from);
	sqlite3_bind_int64(st, 4, to);
	sqlite3_bind_int64(st, 5, floor);
	return contact_rows(db, st, rows);
}

int sq_insights_summary(struct db *db, long long user_id, long long contact_id, long long since,
			long long now, struct insight_summary_row *out)
{
	static const char SQL[] =
	    "SELECT c.last_contacted, s.n, s.first, s.recent,"
	    " (SELECT count(*) FROM notes WHERE user_id = ?1 AND contact_id = ?2),"
	    " (SELECT count(*) FROM contact_tags WHERE user_id = ?1 AND contact_id = ?2),"
	    " (SELECT count(*) FROM contact_relationships WHERE user_id = ?1 AND contact_id = ?2)"
	    " FROM contacts c, (SELECT count(*) AS n, min(occurred_at) AS first,"
	    " count(*) FILTER (WHERE occurred_at >= ?3 AND occurred_at <= ?4) AS recent"
	    " FROM interactions WHERE user_id = ?1 AND contact_id = ?2) s"
	    " WHERE c.user_id = ?1 AND c.id = ?2";
	memset(out, 0, sizeof *out);
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, contact_id);
	sqlite3_bind_int64(st, 3, since);
	sqlite3_bind_int64(st, 4, now);
	int rc = sq_step(db, st);
	if (rc <= 0)
		return rc;
	out->has_last_contacted = sqlite3_column_type(st, 0) != SQLITE_NULL;
	out->last_contacted = sqlite3_column_int64(st, 0);
	out->total = sqlite3_column_int64(st, 1);
	out->has_first = sqlite3_column_type(st, 2) != SQLITE_NULL;
	out->first_at = sqlite3_column_int64(st, 2);
	out->recent = sqlite3_column_int64(st, 3);
	out->notes = sqlite3_column_int64(st, 4);
	out->tags = sqlite3_column_int64(st, 5);
	out->relationships = sqlite3_column_int64(st, 6);
	sqlite3_reset(st);
	return 1;
}

int sq_insights_summary_types(struct db *db, long long user_id, long long contact_id,
			      struct insight_type_count **rows)
{
	static const char SQL[] = "SELECT type, count(*) FROM interactions WHERE user_id = ?1"
				  " AND contact_id = ?2 GROUP BY type ORDER BY 2 DESC, 1";
	*rows = NULL;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, contact_id);
	int n = 0, cap = 0, rc;
	struct insight_type_count *out = NULL;
	while ((rc = sq_step(db, st)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			out = xrealloc(out, (size_t)cap * sizeof *out);
		}
		out[n].type = sq_col_strdup(st, 0);
		out[n++].count = sqlite3_column_int64(st, 1);
	}
	if (rc < 0) {
		insight_type_counts_free(out, n);
		return rc;
	}
	*rows = out;
	return n;
}

/* One range count per bucket, on the same indexes as pg_insights.c. */
#define TREND_TYPES " AND type IN (?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
#define TREND(filters)                                                                             \
	"SELECT count(*) FROM interactions WHERE user_id = ?1 AND occurred_at >= ?2"               \
	" AND occurred_at < ?3" filters

int sq_insights_trend(struct db *db, long long user_id, const struct insight_trend_query *q,
		      long long *counts)
{
	static const char *const SQL[4] = {
	    TREND(""),
	    TREND(" AND contact_id = ?4"),
	    TREND(TREND_TYPES),
	    TREND(" AND contact_id = ?4" TREND_TYPES),
	};
	int v = (q->contact_id ? 1 : 0) + (q->ntypes ? 2 : 0);
	for (int i = 0; i < q->nbuckets; i++) {
		sqlite3_stmt *st = sq_prepare(db, SQL[v]);
		if (!st)
			return ST_ERROR;
		sqlite3_bind_int64(st, 1, user_id);
		sqlite3_bind_int64(st, 2, q->bounds[i]);
		sqlite3_bind_int64(st, 3, q->bounds[i + 1]);
		if (q->contact_id)
			sqlite3_bind_int64(st, 4, q->contact_id);
		for (int k = 0; q->ntypes && k < INSIGHT_MAX_TYPES; k++)
			sq_bind_text(st, 5 + k, k < q->ntypes ? q->types[k] : NULL);
		int rc = one_count(db, st, &counts[i]);
		if (rc < 0)
			return rc;
	}
	return 1;
}

/* As pg_insights_trend_days: one cached sum over the per-day figures per bucket. */
#define TREND_DAYS(filters)                                                                        \
	"SELECT COALESCE(sum(n), 0) FROM interaction_days WHERE user_id = ?1 AND day >= ?2"        \
	" AND day < ?3" filters

int sq_insights_trend_days(struct db *db, long long user_id, const struct insight_trend_query *q,
			   long long *counts)
{
	static const char *const SQL[2] = {
	    TREND_DAYS(""),
	    TREND_DAYS(" AND type IN (?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"),
	};
	for (int i = 0; i < q->nbuckets; i++) {
		sqlite3_stmt *st = sq_prepare(db, SQL[q->ntypes ? 1 : 0]);
		if (!st)
			return ST_ERROR;
		sqlite3_bind_int64(st, 1, user_id);
		sqlite3_bind_int64(st, 2, q->bounds[i] / INSIGHT_DAY_MS);
		sqlite3_bind_int64(st, 3, q->bounds[i + 1] / INSIGHT_DAY_MS);
		for (int k = 0; q->ntypes && k < INSIGHT_MAX_TYPES; k++)
			sq_bind_text(st, 4 + k, k < q->ntypes ? q->types[k] : NULL);
		int rc = one_count(db, st, &counts[i]);
		if (rc < 0)
			return rc;
	}
	return 1;
}

/* As pg_insights_tags: the figures kept by triggers (tags.contact_count, tag_interaction_days,
 * contact_tags.last_contacted), the interactions of the window's two partial days, and one
 * range of contact_tags_recent_idx per tag. */
int sq_insights_tags(struct db *db, long long user_id, long long since, long long now,
		     struct insight_tag_row **rows)
{
	static const char SQL[] =
	    "WITH e AS (SELECT ct.tag_id, count(*) AS n FROM ("
	    " SELECT contact_id FROM interactions WHERE user_id = ?1"
	    " AND occurred_at >= ?2 AND occurred_at < ?4 * 86400000"
	    " UNION ALL SELECT contact_id FROM interactions WHERE user_id = ?1"
	    " AND occurred_at >= ?5 * 86400000 AND occurred_at <= ?3"
	    " ) i JOIN contact_tags ct ON ct.user_id = ?1 AND ct.contact_id = i.contact_id"
	    " GROUP BY ct.tag_id)"
	    " SELECT t.id, t.name, t.contact_count, COALESCE(e.n, 0) + COALESCE((SELECT sum(d.n)"
	    " FROM tag_interaction_days d WHERE d.user_id = ?1 AND d.tag_id = t.id"
	    " AND d.day >= ?4 AND d.day < ?5), 0),"
	    " t.contact_count - (SELECT count(*) FROM contact_tags l WHERE l.user_id = ?1"
	    " AND l.tag_id = t.id AND l.last_contacted >= ?2),"
	    " (SELECT l.last_contacted FROM contact_tags l WHERE l.user_id = ?1 AND l.tag_id = t.id"
	    " ORDER BY l.last_contacted DESC, l.contact_id DESC LIMIT 1)"
	    " FROM tags t LEFT JOIN e ON e.tag_id = t.id"
	    " WHERE t.user_id = ?1 ORDER BY 3 DESC, t.name_key, t.id";
	*rows = NULL;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, user_id);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, insight_utc_day(since) + 1); /* the first whole day */
	sqlite3_bind_int64(st, 5, insight_utc_day(now));       /* the day of now, partial */
	int n = 0, cap = 0, rc;
	struct insight_tag_row *out = NULL;
	while ((rc = sq_step(db, st)) > 0) {
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			out = xrealloc(out, (size_t)cap * sizeof *out);
		}
		struct insight_tag_row *x = &out[n++];
		x->id = sqlite3_column_int64(st, 0);
		x->name = sq_col_strdup(st, 1);
		x->contacts = sqlite3_column_int64(st, 2);
		x->interactions = sqlite3_column_int64(st, 3);
		x->stale = sqlite3_column_int64(st, 4);
		x->has_last_contacted = sqlite3_column_type(st, 5) != SQLITE_NULL;
		x->last_contacted = sqlite3_column_int64(st, 5);
	}
	if (rc < 0) {
		insight_tag_rows_free(out, n);
		return rc;
	}
	*rows = out;
	return n;
}
