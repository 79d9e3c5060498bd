/* The in-process sliding log (see limiter_internal.h). Keys are spread over shards, each with
 * its own mutex, hash table and LRU list, so concurrent requests for different clients rarely
 * contend. Each key holds a ring of admission times that grows only with the requests actually
 * admitted inside its window (and shrinks back when they leave), so memory follows the traffic,
 * not the configured maxima. The hash is SipHash with a per-process random key: keys come from
 * clients (addresses, identifiers), and must not be able to aim at one hash chain. */
#include "limiter/limiter_internal.h"

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

struct entry {
	struct entry *hnext;         /* hash chain */
	struct entry *newer, *older; /* LRU list: the shard's newest is most recently used */
	uint64_t hash;
	long long *log; /* ring of admission times (ms), oldest at log[head] */
	unsigned head, count, cap;
	bool pinned; /* in use by the check running now: never evicted under it */
	size_t keylen;
	char key[];
};

struct shard {
	pthread_mutex_t mu;
	struct entry **table;
	size_t mask;
	struct entry *newest, *oldest;
	size_t n, cap;
};

struct rl_local {
	int nshards;
	struct shard *shards;
	unsigned char hkey[crypto_shorthash_KEYBYTES];
};

struct rl_local *rl_local_new(size_t max_keys, int shards)
{
	if (sodium_init() < 0)
		abort();
	struct rl_local *lo = xcalloc(1, sizeof *lo);
	lo->nshards = shards < 1 ? 1 : shards;
	lo->shards = xcalloc((size_t)lo->nshards, sizeof *lo->shards);
	size_t per = max_keys / (size_t)lo->nshards;
	if (per < 1)
		per = 1;
	size_t buckets = 16;
	while (buckets < per)
		buckets <<= 1;
	for (int i = 0; i < lo->nshards; i++) {
		struct shard *s = &lo->shards[i];
		pthread_mutex_init(&s->mu, NULL);
		s->table = xcalloc(buckets, sizeof *s->table);
		s->mask = buckets - 1;
		s->cap = per;
	}
	randombytes_buf(lo->hkey, sizeof lo->hkey);
	return lo;
}

void rl_local_free(struct rl_local *lo)
{
	if (!lo)
		return;
	for (int i = 0; i < lo->nshards; i++) {
		struct shard *s = &lo->shards[i];
		for (struct entry *e = s->newest, *next; e; e = next) {
			next = e->older;
			free(e->log);
			free(e);
		}
		free(s->table);
		pthread_mutex_destroy(&s->mu);
	}
	free(lo->shards);
	free(lo);
}

static uint64_t key_hash(const struct rl_local *lo, const char *key, size_t len)
{
	unsigned char out[crypto_shorthash_BYTES];
	crypto_shorthash(out, (const unsigned char *)key, len, lo->hkey);
	uint64_t h;
	memcpy(&h, out, sizeof h);
	return h;
}

static int shard_of(const struct rl_local *lo, uint64_t h)
{
	return (int)((h >> 40) % (uint64_t)lo->nshards);
}

static void lru_unlink(struct shard *s, struct entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		s->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		s->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void lru_push_newest(struct shard *s, struct entry *e)
{
	e->older = s->newest;
	e->newer = NULL;
	if (s->newest)
		s->newest->newer = e;
	s->newest = e;
	if (!s->oldest)
		s->oldest = e;
}

static struct entry *find(struct shard *s, uint64_t h, const char *key, size_t len)
{
	for (struct entry *e = s->table[h & s->mask]; e; e = e->hnext)
		if (e->hash == h && e->keylen == len && memcmp(e->key, key, len) == 0)
			return e;
	return NULL;
}

static void table_remove(struct shard *s, struct entry *e)
{
	struct entry **pp = &s->table[e->hash & s->mask];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
}

/* Evicts the least recently used unpinned key when the shard is full. */
static void make_room(struct shard *s)
{
	if (s->n < s->cap)
		return;
	struct entry *victim = s->oldest;
	while (victim && victim->pinned)
		victim = victim->newer;
	if (!victim)
		return; /* every key is in use by this check: exceed the bound for a moment */
	lru_unlink(s, victim);
	table_remove(s, victim);
	s->n--;
	free(victim->log);
	free(victim);
}

static struct entry *create(struct shard *s, uint64_t h, const char *key, size_t len)
{
	make_room(s);
	struct entry *e = xcalloc(1, sizeof *e + len + 1);
	e->hash = h;
	e->keylen = len;
	memcpy(e->key, key, len);
	struct entry **head = &s->table[h & s->mask];
	e->hnext = *head;
	*head = e;
	lru_push_newest(s, e);
	s->n++;
	return e;
}

/* Copies the ring into a new array of cap slots, oldest first. */
static void resize(struct entry *e, unsigned cap)
{
	long long *log = xmalloc(sizeof *log * cap);
	for (unsigned i = 0; i < e->count; i++)
		log[i] = e->log[(e->head + i) % e->cap];
	free(e->log);
	e->log = log;
	e->cap = cap;
	e->head = 0;
}

/* Drops the entries that left the window: admitted at t, an entry counts while t > now − w. */
static void trim(struct entry *e, long long now_ms, long long window_ms)
{
	while (e->count && e->log[e->head] <= now_ms - window_ms) {
		e->head = (e->head + 1) % e->cap;
		e->count--;
	}
	if (e->cap > 16 && e->count < e->cap / 4)
		resize(e, e->cap / 2);
}

static void record(struct entry *e, long long now_ms)
{
	if (e->count == e->cap)
		resize(e, e->cap ? e->cap * 2 : 4);
	e->log[(e->head + e->count) % e->cap] = now_ms;
	e->count++;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

bool rl_local_check(struct rl_local *lo, const struct rl_check *checks, char *const *keys, int n,
		    long long now_ms, struct rl_seen *seen)
{
	uint64_t hash[LIMITER_MAX_CHECKS];
	size_t len[LIMITER_MAX_CHECKS];
	int shard[LIMITER_MAX_CHECKS], order[LIMITER_MAX_CHECKS];
	struct entry *e[LIMITER_MAX_CHECKS];
	for (int i = 0; i < n; i++) {
		len[i] = strlen(keys[i]);
		hash[i] = key_hash(lo, keys[i], len[i]);
		shard[i] = order[i] = shard_of(lo, hash[i]);
	}
	/* Every shard the request touches is locked, in ascending order (no deadlock), so that
	 * the check of all buckets and the recording in all of them are one step. */
	qsort(order, (size_t)n, sizeof *order, cmp_int);
	for (int i = 0; i < n; i++)
		if (i == 0 || order[i] != order[i - 1])
			pthread_mutex_lock(&lo->shards[order[i]].mu);

	bool admitted = true;
	for (int i = 0; i < n; i++) {
		struct shard *s = &lo->shards[shard[i]];
		e[i] = find(s, hash[i], keys[i], len[i]);
		seen[i].count = 0;
		seen[i].edge_ms = 0;
		if (!e[i])
			continue;
		e[i]->pinned = true;
		lru_unlink(s, e[i]);
		lru_push_newest(s, e[i]);
		trim(e[i], now_ms, checks[i].window * 1000LL);
		long long c = e[i]->count;
		seen[i].count = c;
		if (c >= checks[i].max) {
			admitted = false;
			long long k = c - checks[i].max;
			seen[i].edge_ms = e[i]->log[(e[i]->head + (unsigned)k) % e[i]->cap];
		} else if (c > 0) {
			seen[i].edge_ms = e[i]->log[e[i]->head];
		}
	}
	if (admitted) {
		for (int i = 0; i < n; i++) {
			if (!e[i]) {
				/* A second check on the same key in this request finds it created. */
				e[i] = find(&lo->shards[shard[i]], hash[i], keys[i], len[i]);
				if (!e[i])
					e[i] = create(&lo->shards[shard[i]], hash[i], keys[i], len[i]);
				e[i]->pinned = true;
			}
			record(e[i], now_ms);
		}
	}
	for (int i = 0; i < n; i++)
		if (e[i])
			e[i]->pinned = false;

	for (int i = n - 1; i >= 0; i--)
		if (i == 0 || order[i] != order[i - 1])
			pthread_mutex_unlock(&lo->shards[order[i]].mu);
	return admitted;
}

size_t rl_local_keys(struct rl_local *lo)
{
	size_t total = 0;
	for (int i = 0; i < lo->nshards; i++) {
		pthread_mutex_lock(&lo->shards[i].mu);
		total += lo->shards[i].n;
		pthread_mutex_unlock(&lo->shards[i].mu);
	}
	return total;
}
