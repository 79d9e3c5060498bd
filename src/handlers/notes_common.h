/* Pieces shared by the notes and interactions handlers (notes.c, interactions.c): the query
 * parameters their listings have in common and the list envelope. */
#ifndef CRM_HANDLERS_NOTES_COMMON_H
#define CRM_HANDLERS_NOTES_COMMON_H

#include <jansson.h>
#include <stdbool.h>

#include "domain/notes.h"
#include "http/http.h"

/* One accepted value of `sort`: its name and column. */
struct timeline_sort {
	const char *name;
	enum list_sort_col col;
};

/* Parses limit, cursor, includeTotal, from/to, updatedSince, sort (one of sorts[0..nsorts),
 * with a leading '-' for descending; the default is def_col descending; with updatedSince only
 * "updatedAt" is accepted, else reason conflicting) and, when path_contact is 0, the contactId
 * query parameter (path_contact > 0 is the {id} of /contacts/{id}/...). Fills *in and appends
 * every problem to *details. */
void timeline_params(struct request *req, struct timeline_list_in *in, long long path_contact,
		     const struct timeline_sort *sorts, int nsorts, enum list_sort_col def_col,
		     json_t **details);

/* Runs the listing fn of in for the caller a and answers 200 {"data": [...], "page": {...}},
 * written as text, or its error (details, as far as they go, stolen). */
struct actx;
void timeline_reply_list(struct request *req, struct actx *a, struct timeline_list_in *in,
			 timeline_list_fn fn, json_t *details);

/* Sets Location: /api/v1/<collection>/<id> and answers 201 {"data": obj} (obj stolen). */
void timeline_reply_created(struct request *req, const char *collection, long long id, json_t *obj);

#endif
