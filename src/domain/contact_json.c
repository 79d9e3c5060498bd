/* The JSON objects of the contact side (SPEC §9.1, §9.4, §9.5): the one Contact builder every
 * route uses (keys in the SPEC's order, every key present, null when missing), the Tag and
 * Relationship objects, and the read of one contact with its tags. Every key is an ASCII
 * literal, so the objects are filled with json_object_set_new_nocheck: jansson's UTF-8 check of
 * each key cost about 3 % of a page of 25 contacts (callgrind). Values keep their checks.
 *
 * A page of contacts is written as text, member by member (contact_put_members), from the same
 * list of keys as the tree (util/json_row.h): building, dumping and freeing 25 trees was two thirds
 * of the server's work for a page (callgrind). tests/unit/test_contact_json.c holds the two forms
 * to the same bytes. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "domain/cursor.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/fields.h"
#include "util/json.h"
#include "util/json_row.h"

#include "domain/contact_fields.h"
#include "domain/contacts_internal.h"
#include "util/timefmt.h"

json_t *json_time_or_null(long long ms)
{
	if (!ms)
		return json_null();
	char buf[40];
	return json_string(format_iso8601(ms, buf, sizeof buf));
}

/* The tree and the text forms below agree on every value: a string jansson refuses (not
 * UTF-8) is null in both. */
static json_t *str_or_null(const char *s)
{
	json_t *v = s ? json_string(s) : NULL;
	return v ? v : json_null();
}

json_t *tag_refs_to_json(const struct tag_ref *tags, int ntags)
{
	json_t *arr = json_array();
	for (int i = 0; i < ntags; i++) {
		json_t *t = json_object();
		json_object_set_new_nocheck(t, "id", json_integer(tags[i].id));
		json_object_set_new_nocheck(t, "name", str_or_null(tags[i].name));
		json_array_append_new(arr, t);
	}
	return arr;
}

static void tag_refs_put_json(struct buf *out, const struct tag_ref *tags, int ntags)
{
	buf_putc(out, '[');
	for (int i = 0; i < ntags; i++) {
		if (i)
			buf_putc(out, ',');
		JSON_PUT_LIT(out, "{\"id\":");
		buf_put_i64(out, tags[i].id);
		JSON_PUT_LIT(out, ",\"name\":");
		json_put_string(out, tags[i].name);
		buf_putc(out, '}');
	}
	buf_putc(out, ']');
}

/* The Contact's keys in the SPEC's order (§9.1) and what each holds: contact_to_json (the tree)
 * and contact_put_members (the text of a page) are both written from this one list; the
 * birthday, custom fields and tags are the Contact's own kinds, the rest util/json_row.c's. */
enum { CV_BIRTHDAY = JSON_ROW_OWN, CV_CUSTOM_FIELDS, CV_TAGS };
#define C_KEY(k, kind, field) JSON_ROW_KEY(k, kind, struct contact_row, field)
static const struct json_row_key contact_keys[] = {
    C_KEY("id", JSON_ROW_I64, id),
    C_KEY("firstName", JSON_ROW_TEXT, first_name),
    C_KEY("lastName", JSON_ROW_TEXT, last_name),
    C_KEY("email", JSON_ROW_TEXT, email),
    C_KEY("phone", JSON_ROW_TEXT, phone),
    C_KEY("address", JSON_ROW_TEXT, address),
    C_KEY("company", JSON_ROW_TEXT, company),
    C_KEY("jobRole", JSON_ROW_TEXT, job_role),
    JSON_ROW_OWN_KEY("birthday", CV_BIRTHDAY),
    JSON_ROW_OWN_KEY("customFields", CV_CUSTOM_FIELDS),
    JSON_ROW_OWN_KEY("tags", CV_TAGS),
    C_KEY("lastContacted", JSON_ROW_TIME_OR_NULL, last_contacted),
    C_KEY("createdAt", JSON_ROW_TIME_OR_NULL, created_at),
    C_KEY("updatedAt", JSON_ROW_TIME_OR_NULL, updated_at),
};
#undef C_KEY

/* "YYYY-MM-DD" or "--MM-DD" in b, or NULL when the contact has no birthday. */
static const char *birthday_text(const struct contact_row *c, char b[16])
{
	if (!c->birthday_month)
		return NULL;
	birthday_format(c->birthday_year, c->birthday_month, c->birthday_day, b);
	return b;
}

json_t *contact_to_json(const struct contact_row *c, const struct tag_ref *tags, int ntags)
{
	json_t *o = json_object();
	for (size_t i = 0; i < JSON_ROW_N(contact_keys); i++) {
		const struct json_row_key *k = &contact_keys[i];
		char b[16];
		json_t *v;
		switch (k->kind) {
		case CV_BIRTHDAY:
			v = str_or_null(birthday_text(c, b));
			break;
		case CV_CUSTOM_FIELDS:
			v = cf_parse(c->custom_fields);
			break;
		case CV_TAGS:
			v = tag_refs_to_json(tags, ntags);
			break;
		default:
			v = json_row_value(k, c);
			break;
		}
		json_object_set_new_nocheck(o, k->key, v);
	}
	return o;
}

void contact_put_members(struct buf *out, const struct contact_row *c, const struct tag_ref *tags,
			 int ntags)
{
	for (size_t i = 0; i < JSON_ROW_N(contact_keys); i++) {
		const struct json_row_key *k = &contact_keys[i];
		json_row_put_key(out, k, i);
		char b[16];
		switch (k->kind) {
		case CV_BIRTHDAY:
			json_put_string(out, birthday_text(c, b));
			break;
		case CV_CUSTOM_FIELDS:
			if (!c->custom_fields || strcmp(c->custom_fields, "{}") == 0) {
				JSON_PUT_LIT(out, "{}");
			} else {
				json_t *v = cf_parse(c->custom_fields);
				json_put_compact(out, v);
				json_decref(v);
			}
			break;
		case CV_TAGS:
			tag_refs_put_json(out, tags, ntags);
			break;
		default:
			json_row_put_value(out, k, c);
			break;
		}
	}
}

json_t *tag_to_json(const struct tag_row *t)
{
	json_t *o = json_object();
	json_object_set_new_nocheck(o, "id", json_integer(t->id));
	json_object_set_new_nocheck(o, "name", json_string(t->name));
	json_object_set_new_nocheck(o, "contactCount", json_integer(t->contact_count));
	json_object_set_new_nocheck(o, "createdAt", json_time_or_null(t->created_at));
	json_object_set_new_nocheck(o, "updatedAt", json_time_or_null(t->updated_at));
	return o;
}

json_t *relationship_to_json(const struct relationship_row *r)
{
	json_t *o = json_object();
	json_object_set_new_nocheck(o, "id", json_integer(r->id));
	json_object_set_new_nocheck(o, "contactId", json_integer(r->contact_id));
	json_object_set_new_nocheck(o, "relatedContactId", json_integer(r->related_contact_id));
	json_t *rc = json_object();
	json_object_set_new_nocheck(rc, "id", json_integer(r->related_contact_id));
	json_object_set_new_nocheck(rc, "firstName", str_or_null(r->related_first_name));
	json_object_set_new_nocheck(rc, "lastName", str_or_null(r->related_last_name));
	json_object_set_new_nocheck(o, "relatedContact", rc);
	json_object_set_new_nocheck(o, "type", str_or_null(r->type));
	json_object_set_new_nocheck(o, "label", str_or_null(r->label));
	json_object_set_new_nocheck(o, "inverseId",
				    r->inverse_id ? json_integer(r->inverse_id) : json_null());
	json_object_set_new_nocheck(o, "createdAt", json_time_or_null(r->created_at));
	return o;
}

int load_contact_json(struct actx *a, struct db *db, long long id, json_t **out)
{
	struct contact_row c = {0};
	int rc = COPS(a)->contacts_select(db, a->user_id, id, &c);
	if (rc <= 0)
		return rc;
	struct tag_ref *tags = NULL;
	int n = COPS(a)->contact_tags_select(db, a->user_id, &id, 1, &tags);
	if (n >= 0)
		*out = contact_to_json(&c, tags, n);
	tag_refs_free(tags, n > 0 ? n : 0);
	contact_row_free(&c);
	return n < 0 ? n : 1;
}

json_t *page_json(int limit, const char *next_cursor, bool with_total, long long total)
{
	json_t *p = json_object();
	json_object_set_new_nocheck(p, "limit", json_integer(limit));
	json_object_set_new_nocheck(p, "nextCursor",
				    next_cursor ? json_string(next_cursor) : json_null());
	json_object_set_new_nocheck(p, "hasMore", json_boolean(next_cursor != NULL));
	if (with_total)
		json_object_set_new_nocheck(p, "total", json_integer(total));
	return p;
}

bool cursor_take(const char *cursor, const char *sort, const char *digest, json_t **keys,
		 long long *id, json_t **details)
{
	enum cursor_result r = cursor_decode(cursor, sort, digest, keys, id);
	if (r == CURSOR_OK)
		return true;
	details_add(details, "cursor", r == CURSOR_MISMATCH ? "mismatch" : "invalid_format");
	return false;
}

/* Decodes the code point starting at s[i] (valid UTF-8) and its length. */
static unsigned cp_at(const unsigned char *s, size_t i, size_t *len)
{
	unsigned c = s[i];
	if (c < 0x80) {
		*len = 1;
		return c;
	}
	if (c < 0xE0) {
		*len = 2;
		return ((c & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
	}
	if (c < 0xF0) {
		*len = 3;
		return ((c & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
	}
	*len = 4;
	return ((c & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) |
	       (s[i + 3] & 0x3Fu);
}

static void put_cp(struct buf *b, unsigned cp)
{
	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_putc(b, (char)(0xC0 | (cp >> 6)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xE0 | (cp >> 12)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	} else {
		buf_putc(b, (char)(0xF0 | (cp >> 18)));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3F)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3F)));
		buf_putc(b, (char)(0x80 | (cp & 0x3F)));
	}
}

/* The smallest string above every string starting with s: s with its last code point
 * incremented (surrogates skipped; a trailing U+10FFFF is dropped and the one before it
 * incremented). UTF-8 orders bytewise like code points, so the bound stays valid UTF-8, which
 * PostgreSQL requires of text parameters. */
char *prefix_upper(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t end = strlen(s);
	while (end > 0) {
		size_t at = end - 1, len;
		while (at > 0 && (u[at] & 0xC0) == 0x80)
			at--; /* back to the start of the last code point */
		unsigned cp = cp_at(u, at, &len);
		if (cp < 0x10FFFF) {
			cp = cp == 0xD7FF ? 0xE000 : cp + 1;
			struct buf b = {0};
			buf_append(&b, s, at);
			put_cp(&b, cp);
			return buf_steal(&b);
		}
		end = at;
	}
	return xasprintf("%s\xF4\x8F\xBF\xBF", s); /* only U+10FFFF: no string is above all */
}
