/* Pieces shared by the v1 compatibility handlers of contacts, tags, notes and interactions
 * (compat_contacts.c, compat_tags.c, compat_notes.c, compat_interactions.c; SPEC §15.1–15.2):
 * the v1 envelopes, V1Note and V1Interaction built from the resource objects, v1 field names in
 * error details, digit-string ids inside id arrays, and the page/limit listings (V1Pagination)
 * walked over the domain's keyset listings. Every JSON body these handlers produce gets its
 * "status" from the reply layer (RF_COMPAT). */
#ifndef CRM_HANDLERS_COMPAT_COMMON_H
#define CRM_HANDLERS_COMPAT_COMMON_H

#include <jansson.h>
#include <stdbool.h>

#include "domain/notes.h"
#include "http/http.h"

struct actx;

/* Answers status with {"message": message} plus, when key is not NULL, key: value (value
 * stolen; NULL → null). */
void v1_reply(struct request *req, int status, const char *message, const char *key, json_t *value);

/* Answers status with doc (stolen) after putting "message" first; for bodies with several
 * keys besides the message (C7, C9, I1). */
void v1_reply_doc(struct request *req, int status, const char *message, json_t *doc);

/* Renames details[].field from the resource name to the v1 one: a field equal to `from`, or
 * starting with `from` followed by '[' or '.', gets `to` in its place ("ids[3]" →
 * "contactIds[3]"). details may be NULL. */
void v1_details_rename(json_t *details, const char *from, const char *to);

/* A copy of the id array arr (§15.1: ids may be JSON integers or strings of decimal digits)
 * in which every digit string is the JSON integer it denotes, so id_array_parse applies the
 * resource rules to it; a digit string beyond 64 bits becomes 0 (reason out_of_range). Other
 * elements, and arr when it is not an array, are kept as they are (wrong_type). New
 * reference. */
json_t *v1_id_array(json_t *arr);

/* V1Note {id, contactId, userId, title, content, createdAt, updatedAt} from a Note object
 * (note_to_json), and V1Interaction {id, contactId, userId, type, occuredAt, notes,
 * durationMinutes, createdAt, updatedAt} from an Interaction object. New references; the
 * source is only read. */
json_t *v1_note(const json_t *note, long long user_id);
json_t *v1_interaction(const json_t *interaction, long long user_id);
/* The same for a whole array of resource objects (new array). */
json_t *v1_notes(const json_t *arr, long long user_id);
json_t *v1_interactions(const json_t *arr, long long user_id);

/* page (≥ 1, default 1) and limit (1..1000, default 1000) of N2, N3, I2 and I3, with
 * page × limit ≤ 100,000 (§15.1, §17). */
struct v1_paging {
	int page, limit;
};
/* Parses the query's page and limit; problems are added to *details. */
void v1_paging_parse(struct request *req, struct v1_paging *p, json_t **details);
/* V1Pagination {currentPage, pageSize, totalItems, totalPages} (new reference). */
json_t *v1_pagination(const struct v1_paging *p, long long total);

/* Page p of the listing in (its filters and sort; limit, cursor and includeTotal are set
 * here): walks the keyset pages past the rows of the earlier pages, since the domain pages by
 * cursor. On success *items is the array of resource objects (new reference) and *total the
 * number of rows matching the filters. Errors as fn (404 for a foreign contactId). */
enum err_code v1_timeline_page(struct actx *a, timeline_list_fn fn, struct timeline_list_in *in,
			       const struct v1_paging *p, json_t **items, long long *total,
			       json_t **details);

/* A digit-string id query parameter (noteId, contactId, interactionId): 0 when absent; adds
 * {name, invalid_format} when it is not a canonical positive 64-bit id. */
long long v1_query_id(struct request *req, const char *name, json_t **details);

#endif
