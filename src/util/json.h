/* jansson glue: its allocator, and compact JSON text appended to a buffer: a jansson value's, or
 * a string's in the very form jansson writes it (for pages written without building a tree).
 *
 * The allocator is a per-thread cache of freed small blocks in front of malloc. Serving a page of
 * contacts builds, dumps and frees a few thousand small jansson values (objects, their key pairs,
 * strings, integers); glibc's own per-thread cache keeps seven blocks of a size, so most of them
 * went through malloc's bins and free's consolidation. Every block handed out is an ordinary malloc
 * block, so whatever frees it (jansson, libjwt, which frees the text jansson dumped for it with
 * free(), or our code) may use free() or json_alloc_free(). */
#ifndef CRM_UTIL_JSON_H
#define CRM_UTIL_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"

/* Under AddressSanitizer (make asan) jansson keeps plain malloc and free, so that a value used
 * after its release is still reported instead of living on in the cache. */
#if defined(__SANITIZE_ADDRESS__)
#define JSON_ALLOC_CACHED 0
#else
#define JSON_ALLOC_CACHED 1
#endif

/* Installs json_alloc_malloc/json_alloc_free as jansson's allocator (json_set_alloc_funcs).
 * Call once, before any other thread starts and before any jansson value exists (values made
 * before are fine too: the free function takes any malloc block). */
void json_alloc_install(void);

/* The functions themselves: a block of n bytes (NULL when n is 0, as jansson expects, or on
 * exhaustion) and its release. */
void *json_alloc_malloc(size_t n);
void json_alloc_free(void *p);

/* The blocks the calling thread holds in its cache, and their bytes (for the tests). */
size_t json_alloc_cached(size_t *bytes);

/* Appends v as compact JSON (every value, not only objects and arrays; reals with 15
 * significant digits), or "null" if jansson cannot encode it. The one text form of every
 * response body and export record. */
void json_put_compact(struct buf *out, const json_t *v);

/* Appends s as a JSON string, byte for byte what json_put_compact writes for json_string(s):
 * '"', '\\' and the C0 controls escaped (\b \f \n \r \t, else \u00XX in capitals), every
 * other character as its UTF-8. NULL, or text that is not well-formed UTF-8 (which jansson
 * refuses to hold), is written as null. */
void json_put_string(struct buf *out, const char *s);

/* Appends a string literal of JSON text (structure and keys the program spells). */
#define JSON_PUT_LIT(out, lit) buf_append((out), "" lit, sizeof(lit) - 1)

#endif
