/* The V1Contact object of the compatibility routes (SPEC §15.1): the contact as the v1 client
 * API shaped it, with customFields null when empty, the owner's userId, and tags as link
 * objects {id (the contact_tags row), contactId, tagId, tag: {id, name, userId}}. Built from the
 * one Contact builder (contact_to_json) plus the link ids only the store knows, so both
 * surfaces always agree on a contact's values. */
#ifndef CRM_DOMAIN_CONTACTS_V1_H
#define CRM_DOMAIN_CONTACTS_V1_H

#include <jansson.h>

#include "errors/errors.h"

struct actx;

/* Reads the caller's contact id in one read transaction and builds its V1Contact (*out, new
 * reference). ERR_NOT_FOUND when it is not the caller's. Compatibility writes call this right
 * after their resource operation committed, to answer with the stored result. */
enum err_code contacts_v1_get(struct actx *a, long long id, json_t **out);

#endif
