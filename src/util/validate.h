/* Format rules of the field catalogue (SPEC §2.2) that are not plain lengths. */
#ifndef CRM_UTIL_VALIDATE_H
#define CRM_UTIL_VALIDATE_H

#include <stdbool.h>

/* ASCII local@domain per §2.2 (3..254 chars, local 1..64, dotted labels, alphabetic TLD or
 * xn--). */
bool valid_email(const char *s);
/* 3..30 of [A-Za-z0-9_]. */
bool valid_username(const char *s);
/* Absolute https:// URL of at most 2048 characters with a host. */
bool valid_https_url(const char *s);

#endif
