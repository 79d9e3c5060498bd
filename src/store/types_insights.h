/* Row and query types of the insights store operations (SPEC §11), exchanged between
 * src/domain/insights.c and both stores. Strings in a row are owned by the row and freed by its
 * *_free function; timestamps are Unix milliseconds. */
#ifndef CRM_STORE_TYPES_INSIGHTS_H
#define CRM_STORE_TYPES_INSIGHTS_H

#include <stdbool.h>

/* floor(a / b) for b > 0, also for negative a (times before 1970). */
static inline long long insight_floor_div(long long a, long long b)
{
	long long q = a / b;
	return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* A UTC day in milliseconds, and the day of a time: days since 1970-01-01 (UTC); the day
 * numbers of the per-day figures (interaction_days and tag_interaction_days of db/). */
#define INSIGHT_DAY_MS 86400000LL
static inline long long insight_utc_day(long long ms)
{
	return insight_floor_div(ms, INSIGHT_DAY_MS);
}

/* The figures of GET /insights/overview that need the store (the average is computed from
 * them). "Recent" is occurred_at within [since, now]; "stale" is never contacted or last
 * contacted before since. */
struct insights_overview_row {
	long long contacts, interactions, notes, tags;
	long long never_contacted, interactions_recent, stale;
};

/* One contact as the insight lists show it: the ContactBrief of §11 plus email and phone (the
 * most-interacted items) and, for most-interacted, the number of interactions counted. */
struct insight_contact_row {
	long long id;
	char *first_name, *last_name, *email, *phone, *company, *job_role; /* NULL: none */
	bool has_last_contacted;
	long long last_contacted;
	long long count;
};
/* Frees the strings of rows[0..n) and the array itself. */
void insight_contact_rows_free(struct insight_contact_row *rows, int n);

/* Where a stale-contacts page starts (§11: never-contacted contacts by id first, then the
 * others by (last_contacted, id)). */
enum stale_phase {
	STALE_START,	   /* first page */
	STALE_AFTER_NEVER, /* after the never-contacted contact after_id */
	STALE_AFTER_DATED, /* after (after_lc, after_id) among the contacted ones */
};
struct stale_position {
	enum stale_phase phase;
	long long after_lc, after_id;
};

/* The per-contact figures of GET /insights/contacts/{id}/summary (byType comes separately).
 * Recent is occurred_at within [since, now]. */
struct insight_summary_row {
	long long total, recent;
	bool has_first;
	long long first_at;
	bool has_last_contacted;
	long long last_contacted;
	long long notes, tags, relationships;
};

/* One interaction type with its count. */
struct insight_type_count {
	char *type;
	long long count;
};
/* Frees the types of rows[0..n) and the array itself. */
void insight_type_counts_free(struct insight_type_count *rows, int n);

#define INSIGHT_MAX_TYPES 10

/* The interactions trend: counts per bucket [bounds[i], bounds[i + 1]) for i < nbuckets, of the
 * interactions of contact_id (0: every contact) whose type is one of types (ntypes 0: any). */
struct insight_trend_query {
	long long contact_id;
	const char *types[INSIGHT_MAX_TYPES];
	int ntypes;
	const long long *bounds; /* nbuckets + 1 ascending instants */
	int nbuckets;
};

/* One tag of GET /insights/tags. Interactions are those with occurred_at within [since, now];
 * stale contacts are never contacted or last contacted before since. */
struct insight_tag_row {
	long long id;
	char *name;
	long long contacts, interactions, stale;
	bool has_last_contacted;
	long long last_contacted;
};
/* Frees the names of rows[0..n) and the array itself. */
void insight_tag_rows_free(struct insight_tag_row *rows, int n);

#endif
