/* See contact_body.h. */
#include "handlers/contact_body.h"

#include "domain/contact_fields.h"
#include "util/timefmt.h"
#include "util/validate.h"

void contact_body_free(struct contact_body *b)
{
	if (b->cf_owned)
		json_decref(b->cf);
	names_free(b->tags, b->ntags);
}

static int current_year(long long now_ms)
{
	struct utc_time t;
	utc_fields(now_ms / 1000, &t);
	return (int)t.year;
}

bool contact_body_parse(const struct field_value *v, enum contact_body_mode mode, long long now,
			struct contact_body *b, json_t **details)
{
	struct contact_input *in = &b->in;
	bool ok = true;
	if (mode != CB_CREATE && v[CB_FIRST].present && v[CB_FIRST].null) {
		details_add(details, "firstName", "required");
		ok = false;
	}
	if (v[CB_EMAIL].text && !valid_email(v[CB_EMAIL].text)) {
		details_add(details, "email", "invalid_format");
		ok = false;
	}
	const char *why;
	if (v[CB_PHONE].text && (why = phone_check(v[CB_PHONE].text))) {
		details_add(details, "phone", why);
		ok = false;
	}
	if (v[CB_BIRTHDAY].text &&
	    (why = birthday_parse(v[CB_BIRTHDAY].text, current_year(now), &in->birthday_year,
				  &in->birthday_month, &in->birthday_day))) {
		details_add(details, "birthday", why);
		ok = false;
	}
	const struct field_value *cf = &v[CB_CF];
	if (cf->present && !cf->null) {
		bool merge = mode == CB_MERGE;
		if (!cf_check_entries(cf->json, merge, details)) {
			ok = false;
		} else if (merge) {
			b->cf = cf->json;
		} else {
			b->cf = cf_normalize(cf->json);
			b->cf_owned = true;
			ok &= cf_check_totals(b->cf, details);
		}
	}
	if (v[CB_TAGS].present && !v[CB_TAGS].null)
		ok &= tag_names_parse(v[CB_TAGS].json, "tags", 0, 50, &b->tags, NULL, NULL,
				      &b->ntags, details);
	in->has_first_name = v[CB_FIRST].present;
	in->first_name = v[CB_FIRST].text;
	in->has_last_name = v[CB_LAST].present;
	in->last_name = v[CB_LAST].text;
	in->has_email = v[CB_EMAIL].present;
	in->email = v[CB_EMAIL].text;
	in->has_phone = v[CB_PHONE].present;
	in->phone = v[CB_PHONE].text;
	in->has_address = v[CB_ADDRESS].present;
	in->address = v[CB_ADDRESS].text;
	in->has_company = v[CB_COMPANY].present;
	in->company = v[CB_COMPANY].text;
	in->has_job_role = v[CB_JOB].present;
	in->job_role = v[CB_JOB].text;
	in->has_birthday = v[CB_BIRTHDAY].present;
	in->has_custom_fields = cf->present;
	in->custom_fields = b->cf;
	in->custom_fields_replace = mode == CB_REPLACE;
	in->has_tags = v[CB_TAGS].present;
	in->tags = (const char *const *)b->tags;
	in->ntags = b->ntags;
	return ok;
}
