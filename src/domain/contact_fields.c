/* Contact field rules (see contact_fields.h). */
#include "domain/contact_fields.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/fields.h"
#include "util/fold.h"
#include "util/timeparse.h"
#include "util/utf8.h"

#define MAX_SAFE_INT 9007199254740992.0 /* 2^53 */

static void detail_at(json_t **details, const char *field, const char *sub, const char *reason)
{
	char *name = xasprintf("%s.%s", field, sub);
	details_add(details, name, reason);
	free(name);
}

static void detail_index(json_t **details, const char *field, size_t i, const char *reason)
{
	char name[96];
	snprintf(name, sizeof name, "%s[%zu]", field, i);
	details_add(details, name, reason);
}

static bool valid_cf_key(const char *k)
{
	size_t n = strlen(k);
	if (n < 1 || n > CF_MAX_KEY_LEN)
		return false;
	for (const char *p = k; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return true;
}

bool cf_check_entries(const json_t *obj, bool patch, json_t **details)
{
	if (!json_is_object(obj)) {
		details_add(details, "customFields", "wrong_type");
		return false;
	}
	bool ok = true;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v)
	{
		if (!valid_cf_key(key)) {
			detail_at(details, "customFields", key, "invalid_format");
			ok = false;
			continue;
		}
		const char *why = NULL;
		if (json_is_string(v)) {
			const char *s = json_string_value(v);
			size_t len = json_string_length(v);
			if (!utf8_valid(s, len) || utf8_has_controls(s, len, false))
				why = "invalid_characters";
			else if (utf8_length(s, len) > CF_MAX_STRING)
				why = "too_long";
		} else if (json_is_real(v)) {
			if (!isfinite(json_real_value(v)))
				why = "out_of_range";
		} else if (json_is_integer(v) || json_is_boolean(v)) {
			/* fine */
		} else if (json_is_null(v) && patch) {
			/* removes the key */
		} else {
			why = "wrong_type";
		}
		if (why) {
			detail_at(details, "customFields", key, why);
			ok = false;
		}
	}
	return ok;
}

/* Normalised copy of one scalar value (see cf_normalize). */
static json_t *normal_value(const json_t *v)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i > (json_int_t)1 << 53 || i < -((json_int_t)1 << 53))
			return json_real((double)i);
		return json_integer(i);
	}
	if (json_is_real(v)) {
		double x = json_real_value(v);
		if (x == floor(x) && fabs(x) <= MAX_SAFE_INT)
			return json_integer((json_int_t)x);
		return json_real(x);
	}
	return json_deep_copy(v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of obj sorted bytewise (array of borrowed pointers; caller frees the array). */
static const char **sorted_keys(const json_t *obj, size_t *n)
{
	*n = json_object_size(obj);
	const char **keys = xcalloc(*n ? *n : 1, sizeof *keys);
	size_t i = 0;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v) keys[i++] = key;
	qsort(keys, *n, sizeof *keys, cmp_str);
	return keys;
}

json_t *cf_normalize(const json_t *obj)
{
	json_t *out = json_object();
	if (!json_is_object(obj))
		return out;
	size_t n;
	const char **keys = sorted_keys(obj, &n);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(obj, keys[i]);
		if (!json_is_null(v))
			json_object_set_new(out, keys[i], normal_value(v));
	}
	free(keys);
	return out;
}

json_t *cf_merge(const json_t *base, const json_t *patch)
{
	if (!patch)
		return json_object();
	json_t *m = json_object();
	if (json_is_object(base))
		json_object_update(m, (json_t *)base);
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)patch, key, v)
	{
		if (json_is_null(v))
			json_object_del(m, key);
		else
			json_object_set(m, key, v);
	}
	json_t *out = cf_normalize(m);
	json_decref(m);
	return out;
}

bool cf_check_totals(const json_t *obj, json_t **details)
{
	if (json_object_size(obj) > CF_MAX_KEYS) {
		details_add(details, "customFields", "too_many");
		return false;
	}
	char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	size_t len = s ? strlen(s) : 0;
	free(s);
	if (len > CF_MAX_BYTES) {
		details_add(details, "customFields", "too_long");
		return false;
	}
	return true;
}

char *cf_serialize(const json_t *obj)
{
	if (!json_is_object(obj) || json_object_size(obj) == 0)
		return NULL;
	return json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
}

json_t *cf_parse(const char *text)
{
	if (!text)
		return json_object();
	/* Integers read as reals: PostgreSQL's jsonb writes 1e20 as 100000000000000000000,
	 * which is no 64-bit integer; cf_normalize turns integral values back into integers. */
	json_t *o = json_loads(text, JSON_DECODE_INT_AS_REAL, NULL);
	json_t *out = cf_normalize(o);
	json_decref(o);
	return out;
}

/* ---- birthday ---- */

static bool two_digits(const char *s, int *out)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return false;
	*out = (s[0] - '0') * 10 + (s[1] - '0');
	return true;
}

const char *birthday_parse(const char *s, int current_year, int *y, int *m, int *d)
{
	size_t n = strlen(s);
	*y = 0;
	if (n == 7 && s[0] == '-' && s[1] == '-' && s[4] == '-') {
		if (!two_digits(s + 2, m) || !two_digits(s + 5, d))
			return "invalid_format";
		return valid_date(2000, *m, *d) ? NULL : "invalid_value"; /* 2000: leap year */
	}
	if (n != 10 || s[4] != '-' || s[7] != '-')
		return "invalid_format";
	for (int i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return "invalid_format";
	if (!two_digits(s + 5, m) || !two_digits(s + 8, d))
		return "invalid_format";
	*y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	if (*y < 1900 || *y > current_year)
		return "out_of_range";
	return valid_date(*y, *m, *d) ? NULL : "invalid_value";
}

void birthday_format(int y, int m, int d, char *out)
{
	if (y)
		snprintf(out, 16, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u,
			 (unsigned)d % 100u);
	else
		snprintf(out, 16, "--%02u-%02u", (unsigned)m % 100u, (unsigned)d % 100u);
}

/* ---- phone ---- */

const char *phone_check(const char *s)
{
	int digits = 0;
	for (const char *p = s; *p; p++) {
		char c = *p;
		if (c >= '0' && c <= '9')
			digits++;
		else if (c == '+') {
			if (p != s)
				return "invalid_format";
		} else if (!(c == ' ' || c == '(' || c == ')' || c == '.' || c == '-' || c == '/'))
			return "invalid_characters";
	}
	return digits >= 3 && digits <= 20 ? NULL : "invalid_format";
}

char *phone_digits(const char *s)
{
	char *out = xmalloc(strlen(s) + 1);
	size_t n = 0;
	for (const char *p = s; *p; p++)
		if (*p >= '0' && *p <= '9')
			out[n++] = *p;
	out[n] = '\0';
	return out;
}

/* ---- tag names and id arrays ---- */

const char *tag_name_check(const char *s, size_t len, char **trimmed)
{
	const char *why = field_check_text(s, len, FT_TEXT, 1, 50, true, trimmed);
	if (!why && strchr(*trimmed, ',')) {
		free(*trimmed);
		*trimmed = NULL;
		why = "invalid_characters";
	}
	return why;
}

void names_free(char **names, int n)
{
	if (!names)
		return;
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static bool array_size_ok(const json_t *arr, const char *field, int min, int max, json_t **details)
{
	if (!json_is_array(arr)) {
		details_add(details, field, "wrong_type");
		return false;
	}
	int n = (int)json_array_size(arr);
	if (n < min) {
		details_add(details, field, "too_few");
		return false;
	}
	if (n > max) {
		details_add(details, field, "too_many");
		return false;
	}
	return true;
}

bool tag_names_parse(const json_t *arr, const char *field, int min, int max, char ***names,
		     char ***keys, int **pos, int *n, json_t **details)
{
	*names = NULL;
	if (keys)
		*keys = NULL;
	if (pos)
		*pos = NULL;
	*n = 0;
	if (!array_size_ok(arr, field, min, max, details))
		return false;
	size_t len = json_array_size(arr);
	char **out = xcalloc(len ? len : 1, sizeof *out);
	char **out_keys = xcalloc(len ? len : 1, sizeof *out_keys);
	int *out_pos = xcalloc(len ? len : 1, sizeof *out_pos);
	int count = 0;
	bool ok = true;
	for (size_t i = 0; i < len; i++) {
		json_t *v = json_array_get(arr, i);
		if (!json_is_string(v)) {
			detail_index(details, field, i, "wrong_type");
			ok = false;
			continue;
		}
		char *t = NULL;
		const char *why = tag_name_check(json_string_value(v), json_string_length(v), &t);
		if (why) {
			detail_index(details, field, i, why);
			ok = false;
			continue;
		}
		char *k = fold(t);
		bool dup = false;
		for (int j = 0; j < count && !dup; j++)
			dup = strcmp(out_keys[j], k) == 0;
		if (dup) {
			free(t);
			free(k);
			continue;
		}
		out[count] = t;
		out_pos[count] = (int)i;
		out_keys[count++] = k;
	}
	if (!ok) {
		names_free(out, count);
		names_free(out_keys, count);
		free(out_pos);
		return false;
	}
	*names = out;
	*n = count;
	if (pos)
		*pos = out_pos;
	else
		free(out_pos);
	if (keys)
		*keys = out_keys;
	else
		names_free(out_keys, count);
	return true;
}

bool id_array_parse(const json_t *arr, const char *field, int min, int max, long long **ids, int *n,
		    json_t **details)
{
	*ids = NULL;
	*n = 0;
	if (!array_size_ok(arr, field, min, max, details))
		return false;
	size_t len = json_array_size(arr);
	long long *out = xcalloc(len ? len : 1, sizeof *out);
	bool ok = true;
	for (size_t i = 0; i < len; i++) {
		json_t *v = json_array_get(arr, i);
		if (!json_is_integer(v)) {
			detail_index(details, field, i, "wrong_type");
			ok = false;
			continue;
		}
		long long id = json_integer_value(v);
		if (id < 1) {
			detail_index(details, field, i, "out_of_range");
			ok = false;
			continue;
		}
		for (size_t j = 0; j < i; j++)
			if (out[j] == id) {
				detail_index(details, field, i, "duplicate");
				ok = false;
				break;
			}
		out[i] = id;
	}
	if (!ok) {
		free(out);
		return false;
	}
	*ids = out;
	*n = (int)len;
	return true;
}
