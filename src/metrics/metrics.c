/* Metrics registry (see metrics.h). Series are kept in small mutex-protected lists: the label
 * sets are few (routes × methods × statuses), so a linear search is cheaper than hashing. */
#include "metrics/metrics.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "auth/password.h"
#include "integrations/mail/mail_metrics.h"
#include "integrations/stripe/stripe_metrics.h"
#include "limiter/limiter.h"
#include "store/store.h"
#include "util/alloc.h"

static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

struct req_series {
	char *route, *method;
	int status;
	unsigned long long count;
	struct req_series *next;
};

struct lat_series {
	char *route, *method;
	unsigned long long counts[NBUCKETS];
	unsigned long long total;
	double sum;
	struct lat_series *next;
};

struct counter {
	char *family, *label;
	unsigned long long count;
	struct counter *next;
};

struct metrics {
	pthread_mutex_t mu;
	struct req_series *reqs;
	struct lat_series *lats;
	struct counter *counters;
	atomic_int in_flight;
};

/* Families with one label, and the label's name. */
static const struct {
	const char *family, *label, *help;
} families[] = {
	{"crm_rate_limit_rejections_total", "bucket", "Requests rejected by a rate-limit bucket."},
	{"crm_auth_events_total", "event", "Authentication events."},
};

struct metrics *metrics_new(void)
{
	struct metrics *m = xcalloc(1, sizeof *m);
	pthread_mutex_init(&m->mu, NULL);
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (struct req_series *r = m->reqs, *n; r; r = n) {
		n = r->next;
		free(r->route);
		free(r->method);
		free(r);
	}
	for (struct lat_series *l = m->lats, *n; l; l = n) {
		n = l->next;
		free(l->route);
		free(l->method);
		free(l);
	}
	for (struct counter *c = m->counters, *n; c; c = n) {
		n = c->next;
		free(c->family);
		free(c->label);
		free(c);
	}
	pthread_mutex_destroy(&m->mu);
	free(m);
}

void metrics_request(struct metrics *m, const char *route, const char *method, int status,
		     double seconds)
{
	pthread_mutex_lock(&m->mu);
	struct req_series *r;
	for (r = m->reqs; r; r = r->next)
		if (r->status == status && strcmp(r->route, route) == 0 &&
		    strcmp(r->method, method) == 0)
			break;
	if (!r) {
		r = xcalloc(1, sizeof *r);
		r->route = xstrdup(route);
		r->method = xstrdup(method);
		r->status = status;
		r->next = m->reqs;
		m->reqs = r;
	}
	r->count++;
	struct lat_series *l;
	for (l = m->lats; l; l = l->next)
		if (strcmp(l->route, route) == 0 && strcmp(l->method, method) == 0)
			break;
	if (!l) {
		l = xcalloc(1, sizeof *l);
		l->route = xstrdup(route);
		l->method = xstrdup(method);
		l->next = m->lats;
		m->lats = l;
	}
	for (size_t i = 0; i < NBUCKETS; i++)
		if (seconds <= buckets[i])
			l->counts[i]++;
	l->total++;
	l->sum += seconds;
	pthread_mutex_unlock(&m->mu);
}

void metrics_in_flight(struct metrics *m, int delta)
{
	atomic_fetch_add(&m->in_flight, delta);
}

void metrics_count(struct metrics *m, const char *family, const char *label_value)
{
	pthread_mutex_lock(&m->mu);
	struct counter *c;
	for (c = m->counters; c; c = c->next)
		if (strcmp(c->family, family) == 0 && strcmp(c->label, label_value) == 0)
			break;
	if (!c) {
		c = xcalloc(1, sizeof *c);
		c->family = xstrdup(family);
		c->label = xstrdup(label_value);
		c->next = m->counters;
		m->counters = c;
	}
	c->count++;
	pthread_mutex_unlock(&m->mu);
}

/* Label values are route patterns, methods and our own slugs, but escape anyway. */
static void put_label(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			buf_putc(b, '\\');
		if (*v == '\n') {
			buf_puts(b, "\\n");
			continue;
		}
		buf_putc(b, *v);
	}
}

static long count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	long n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n > 0 ? n - 1 : 0; /* minus the directory's own descriptor */
}

static long long rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	long long size = 0, resident = 0;
	if (fscanf(f, "%lld %lld", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

void metrics_render(struct metrics *m, struct app *app, struct buf *out)
{
	pthread_mutex_lock(&m->mu);
	buf_puts(out, "# HELP crm_http_requests_total HTTP requests by route, method and status.\n"
		      "# TYPE crm_http_requests_total counter\n");
	for (struct req_series *r = m->reqs; r; r = r->next) {
		buf_puts(out, "crm_http_requests_total{route=\"");
		put_label(out, r->route);
		buf_printf(out, "\",method=\"%s\",status=\"%d\"} %llu\n", r->method, r->status,
			   r->count);
	}
	buf_puts(out, "# HELP crm_http_request_duration_seconds Request latency.\n"
		      "# TYPE crm_http_request_duration_seconds histogram\n");
	for (struct lat_series *l = m->lats; l; l = l->next) {
		for (size_t i = 0; i <= NBUCKETS; i++) {
			buf_puts(out, "crm_http_request_duration_seconds_bucket{route=\"");
			put_label(out, l->route);
			if (i < NBUCKETS)
				buf_printf(out, "\",method=\"%s\",le=\"%g\"} %llu\n", l->method,
					   buckets[i], l->counts[i]);
			else
				buf_printf(out, "\",method=\"%s\",le=\"+Inf\"} %llu\n", l->method,
					   l->total);
		}
		buf_puts(out, "crm_http_request_duration_seconds_sum{route=\"");
		put_label(out, l->route);
		buf_printf(out, "\",method=\"%s\"} %.6f\n", l->method, l->sum);
		buf_puts(out, "crm_http_request_duration_seconds_count{route=\"");
		put_label(out, l->route);
		buf_printf(out, "\",method=\"%s\"} %llu\n", l->method, l->total);
	}
	for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
		buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", families[f].family,
			   families[f].help, families[f].family);
		for (struct counter *c = m->counters; c; c = c->next) {
			if (strcmp(c->family, families[f].family) != 0)
				continue;
			buf_printf(out, "%s{%s=\"", c->family, families[f].label);
			put_label(out, c->label);
			buf_printf(out, "\"} %llu\n", c->count);
		}
	}
	pthread_mutex_unlock(&m->mu);

	buf_printf(out, "# HELP crm_http_in_flight_requests Requests being served.\n"
			"# TYPE crm_http_in_flight_requests gauge\ncrm_http_in_flight_requests %d\n",
		   atomic_load(&m->in_flight));
	struct store_pool_stats ps = {0, 0};
	if (app->store && app->store->ops->pool_stats)
		app->store->ops->pool_stats(app->store, &ps);
	buf_printf(out,
		   "# HELP crm_db_pool_connections Store connections by state.\n"
		   "# TYPE crm_db_pool_connections gauge\n"
		   "crm_db_pool_connections{state=\"in_use\"} %d\n"
		   "crm_db_pool_connections{state=\"idle\"} %d\n",
		   ps.in_use, ps.idle);
	if (app->store) {
		struct store_wait_stats *w = &app->store->wait;
		buf_puts(out, "# HELP crm_db_pool_wait_seconds Time spent waiting for a store connection.\n"
			      "# TYPE crm_db_pool_wait_seconds histogram\n");
		for (int i = 0; i < STORE_WAIT_BUCKETS; i++)
			buf_printf(out, "crm_db_pool_wait_seconds_bucket{le=\"%g\"} %llu\n",
				   store_wait_bounds[i], atomic_load(&w->counts[i]));
		buf_printf(out,
			   "crm_db_pool_wait_seconds_bucket{le=\"+Inf\"} %llu\n"
			   "crm_db_pool_wait_seconds_sum %.6f\ncrm_db_pool_wait_seconds_count %llu\n",
			   atomic_load(&w->total), (double)atomic_load(&w->sum_us) / 1e6,
			   atomic_load(&w->total));
		buf_printf(out,
			   "# HELP crm_db_errors_total Store errors by kind.\n"
			   "# TYPE crm_db_errors_total counter\n"
			   "crm_db_errors_total{kind=\"timeout\"} %llu\n"
			   "crm_db_errors_total{kind=\"unavailable\"} %llu\n"
			   "crm_db_errors_total{kind=\"other\"} %llu\n",
			   atomic_load(&w->errors[0]), atomic_load(&w->errors[1]),
			   atomic_load(&w->errors[2]));
	}
	mail_metrics_render(out);
	stripe_metrics_render(out); /* two labels: its own module */
	buf_printf(out, "# HELP crm_password_hashes_in_flight Password hash computations running.\n"
			"# TYPE crm_password_hashes_in_flight gauge\ncrm_password_hashes_in_flight %d\n",
		   password_in_flight());
	bool redis = strcmp(limiter_backend(app->limiter), "redis") == 0;
	buf_printf(out,
		   "# HELP crm_rate_limiter_backend Active rate-limiter backend.\n"
		   "# TYPE crm_rate_limiter_backend gauge\n"
		   "crm_rate_limiter_backend{backend=\"redis\"} %d\n"
		   "crm_rate_limiter_backend{backend=\"local\"} %d\n",
		   redis, !redis);
	buf_printf(out, "# HELP crm_build_info Build information.\n# TYPE crm_build_info gauge\n"
			"crm_build_info{version=\"%s\",store=\"%s\"} 1\n",
		   CRM_VERSION, app->store ? app->store->ops->name : "none");
	buf_printf(out,
		   "# HELP process_start_time_seconds Start time of the process.\n"
		   "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.3f\n"
		   "# HELP process_resident_memory_bytes Resident memory.\n"
		   "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %lld\n"
		   "# HELP process_open_fds Open file descriptors.\n"
		   "# TYPE process_open_fds gauge\nprocess_open_fds %ld\n",
		   app->started_at, rss_bytes(), count_fds());
}
