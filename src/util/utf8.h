/* UTF-8 checks shared by the router, the query parser and the field rules. */
#ifndef CRM_UTIL_UTF8_H
#define CRM_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool utf8_valid(const char *s, size_t len);
/* True when the (valid) UTF-8 text holds a C0/C1 control character, U+2028 or U+2029.
 * allow_newlines permits LF, CR and TAB (multi-line fields). */
bool utf8_has_controls(const char *s, size_t len, bool allow_newlines);
/* Number of code points in valid UTF-8. */
size_t utf8_length(const char *s, size_t len);

#endif
