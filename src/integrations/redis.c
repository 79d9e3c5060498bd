/* Redis URL parsing and the PING probe used by /ready (see redis.h). */
#include "integrations/redis.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool redis_parse_url(const char *url, struct redis_target *out)
{
	memset(out, 0, sizeof *out);
	const char *p;
	if (strncmp(url, "redis://", 8) == 0) {
		p = url + 8;
	} else if (strncmp(url, "rediss://", 9) == 0) {
		p = url + 9;
		out->tls = true;
	} else {
		return false;
	}
	const char *at = strrchr(p, '@');
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (colon) {
			snprintf(out->user, sizeof out->user, "%.*s", (int)(colon - p), p);
			snprintf(out->password, sizeof out->password, "%.*s", (int)(at - colon - 1),
				 colon + 1);
		} else {
			snprintf(out->password, sizeof out->password, "%.*s", (int)(at - p), p);
		}
		p = at + 1;
	}
	size_t hostlen = strcspn(p, ":/");
	if (hostlen == 0 || hostlen >= sizeof out->host)
		return false;
	memcpy(out->host, p, hostlen);
	p += hostlen;
	out->port = 6379;
	if (*p == ':') {
		char *end;
		long port = strtol(p + 1, &end, 10);
		if (end == p + 1 || port < 1 || port > 65535)
			return false;
		out->port = (int)port;
		p = end;
	}
	if (*p == '/' && p[1]) {
		char *end;
		long db = strtol(p + 1, &end, 10);
		if (*end || db < 0)
			return false;
		out->db = (int)db;
	}
	return true;
}

bool redis_ping(const char *url, int timeout_ms)
{
	struct redis_target t;
	if (!redis_parse_url(url, &t) || t.tls)
		return false;
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	redisContext *c = redisConnectWithTimeout(t.host, t.port, tv);
	if (!c || c->err) {
		if (c)
			redisFree(c);
		return false;
	}
	redisSetTimeout(c, tv);
	bool ok = true;
	if (t.password[0]) {
		redisReply *r = t.user[0] ? redisCommand(c, "AUTH %s %s", t.user, t.password)
					  : redisCommand(c, "AUTH %s", t.password);
		ok = r && r->type != REDIS_REPLY_ERROR;
		if (r)
			freeReplyObject(r);
	}
	if (ok) {
		redisReply *r = redisCommand(c, "PING");
		ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
		if (r)
			freeReplyObject(r);
	}
	redisFree(c);
	return ok;
}
