/* Redis connection settings and the readiness probe. The limiter builds on these. */
#ifndef CRM_INTEGRATIONS_REDIS_H
#define CRM_INTEGRATIONS_REDIS_H

#include <stdbool.h>

struct redis_target {
	char host[256];
	int port;
	char password[256];
	char user[128];
	int db;
	bool tls;
};

/* Parses redis://[user[:password]@]host[:port][/db] (rediss:// sets tls). False when malformed. */
bool redis_parse_url(const char *url, struct redis_target *out);

/* One PING with the given timeout for connect and reply. True on +PONG. */
bool redis_ping(const char *url, int timeout_ms);

#endif
