/* Allocation that never returns NULL: on exhaustion the process aborts with a message,
 * so callers need no failure paths for memory. */
#ifndef CRM_UTIL_ALLOC_H
#define CRM_UTIL_ALLOC_H

#include <stddef.h>

/* Like malloc/calloc/realloc/strdup but abort on failure. The caller owns the result. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Copies at most n bytes of s and NUL-terminates. */
char *xstrndup(const char *s, size_t n);
/* printf into a new string owned by the caller. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
