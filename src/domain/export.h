/* Exports (SPEC §8 GET /me/export, §9.6 GET /contacts/export.csv and compatibility C12): the
 * caller's data written piece by piece, with no HTTP types.
 *
 * An export is a small state machine over keyset chunks of at most EXPORT_CHUNK rows in
 * ascending id. Each export_next call does one short read (acquire a connection, read one
 * chunk, release it) and appends the bytes that chunk gives, so memory stays bounded by one
 * chunk whatever the account holds, no transaction spans the export and no pooled connection
 * is held between calls, however slowly the client reads. The document is therefore not a
 * snapshot of one instant: a row changed meanwhile may appear in its old or new form, one
 * created or deleted meanwhile may or may not appear. */
#ifndef CRM_DOMAIN_EXPORT_H
#define CRM_DOMAIN_EXPORT_H

#include "errors/errors.h"
#include "util/buf.h"

struct actx;

/* Rows per read (SPEC §17: export read chunk). */
#define EXPORT_CHUNK 1000

enum export_kind {
	EXPORT_CSV,  /* §9.6: header row, then one record per contact */
	EXPORT_JSON, /* §8: the personal-crm-export document */
};

struct exporter;

/* A new export of the caller of a (a->user_id, a->session_id, a->now as exportedAt). Copies
 * what it needs from a, so it may outlive the request that made it. Free with export_free. */
struct exporter *export_new(const struct actx *a, enum export_kind kind);

/* Appends the next piece of the document to out. Returns 1 when more follows, 0 when the
 * document is complete (out holds its last bytes), -1 on failure with *err set (the store's
 * error, or ERR_UNAUTHENTICATED when the account no longer exists); nothing is appended then. */
int export_next(struct exporter *x, struct buf *out, enum err_code *err);

/* Frees an export (NULL allowed). */
void export_free(struct exporter *x);

#endif
