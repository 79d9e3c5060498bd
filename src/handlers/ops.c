/* Operations endpoints (SPEC §13.1–13.4): health, readiness, metrics, the OpenAPI document,
 * and the development-only hello route (compatibility H3). */
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "config/config.h"
#include "handlers/handlers.h"
#include "integrations/redis.h"
#include "metrics/metrics.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/json.h"
#include "util/timefmt.h"
#include "util/utf8.h"

extern const char crm_openapi_json[];

static json_t *timestamp_now(void)
{
	char ts[40];
	return json_string(format_iso8601(now_ms(), ts, sizeof ts));
}

/* The health object is written as text: it is the route load balancers call most, and its
 * jansson tree (four members, a real printed with snprintf) was about 7 % of its instructions. */
void h_health(struct request *req)
{
	struct buf b = {0};
	char ts[40];
	JSON_PUT_LIT(&b, "{\"status\":\"ok\",\"timestamp\":\"");
	buf_puts(&b, format_iso8601(now_ms(), ts, sizeof ts));
	/* seconds in whole milliseconds, as SPEC §13.1 shows it (1234.567) */
	long long ms = (long long)((mono_seconds() - req->app->started_mono) * 1000.0);
	char frac[4] = {(char)('0' + ms / 100 % 10), (char)('0' + ms / 10 % 10),
			(char)('0' + ms % 10), '\0'};
	JSON_PUT_LIT(&b, "\",\"uptime\":");
	buf_put_i64(&b, ms / 1000);
	buf_putc(&b, '.');
	buf_puts(&b, frac);
	JSON_PUT_LIT(&b, ",\"version\":");
	json_put_string(&b, CRM_VERSION);
	buf_putc(&b, '}');
	reply_json_text_steal(req, 200, &b);
}

/* The store's ping with the 1 s budget of §13.2. */
static bool store_reachable(struct app *app)
{
	struct db *db;
	if (store_acquire(app->store, &db) < 0)
		return false;
	int rc = app->store->ops->ping(db, 1000);
	store_release(app->store, db);
	return rc > 0;
}

static void ready_job(struct request *req)
{
	struct app *app = req->app;
	bool db_ok = store_reachable(app);
	const char *redis = "not_configured";
	if (app->cfg->redis_url)
		redis = redis_ping(app->cfg->redis_url, 100) ? "connected" : "disconnected";
	bool draining = atomic_load(&app->draining);
	json_t *doc = json_object();
	bool ready = db_ok && !draining;
	const char *status = !ready ? "not ready" : strcmp(redis, "disconnected") == 0 ? "degraded"
										    : "ready";
	json_object_set_new(doc, "status", json_string(status));
	json_object_set_new(doc, "database", json_string(db_ok ? "connected" : "disconnected"));
	json_object_set_new(doc, "redis", json_string(redis));
	if (!ready)
		json_object_set_new(doc, "draining", json_boolean(draining));
	json_object_set_new(doc, "timestamp", timestamp_now());
	reply_json_steal(req, ready ? 200 : 503, doc);
	if (!ready)
		reply_header(req, "Retry-After", "5");
}

void h_ready(struct request *req)
{
	/* A ping can wait up to a second on a stalled store: keep it off the polling thread. */
	http_defer(req, ready_job);
}

static bool is_loopback(const char *ip)
{
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1/64") == 0 ||
	       strncmp(ip, "::1", 3) == 0;
}

void h_metrics(struct request *req)
{
	const struct config *c = req->app->cfg;
	const char *auth = http_header(req, "Authorization");
	bool token_ok = false;
	if (c->metrics_token && auth && strncasecmp(auth, "Bearer ", 7) == 0) {
		const char *t = auth + 7;
		size_t n = strlen(c->metrics_token);
		token_ok = strlen(t) == n && sodium_memcmp(t, c->metrics_token, n) == 0;
	}
	bool allowed = token_ok || (c->env == ENV_DEVELOPMENT && is_loopback(req->ip));
	if (!allowed) {
		reply_error(req, ERR_FORBIDDEN, NULL, NULL);
		return;
	}
	struct buf out = {0};
	metrics_render(req->app->metrics, req->app, &out);
	reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", out.data ? out.data : "",
		   out.len);
	buf_free(&out);
}

void h_openapi(struct request *req)
{
	reply_text(req, 200, "application/json; charset=utf-8", crm_openapi_json,
		   strlen(crm_openapi_json));
	reply_header(req, "Cache-Control", "no-cache");
}

void h_test_hello(struct request *req)
{
	const char *name = http_query(req, "name");
	size_t len = name ? strlen(name) : 0;
	if (!name || len == 0 || utf8_length(name, len) > 100) {
		json_t *details = NULL;
		details_add(&details, "name", name && len ? "too_long" : "required");
		reply_error(req, ERR_VALIDATION_FAILED, details, NULL);
		return;
	}
	json_t *doc = json_object();
	char *msg = xasprintf("Hello %s", name);
	json_object_set_new(doc, "message", json_string(msg));
	free(msg);
	reply_json_steal(req, 200, doc);
}
