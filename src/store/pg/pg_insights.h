/* The PostgreSQL implementations of the insights operations of struct store_ops (pg_insights.c),
 * registered in pg.c. Each has exactly the contract of the store_ops member of the same name
 * without the pg_ prefix (store.h). */
#ifndef CRM_STORE_PG_INSIGHTS_H
#define CRM_STORE_PG_INSIGHTS_H

#include <stdbool.h>

#include "store/types_insights.h"

struct db;

int pg_insights_overview(struct db *db, long long user_id, long long since, long long now,
			 struct insights_overview_row *out);
int pg_insights_recently_contacted(struct db *db, long long user_id, int limit,
				   struct insight_contact_row **rows);
int pg_insights_stale_page(struct db *db, long long user_id, long long cutoff,
			   const struct stale_position *pos, int limit,
			   struct insight_contact_row **rows);
int pg_insights_stale_count(struct db *db, long long user_id, long long cutoff, long long *count);
int pg_insights_most_interacted(struct db *db, long long user_id, bool has_from, long long from,
				bool has_to, long long to, int limit,
				struct insight_contact_row **rows);
int pg_insights_most_floor(struct db *db, long long user_id, long long from, long long to, int limit,
			  int sample, long long cap, long long *floor, long long *candidates);
int pg_insights_most_interacted_floor(struct db *db, long long user_id, long long from, long long to,
				     int limit, long long floor, struct insight_contact_row **rows);
int pg_insights_summary(struct db *db, long long user_id, long long contact_id, long long since,
			long long now, struct insight_summary_row *out);
int pg_insights_summary_types(struct db *db, long long user_id, long long contact_id,
			      struct insight_type_count **rows);
int pg_insights_trend(struct db *db, long long user_id, const struct insight_trend_query *q,
		      long long *counts);
int pg_insights_trend_days(struct db *db, long long user_id, const struct insight_trend_query *q,
			   long long *counts);
int pg_insights_tags(struct db *db, long long user_id, long long since, long long now,
		     struct insight_tag_row **rows);

#endif
