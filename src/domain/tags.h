/* Tags (SPEC §9.3, §9.4): a contact's tags, the bulk add/remove across contacts, and the /tags
 * collection (list with usage counts, read, rename, delete). Tags are created only through the
 * contact routes, get-or-create under the user's write lock, matched by folded name. Caps:
 * TAGS_PER_CONTACT, TAGS_PER_ACCOUNT (409 limit_exceeded). Same conventions as contacts.h. */
#ifndef CRM_DOMAIN_TAGS_H
#define CRM_DOMAIN_TAGS_H

#include <jansson.h>
#include <stdbool.h>

#include "errors/errors.h"

struct actx;

/* GET /contacts/{id}/tags: *out the [{id, name}] array in folded order. */
enum err_code contact_tags_get(struct actx *a, long long contact_id, json_t **out);
/* POST /contacts/{id}/tags: names distinct by folded form; *out the contact's full tag list,
 * *added the number of links made; *details (limit_exceeded: names or tags too_many). */
enum err_code contact_tags_add(struct actx *a, long long contact_id, const char *const *names,
			       int n, json_t **out, int *added, json_t **details);
/* DELETE /contacts/{id}/tags/{tagName}: name matched by folded form; 404 when the contact, the
 * tag or the link is missing. */
enum err_code contact_tags_remove(struct actx *a, long long contact_id, const char *name);

/* POST /contacts/tags. */
struct tags_bulk_in {
	const long long *contact_ids;
	int nc;
	const char *const *add, *const *remove; /* distinct by folded form, disjoint */
	int na, nr;
	const int *remove_pos; /* index in the request of each remove name (NULL: as listed) */
};
/* All or nothing; 404 details contactIds[i] / remove[i]; *out {contactCount, linksAdded,
 * linksRemoved}. */
enum err_code contact_tags_bulk(struct actx *a, const struct tags_bulk_in *in, json_t **out,
				json_t **details);

/* GET /tags parameters (strings borrowed). */
struct tag_list_in {
	const char *q, *name; /* NULL: none */
	int limit;
	const char *cursor;
	bool include_total;
};
enum err_code tags_list(struct actx *a, const struct tag_list_in *in, json_t **data, json_t **page,
			json_t **details);
/* GET /tags/{id}. */
enum err_code tags_get(struct actx *a, long long id, json_t **out);
/* PATCH /tags/{id}: 409 conflict (name duplicate) when another tag has the folded name. */
enum err_code tags_rename(struct actx *a, long long id, const char *name, json_t **out,
			  json_t **details);
/* DELETE /tags/{id}. */
enum err_code tags_delete(struct actx *a, long long id);

#endif
