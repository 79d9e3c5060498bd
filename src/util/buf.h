/* Growable byte buffer, always NUL-terminated so it can be used as a C string. */
#ifndef CRM_UTIL_BUF_H
#define CRM_UTIL_BUF_H

#include <stddef.h>

struct buf {
	char *data; /* owned; NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;
};

void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* v in decimal (what printf's %lld writes), without printf's cost: the text goes into out,
 * NUL-terminated, and its length is returned. FMT_I64_MAX holds any long long. */
enum { FMT_I64_MAX = 24 };
size_t fmt_i64(char out[FMT_I64_MAX], long long v);
void buf_put_i64(struct buf *b, long long v);
/* Hands the contents to the caller (never NULL) and empties the buffer. */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

#endif
