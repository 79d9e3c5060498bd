/* PostgreSQL statement plumbing shared by every PostgreSQL store function: statements prepared
 * once per connection, answers awaited with a deadline (poll on the socket, so a stopped or
 * unreachable server cannot hang a request thread), libpq errors mapped to store_status, and
 * the parameter/result helpers declared in pgs.h. */
#include "store/pg/pgs.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log/log.h"
#include "store/pg/pg_impl.h"
#include "util/alloc.h"

/* The server enforces statement_timeout; the client waits this much longer before deciding
 * the server itself is gone. */
#define CLIENT_MARGIN_MS 2000
/* At most this many cancel requests in flight (each on its own short-lived thread). */
#define MAX_CANCELS 4

static atomic_int cancels_running;

long long pg_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

PGconn *pg_handle(struct db *db)
{
	return pg_conn_of(db)->c;
}

const char *pg_last_constraint(struct db *db)
{
	return pg_conn_of(db)->constraint;
}

/* ---- the set of statement names prepared on a connection ---- */

static size_t name_hash(const char *s)
{
	size_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static bool names_has(const struct pg_conn *pc, const char *name)
{
	if (!pc->cap)
		return false;
	for (size_t i = name_hash(name) & (pc->cap - 1); pc->names[i]; i = (i + 1) & (pc->cap - 1))
		if (strcmp(pc->names[i], name) == 0)
			return true;
	return false;
}

static void names_add(struct pg_conn *pc, const char *name)
{
	if ((pc->used + 1) * 10 >= pc->cap * 7) {
		char **old = pc->names;
		size_t oldcap = pc->cap;
		pc->cap = oldcap ? oldcap * 2 : 64;
		pc->names = xcalloc(pc->cap, sizeof *pc->names);
		for (size_t i = 0; i < oldcap; i++) {
			if (!old[i])
				continue;
			size_t j = name_hash(old[i]) & (pc->cap - 1);
			while (pc->names[j])
				j = (j + 1) & (pc->cap - 1);
			pc->names[j] = old[i];
		}
		free(old);
	}
	size_t i = name_hash(name) & (pc->cap - 1);
	while (pc->names[i])
		i = (i + 1) & (pc->cap - 1);
	pc->names[i] = xstrdup(name);
	pc->used++;
}

void pg_names_clear(struct pg_conn *pc)
{
	for (size_t i = 0; i < pc->cap; i++)
		free(pc->names[i]);
	free(pc->names);
	pc->names = NULL;
	pc->cap = pc->used = 0;
}

/* ---- waiting, cancelling, mapping errors ---- */

static void *cancel_main(void *arg)
{
	char err[256];
	PQcancel(arg, err, sizeof err); /* may block while the server is stopped: not our caller */
	PQfreeCancel(arg);
	atomic_fetch_sub(&cancels_running, 1);
	return NULL;
}

/* Asks the server to cancel what pc is running, without waiting: PQcancel waits for the server
 * to answer, which a stopped server never does. */
static void cancel_async(struct pg_conn *pc)
{
	PGcancel *cn = PQgetCancel(pc->c);
	if (!cn)
		return;
	pthread_t t;
	pthread_attr_t a;
	if (atomic_fetch_add(&cancels_running, 1) >= MAX_CANCELS)
		goto skip;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &a, cancel_main, cn);
	pthread_attr_destroy(&a);
	if (rc == 0)
		return;
skip:
	atomic_fetch_sub(&cancels_running, 1);
	PQfreeCancel(cn);
}

static bool connection_lost(const char *state)
{
	return state && (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
			 strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0 ||
			 strcmp(state, "53300") == 0);
}

/* Maps a failed result (or none) to a store_status; what names the statement in the log. */
static int map_error(struct pg_conn *pc, const PGresult *r, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!msg)
		msg = PQerrorMessage(pc->c);
	if (PQstatus(pc->c) == CONNECTION_BAD || connection_lost(state)) {
		pc->broken = true;
		log_msg(LOG_WARN, "postgres: connection lost in %s: %s", what, msg);
		return ST_UNAVAILABLE;
	}
	const char *cons = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
	snprintf(pc->constraint, sizeof pc->constraint, "%s", cons ? cons : "");
	if (state) {
		if (strcmp(state, "23505") == 0 || strcmp(state, "23P01") == 0)
			return ST_CONFLICT;
		if (strcmp(state, "23503") == 0)
			return ST_FK;
		if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
			return ST_RETRY;
		if (strcmp(state, "57014") == 0 || strcmp(state, "55P03") == 0) {
			log_msg(LOG_WARN, "postgres: timeout in %s: %s", what, msg);
			return ST_TIMEOUT;
		}
	}
	log_msg(LOG_ERROR, "postgres: %s failed: %s (SQLSTATE %s)", what, msg,
		state ? state : "none");
	return ST_ERROR;
}

/* Turns a finished result into a row count, or a status (clearing nothing). */
static int result_status(struct pg_conn *pc, const PGresult *r, const char *what)
{
	switch (PQresultStatus(r)) {
	case PGRES_TUPLES_OK:
		return PQntuples(r);
	case PGRES_COMMAND_OK:
		return atoi(PQcmdTuples((PGresult *)r));
	case PGRES_EMPTY_QUERY:
		return 0;
	case PGRES_PIPELINE_ABORTED:
		return ST_ERROR; /* an earlier statement of the pipeline failed, and was logged */
	default:
		return map_error(pc, r, what);
	}
}

static bool failed_result(const PGresult *r)
{
	ExecStatusType es = PQresultStatus(r);
	return es == PGRES_FATAL_ERROR || es == PGRES_BAD_RESPONSE || es == PGRES_NONFATAL_ERROR;
}

/* Waits until libpq has a whole result to hand out (PQisBusy false), reading what arrives.
 * 0: ready; 1: deadline_ns passed (0 = none); -1: the connection failed. */
static int await_result(PGconn *c, long long deadline_ns)
{
	while (PQisBusy(c)) {
		int ms = -1;
		if (deadline_ns) {
			long long left = deadline_ns - pg_mono_ns();
			if (left <= 0)
				return 1;
			ms = (int)((left + 999999) / 1000000);
		}
		struct pollfd p = {.fd = PQsocket(c), .events = POLLIN};
		if (p.fd < 0)
			return -1;
		int n = poll(&p, 1, ms);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0 && !PQconsumeInput(c))
			return -1;
	}
	return 0;
}

/* The deadline of pc's timeout, or 0 when statements may run forever. */
static long long statement_deadline(const struct pg_conn *pc)
{
	int t = pc->store->timeout_ms;
	return t > 0 ? pg_mono_ns() + (t + CLIENT_MARGIN_MS) * 1000000LL : 0;
}

/* The server got no answer in time: ask it to stop, and reset the connection. */
static void timed_out(struct pg_conn *pc, const char *what)
{
	log_msg(LOG_WARN, "postgres: no answer in time for %s; connection will be reset", what);
	cancel_async(pc);
	pc->broken = true;
	pg_breaker_trip(pc->store, "a statement got no answer by its deadline");
}

/* Collects the results of the query just sent on pc until deadline_ns (0 = none). Returns the
 * first failed result or else the last one (a multi-statement string gives several) and sets
 * *status; on timeout or a lost connection returns NULL with the status, the running query
 * cancelled and pc marked broken. In pipeline mode it collects one query's results. */
static PGresult *wait_result(struct pg_conn *pc, long long deadline_ns, const char *what,
			     int *status)
{
	PGconn *c = pc->c;
	PGresult *keep = NULL;
	for (;;) {
		int w = await_result(c, deadline_ns);
		if (w > 0)
			goto timeout;
		if (w < 0)
			goto lost;
		PGresult *r = PQgetResult(c);
		if (!r)
			break;
		if (keep && failed_result(keep)) {
			PQclear(r); /* the first failure is the one to report */
		} else {
			PQclear(keep);
			keep = r;
		}
		if (PQstatus(c) == CONNECTION_BAD)
			break;
	}
	if (!keep) {
		*status = map_error(pc, NULL, what);
		return NULL;
	}
	*status = result_status(pc, keep, what);
	if (*status < 0) {
		PQclear(keep);
		return NULL;
	}
	return keep;
timeout:
	timed_out(pc, what);
	PQclear(keep);
	*status = ST_TIMEOUT;
	return NULL;
lost:
	PQclear(keep);
	*status = map_error(pc, NULL, what);
	if (*status != ST_UNAVAILABLE) {
		pc->broken = true;
		*status = ST_UNAVAILABLE;
	}
	return NULL;
}

PGresult *pg_exec_simple(struct pg_conn *pc, const char *sql, long long deadline_ns,
			 int *status_out)
{
	if (pc->broken || !pc->c) {
		*status_out = ST_UNAVAILABLE;
		return NULL;
	}
	pc->constraint[0] = '\0';
	if (!PQsendQuery(pc->c, sql)) {
		*status_out = map_error(pc, NULL, "query");
		return NULL;
	}
	return wait_result(pc, deadline_ns, "query", status_out);
}

/* Prepares statement name on pc unless it already is. false with *status set on failure. */
static bool ensure_prepared(struct pg_conn *pc, const char *name, const char *sql, int nparams,
			    long long deadline_ns, int *status)
{
	if (names_has(pc, name))
		return true;
	if (!PQsendPrepare(pc->c, name, sql, nparams, NULL)) {
		*status = map_error(pc, NULL, name);
		return false;
	}
	PGresult *r = wait_result(pc, deadline_ns, name, status);
	if (!r)
		return false;
	PQclear(r);
	names_add(pc, name);
	return true;
}

PGresult *pg_exec_prepared_until(struct db *db, const char *name, const char *sql, int nparams,
				 const char *const *values, long long deadline_ns, int *status_out)
{
	struct pg_conn *pc = pg_conn_of(db);
	int dummy;
	if (!status_out)
		status_out = &dummy;
	if (pc->broken || !pc->c) {
		*status_out = ST_UNAVAILABLE;
		return NULL;
	}
	pc->constraint[0] = '\0';
	if (!ensure_prepared(pc, name, sql, nparams, deadline_ns, status_out))
		return NULL;
	if (!PQsendQueryPrepared(pc->c, name, nparams, values, NULL, NULL, 0)) {
		*status_out = map_error(pc, NULL, name);
		return NULL;
	}
	return wait_result(pc, deadline_ns, name, status_out);
}

PGresult *pg_exec_prepared(struct db *db, const char *name, const char *sql, int nparams,
			   const char *const *values, int *status_out)
{
	return pg_exec_prepared_until(db, name, sql, nparams, values,
				      statement_deadline(pg_conn_of(db)), status_out);
}

/* Reads up to the pipeline's sync point. false when the connection failed or timed out. */
static bool wait_sync(struct pg_conn *pc, long long deadline_ns)
{
	for (;;) {
		int w = await_result(pc->c, deadline_ns);
		if (w > 0)
			timed_out(pc, "a pipeline's sync");
		if (w != 0)
			return false;
		PGresult *r = PQgetResult(pc->c);
		if (!r)
			return false; /* the queue ended before its sync point */
		ExecStatusType st = PQresultStatus(r);
		PQclear(r);
		if (st == PGRES_PIPELINE_SYNC)
			return true;
	}
}

/* Sends s as the next query of a pipeline. */
static int send_stmt(PGconn *c, const struct pg_stmt *s)
{
	return s->name ? PQsendQueryPrepared(c, s->name, s->p.n, s->p.v, NULL, NULL, 0)
		       : PQsendQueryParams(c, s->sql, s->p.n, NULL, s->p.v, NULL, NULL, 0);
}

/* How the logs name statement s. */
static const char *stmt_label(const struct pg_stmt *s)
{
	return s->name ? s->name : "query";
}

void pg_exec_pipeline(struct db *db, struct pg_stmt *const *s, int n)
{
	struct pg_conn *pc = pg_conn_of(db);
	long long deadline = statement_deadline(pc);
	int i;
	for (i = 0; i < n; i++) {
		s[i]->r = NULL;
		s[i]->rc = ST_UNAVAILABLE;
	}
	if (pc->broken || !pc->c)
		return;
	pc->constraint[0] = '\0';
	int st = ST_UNAVAILABLE;
	for (i = 0; i < n; i++)
		if (s[i]->name &&
		    !ensure_prepared(pc, s[i]->name, s[i]->sql, s[i]->p.n, deadline, &st))
			goto fail;
	if (!PQenterPipelineMode(pc->c)) {
		st = map_error(pc, NULL, stmt_label(s[0]));
		goto fail;
	}
	for (i = 0; i < n; i++)
		if (!send_stmt(pc->c, s[i]))
			break;
	if (i < n || !PQpipelineSync(pc->c)) {
		/* Half a pipeline on the wire: the connection is not worth saving. */
		st = map_error(pc, NULL, stmt_label(s[i < n ? i : 0]));
		pc->broken = true;
		goto fail;
	}
	for (i = 0; i < n; i++) {
		s[i]->r = wait_result(pc, deadline, stmt_label(s[i]), &s[i]->rc);
		if (pc->broken) {
			for (int j = i + 1; j < n; j++)
				s[j]->rc = s[i]->rc < 0 ? s[i]->rc : ST_UNAVAILABLE;
			return;
		}
	}
	if (!wait_sync(pc, deadline) || !PQexitPipelineMode(pc->c)) {
		log_msg(LOG_WARN,
			"postgres: a pipeline did not end cleanly; connection will be reset");
		pc->broken = true;
	}
	return;
fail:
	for (i = 0; i < n; i++)
		s[i]->rc = st < 0 ? st : ST_UNAVAILABLE;
}

PGresult *pg_exec_params(struct db *db, const char *sql, int nparams, const char *const *values,
			 int *status_out)
{
	struct pg_conn *pc = pg_conn_of(db);
	long long deadline = statement_deadline(pc);
	if (pc->broken || !pc->c) {
		*status_out = ST_UNAVAILABLE;
		return NULL;
	}
	pc->constraint[0] = '\0';
	if (!PQsendQueryParams(pc->c, sql, nparams, NULL, values, NULL, NULL, 0)) {
		*status_out = map_error(pc, NULL, "query");
		return NULL;
	}
	return wait_result(pc, deadline, "query", status_out);
}

int pg_run(struct db *db, const char *name, const char *sql, int nparams, const char *const *values)
{
	int rc;
	PGresult *r = pg_exec_prepared(db, name, sql, nparams, values, &rc);
	PQclear(r);
	return rc;
}

/* ---- parameters and results ---- */

static int param_slot(struct pg_params *p)
{
	if (p->n >= PG_MAX_PARAMS) {
		log_msg(LOG_ERROR, "postgres: more than %d parameters", PG_MAX_PARAMS);
		abort(); /* a programming error, never data-dependent */
	}
	return p->n++;
}

void pg_param_str(struct pg_params *p, const char *s)
{
	p->v[param_slot(p)] = s;
}

void pg_param_null(struct pg_params *p)
{
	p->v[param_slot(p)] = NULL;
}

void pg_param_i64(struct pg_params *p, long long v)
{
	int i = param_slot(p);
	fmt_i64(p->num[i], v);
	p->v[i] = p->num[i];
}

void pg_param_bool(struct pg_params *p, bool v)
{
	p->v[param_slot(p)] = v ? "true" : "false";
}

long long pg_text_i64(const char *s)
{
	bool neg = *s == '-';
	s += neg;
	unsigned long long v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (unsigned)(*s++ - '0');
	return neg ? (long long)(0 - v) : (long long)v;
}

long long pg_get_i64(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return pg_text_i64(PQgetvalue(r, row, col));
}

bool pg_get_bool(const PGresult *r, int row, int col)
{
	return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

char *pg_get_strdup(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return NULL;
	return xstrndup(PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}
