/* Shared by the files of src/config/ only: the shape of a row of the settings table, the value
 * parsers that turn a row's text into its typed field, and URL helpers. Nothing outside
 * src/config/ includes this; the rest of the program sees struct config only. */
#ifndef CRM_CONFIG_INTERNAL_H
#define CRM_CONFIG_INTERNAL_H

#include "config/config.h"

#include <stddef.h>

enum setting_type {
	T_STRING,   /* any text; min > 0 = minimum length (secrets) */
	T_INT,	    /* decimal integer in min..max, stored by the field's size (int or long) */
	T_DURATION, /* integer + s|m|h|d, or bare seconds, in min..max seconds; stored as int */
	T_BOOL,	    /* true|false|1|0 */
	T_ENUM,	    /* one of names[], stored as the matching values[] (an int-sized enum) */
	T_ORIGIN,   /* http(s)://host[:port], trailing '/' removed */
	T_URL,	    /* absolute http(s)://host[:port][/path], no query or fragment */
	T_URI,	    /* must start with one of names[] (scheme prefixes such as "redis://") */
	T_ORIGINS,  /* comma-separated list of T_ORIGIN, normalised to "a,b" */
};

enum setting_flags {
	F_SECRET = 1 << 0,	  /* printed as ****, never echoed in messages */
	F_URL_PASSWORD = 1 << 1,  /* a URL whose password part is redacted */
	F_PROD_REQUIRED = 1 << 2, /* production: must be set explicitly (no default applies) */
	F_DEV_SECRET = 1 << 3,	  /* development: read from / generated into DATA_DIR/secrets.env */
	F_ENV_ONLY = 1 << 4,	  /* read from the process environment only (ENV_FILE) */
	F_TRIM_SLASH = 1 << 5,	  /* T_URL: drop trailing '/' (a base that paths are appended to) */
};

/* A derived default: returns the default's text (owned by the caller) from the settings
 * resolved so far (rows above in the table), or NULL to leave the setting unset. */
typedef char *(*setting_derive_fn)(const struct config *c);

#define SETTING_MAX_NAMES 5

struct setting {
	const char *name;  /* environment variable and .env key */
	const char *alias; /* consulted, in every source, only when name is set nowhere */
	enum setting_type type;
	unsigned flags;
	long long min, max;
	const char *def;		      /* default text, parsed like a value; NULL = none */
	setting_derive_fn derive;	      /* used when def is NULL */
	const char *names[SETTING_MAX_NAMES]; /* T_ENUM names / T_URI prefixes, NULL-ended */
	int values[SETTING_MAX_NAMES];	      /* T_ENUM: stored value of names[i] */
	size_t offset, size;		      /* the field in struct config */
};

extern const struct setting config_settings[];
extern const size_t config_settings_len;

/* Parses text for row s into *c (the row's field). On failure returns -1, leaves the field
 * as it was, and writes a problem description (without the value when the row is secret)
 * into problem (size n). */
int config_parse_value(const struct setting *s, const char *text, struct config *c, char *problem,
		       size_t n);

/* Formats the effective value of row s in c for config_print; secrets and URL passwords
 * redacted. Returns a new string (caller frees), or NULL when the setting is unset. */
char *config_format_value(const struct setting *s, const struct config *c);

/* The host part of an absolute URL (without brackets, port or userinfo), or NULL when url has
 * no "scheme://". Caller frees. */
char *config_url_host(const char *url);

/* True when host names the local machine: localhost, *.localhost, 127.0.0.0/8 or ::1. */
int config_host_is_loopback(const char *host);

/* Development only: every F_DEV_SECRET row still unset in c takes its value from
 * DATA_DIR/secrets.env, or gets a generated one that is then stored there (source
 * CONFIG_SRC_SECRETS either way). Returns the number of problems printed to err. */
int config_dev_secrets(struct config *c, FILE *err);

/* Index of the row called name, or -1. */
int config_setting_index(const char *name);

/* The char * field of row s in c (for string-like rows). */
char **config_str_field(const struct setting *s, struct config *c);

#endif
