/* The export state machine (see export.h) and the CSV of §9.6: the header row that quotes
 * every name, then one record per contact in ascending id, written through util/csv (RFC 4180
 * quoting, formula neutralisation, CRLF after every record); tags are joined by ", " in folded
 * order. An account without contacts gets the header row only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "domain/contacts_internal.h"
#include "domain/export_internal.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/csv.h"
#include "util/json.h"

#define CSV_HEADER                                                                                 \
	"\"id\",\"firstName\",\"lastName\",\"email\",\"phone\",\"address\",\"company\","           \
	"\"jobRole\",\"tags\"\r\n"

enum { CSV_START, CSV_ROWS, CSV_DONE };

struct exporter *export_new(const struct actx *a, enum export_kind kind)
{
	struct exporter *x = xcalloc(1, sizeof *x);
	x->kind = kind;
	x->a = *a;
	snprintf(x->ip, sizeof x->ip, "%s", a->ip ? a->ip : "");
	snprintf(x->request_id, sizeof x->request_id, "%s", a->request_id ? a->request_id : "");
	x->user_agent = a->user_agent ? xstrdup(a->user_agent) : NULL;
	x->a.ip = x->ip;
	x->a.request_id = x->request_id;
	x->a.user_agent = x->user_agent;
	return x;
}

void export_free(struct exporter *x)
{
	if (!x)
		return;
	free(x->user_agent);
	free(x);
}

void export_put_json(struct buf *out, json_t *v)
{
	json_put_compact(out, v);
	json_decref(v);
}

/* One record: the contact's columns and its tags (tags[0..ntags), in folded order). */
static void csv_record(struct buf *out, const struct contact_row *c, const struct tag_ref *tags,
		       int ntags)
{
	csv_int(out, c->id, true);
	csv_text(out, c->first_name, false);
	csv_text(out, c->last_name, false);
	csv_text(out, c->email, false);
	csv_text(out, c->phone, false);
	csv_text(out, c->address, false);
	csv_text(out, c->company, false);
	csv_text(out, c->job_role, false);
	struct buf joined = {0};
	buf_puts(&joined, ""); /* allocates: a contact without tags gets "" (quoted), not null */
	for (int i = 0; i < ntags; i++) {
		if (i)
			buf_puts(&joined, ", ");
		buf_puts(&joined, tags[i].name);
	}
	csv_text(out, joined.data, false);
	buf_free(&joined);
	csv_end(out);
}

/* Reads the next chunk of contacts with their tags and writes their records. Returns the
 * number of contacts written or < 0. */
static int csv_chunk(struct exporter *x, struct buf *out)
{
	struct store *s = x->a.app->store;
	struct db *db;
	int rc = store_acquire(s, &db);
	if (rc < 0)
		return rc;
	struct contact_row *rows = NULL;
	struct tag_ref *tags = NULL;
	int n = s->ops->export_contacts(db, x->a.user_id, x->after, EXPORT_CHUNK, &rows);
	int nt = 0;
	if (n > 0)
		nt = s->ops->export_contact_tags(db, x->a.user_id, rows[0].id, rows[n - 1].id,
						 &tags);
	store_release(s, db);
	if (n < 0 || nt < 0) {
		rc = n < 0 ? n : nt;
		contact_rows_free(rows, n > 0 ? n : 0);
		return rc;
	}
	/* Both lists are in contact id order: walk them together. */
	int t = 0;
	for (int i = 0; i < n; i++) {
		while (t < nt && tags[t].contact_id < rows[i].id)
			t++;
		int first = t;
		while (t < nt && tags[t].contact_id == rows[i].id)
			t++;
		csv_record(out, &rows[i], tags + first, t - first);
	}
	if (n > 0)
		x->after = rows[n - 1].id;
	tag_refs_free(tags, nt);
	contact_rows_free(rows, n);
	return n;
}

/* Drops what a failed step appended to out since mark: a failure appends nothing. */
static void truncate_to(struct buf *out, size_t mark)
{
	out->len = mark;
	if (out->data)
		out->data[mark] = '\0';
}

static int csv_next(struct exporter *x, struct buf *out, enum err_code *err)
{
	if (x->phase == CSV_DONE)
		return 0;
	if (x->phase == CSV_START)
		buf_puts(out, CSV_HEADER);
	int n = csv_chunk(x, out);
	if (n < 0) {
		*err = err_from_store(n);
		return -1;
	}
	/* A short chunk is the last one: no empty read is needed to learn that. */
	x->phase = n < EXPORT_CHUNK ? CSV_DONE : CSV_ROWS;
	return x->phase == CSV_DONE ? 0 : 1;
}

int export_next(struct exporter *x, struct buf *out, enum err_code *err)
{
	*err = ERR_NONE;
	size_t mark = out->len;
	int rc = x->kind == EXPORT_CSV ? csv_next(x, out, err) : export_json_next(x, out, err);
	if (rc < 0)
		truncate_to(out, mark);
	return rc;
}
