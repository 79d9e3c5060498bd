/* PostgreSQL store functions for the email outbox (SPEC §14): queueing a mail in the
 * transaction that causes it, the mail throttle's count, the worker's due rows and their
 * outcome (sent, retry, failed), the purge of bodies and sent rows, and the pending gauge.
 * Erased bodies are NULL. */
#include "store/pg/pg_accounts.h"
#include "store/pg/pgs.h"
#include "store/store.h"
#include "util/alloc.h"

/* Queues a mail: pending, due now. user_id 0 is stored as NULL (mail of no account). */
int pg_outbox_insert(struct db *db, const struct outbox_new *m, long long now, long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO email_outbox (user_id, to_address, template, subject, body_text,"
	    " body_html, next_attempt_at, created_at) VALUES (NULLIF($1::bigint, 0), $2, $3, $4,"
	    " $5, $6, " PG_TS("$7") ", " PG_TS("$7") ") RETURNING id";
	struct pg_params p = {0};
	pg_param_i64(&p, m->user_id);
	pg_param_str(&p, m->to_address);
	pg_param_str(&p, m->template_name);
	pg_param_str(&p, m->subject);
	pg_param_str(&p, m->body_text);
	pg_param_str(&p, m->body_html);
	pg_param_i64(&p, now);
	int rc;
	PGresult *r = pg_exec_prepared(db, "outbox_insert", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	if (rc > 0 && id_out)
		*id_out = pg_get_i64(r, 0, 0);
	PQclear(r);
	return rc;
}

/* Runs a count(*) query into *count. Returns 1 or < 0. */
static int query_count(struct db *db, const char *name, const char *sql, const struct pg_params *p,
		       int *count)
{
	*count = 0;
	int rc;
	PGresult *r = pg_exec_prepared(db, name, sql, p->n, p->v, &rc);
	if (!r)
		return rc;
	if (rc > 0)
		*count = (int)pg_get_i64(r, 0, 0);
	PQclear(r);
	return 1;
}

/* Counts the mails of a template to an address created at or after since. Returns 1 or < 0. */
int pg_outbox_count_recent(struct db *db, const char *to_address, const char *template_name,
			   long long since, int *count)
{
	static const char SQL[] = "SELECT count(*) FROM email_outbox WHERE to_address = $1"
				  " AND template = $2 AND created_at >= " PG_TS("$3");
	struct pg_params p = {0};
	pg_param_str(&p, to_address);
	pg_param_str(&p, template_name);
	pg_param_i64(&p, since);
	return query_count(db, "outbox_count_recent", SQL, &p, count);
}

static void read_outbox(const PGresult *r, int row, struct outbox_row *o)
{
	o->id = pg_get_i64(r, row, 0);
	o->user_id = pg_get_i64(r, row, 1);
	o->to_address = pg_get_strdup(r, row, 2);
	o->template_name = pg_get_strdup(r, row, 3);
	o->subject = pg_get_strdup(r, row, 4);
	o->body_text = pg_get_strdup(r, row, 5);
	o->body_html = pg_get_strdup(r, row, 6);
	o->status = pg_get_strdup(r, row, 7);
	o->attempts = (int)pg_get_i64(r, row, 8);
	o->next_attempt_at = pg_get_i64(r, row, 9);
	o->created_at = pg_get_i64(r, row, 10);
	o->sent_at = pg_get_i64(r, row, 11);
	o->last_error = pg_get_strdup(r, row, 12);
}

/* Up to max pending rows due at now, the longest waiting first. *rows is a new array (caller
 * frees each row with outbox_row_free, then the array; NULL on failure). Returns the count. */
int pg_outbox_select_due(struct db *db, long long now, int max, struct outbox_row **rows)
{
	static const char SQL[] =
	    "SELECT id, user_id, to_address, template, subject, body_text, body_html, status,"
	    " attempts, " PG_MS("next_attempt_at") ", " PG_MS("created_at") ", " PG_MS(
		"sent_at") ", last_error FROM email_outbox WHERE status = 'pending' AND "
			   "next_attempt_at <= " PG_TS("$1") " ORDER BY next_attempt_at, id LIMIT "
							     "$2::bigint";
	*rows = NULL;
	struct pg_params p = {0};
	pg_param_i64(&p, now);
	pg_param_i64(&p, max > 0 ? max : 0);
	int rc;
	PGresult *r = pg_exec_prepared(db, "outbox_select_due", SQL, p.n, p.v, &rc);
	if (!r)
		return rc;
	struct outbox_row *arr = xcalloc(rc > 0 ? (size_t)rc : 1, sizeof *arr);
	for (int i = 0; i < rc; i++)
		read_outbox(r, i, &arr[i]);
	PQclear(r);
	*rows = arr;
	return rc;
}

/* Claims a due pending row for one delivery attempt (see store.h): a conditional update, so of
 * two workers that selected the same row only one gets it. */
int pg_outbox_claim(struct db *db, long long id, long long now, long long until)
{
	static const char SQL[] = "UPDATE email_outbox SET next_attempt_at = " PG_TS(
	    "$3") " WHERE id = $1::bigint AND status = 'pending' AND next_attempt_at <= " PG_TS("$2");
	struct pg_params p = {0};
	pg_param_i64(&p, id);
	pg_param_i64(&p, now);
	pg_param_i64(&p, until);
	return pg_run(db, "outbox_claim", SQL, p.n, p.v);
}

/* Marks the row sent at now, erasing its bodies when asked (mails that carry a token). */
int pg_outbox_mark_sent(struct db *db, long long id, long long now, bool erase_bodies)
{
	static const char SQL[] = "UPDATE email_outbox SET status = 'sent', sent_at = " PG_TS(
	    "$2") ","
		  " body_text = CASE WHEN $3::boolean THEN NULL ELSE body_text END,"
		  " body_html = CASE WHEN $3::boolean THEN NULL ELSE body_html END WHERE id = "
		  "$1::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, id);
	pg_param_i64(&p, now);
	pg_param_bool(&p, erase_bodies);
	return pg_run(db, "outbox_mark_sent", SQL, p.n, p.v);
}

/* Counts an attempt: a retry at next_attempt_at, or (failed) the end of the row's attempts.
 * Bodies are erased only with failed, since a retry still needs them. */
int pg_outbox_mark_retry(struct db *db, long long id, long long next_attempt_at,
			 const char *last_error, bool failed, bool erase_bodies)
{
	static const char SQL[] =
	    "UPDATE email_outbox SET attempts = attempts + 1, next_attempt_at = " PG_TS(
		"$2") ","
		      " last_error = $3, status = CASE WHEN $4::boolean THEN 'failed' ELSE status "
		      "END,"
		      " body_text = CASE WHEN $4::boolean AND $5::boolean THEN NULL ELSE body_text "
		      "END,"
		      " body_html = CASE WHEN $4::boolean AND $5::boolean THEN NULL ELSE body_html "
		      "END"
		      " WHERE id = $1::bigint";
	struct pg_params p = {0};
	pg_param_i64(&p, id);
	pg_param_i64(&p, next_attempt_at);
	pg_param_str(&p, last_error);
	pg_param_bool(&p, failed);
	pg_param_bool(&p, erase_bodies);
	return pg_run(db, "outbox_mark_retry", SQL, p.n, p.v);
}

/* Erases the bodies (not yet erased) of the template's rows created before `before`, whatever
 * their status, then deletes the rows sent before sent_before: two statements, because one
 * statement may not both update and delete a row. Returns the rows changed by both (a row
 * erased and then deleted counts twice). */
int pg_outbox_purge(struct db *db, const char *template_name, long long before,
		    long long sent_before)
{
	static const char ERASE_SQL[] =
	    "UPDATE email_outbox SET body_text = NULL, body_html = NULL WHERE template = $1"
	    " AND created_at < " PG_TS(
		"$2") " AND (body_text IS NOT NULL OR body_html IS NOT NULL)";
	static const char DELETE_SQL[] =
	    "DELETE FROM email_outbox WHERE status = 'sent' AND sent_at < " PG_TS("$1");
	struct pg_params p = {0};
	pg_param_str(&p, template_name);
	pg_param_i64(&p, before);
	int erased = pg_run(db, "outbox_purge_erase", ERASE_SQL, p.n, p.v);
	if (erased < 0)
		return erased;
	struct pg_params q = {0};
	pg_param_i64(&q, sent_before);
	int deleted = pg_run(db, "outbox_purge_sent", DELETE_SQL, q.n, q.v);
	return deleted < 0 ? deleted : erased + deleted;
}

/* Counts the pending rows into *count. Returns 1 or < 0. */
int pg_outbox_pending(struct db *db, int *count)
{
	static const char SQL[] = "SELECT count(*) FROM email_outbox WHERE status = 'pending'";
	struct pg_params p = {0};
	return query_count(db, "outbox_pending", SQL, &p, count);
}
