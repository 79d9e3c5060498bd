/* Helpers shared by the contact, tag and relationship files of src/domain (not used elsewhere):
 * the store handle, the transaction abort code, tag resolution and the JSON builders. */
#ifndef CRM_DOMAIN_CONTACTS_INTERNAL_H
#define CRM_DOMAIN_CONTACTS_INTERNAL_H

#include <jansson.h>

#include "app.h"
#include "domain/accounts.h"
#include "domain/contacts.h"
#include "store/store.h"
#include "util/buf.h"

/* Returned by a transaction body that found a business error after it may have written: the
 * transaction is rolled back (store_tx rolls back on any negative result) and the caller
 * reports the error code it left in its context. Never a store status. */
#define TX_ABORT (-100)

static inline const struct store_ops *COPS(struct actx *a)
{
	return a->app->store->ops;
}

/* Maps a store_tx result to an error: TX_ABORT -> the body's own code e, other negatives ->
 * err_from_store, otherwise e. */
enum err_code tx_result(int rc, enum err_code e);

/* Tag names resolved to ids under the user lock (tags_contact.c). names[0..n) are distinct by
 * folded form. Missing tags are counted in *missing (resolve_tags_lookup) or created with
 * created_at = t (resolve_tags_create). ids[i] receives the id of names[i] (0 while missing). */
int resolve_tags_lookup(struct actx *a, struct db *db, const char *const *names, int n,
			long long *ids, int *missing);
int resolve_tags_create(struct actx *a, struct db *db, const char *const *names, int n,
			long long *ids, long long t);
/* ERR_LIMIT_EXCEEDED (detail tags too_many added to *details) when creating `missing` tags
 * would pass TAGS_PER_ACCOUNT; *rc < 0 on a store failure (then ERR_NONE is returned and the
 * caller returns *rc). */
enum err_code check_tag_cap(struct actx *a, struct db *db, int missing, int *rc, json_t **details);

/* The Contact object of §9.1 (contact_json.c): keys in the order of the SPEC, every key present,
 * customFields with sorted keys ({} when empty), tags [{id, name}] (tags[0..ntags) in folded
 * order, as the store returns them). New reference. */
json_t *contact_to_json(const struct contact_row *c, const struct tag_ref *tags, int ntags);
/* The same Contact as JSON text appended to out, without its braces: its members, "id":... to
 * "updatedAt":..., byte for byte what json_put_compact writes inside contact_to_json's object. */
void contact_put_members(struct buf *out, const struct contact_row *c, const struct tag_ref *tags,
			 int ntags);
/* A contact's tags as [{id, name}] (new reference). */
json_t *tag_refs_to_json(const struct tag_ref *tags, int ntags);
/* The Tag object of §9.4 (new reference). */
json_t *tag_to_json(const struct tag_row *t);
/* The Relationship object of §9.5 (new reference). */
json_t *relationship_to_json(const struct relationship_row *r);
/* A timestamp as its ISO string, or null for 0 (new reference). */
json_t *json_time_or_null(long long ms);

/* The page object of a list (§1.3): {limit, nextCursor, hasMore, total?} (new reference). */
json_t *page_json(int limit, const char *next_cursor, bool with_total, long long total);
/* Decodes a request's cursor for (sort, digest): true with *keys (new reference) and *id, or
 * false with a {"cursor", invalid_format|mismatch} detail added. */
bool cursor_take(const char *cursor, const char *sort, const char *digest, json_t **keys,
		 long long *id, json_t **details);
/* The exclusive upper bound of the prefix range [s, upper) of s, bytewise: every string that
 * starts with s, and only those, lies in it (s with its last code point incremented). Valid
 * UTF-8. New string. */
char *prefix_upper(const char *s);

/* Reads one contact with its tags on db and builds its JSON (*out). 1, 0 none, or < 0. */
int load_contact_json(struct actx *a, struct db *db, long long id, json_t **out);

#endif
