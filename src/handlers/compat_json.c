/* The v1 shapes of the compatibility handlers (see compat_common.h): envelopes, V1Note and
 * V1Interaction, v1 field names in details, and digit-string ids in id arrays. */
#include <stdlib.h>
#include <string.h>

#include "handlers/compat_common.h"
#include "util/alloc.h"

void v1_reply(struct request *req, int status, const char *message, const char *key, json_t *value)
{
	json_t *o = json_object();
	json_object_set_new(o, "message", json_string(message));
	if (key)
		json_object_set_new(o, key, value ? value : json_null());
	reply_json_steal(req, status, o);
}

void v1_reply_doc(struct request *req, int status, const char *message, json_t *doc)
{
	json_t *o = json_object();
	json_object_set_new(o, "message", json_string(message));
	json_object_update(o, doc);
	json_decref(doc);
	reply_json_steal(req, status, o);
}

void v1_details_rename(json_t *details, const char *from, const char *to)
{
	size_t n = strlen(from), i;
	json_t *d;
	json_array_foreach(details, i, d)
	{
		const char *f = json_string_value(json_object_get(d, "field"));
		if (!f || strncmp(f, from, n) != 0 || (f[n] && f[n] != '[' && f[n] != '.'))
			continue;
		char *renamed = xasprintf("%s%s", to, f + n);
		json_object_set_new(d, "field", json_string(renamed));
		free(renamed);
	}
}

/* 1..19 decimal digits, or more (then *overflow); false for anything else. */
static bool digit_string(const char *s, long long *out)
{
	size_t len = strlen(s);
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	if (len > 19 || (len == 19 && strcmp(s, "9223372036854775807") > 0))
		*out = 0; /* beyond 64 bits: out_of_range like 0 */
	else
		*out = strtoll(s, NULL, 10);
	return true;
}

json_t *v1_id_array(json_t *arr)
{
	if (!json_is_array(arr))
		return json_incref(arr);
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		long long id;
		if (json_is_string(v) && digit_string(json_string_value(v), &id))
			json_array_append_new(out, json_integer(id));
		else
			json_array_append(out, v);
	}
	return out;
}

/* One output key and the resource key it is copied from (NULL: the caller's userId). */
struct v1_key {
	const char *out, *src;
};

static const struct v1_key NOTE_KEYS[] = {
    {"id", "id"},
    {"contactId", "contactId"},
    {"userId", NULL},
    {"title", "title"},
    {"content", "content"},
    {"createdAt", "createdAt"},
    {"updatedAt", "updatedAt"},
};

/* "occuredAt" is the v1 client API's spelling (§15.1). */
static const struct v1_key INTERACTION_KEYS[] = {
    {"id", "id"},
    {"contactId", "contactId"},
    {"userId", NULL},
    {"type", "type"},
    {"occuredAt", "occurredAt"},
    {"notes", "notes"},
    {"durationMinutes", "durationMinutes"},
    {"createdAt", "createdAt"},
    {"updatedAt", "updatedAt"},
};

static json_t *reshape(const json_t *src, const struct v1_key *keys, size_t n, long long user_id)
{
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++) {
		json_t *v = keys[i].src ? json_object_get(src, keys[i].src) : NULL;
		if (!keys[i].src)
			json_object_set_new(o, keys[i].out, json_integer(user_id));
		else
			json_object_set_new(o, keys[i].out, v ? json_incref(v) : json_null());
	}
	return o;
}

json_t *v1_note(const json_t *note, long long user_id)
{
	return reshape(note, NOTE_KEYS, sizeof NOTE_KEYS / sizeof NOTE_KEYS[0], user_id);
}

json_t *v1_interaction(const json_t *interaction, long long user_id)
{
	return reshape(interaction, INTERACTION_KEYS,
		       sizeof INTERACTION_KEYS / sizeof INTERACTION_KEYS[0], user_id);
}

json_t *v1_notes(const json_t *arr, long long user_id)
{
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) json_array_append_new(out, v1_note(v, user_id));
	return out;
}

json_t *v1_interactions(const json_t *arr, long long user_id)
{
	json_t *out = json_array();
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) json_array_append_new(out, v1_interaction(v, user_id));
	return out;
}
