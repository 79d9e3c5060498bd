/* A contact body's fields (SPEC §9.1) after the field specs: the rules the specs cannot say
 * (email, phone, birthday, customFields, tags), checked once for the resource routes
 * (handlers/contacts.c) and the v1 routes C1/C3 (handlers/compat_contacts.c). */
#ifndef CRM_HANDLERS_CONTACT_BODY_H
#define CRM_HANDLERS_CONTACT_BODY_H

#include <jansson.h>
#include <stdbool.h>

#include "domain/contacts.h"
#include "util/fields.h"

/* The index of each field in the callers' field specs (their first CB__COUNT entries). */
enum {
	CB_FIRST,
	CB_LAST,
	CB_EMAIL,
	CB_PHONE,
	CB_ADDRESS,
	CB_COMPANY,
	CB_JOB,
	CB_BIRTHDAY,
	CB_CF,
	CB_TAGS,
	CB__COUNT
};

enum contact_body_mode {
	CB_CREATE, /* a new contact */
	CB_MERGE,  /* PATCH: customFields merged into the stored object (null entries remove) */
	CB_REPLACE /* v1 C3: an update whose customFields replaces the stored object whole */
};

/* What a parsed body owns besides the field values. */
struct contact_body {
	struct contact_input in;
	json_t *cf; /* normalised object, or (CB_MERGE) the body's own patch object */
	bool cf_owned;
	char **tags;
	int ntags;
};

/* Checks v (indexed as above) and fills b->in. Adds details; false when bad. now: Unix ms. */
bool contact_body_parse(const struct field_value *v, enum contact_body_mode mode, long long now,
			struct contact_body *b, json_t **details);
void contact_body_free(struct contact_body *b);

#endif
