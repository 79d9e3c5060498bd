/* The .env file format of SPEC §16.1 (also used for DATA_DIR/secrets.env): parsing into a list
 * of KEY=VALUE entries that remember their line, and writing values back so they re-parse. */
#ifndef CRM_CONFIG_DOTENV_H
#define CRM_CONFIG_DOTENV_H

#include <stdio.h>

#include "util/buf.h"

struct dotenv_entry {
	char *key, *value; /* owned */
	int line;	   /* 1-based line of the file, for messages */
};

struct dotenv {
	char *path; /* owned copy of the file name, for messages; NULL for parsed text */
	struct dotenv_entry *v;
	size_t n, cap;
};

/* Parses text (the whole file) into d, which must be zeroed or previously freed. Every
 * malformed line is reported to err as `config: <var>: <path> line N: <problem>` (path is only
 * used in the message) and skipped. Returns the number of malformed lines. */
int dotenv_parse(struct dotenv *d, const char *text, const char *path, const char *var, FILE *err);

/* Reads and parses the file at path into d (zeroed first). Returns 0 when it was read (the
 * malformed lines, if any, added to *problems), or -1 with errno set when it could not be
 * opened or read (nothing printed; ENOENT is for the caller to judge). */
int dotenv_read(struct dotenv *d, const char *path, const char *var, FILE *err, int *problems);

/* The value of the last entry called key (the last occurrence wins), or NULL. The entry is
 * returned too so callers can cite its line; the pointers belong to d. */
const struct dotenv_entry *dotenv_get(const struct dotenv *d, const char *key);

/* Appends `KEY=VALUE\n` to b, quoting value so that dotenv_parse gives it back unchanged. */
void dotenv_format(struct buf *b, const char *key, const char *value);

/* Frees every entry and zeroes d. */
void dotenv_free(struct dotenv *d);

#endif
