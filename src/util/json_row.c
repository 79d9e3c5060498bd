/* Objects written from a struct's fields by a list of keys: see json_row.h. */
#include "util/json_row.h"

#include <stdbool.h>

#include "util/json.h"
#include "util/timefmt.h"

static const void *field(const void *row, unsigned short offset)
{
	return (const char *)row + offset;
}

static long long i64_of(const void *row, const struct json_row_key *k)
{
	return *(const long long *)field(row, k->offset);
}

/* The text of a JSON_ROW_TEXT or JSON_ROW_TEXT_EMPTY field as its value shows it. */
static const char *text_of(const void *row, const struct json_row_key *k)
{
	const char *s = *(const char *const *)field(row, k->offset);
	return !s && k->kind == JSON_ROW_TEXT_EMPTY ? "" : s;
}

/* Whether a JSON_ROW_OPT_INT field has a value, and the value. */
static bool opt_present(const void *row, const struct json_row_key *k)
{
	return *(const bool *)field(row, k->present);
}

static int opt_value(const void *row, const struct json_row_key *k)
{
	return *(const int *)field(row, k->offset);
}

/* Whether a time field is shown as null. */
static bool time_null(const void *row, const struct json_row_key *k)
{
	return k->kind == JSON_ROW_TIME_OR_NULL && i64_of(row, k) == 0;
}

json_t *json_row_value(const struct json_row_key *k, const void *row)
{
	json_t *v = NULL;
	char t[40];
	switch (k->kind) {
	case JSON_ROW_I64:
		v = json_integer(i64_of(row, k));
		break;
	case JSON_ROW_TEXT:
	case JSON_ROW_TEXT_EMPTY: {
		const char *s = text_of(row, k);
		v = s ? json_string(s) : NULL; /* NULL too when s is not UTF-8 */
		break;
	}
	case JSON_ROW_TIME:
	case JSON_ROW_TIME_OR_NULL:
		if (!time_null(row, k))
			v = json_string(format_iso8601(i64_of(row, k), t, sizeof t));
		break;
	case JSON_ROW_OPT_INT:
		if (opt_present(row, k))
			v = json_integer(opt_value(row, k));
		break;
	}
	return v ? v : json_null();
}

void json_put_time(struct buf *out, long long ms)
{
	char t[40];
	buf_putc(out, '"');
	buf_puts(out, format_iso8601(ms, t, sizeof t)); /* digits and punctuation: no escapes */
	buf_putc(out, '"');
}

void json_row_put_value(struct buf *out, const struct json_row_key *k, const void *row)
{
	switch (k->kind) {
	case JSON_ROW_I64:
		buf_put_i64(out, i64_of(row, k));
		return;
	case JSON_ROW_TEXT:
	case JSON_ROW_TEXT_EMPTY:
		json_put_string(out, text_of(row, k));
		return;
	case JSON_ROW_TIME:
	case JSON_ROW_TIME_OR_NULL:
		if (!time_null(row, k)) {
			json_put_time(out, i64_of(row, k));
			return;
		}
		break;
	case JSON_ROW_OPT_INT:
		if (opt_present(row, k)) {
			buf_put_i64(out, opt_value(row, k));
			return;
		}
		break;
	}
	JSON_PUT_LIT(out, "null");
}

void json_row_put_key(struct buf *out, const struct json_row_key *k, size_t i)
{
	buf_append(out, k->quoted + (i == 0), k->quoted_len - (i == 0));
}

void json_row_set(json_t *o, const struct json_row_key *keys, size_t n, const void *row)
{
	for (size_t i = 0; i < n; i++)
		json_object_set_new_nocheck(o, keys[i].key, json_row_value(&keys[i], row));
}

void json_row_put_members(struct buf *out, const struct json_row_key *keys, size_t n,
			  const void *row)
{
	for (size_t i = 0; i < n; i++) {
		json_row_put_key(out, &keys[i], i);
		json_row_put_value(out, &keys[i], row);
	}
}
