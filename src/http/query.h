/* Query strings (application/x-www-form-urlencoded) and the checks every route shares:
 * unknown parameters, repeated ones, invalid encodings. */
#ifndef CRM_HTTP_QUERY_H
#define CRM_HTTP_QUERY_H

#include <jansson.h>
#include <stdbool.h>

#include "http/http.h"

/* Parses the query part of req->target into req->query. Returns false when a parameter is
 * not decodable (bad escape, invalid UTF-8, control character); *bad names it. */
bool query_parse(struct request *req, const char **bad);

/* Frees what query_parse kept in req. */
void query_free(struct request *req);

/* Checks req->query against the route's allowed list (see struct route.query); adds
 * {field, reason} details for unknown_field and duplicate. Returns true when all is well. */
bool query_check(struct request *req, const char *allowed, bool loose, json_t **details);

/* Number of values of name, and the i-th one. */
int query_count(struct request *req, const char *name);
const char *query_nth(struct request *req, const char *name, int i);

#endif
