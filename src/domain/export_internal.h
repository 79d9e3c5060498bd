/* What the export files of src/domain share (export.c: the state and the CSV; export_json.c:
 * the /me/export document). Not used elsewhere. */
#ifndef CRM_DOMAIN_EXPORT_INTERNAL_H
#define CRM_DOMAIN_EXPORT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "domain/accounts.h"
#include "domain/export.h"

struct exporter {
	enum export_kind kind;
	/* The caller; a.ip, a.user_agent and a.request_id point at the copies below, never at
	 * the request, which may be gone before the last chunk is written. */
	struct actx a;
	char ip[64], request_id[72];
	char *user_agent;
	int phase;	 /* the kind's own step */
	long long after; /* keyset position inside the step: the last id written */
	bool wrote_item; /* an item of the current JSON array was written (a ',' precedes more) */
};

/* One step of the /me/export document (export_json.c), as export_next. */
int export_json_next(struct exporter *x, struct buf *out, enum err_code *err);

/* Appends v as compact JSON, serialised like every response (UTF-8 unescaped, reals %.15g),
 * and releases v (stolen). */
void export_put_json(struct buf *out, json_t *v);

#endif
