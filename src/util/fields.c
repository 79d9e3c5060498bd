/* Field-spec body parsing (see fields.h). */
#include "util/fields.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/utf8.h"

void details_add(json_t **details, const char *field, const char *reason)
{
	if (!*details)
		*details = json_array();
	json_t *d = json_object();
	json_object_set_new(d, "field", json_string(field));
	json_object_set_new(d, "reason", json_string(reason));
	json_array_append_new(*details, d);
}

/* Decodes one code point (valid UTF-8 assumed) and returns its length. */
static size_t cp_at(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0) {
		*cp = ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
		return 2;
	}
	if ((s[0] & 0xF0) == 0xE0) {
		*cp = ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
		return 3;
	}
	*cp = ((uint32_t)(s[0] & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
	      ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
	return 4;
}

static bool is_white_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
	       c == 0x205F || c == 0x3000;
}

void text_trim(const char *s, size_t len, size_t *start, size_t *out_len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		size_t n = cp_at(p + i, &cp);
		if (!is_white_space(cp))
			break;
		i += n;
	}
	size_t end = i, j = i;
	while (j < len) {
		uint32_t cp;
		size_t n = cp_at(p + j, &cp);
		j += n;
		if (!is_white_space(cp))
			end = j;
	}
	*start = i;
	*out_len = end - i;
}

const char *field_check_text(const char *s, size_t len, enum field_type type, long long min,
			     long long max, bool required, char **trimmed)
{
	*trimmed = NULL;
	if (!utf8_valid(s, len))
		return "invalid_characters";
	size_t start = 0, n = len;
	if (type == FT_TEXT) {
		text_trim(s, len, &start, &n);
		if (utf8_has_controls(s + start, n, false))
			return "invalid_characters";
	} else if (type == FT_TEXT_ML) {
		if (utf8_has_controls(s, len, true))
			return "invalid_characters";
		size_t ts, tn;
		text_trim(s, len, &ts, &tn);
		if (tn == 0)
			n = 0; /* only white space counts as empty */
	}
	if (n == 0 && type != FT_SECRET) {
		if (required)
			return "required";
		return NULL; /* no value */
	}
	size_t cps = utf8_length(s + start, n);
	if (min > 0 && (long long)cps < min)
		return "too_short";
	if (max > 0 && (long long)cps > max)
		return "too_long";
	*trimmed = xstrndup(s + start, n);
	return NULL;
}

/* Server-owned fields (SPEC §2.2): sent in any body they are read_only, not unknown. */
static const char *const server_owned[] = {
	"id", "userId", "createdAt", "updatedAt", "lastContacted", "emailVerified", "plan", "role",
	"active", "hasPassword", "linkedProviders", "lastLoginAt", "passwordHash", "password_hash",
	"stripeCustomerId", "stripeSubscriptionId", "deleted", "inverseId", "contactCount",
};

static bool is_server_owned(const char *key)
{
	for (size_t i = 0; i < sizeof server_owned / sizeof server_owned[0]; i++)
		if (strcmp(server_owned[i], key) == 0)
			return true;
	return false;
}

static const struct field_spec *find(const struct field_spec *spec, int n, const char *key,
				     int *idx)
{
	for (int i = 0; i < n; i++)
		if (strcmp(spec[i].name, key) == 0) {
			*idx = i;
			return &spec[i];
		}
	return NULL;
}

static bool digits_only(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void parse_one(const struct field_spec *f, json_t *v, struct field_value *out,
		      json_t **details)
{
	out->present = true;
	const char *name = f->name;
	if (f->flags & FF_READ_ONLY) {
		details_add(details, name, "read_only");
		return;
	}
	if (json_is_null(v)) {
		out->null = true;
		if (f->flags & FF_REQUIRED)
			details_add(details, name, "required");
		else if (!(f->flags & FF_NULLABLE))
			details_add(details, name, "wrong_type");
		return;
	}
	switch (f->type) {
	case FT_TEXT:
	case FT_TEXT_ML:
	case FT_SECRET: {
		if (!json_is_string(v)) {
			details_add(details, name, "wrong_type");
			return;
		}
		char *t = NULL;
		const char *why = field_check_text(json_string_value(v), json_string_length(v), f->type,
						   f->min, f->max, f->flags & FF_REQUIRED, &t);
		if (why) {
			details_add(details, name, why);
			return;
		}
		if (!t) {
			out->null = true; /* "" on an optional field */
			if (!(f->flags & FF_NULLABLE))
				details_add(details, name, "required");
			return;
		}
		out->text = t;
		return;
	}
	case FT_INT:
	case FT_ID: {
		long long num;
		if (json_is_integer(v)) {
			num = json_integer_value(v);
		} else if ((f->flags & FF_ID_STRING) && json_is_string(v) &&
			   digits_only(json_string_value(v))) {
			const char *s = json_string_value(v);
			if (strlen(s) > 19 || (strlen(s) == 19 && strcmp(s, "9223372036854775807") > 0)) {
				details_add(details, name, "out_of_range");
				return;
			}
			num = strtoll(s, NULL, 10);
		} else {
			details_add(details, name, "wrong_type");
			return;
		}
		if (f->type == FT_ID && num < 1) {
			details_add(details, name, "out_of_range");
			return;
		}
		if ((f->min || f->max) && (num < f->min || num > f->max)) {
			details_add(details, name, "out_of_range");
			return;
		}
		out->num = num;
		return;
	}
	case FT_BOOL:
		if (!json_is_boolean(v)) {
			details_add(details, name, "wrong_type");
			return;
		}
		out->flag = json_is_true(v);
		return;
	case FT_JSON:
		out->json = v;
		return;
	}
}

bool fields_parse(json_t *body, const struct field_spec *spec, int n, struct field_value *out,
		  json_t **details)
{
	memset(out, 0, sizeof *out * (size_t)n);
	size_t before = *details ? json_array_size(*details) : 0;
	if (body) {
		const char *key;
		json_t *v;
		json_object_foreach(body, key, v) {
			int idx;
			const struct field_spec *f = find(spec, n, key, &idx);
			if (!f) {
				details_add(details, key,
					    is_server_owned(key) ? "read_only" : "unknown_field");
				continue;
			}
			parse_one(f, v, &out[idx], details);
		}
	}
	for (int i = 0; i < n; i++)
		if ((spec[i].flags & FF_REQUIRED) && !out[i].present)
			details_add(details, spec[i].name, "required");
	size_t after = *details ? json_array_size(*details) : 0;
	return after == before;
}

void fields_free(struct field_value *out, int n)
{
	for (int i = 0; i < n; i++) {
		free(out[i].text);
		out[i].text = NULL;
	}
}
