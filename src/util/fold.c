/* Text folding through utf8proc (see fold.h). */
#include "util/fold.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "util/alloc.h"
#include "util/fields.h"

char *fold_text(const char *s, size_t len)
{
	size_t start, n;
	text_trim(s, len, &start, &n);
	if (n == 0)
		return xstrdup("");
	/* utf8proc_map needs NUL-terminated input (or an explicit length). */
	utf8proc_uint8_t *out = NULL;
	utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s + start, (utf8proc_ssize_t)n,
					  &out,
					  UTF8PROC_CASEFOLD | UTF8PROC_DECOMPOSE | UTF8PROC_STRIPMARK);
	if (r < 0 || !out) {
		free(out);
		return xstrdup("");
	}
	/* utf8proc allocates with malloc; hand back a string our callers free() the same way. */
	return (char *)out;
}

char *fold(const char *s)
{
	return s ? fold_text(s, strlen(s)) : NULL;
}

char *ascii_lower(const char *s)
{
	char *out = xstrdup(s);
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return out;
}
