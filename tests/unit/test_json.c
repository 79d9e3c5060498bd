/* jansson's allocator (util/json_alloc.c): freed small blocks are kept per thread and handed
 * out again, every block is an ordinary malloc block, and the cache stays bounded. */
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>

#include "test.h"
#include "util/json.h"

TEST(small_blocks_are_reused_by_class)
{
	size_t before = json_alloc_cached(NULL);
	void *a = json_alloc_malloc(40);
	json_alloc_free(a);
	CHECK_INT(json_alloc_cached(NULL), before + 1);
	/* any request of the same class (33..48 bytes) gets the block back */
	void *b = json_alloc_malloc(33);
	CHECK(b == a);
	CHECK_INT(json_alloc_cached(NULL), before);
	/* a block of another class does not */
	void *c = json_alloc_malloc(8);
	CHECK(c != a);
	free(b); /* a plain malloc block: free() is fine */
	json_alloc_free(c);
}

TEST(zero_and_large_requests)
{
	CHECK(json_alloc_malloc(0) == NULL);
	json_alloc_free(NULL);
	size_t before = json_alloc_cached(NULL);
	char *big = json_alloc_malloc(100000);
	CHECK(big != NULL);
	big[99999] = 1;
	json_alloc_free(big); /* beyond the small classes: straight back to malloc */
	CHECK_INT(json_alloc_cached(NULL), before);
}

TEST(blocks_from_malloc_are_taken_by_what_they_hold)
{
	/* jansson may free a block some other code allocated (json_object_set_new steals) */
	char *p = malloc(100);
	json_alloc_free(p);
	char *q = json_alloc_malloc(96);
	CHECK(q == p);
	for (int i = 0; i < 96; i++)
		q[i] = 'x'; /* all 96 bytes usable */
	json_alloc_free(q);
}

TEST(cache_is_bounded)
{
	enum { N = 20000 };
	void **blocks = malloc(N * sizeof *blocks);
	for (int i = 0; i < N; i++)
		blocks[i] = json_alloc_malloc(64);
	for (int i = 0; i < N; i++)
		json_alloc_free(blocks[i]);
	size_t bytes = 0;
	size_t n = json_alloc_cached(&bytes);
	CHECK(n > 0);
	CHECK(bytes <= 256 * 1024);
	CHECK(n < N);
	free(blocks);
}

static void *thread_values(void *arg)
{
	size_t *cached = arg;
	json_t *o = json_object();
	for (int i = 0; i < 50; i++)
		json_object_set_new(o, "k", json_string("value"));
	json_decref(o);
	json_alloc_free(json_alloc_malloc(40)); /* cached in either mode */
	*cached = json_alloc_cached(NULL);
	return NULL;
}

TEST(jansson_values_go_through_it_per_thread)
{
	json_alloc_install();
	size_t in_thread = 0;
	pthread_t t;
	pthread_create(&t, NULL, thread_values, &in_thread);
	pthread_join(
	    t, NULL); /* its cache is freed when it ends: make asan reports a leak otherwise */
	CHECK(JSON_ALLOC_CACHED ? in_thread > 1 : in_thread == 1);
	/* a dumped text is a malloc block too */
	json_t *v = json_pack("{s:i,s:s}", "id", 7, "name", "Ann");
	char *text = json_dumps(v, JSON_COMPACT);
	CHECK_STR(text, "{\"id\":7,\"name\":\"Ann\"}");
	free(text);
	json_decref(v);
}

TEST(compact_text_is_appended)
{
	struct buf b = {0};
	buf_puts(&b, "x=");
	json_t *v = json_pack("{s:[i,f,n],s:s}", "a", 1, 0.5, "k", "é\"\n");
	json_put_compact(&b, v);
	CHECK_STR(b.data, "x={\"a\":[1,0.5,null],\"k\":\"é\\\"\\n\"}");
	json_decref(v);
	json_t *s = json_string("bare");
	json_put_compact(&b, s); /* any value, not only objects and arrays */
	CHECK_STR(b.data, "x={\"a\":[1,0.5,null],\"k\":\"é\\\"\\n\"}\"bare\"");
	json_decref(s);
	buf_free(&b);
	/* many small pieces and long ones across the buffer's growths: what json_dumps writes */
	json_t *arr = json_array();
	for (int i = 0; i < 2000; i++)
		json_array_append_new(arr, i % 100 ? json_integer(i) : json_string("ab\tcd ef"));
	json_array_append_new(arr, json_string(""));
	char *want = json_dumps(arr, JSON_COMPACT);
	json_put_compact(&b, arr);
	CHECK_STR(b.data, want);
	CHECK_INT(b.len, strlen(want));
	free(want);
	json_decref(arr);
	buf_free(&b);
	json_put_compact(&b, NULL); /* nothing to encode */
	CHECK_STR(b.data, "null");
	buf_free(&b);
}

int main(void)
{
	return RUN_TESTS();
}
