/* jansson glue: see json.h. */
#include "util/json.h"

#include <malloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

/* Blocks are cached by class c (0..CLASSES-1): requests of up to (c + 1) * 16 bytes, which
 * ask malloc for exactly that much. A block's class on release is the largest whose requests
 * fit its usable size (malloc_usable_size: 16k + 8 bytes for glibc's ordinary chunks, the size
 * asked for under a sanitizer's allocator), so a block that did not
 * come from json_alloc_malloc is cached by what it can hold. */
enum { GRAIN = 16, CLASSES = 16, MAX_SMALL = GRAIN * CLASSES };
/* At most this many bytes cached per thread: what is kept back from malloc stays bounded. */
enum { THREAD_BYTES_MAX = 256 * 1024 };

struct block {
	struct block *next;
};

struct cache {
	struct block *head[CLASSES];
	size_t count, bytes;
	bool registered;
};

static _Thread_local struct cache cache;
static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

/* A thread that ends gives its cached blocks back to malloc. */
static void cache_release(void *arg)
{
	struct cache *c = arg;
	for (int k = 0; k < CLASSES; k++) {
		while (c->head[k]) {
			struct block *b = c->head[k];
			c->head[k] = b->next;
			free(b);
		}
	}
	c->count = c->bytes = 0;
}

static void cache_key_create(void)
{
	pthread_key_create(&cache_key, cache_release);
}

void *json_alloc_malloc(size_t n)
{
	if (n == 0)
		return NULL;
	if (n > MAX_SMALL)
		return malloc(n);
	size_t k = (n - 1) / GRAIN;
	struct block *b = cache.head[k];
	if (b) {
		cache.head[k] = b->next;
		cache.count--;
		cache.bytes -= (k + 1) * GRAIN;
		return b;
	}
	return malloc((k + 1) * GRAIN);
}

void json_alloc_free(void *p)
{
	if (!p)
		return;
	size_t usable = malloc_usable_size(p);
	size_t k = usable / GRAIN; /* holds k * GRAIN bytes: class k - 1 */
	if (k == 0 || k > CLASSES || cache.bytes + usable > THREAD_BYTES_MAX) {
		free(p);
		return;
	}
	if (!cache.registered) {
		pthread_once(&cache_once, cache_key_create);
		pthread_setspecific(cache_key, &cache);
		cache.registered = true;
	}
	k--;
	struct block *b = p;
	b->next = cache.head[k];
	cache.head[k] = b;
	cache.count++;
	cache.bytes += (k + 1) * GRAIN;
}

void json_alloc_install(void)
{
	if (JSON_ALLOC_CACHED)
		json_set_alloc_funcs(json_alloc_malloc, json_alloc_free);
}

size_t json_alloc_cached(size_t *bytes)
{
	if (bytes)
		*bytes = cache.bytes;
	return cache.count;
}

/* jansson hands the text over in thousands of small pieces (a page of contacts: about 6,000),
 * most of a byte or a few: those that fit go in directly, the terminating NUL once at the end. */
static int append(const char *data, size_t n, void *ctx)
{
	struct buf *b = ctx;
	if (b->len + n < b->cap) {
		if (n == 1)
			b->data[b->len] = *data;
		else
			memcpy(b->data + b->len, data, n);
		b->len += n;
	} else {
		buf_append(b, data, n);
	}
	return 0;
}

void json_put_compact(struct buf *out, const json_t *v)
{
	size_t start = out->len;
	if (json_dump_callback(v, append, out,
			       JSON_COMPACT | JSON_REAL_PRECISION(15) | JSON_ENCODE_ANY) != 0) {
		out->len = start;
		buf_puts(out, "null");
	} else if (out->data) {
		out->data[out->len] = '\0'; /* len < cap: buf_append leaves room for it */
	}
}

/* What follows a backslash for the bytes below 0x20 that JSON has a short escape for. */
static const char short_escape[0x20] = {
    ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't',
};

void json_put_string(struct buf *out, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (!s || !utf8_valid(s, n)) {
		JSON_PUT_LIT(out, "null");
		return;
	}
	buf_putc(out, '"');
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;
	for (; p < end; p++) {
		unsigned c = *p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (p > run)
			buf_append(out, run, (size_t)(p - run));
		char esc[6] = {'\\', (char)c};
		size_t len = 2;
		if (c < 0x20 && short_escape[c]) {
			esc[1] = short_escape[c];
		} else if (c < 0x20) {
			static const char hex[] = "0123456789ABCDEF";
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			len = 6;
		}
		buf_append(out, esc, len);
		run = p + 1;
	}
	if (p > run)
		buf_append(out, run, (size_t)(p - run));
	buf_putc(out, '"');
}
