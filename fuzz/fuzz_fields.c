/* libFuzzer target: request bodies parsed as JSON (the pipeline's json_loadb flags) and checked
 * against field specs of every type and flag (src/util/fields.c), as handlers do. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "util/fields.h"

static const struct field_spec spec[] = {
	{"email", FT_TEXT, FF_REQUIRED, 3, 254},
	{"username", FT_TEXT, FF_NULLABLE, 3, 30},
	{"password", FT_SECRET, FF_REQUIRED, 12, 128},
	{"notes", FT_TEXT_ML, FF_NULLABLE, 0, 10000},
	{"durationMinutes", FT_INT, FF_NULLABLE, 0, 10080},
	{"contactId", FT_ID, FF_ID_STRING, 0, 0},
	{"active", FT_BOOL, 0, 0, 0},
	{"customFields", FT_JSON, FF_NULLABLE, 0, 0},
	{"role", FT_TEXT, FF_READ_ONLY, 0, 0},
	{"id", FT_ID, FF_READ_ONLY, 0, 0},
};
#define NSPEC ((int)(sizeof spec / sizeof spec[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t err;
	json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
	if (!doc)
		return 0;
	if (json_is_object(doc)) {
		struct field_value out[NSPEC];
		json_t *details = NULL;
		fields_parse(doc, spec, NSPEC, out, &details);
		fields_free(out, NSPEC);
		json_decref(details);
		/* A second pass with a prefix, as nested objects are checked. */
		details = NULL;
		fields_parse(doc, spec + 3, NSPEC - 3, out, &details);
		fields_free(out, NSPEC - 3);
		json_decref(details);
	}
	/* The text rules alone, on the raw bytes. */
	char *trimmed = NULL;
	field_check_text((const char *)data, size, FT_TEXT, 1, 200, true, &trimmed);
	free(trimmed);
	trimmed = NULL;
	field_check_text((const char *)data, size, FT_TEXT_ML, 0, 50000, false, &trimmed);
	free(trimmed);
	json_decref(doc);
	return 0;
}
