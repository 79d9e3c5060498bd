/* Notes and interactions (SPEC §10, with the field rules of §2.2, the write order, derived
 * lastContacted and tombstones of §6, and the change feed of §9.2): the business rules behind
 * the /notes, /interactions and /contacts/{id}/notes|interactions routes, with no HTTP types.
 *
 * Every write runs in one transaction that first takes the user's write time (users_write_time,
 * which also locks the user's row and so serialises the caps and the title check), then checks
 * in the order of §1.6 step 11: ownership of the note/interaction and of any contactId (404),
 * the per-account cap (409 limit_exceeded), the note title's uniqueness per contact (409
 * conflict). Notes refresh the search words of every contact they touch; interactions recompute
 * the lastContacted of every contact they touch. Field shapes are validated by the handlers;
 * the helpers below that need no store are shared with them. Each operation returns an error
 * code from the registry (ERR_NONE on success) and may add {field, reason} details. */
#ifndef CRM_DOMAIN_NOTES_H
#define CRM_DOMAIN_NOTES_H

#include <jansson.h>
#include <stdbool.h>

#include "errors/errors.h"
#include "store/types_notes.h"
#include "util/buf.h"

struct actx;

#define NOTES_PER_ACCOUNT 200000
#define INTERACTIONS_PER_ACCOUNT 1000000
#define INTERACTION_MAX_FUTURE_MS (24LL * 3600 * 1000)

/* A listing of notes or interactions as the handler validated it (strings borrowed). */
struct timeline_list_in {
	long long contact_id; /* 0: every contact; otherwise it must be the caller's (404) */
	const char *title;    /* notes: title filter, compared by folded form; NULL: none */
	const char *types[INTERACTION_MAX_TYPE_FILTERS]; /* interactions: lowercase, any of */
	int ntypes;
	bool has_from, has_to; /* to exclusive (a date-only `to` already moved to the next day) */
	long long from, to;
	bool has_since; /* the change feed: sort is then (updatedAt, id) ascending */
	long long since;
	enum list_sort_col sort;
	bool desc;
	int limit;
	const char *cursor; /* NULL: first page */
	bool include_total;
	/* Set: the listing writes the whole answer here as JSON text, {"data":[...],"page":{...}},
	 * and leaves *data and *page NULL (the routes' pages, without a tree per item). */
	struct buf *text;
};

/* For a listing refused for other parameters: adds {"cursor", "invalid_format"} to *details
 * when cursor cannot be decoded at all (whether it matches the sort and filters is only known
 * once they are valid), so a 400 names every bad parameter at once. */
void timeline_cursor_check(const char *cursor, json_t **details);

/* A listing of notes or interactions (notes_list, interactions_list). */
struct actx;
typedef enum err_code (*timeline_list_fn)(struct actx *a, const struct timeline_list_in *in,
					  json_t **data, json_t **page, json_t **details);

/* ---- notes (§10.1) ---- */

/* The Note object (new reference). A tombstone row gives {"id", "deleted": true, "updatedAt"}. */
json_t *note_to_json(const struct note_row *n);
/* The same object as text, the same bytes as note_to_json's dumped; in the change feed (feed) a
 * live note ends with "deleted": false. */
void note_put_json(struct buf *out, const struct note_row *n, bool feed);

struct note_in {
	long long contact_id;
	const char *title, *content; /* validated (title trimmed, content as sent) */
};
/* POST /notes: *out receives the new note (caller frees with note_row_free). */
enum err_code notes_create(struct actx *a, const struct note_in *in, struct note_row *out,
			   json_t **details);
/* GET /notes/{id}. */
enum err_code notes_get(struct actx *a, long long id, struct note_row *out);
/* PATCH /notes/{id}: at least one set_* in p (title_key is computed here); a new contact_id
 * moves the note. *out receives the updated note. */
enum err_code notes_update(struct actx *a, long long id, const struct note_patch *p,
			   struct note_row *out, json_t **details);
/* DELETE /notes/{id}: the note goes, its tombstone is written. */
enum err_code notes_delete(struct actx *a, long long id);
/* GET /notes and GET /contacts/{id}/notes: *data is the array of items, *page the page object
 * (new references), or the answer's text in in->text. A bad cursor gives ERR_VALIDATION_FAILED with
 * a {"cursor", invalid_format|mismatch} detail, before any ownership check. */
enum err_code notes_list(struct actx *a, const struct timeline_list_in *in, json_t **data,
			 json_t **page, json_t **details);

/* ---- interactions (§10.2) ---- */

/* The Interaction object (new reference); tombstones as for notes. */
json_t *interaction_to_json(const struct interaction_row *r);
/* Its text, as note_put_json. */
void interaction_put_json(struct buf *out, const struct interaction_row *r, bool feed);

/* Checks an interaction type already trimmed (1..50 code points of letters, digits, space, `_`
 * and `-`): returns NULL and sets *lower to its lowercase form (new string), or the reason
 * (too_short, too_long, invalid_characters) with *lower NULL. */
const char *interaction_type_normalize(const char *type, char **lower);

/* Parses occurredAt (RFC 3339 or a date, §1.2) and checks it is not later than now + 24 h:
 * NULL with *ms set, or the reason (invalid_format, out_of_range). */
const char *interaction_time_parse(const char *s, long long now, long long *ms);

/* POST /interactions (in->type lowercase): *out receives the new interaction (caller frees
 * with interaction_row_free); the contact's lastContacted is recomputed. */
enum err_code interactions_create(struct actx *a, const struct interaction_new *in,
				  struct interaction_row *out, json_t **details);
/* GET /interactions/{id}. */
enum err_code interactions_get(struct actx *a, long long id, struct interaction_row *out);
/* PATCH /interactions/{id}: at least one set_* in p; lastContacted is recomputed on the old
 * and, after a move, the new contact. */
enum err_code interactions_update(struct actx *a, long long id, const struct interaction_patch *p,
				  struct interaction_row *out, json_t **details);
/* DELETE /interactions/{id}: tombstone written, lastContacted recomputed. */
enum err_code interactions_delete(struct actx *a, long long id);
/* GET /interactions and GET /contacts/{id}/interactions, as notes_list. */
enum err_code interactions_list(struct actx *a, const struct timeline_list_in *in, json_t **data,
				json_t **page, json_t **details);

#endif
