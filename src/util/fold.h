/* The folded form of text (SPEC §2.1): trimmed of White_Space, then case-folded, decomposed
 * and stripped of combining marks by utf8proc. Used for case-insensitive keys, lookups, text
 * sorting and search words, computed here so both stores compare bytes identically. */
#ifndef CRM_UTIL_FOLD_H
#define CRM_UTIL_FOLD_H

#include <stddef.h>

/* Returns the folded form of s[0..len) as a new string (caller frees); "" for invalid UTF-8. */
char *fold_text(const char *s, size_t len);
/* Convenience for NUL-terminated text; NULL in gives NULL out. */
char *fold(const char *s);
/* ASCII lowercase copy (email keys; emails are ASCII by rule). Caller frees. */
char *ascii_lower(const char *s);

#endif
