/* Relationships between two contacts of the same user (SPEC §9.5): stored in pairs with
 * inverse types (spouse↔spouse, parent↔child, sibling↔sibling, friend↔friend,
 * colleague↔colleague, manager↔report, other↔other; same label), listed per contact, created
 * and deleted pairwise. Cap: RELATIONSHIPS_PER_CONTACT on either contact. Same conventions as
 * contacts.h. */
#ifndef CRM_DOMAIN_RELATIONSHIPS_H
#define CRM_DOMAIN_RELATIONSHIPS_H

#include <jansson.h>

#include "errors/errors.h"

struct actx;

/* The inverse of a relationship type, or NULL when type is not one of §2.2's values. */
const char *relationship_inverse(const char *type);

/* GET /contacts/{id}/relationships: *out the Relationship array (type, related contact's
 * folded first and last name, id). */
enum err_code relationships_list(struct actx *a, long long contact_id, json_t **out);
/* POST /contacts/{id}/relationships (type valid, label checked, related_id != contact_id):
 * 404 for either contact not the caller's, 409 limit_exceeded, 409 conflict. *out the new
 * Relationship (the contact's side). */
enum err_code relationships_create(struct actx *a, long long contact_id, long long related_id,
				   const char *type, const char *label, json_t **out,
				   json_t **details);
/* DELETE /contacts/{id}/relationships/{relId}: the row and its inverse. */
enum err_code relationships_delete(struct actx *a, long long contact_id, long long rel_id);

#endif
