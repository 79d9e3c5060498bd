/* The SQLite store's ceiling for authenticated GET /contacts/{id} (`make bench` with
 * BENCH_STORE=sqlite): a tight loop on <threads> threads, each with its own read-only connection
 * to the bench database (WAL, as the server's), running per iteration the two statements the
 * server runs for that request, in its order and with its text, outside any transaction:
 *   1. the per-request session check (src/store/sqlite/sq_sessions.c, sq_auth_lookup);
 *   2. the contact row with its tags (src/domain/contacts.c, contacts_get;
 *      src/store/sqlite/sq_contacts.c, sq_contacts_select_with_tags, whose contact columns are
 *      SQ_CONTACT_COLS of src/store/sqlite/sq_contacts.h).
 * Keep AUTH_SQL and CONTACT_SQL in step with those functions. Each statement is prepared once
 * per connection (the server caches its statements per connection too), every column of every
 * row is read, and the statement is reset, so iterations/s over server requests/s is what the
 * HTTP stack, JWT check and JSON cost on top of the store. Built and run by bench/run.sh; not
 * part of the service.
 *
 * Usage: sqlite_ceiling <db file> <threads> <seconds> <session id> <user id> <contact id> <now ms>
 * Prints one line: iterations=N seconds=S perSecond=R latencyUsMean=M failed=F */
#include <sqlite3.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* sq_auth_lookup */
static const char AUTH_SQL[] =
    "SELECT s.user_id, s.id, s.revoked_at IS NULL AND s.expires_at > ?2, u.active, u.role,"
    " s.created_at, b.status, b.current_period_end, b.payment_failed_at"
    " FROM sessions s JOIN users u ON u.id = s.user_id"
    " LEFT JOIN subscriptions b ON b.user_id = s.user_id WHERE s.id = ?1";

/* sq_contacts_select_with_tags, SQ_CONTACT_COLS expanded */
static const char CONTACT_SQL[] =
    "SELECT c.id, c.first_name, c.last_name, c.email, c.phone, c.address, c.company, c.job_role,"
    " c.first_name_key, c.last_name_key, c.birthday_year, c.birthday_month, c.birthday_day,"
    " c.custom_fields, c.last_contacted, c.created_at, c.updated_at"
    ", t.id, t.name, t.name_key, ct.id FROM contacts c"
    " LEFT JOIN contact_tags ct ON ct.user_id = c.user_id AND ct.contact_id = c.id"
    " LEFT JOIN tags t ON t.user_id = ct.user_id AND t.id = ct.tag_id"
    " WHERE c.user_id = ?1 AND c.id = ?2 ORDER BY t.name_key, t.id";

static const char *db_path;
static long long session_id, user_id, contact_id, now_ms;
static atomic_int stop;
static atomic_ulong sink; /* the reads' checksum, so they are not optimised away */

struct worker {
	pthread_t thread;
	long long iterations, failed;
	int error;
};

/* Reads every column of the current row as the store does (integers as integers, the rest as
 * text); returns a checksum of them. */
static unsigned long read_row(sqlite3_stmt *st)
{
	unsigned long sum = 0;
	int n = sqlite3_column_count(st);
	for (int i = 0; i < n; i++) {
		if (sqlite3_column_type(st, i) == SQLITE_INTEGER) {
			sum += (unsigned long)sqlite3_column_int64(st, i);
		} else {
			const unsigned char *s = sqlite3_column_text(st, i);
			sum += s ? (unsigned long)sqlite3_column_bytes(st, i) : 0;
		}
	}
	return sum;
}

/* Steps st to its end; returns the number of rows, or -1 on an error. */
static int run(sqlite3_stmt *st, unsigned long *sum)
{
	int rc, rows = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*sum += read_row(st);
		rows++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? rows : -1;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	sqlite3 *h = NULL;
	sqlite3_stmt *auth = NULL, *contact = NULL;
	if (sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr, "sqlite_ceiling: cannot open %s: %s\n", db_path,
			h ? sqlite3_errmsg(h) : "out of memory");
		w->error = 1;
		goto out;
	}
	sqlite3_busy_timeout(h, 5000);
	if (sqlite3_prepare_v3(h, AUTH_SQL, -1, SQLITE_PREPARE_PERSISTENT, &auth, NULL) !=
		SQLITE_OK ||
	    sqlite3_prepare_v3(h, CONTACT_SQL, -1, SQLITE_PREPARE_PERSISTENT, &contact, NULL) !=
		SQLITE_OK) {
		fprintf(stderr, "sqlite_ceiling: prepare failed: %s\n", sqlite3_errmsg(h));
		w->error = 1;
		goto out;
	}
	unsigned long sum = 0;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		sqlite3_bind_int64(auth, 1, session_id);
		sqlite3_bind_int64(auth, 2, now_ms);
		int a = run(auth, &sum);
		sqlite3_bind_int64(contact, 1, user_id);
		sqlite3_bind_int64(contact, 2, contact_id);
		int c = run(contact, &sum);
		if (a < 0 || c < 0) {
			fprintf(stderr, "sqlite_ceiling: %s\n", sqlite3_errmsg(h));
			w->error = 1;
			break;
		}
		/* the session must be found and the contact must exist, as for a 200 */
		if (a != 1 || c < 1)
			w->failed++;
		w->iterations++;
	}
	atomic_fetch_add(&sink, sum);
out:
	sqlite3_finalize(auth);
	sqlite3_finalize(contact);
	sqlite3_close_v2(h);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 8) {
		fprintf(stderr, "usage: sqlite_ceiling <db> <threads> <seconds> <session id>"
				" <user id> <contact id> <now ms>\n");
		return 64;
	}
	db_path = argv[1];
	int threads = atoi(argv[2]);
	double seconds = atof(argv[3]);
	session_id = atoll(argv[4]);
	user_id = atoll(argv[5]);
	contact_id = atoll(argv[6]);
	now_ms = atoll(argv[7]);
	if (threads < 1 || seconds <= 0) {
		fprintf(stderr, "sqlite_ceiling: threads and seconds must be positive\n");
		return 64;
	}
	struct worker *w = calloc((size_t)threads, sizeof *w);
	if (!w)
		return 1;
	double t0 = now_s();
	for (int i = 0; i < threads; i++)
		if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0) {
			fprintf(stderr, "sqlite_ceiling: cannot start a thread\n");
			return 1;
		}
	struct timespec d = {.tv_sec = (time_t)seconds,
			     .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
	while (nanosleep(&d, &d) != 0)
		;
	atomic_store(&stop, 1);
	long long iterations = 0, failed = 0;
	int error = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].thread, NULL);
		iterations += w[i].iterations;
		failed += w[i].failed;
		error |= w[i].error;
	}
	double elapsed = now_s() - t0;
	free(w);
	if (error)
		return 1;
	printf("iterations=%lld seconds=%.3f perSecond=%.0f latencyUsMean=%.1f failed=%lld\n",
	       iterations, elapsed, (double)iterations / elapsed,
	       iterations ? (double)threads * elapsed * 1e6 / (double)iterations : 0.0, failed);
	return 0;
}
