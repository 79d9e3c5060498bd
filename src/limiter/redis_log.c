/* The shared sliding log in Redis (see limiter_internal.h): a small pool of blocking hiredis
 * connections with a timeout on connect and on every command, and one Lua script that checks
 * all the buckets of a request and records it in all of them, or in none, atomically. The
 * script uses Redis's clock (TIME), so every node of the service counts on the same time line.
 * Any error drops the connection: after a timeout its reply may still arrive, and a fresh
 * connection is the only one whose state is known. */
#include "limiter/limiter_internal.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "integrations/redis.h"
#include "util/alloc.h"

/* KEYS[i] = rl:<bucket>:<key>; ARGV[1] = a member unique to this request, then per key its max
 * and window (ms). Replies {admitted, now_ms, count_1, edge_1, count_2, edge_2, ...}: counts
 * before this request; edge = the oldest entry, or when full the one whose departure makes
 * room. Entries count while their score > now − window. */
static const char SCRIPT[] =
	"pcall(redis.replicate_commands)\n"
	"local t = redis.call('TIME')\n"
	"local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
	"local out = {0, now}\n"
	"local ok = 1\n"
	"for i = 1, #KEYS do\n"
	"  local max = tonumber(ARGV[2 * i])\n"
	"  local win = tonumber(ARGV[2 * i + 1])\n"
	"  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - win)\n"
	"  local c = redis.call('ZCARD', KEYS[i])\n"
	"  local edge = 0\n"
	"  if c >= max then\n"
	"    ok = 0\n"
	"    edge = tonumber(redis.call('ZRANGE', KEYS[i], c - max, c - max, 'WITHSCORES')[2])\n"
	"  elseif c > 0 then\n"
	"    edge = tonumber(redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')[2])\n"
	"  end\n"
	"  out[#out + 1] = c\n"
	"  out[#out + 1] = edge\n"
	"end\n"
	"if ok == 1 then\n"
	"  for i = 1, #KEYS do\n"
	"    redis.call('ZADD', KEYS[i], now, ARGV[1])\n"
	"    redis.call('PEXPIRE', KEYS[i], ARGV[2 * i + 1])\n"
	"  end\n"
	"end\n"
	"out[1] = ok\n"
	"return out\n";

struct rconn {
	pthread_mutex_t mu;
	redisContext *c; /* NULL until first used, and after any error */
};

struct rl_redis {
	struct redis_target t;
	int timeout_ms;
	int n;
	struct rconn *conns;
	atomic_uint next;
	pthread_mutex_t sha_mu;
	char sha[41]; /* "" until SCRIPT LOAD answered once */
};

struct rl_redis *rl_redis_new(const char *url, int pool_size, int timeout_ms, const char **why)
{
	struct redis_target t;
	if (!url || !redis_parse_url(url, &t)) {
		*why = "REDIS_URL does not parse";
		return NULL;
	}
	if (t.tls) {
		*why = "rediss:// (TLS) is not supported by this build";
		return NULL;
	}
	struct rl_redis *r = xcalloc(1, sizeof *r);
	r->t = t;
	r->timeout_ms = timeout_ms;
	r->n = pool_size < 1 ? 1 : pool_size;
	r->conns = xcalloc((size_t)r->n, sizeof *r->conns);
	for (int i = 0; i < r->n; i++)
		pthread_mutex_init(&r->conns[i].mu, NULL);
	pthread_mutex_init(&r->sha_mu, NULL);
	return r;
}

void rl_redis_free(struct rl_redis *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->n; i++) {
		if (r->conns[i].c)
			redisFree(r->conns[i].c);
		pthread_mutex_destroy(&r->conns[i].mu);
	}
	pthread_mutex_destroy(&r->sha_mu);
	free(r->conns);
	free(r);
}

/* A free pooled connection (locked), or, when every one is busy, the next one in turn. */
static struct rconn *acquire(struct rl_redis *r)
{
	unsigned start = atomic_fetch_add(&r->next, 1);
	for (int i = 0; i < r->n; i++) {
		struct rconn *c = &r->conns[(start + (unsigned)i) % (unsigned)r->n];
		if (pthread_mutex_trylock(&c->mu) == 0)
			return c;
	}
	struct rconn *c = &r->conns[start % (unsigned)r->n];
	pthread_mutex_lock(&c->mu);
	return c;
}

static void set_err(char *buf, size_t n, const char *what, const char *detail)
{
	snprintf(buf, n, "%s%s%s", what, detail && *detail ? ": " : "", detail ? detail : "");
}

/* Sends argv and returns the reply, or NULL (the error text in err). */
static redisReply *call(redisContext *c, int argc, const char **argv, const size_t *lens,
			char *err, size_t err_len)
{
	redisReply *rep = redisCommandArgv(c, argc, argv, lens);
	if (!rep)
		/* A socket timeout surfaces as EAGAIN's text; say what it means. */
		set_err(err, err_len, "redis call failed",
			c->err == REDIS_ERR_IO && strstr(c->errstr, "temporarily") ? "timed out"
										 : c->errstr);
	return rep;
}

static bool simple_ok(redisContext *c, int argc, const char **argv, char *err, size_t err_len)
{
	size_t lens[4];
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	redisReply *rep = call(c, argc, argv, lens, err, err_len);
	if (!rep)
		return false;
	bool ok = rep->type != REDIS_REPLY_ERROR;
	if (!ok)
		set_err(err, err_len, "redis refused the connection setup", NULL);
	freeReplyObject(rep);
	return ok;
}

/* Connects, authenticates and selects the database, with the timeout on each step. */
static redisContext *open_conn(struct rl_redis *r, char *err, size_t err_len)
{
	struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
	redisContext *c = redisConnectWithTimeout(r->t.host, r->t.port, tv);
	if (!c || c->err) {
		set_err(err, err_len, "redis connect failed", c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		return NULL;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		set_err(err, err_len, "redis timeout setup failed", c->errstr);
		redisFree(c);
		return NULL;
	}
	bool ok = true;
	if (r->t.password[0]) {
		const char *a1[] = {"AUTH", r->t.user, r->t.password};
		const char *a2[] = {"AUTH", r->t.password};
		ok = r->t.user[0] ? simple_ok(c, 3, a1, err, err_len) : simple_ok(c, 2, a2, err, err_len);
	}
	if (ok && r->t.db) {
		char db[16];
		snprintf(db, sizeof db, "%d", r->t.db);
		const char *a[] = {"SELECT", db};
		ok = simple_ok(c, 2, a, err, err_len);
	}
	if (!ok) {
		redisFree(c);
		return NULL;
	}
	return c;
}

/* The script's SHA1, loading it once (any connection will do: scripts are server-wide). */
static bool script_sha(struct rl_redis *r, redisContext *c, char sha[41], char *err,
		       size_t err_len)
{
	pthread_mutex_lock(&r->sha_mu);
	bool have = r->sha[0] != '\0';
	if (have)
		memcpy(sha, r->sha, 41);
	pthread_mutex_unlock(&r->sha_mu);
	if (have)
		return true;
	const char *argv[] = {"SCRIPT", "LOAD", SCRIPT};
	size_t lens[] = {6, 4, sizeof SCRIPT - 1};
	redisReply *rep = call(c, 3, argv, lens, err, err_len);
	if (!rep)
		return false;
	bool ok = rep->type == REDIS_REPLY_STRING && rep->len == 40;
	if (ok) {
		memcpy(sha, rep->str, 40);
		sha[40] = '\0';
		pthread_mutex_lock(&r->sha_mu);
		memcpy(r->sha, sha, 41);
		pthread_mutex_unlock(&r->sha_mu);
	} else {
		set_err(err, err_len, "redis SCRIPT LOAD failed", NULL);
	}
	freeReplyObject(rep);
	return ok;
}

/* Reads the script's reply into seen[]; -1 when it has not the expected shape. */
static int parse_reply(const redisReply *rep, int n, struct rl_seen *seen, long long *now_ms)
{
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != (size_t)(2 + 2 * n))
		return -1;
	for (size_t i = 0; i < rep->elements; i++)
		if (rep->element[i]->type != REDIS_REPLY_INTEGER)
			return -1;
	*now_ms = rep->element[1]->integer;
	for (int i = 0; i < n; i++) {
		seen[i].count = rep->element[2 + 2 * i]->integer;
		seen[i].edge_ms = rep->element[3 + 2 * i]->integer;
	}
	return rep->element[0]->integer == 1 ? 1 : 0;
}

static bool timed_out(const redisContext *c)
{
	return c->err == REDIS_ERR_IO && strstr(c->errstr, "temporarily") != NULL;
}

/* EVALSHA (EVAL when the server lost its script cache) on c; argv[0..1] are set here. */
static int run_script(struct rl_redis *r, redisContext *c, const char **argv, size_t *lens,
		      int argc, int n, struct rl_seen *seen, long long *now_ms, char *err_buf,
		      size_t err_len)
{
	char sha[41];
	if (!script_sha(r, c, sha, err_buf, err_len))
		return -1;
	argv[0] = "EVALSHA";
	lens[0] = 7;
	argv[1] = sha;
	lens[1] = 40;
	redisReply *rep = call(c, argc, argv, lens, err_buf, err_len);
	if (rep && rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
		/* A restart or SCRIPT FLUSH: send the text, which caches it again. */
		freeReplyObject(rep);
		argv[0] = "EVAL";
		argv[1] = SCRIPT;
		lens[0] = 4;
		lens[1] = sizeof SCRIPT - 1;
		rep = call(c, argc, argv, lens, err_buf, err_len);
	}
	if (!rep)
		return -1;
	int result = parse_reply(rep, n, seen, now_ms);
	if (result < 0)
		set_err(err_buf, err_len, "unexpected reply from the rate-limit script",
			rep->type == REDIS_REPLY_ERROR ? rep->str : NULL);
	freeReplyObject(rep);
	return result;
}

int rl_redis_check(struct rl_redis *r, const struct rl_check *checks, char *const *keys, int n,
		   const char *member, struct rl_seen *seen, long long *now_ms, char *err_buf,
		   size_t err_len)
{
	/* EVALSHA sha numkeys key... member (max window_ms)... */
	const char *argv[3 + LIMITER_MAX_CHECKS * 3 + 1];
	size_t lens[3 + LIMITER_MAX_CHECKS * 3 + 1];
	char nums[LIMITER_MAX_CHECKS * 2][24];
	char numkeys[8];
	int argc = 0;
	argc += 2; /* EVALSHA and the SHA, or EVAL and the script: set by run_script */
	snprintf(numkeys, sizeof numkeys, "%d", n);
	argv[argc++] = numkeys;
	for (int i = 0; i < n; i++)
		argv[argc++] = keys[i];
	argv[argc++] = member;
	for (int i = 0; i < n; i++) {
		snprintf(nums[2 * i], sizeof nums[0], "%ld", checks[i].max);
		snprintf(nums[2 * i + 1], sizeof nums[0], "%lld", checks[i].window * 1000LL);
		argv[argc++] = nums[2 * i];
		argv[argc++] = nums[2 * i + 1];
	}
	for (int i = 2; i < argc; i++)
		lens[i] = strlen(argv[i]);

	struct rconn *rc = acquire(r);
	int result = -1;
	/* A pooled connection may have died since its last use (Redis restarted): that shows as
	 * the end of the stream or a reset, never as a timeout, and earns one retry on a fresh
	 * connection, so that a recovered Redis is not reported failed by an old socket. */
	for (int attempt = 0; attempt < 2 && result < 0; attempt++) {
		bool reused = rc->c != NULL;
		if (!rc->c)
			rc->c = open_conn(r, err_buf, err_len);
		if (rc->c)
			result = run_script(r, rc->c, argv, lens, argc, n, seen, now_ms, err_buf,
					    err_len);
		if (result >= 0 || !rc->c)
			break;
		bool stale = reused && (rc->c->err == REDIS_ERR_EOF ||
					(rc->c->err == REDIS_ERR_IO && !timed_out(rc->c)));
		redisFree(rc->c);
		rc->c = NULL;
		if (!stale)
			break;
	}
	pthread_mutex_unlock(&rc->mu);
	return result;
}
