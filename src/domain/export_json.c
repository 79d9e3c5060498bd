/* The /me/export document (SPEC §8): {"format", "version", "exportedAt", "user",
 * "subscription", "tags", "contacts" (each with "relationships"), "notes", "interactions",
 * "sessions", "securityEvents"}, keys in that order, arrays in ascending id, each array read in
 * keyset chunks of at most EXPORT_CHUNK rows, one chunk per export_next call. Every object is
 * built by the one builder its own route uses (Me, Subscription, Tag, Contact, Relationship,
 * Note, Interaction, Session), so the export shows no field those routes do not show: no
 * password, token or hash, and security events carry only event, time and address. */
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "domain/billing.h"
#include "domain/contacts_internal.h"
#include "domain/export_internal.h"
#include "domain/notes.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/timefmt.h"

enum {
	J_USER,
	J_SUBSCRIPTION,
	J_TAGS,
	J_CONTACTS,
	J_NOTES,
	J_INTERACTIONS,
	J_SESSIONS,
	J_EVENTS,
	J_DONE,
};

/* What is written on entering each step after the first. */
/* clang-format off */
static const char *const OPENING[] = {
    [J_SUBSCRIPTION] = ",\"subscription\":",
    [J_TAGS] = ",\"tags\":[",
    [J_CONTACTS] = ",\"contacts\":[",
    [J_NOTES] = ",\"notes\":[",
    [J_INTERACTIONS] = ",\"interactions\":[",
    [J_SESSIONS] = ",\"sessions\":",
    [J_EVENTS] = ",\"securityEvents\":[",
    [J_DONE] = "}",
};
/* clang-format on */

/* Moves to the next step, closing the current array first when close_array is set. */
static void advance(struct exporter *x, struct buf *out, bool close_array)
{
	if (close_array)
		buf_putc(out, ']');
	x->phase++;
	x->after = 0;
	x->wrote_item = false;
	buf_puts(out, OPENING[x->phase]);
}

/* Starts the next array element: the comma before all but the first. */
static void next_item(struct exporter *x, struct buf *out)
{
	if (x->wrote_item)
		buf_putc(out, ',');
	x->wrote_item = true;
}

/* Appends one array element (stolen). */
static void item(struct exporter *x, struct buf *out, json_t *v)
{
	next_item(x, out);
	export_put_json(out, v);
}

/* One chunk of an array step on db: writes its items, sets *more when the array may go on.
 * Returns >= 0, or < 0 a store status. */
typedef int (*chunk_fn)(struct exporter *x, struct db *db, struct buf *out, bool *more);

static const struct store_ops *OPS_OF(struct exporter *x)
{
	return x->a.app->store->ops;
}

static int tags_chunk(struct exporter *x, struct db *db, struct buf *out, bool *more)
{
	struct tag_row *rows = NULL;
	int n = OPS_OF(x)->export_tags(db, x->a.user_id, x->after, EXPORT_CHUNK, &rows);
	for (int i = 0; i < n; i++)
		item(x, out, tag_to_json(&rows[i]));
	if (n > 0)
		x->after = rows[n - 1].id;
	tag_rows_free(rows, n > 0 ? n : 0);
	*more = n == EXPORT_CHUNK;
	return n;
}

/* Writes contacts rows[0..k) with their tags and relationships (both in contact id order). */
static void put_contacts(struct exporter *x, struct buf *out, const struct contact_row *rows, int k,
			 const struct tag_ref *tags, int nt, const struct relationship_row *rels,
			 int nr)
{
	int t = 0, r = 0;
	for (int i = 0; i < k; i++) {
		long long id = rows[i].id;
		while (t < nt && tags[t].contact_id < id)
			t++;
		int t0 = t;
		while (t < nt && tags[t].contact_id == id)
			t++;
		next_item(x, out);
		buf_putc(out, '{');
		contact_put_members(out, &rows[i], tags + t0, t - t0);
		JSON_PUT_LIT(out, ",\"relationships\":[");
		while (r < nr && rels[r].contact_id < id)
			r++;
		for (int r0 = r; r < nr && rels[r].contact_id == id; r++) {
			if (r > r0)
				buf_putc(out, ',');
			export_put_json(out, relationship_to_json(&rels[r]));
		}
		JSON_PUT_LIT(out, "]}");
	}
}

/* Contacts with their tags and relationships. The relationships of a chunk are read with the
 * same bound as its contacts: when that bound is reached, the last contact named may have more,
 * so only the contacts before it are written now and the rest is read again next time (a
 * contact has at most 100 relationships, so each call still makes progress). */
static int contacts_chunk(struct exporter *x, struct db *db, struct buf *out, bool *more)
{
	const struct store_ops *ops = OPS_OF(x);
	long long uid = x->a.user_id;
	struct contact_row *rows = NULL;
	struct relationship_row *rels = NULL;
	struct tag_ref *tags = NULL;
	*more = false;
	int n = ops->export_contacts(db, uid, x->after, EXPORT_CHUNK, &rows);
	if (n <= 0)
		return n;
	int nread =
	    ops->export_relationships(db, uid, rows[0].id, rows[n - 1].id, EXPORT_CHUNK, &rels);
	int rc = nread, nt = 0, k = n, nuse = nread;
	if (nread == EXPORT_CHUNK) {
		long long cut = rels[nread - 1].contact_id;
		k = 0;
		while (k < n && rows[k].id < cut)
			k++;
		if (k == 0)
			k = 1; /* one contact past any cap: write what was read */
		else
			while (nuse > 0 && rels[nuse - 1].contact_id >= cut)
				nuse--;
	}
	if (rc >= 0)
		rc = nt = ops->export_contact_tags(db, uid, rows[0].id, rows[k - 1].id, &tags);
	if (rc >= 0) {
		put_contacts(x, out, rows, k, tags, nt, rels, nuse);
		x->after = rows[k - 1].id;
		*more = n == EXPORT_CHUNK || k < n;
		rc = k;
	}
	tag_refs_free(tags, nt > 0 ? nt : 0);
	relationship_rows_free(rels, nread > 0 ? nread : 0);
	contact_rows_free(rows, n);
	return rc;
}

static int notes_chunk(struct exporter *x, struct db *db, struct buf *out, bool *more)
{
	struct note_row *rows = NULL;
	int n = OPS_OF(x)->export_notes(db, x->a.user_id, x->after, EXPORT_CHUNK, &rows);
	for (int i = 0; i < n; i++) {
		next_item(x, out);
		note_put_json(out, &rows[i], false);
	}
	if (n > 0)
		x->after = rows[n - 1].id;
	note_rows_free(rows, n > 0 ? n : 0);
	*more = n == EXPORT_CHUNK;
	return n;
}

static int interactions_chunk(struct exporter *x, struct db *db, struct buf *out, bool *more)
{
	struct interaction_row *rows = NULL;
	int n = OPS_OF(x)->export_interactions(db, x->a.user_id, x->after, EXPORT_CHUNK, &rows);
	for (int i = 0; i < n; i++) {
		next_item(x, out);
		interaction_put_json(out, &rows[i], false);
	}
	if (n > 0)
		x->after = rows[n - 1].id;
	interaction_rows_free(rows, n > 0 ? n : 0);
	*more = n == EXPORT_CHUNK;
	return n;
}

/* securityEvents: {event, createdAt, ipAddress} only; the audit row's details, user agent and
 * request id stay out of the export. */
static int events_chunk(struct exporter *x, struct db *db, struct buf *out, bool *more)
{
	struct security_event_row *rows = NULL;
	int n = OPS_OF(x)->export_security_events(db, x->a.user_id, x->after, EXPORT_CHUNK, &rows);
	for (int i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "event", json_string(rows[i].event ? rows[i].event : ""));
		json_object_set_new(o, "createdAt", json_time_or_null(rows[i].created_at));
		json_object_set_new(o, "ipAddress",
				    rows[i].ip ? json_string(rows[i].ip) : json_null());
		item(x, out, o);
	}
	if (n > 0)
		x->after = rows[n - 1].id;
	security_event_rows_free(rows, n > 0 ? n : 0);
	*more = n == EXPORT_CHUNK;
	return n;
}

/* One array step: one connection, one chunk; the array is closed when it cannot go on. */
static int array_step(struct exporter *x, struct buf *out, chunk_fn fn, enum err_code *err)
{
	struct store *s = x->a.app->store;
	struct db *db;
	int rc = store_acquire(s, &db);
	bool more = false;
	if (rc >= 0) {
		rc = fn(x, db, out, &more);
		store_release(s, db);
	}
	if (rc < 0) {
		*err = err_from_store(rc);
		return -1;
	}
	if (!more)
		advance(x, out, true);
	return 0;
}

static int by_id(const void *pa, const void *pb)
{
	json_int_t a = json_integer_value(json_object_get(*(json_t *const *)pa, "id"));
	json_int_t b = json_integer_value(json_object_get(*(json_t *const *)pb, "id"));
	return a < b ? -1 : a > b;
}

/* sessions: the live sessions (at most 50, one read) as GET /me/sessions shows them, ordered
 * by id like every array of the export. */
static int sessions_step(struct exporter *x, struct buf *out, enum err_code *err)
{
	json_t *list = NULL;
	enum err_code e = accounts_sessions(&x->a, &list);
	if (e != ERR_NONE) {
		*err = e;
		return -1;
	}
	size_t n = json_array_size(list);
	json_t **items = xcalloc(n ? n : 1, sizeof *items);
	for (size_t i = 0; i < n; i++)
		items[i] = json_incref(json_array_get(list, i));
	qsort(items, n, sizeof *items, by_id);
	json_array_clear(list);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, items[i]);
	free(items);
	export_put_json(out, list);
	advance(x, out, false);
	return 0;
}

static int user_step(struct exporter *x, struct buf *out, enum err_code *err)
{
	json_t *me = NULL;
	enum err_code e = accounts_me(&x->a, &me);
	if (e != ERR_NONE) {
		*err = e;
		return -1;
	}
	char at[40];
	buf_printf(
	    out,
	    "{\"format\":\"personal-crm-export\",\"version\":1,\"exportedAt\":\"%s\",\"user\":",
	    format_iso8601(x->a.now, at, sizeof at));
	export_put_json(out, me);
	advance(x, out, false);
	return 0;
}

static int subscription_step(struct exporter *x, struct buf *out, enum err_code *err)
{
	struct store *s = x->a.app->store;
	struct db *db;
	int rc = store_acquire(s, &db);
	json_t *sub = NULL;
	if (rc >= 0) {
		rc = billing_subscription_json(&x->a, db, x->a.user_id, &sub);
		store_release(s, db);
	}
	if (rc < 0) {
		*err = err_from_store(rc);
		return -1;
	}
	export_put_json(out, sub ? sub : json_null());
	advance(x, out, false);
	return 0;
}

int export_json_next(struct exporter *x, struct buf *out, enum err_code *err)
{
	int rc;
	switch (x->phase) {
	case J_USER:
		rc = user_step(x, out, err);
		break;
	case J_SUBSCRIPTION:
		rc = subscription_step(x, out, err);
		break;
	case J_TAGS:
		rc = array_step(x, out, tags_chunk, err);
		break;
	case J_CONTACTS:
		rc = array_step(x, out, contacts_chunk, err);
		break;
	case J_NOTES:
		rc = array_step(x, out, notes_chunk, err);
		break;
	case J_INTERACTIONS:
		rc = array_step(x, out, interactions_chunk, err);
		break;
	case J_SESSIONS:
		rc = sessions_step(x, out, err);
		break;
	case J_EVENTS:
		rc = array_step(x, out, events_chunk, err);
		break;
	default:
		return 0;
	}
	if (rc < 0)
		return -1;
	return x->phase == J_DONE ? 0 : 1;
}
