/* Helpers shared by notes.c, interactions.c and notes_list.c (not used elsewhere): the store
 * handle, the transaction abort code, and the listing pieces common to notes and interactions
 * (query building with its cursor, page objects, timestamps in JSON). */
#ifndef CRM_DOMAIN_NOTES_INTERNAL_H
#define CRM_DOMAIN_NOTES_INTERNAL_H

#include <jansson.h>

#include "app.h"
#include "domain/accounts.h"
#include "domain/notes.h"
#include "store/store.h"
#include "util/json_row.h"

/* Returned by a transaction body that found a business error (left in its context): store_tx
 * rolls back on any negative result. Never a store status. */
#define NOTES_TX_ABORT (-100)

static inline const struct store_ops *NOPS(struct actx *a)
{
	return a->app->store->ops;
}

/* Maps a store_tx result: NOTES_TX_ABORT -> e, other negatives -> err_from_store, else e. */
enum err_code notes_tx_result(int rc, enum err_code e);

/* Builds the store query of a listing from in: kind ("note" | "interaction") names the
 * listing in the cursor's filter digest, and the cursor (when given) is decoded against this
 * sort and these filters. q->limit is in->limit + 1 (to learn hasMore); q->title_key points at
 * *key_owned, the folded title (new string, or NULL), which the caller frees after the
 * query. On a bad cursor returns
 * ERR_VALIDATION_FAILED with the {"cursor", reason} detail. sort_out (≥ 24 bytes) and digest
 * (17 bytes) are what the page's nextCursor must carry. */
enum err_code timeline_query(const struct timeline_list_in *in, const char *kind,
			     struct list_query *q, char **key_owned, char *sort_out,
			     char digest[17], json_t **details);

/* The page object of §1.3: {"limit", "nextCursor", "hasMore"[, "total"]}; the cursor carries
 * (key, id) of the last row shown. New reference. */
json_t *timeline_page(const struct timeline_list_in *in, const char *sort, const char *digest,
		      bool has_more, long long key, long long id, long long total);

/* What a listing's rows are: their keys (util/json_row.h), their size, and where each keeps its
 * id, updatedAt and deleted flag, so that a deleted row is written as the change-feed tombstone
 * {"id", "deleted": true, "updatedAt"}. */
struct timeline_forms {
	const struct json_row_key *keys;
	size_t nkeys, size;
	size_t id, updated_at, deleted; /* offsets of long long, long long, bool */
};
#define TIMELINE_FORMS(type, keys)                                                                 \
	{                                                                                          \
		keys, JSON_ROW_N(keys), sizeof(type), offsetof(type, id),                          \
		    offsetof(type, updated_at), offsetof(type, deleted)                            \
	}

/* A row's object (new reference), and the same bytes as text; in the change feed (feed) a live
 * row ends with "deleted": false, as the feed's items do (§9.2). */
json_t *timeline_item_json(const struct timeline_forms *f, const void *row, bool feed);
void timeline_item_put(struct buf *out, const struct timeline_forms *f, const void *row, bool feed);

/* A listing's answer from rows[0..shown) and *page (timeline_page): the items' array in *data,
 * or, when in->text is set, the whole answer {"data":[...],"page":{...}} as text there (*page
 * released, both NULL). */
void timeline_answer(const struct timeline_list_in *in, const struct timeline_forms *f,
		     const void *rows, int shown, bool feed, json_t **data, json_t **page);

#endif
