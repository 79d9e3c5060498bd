/* SQLite store functions for the email outbox (SPEC §14): queueing a mail in the transaction
 * that causes it, the mail throttle's count, the worker's due rows and their outcome (sent,
 * retry, failed), the purge of bodies and sent rows, and the pending gauge. Erased bodies are
 * NULL. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/sq.h"
#include "store/sqlite/sq_accounts.h"
#include "store/store.h"
#include "util/alloc.h"

/* Queues a mail: pending, due now. user_id 0 is stored as NULL (mail of no account). */
int sq_outbox_insert(struct db *db, const struct outbox_new *m, long long now, long long *id_out)
{
	static const char SQL[] =
	    "INSERT INTO email_outbox (user_id, to_address, template, subject, body_text,"
	    " body_html, next_attempt_at, created_at)"
	    " VALUES (NULLIF(?1, 0), ?2, ?3, ?4, ?5, ?6, ?7, ?7)";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, m->user_id);
	sq_bind_text(st, 2, m->to_address);
	sq_bind_text(st, 3, m->template_name);
	sq_bind_text(st, 4, m->subject);
	sq_bind_text(st, 5, m->body_text);
	sq_bind_text(st, 6, m->body_html);
	sqlite3_bind_int64(st, 7, now);
	int rc = sq_run(db, st);
	if (rc > 0 && id_out)
		*id_out = sq_last_insert_id(db);
	return rc;
}

/* Runs a bound count(*) query into *count. Returns 1 or < 0. */
static int query_count(struct db *db, sqlite3_stmt *st, int *count)
{
	*count = 0;
	int rc = sq_step(db, st);
	if (rc > 0) {
		*count = sqlite3_column_int(st, 0);
		sqlite3_reset(st);
	}
	return rc < 0 ? rc : 1;
}

/* Counts the mails of a template to an address created at or after since. Returns 1 or < 0. */
int sq_outbox_count_recent(struct db *db, const char *to_address, const char *template_name,
			   long long since, int *count)
{
	static const char SQL[] = "SELECT count(*) FROM email_outbox"
				  " WHERE to_address = ?1 AND template = ?2 AND created_at >= ?3";
	*count = 0;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, to_address);
	sq_bind_text(st, 2, template_name);
	sqlite3_bind_int64(st, 3, since);
	return query_count(db, st, count);
}

static void read_outbox(sqlite3_stmt *st, struct outbox_row *o)
{
	o->id = sqlite3_column_int64(st, 0);
	o->user_id = sqlite3_column_int64(st, 1);
	o->to_address = sq_col_strdup(st, 2);
	o->template_name = sq_col_strdup(st, 3);
	o->subject = sq_col_strdup(st, 4);
	o->body_text = sq_col_strdup(st, 5);
	o->body_html = sq_col_strdup(st, 6);
	o->status = sq_col_strdup(st, 7);
	o->attempts = sqlite3_column_int(st, 8);
	o->next_attempt_at = sqlite3_column_int64(st, 9);
	o->created_at = sqlite3_column_int64(st, 10);
	o->sent_at = sqlite3_column_int64(st, 11);
	o->last_error = sq_col_strdup(st, 12);
}

/* Up to max pending rows due at now, the longest waiting first. *rows is a new array (caller
 * frees each row with outbox_row_free, then the array; NULL on failure). Returns the count. */
int sq_outbox_select_due(struct db *db, long long now, int max, struct outbox_row **rows)
{
	static const char SQL[] =
	    "SELECT id, user_id, to_address, template, subject, body_text, body_html, status,"
	    " attempts, next_attempt_at, created_at, sent_at, last_error FROM email_outbox"
	    " WHERE status = 'pending' AND next_attempt_at <= ?1"
	    " ORDER BY next_attempt_at, id LIMIT ?2";
	*rows = NULL;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int(st, 2, max > 0 ? max : 0);
	int cap = max > 0 && max < 64 ? max : 64, n = 0, rc;
	struct outbox_row *arr = xcalloc((size_t)cap, sizeof *arr);
	while ((rc = sq_step(db, st)) > 0) {
		if (n == cap) {
			arr = xrealloc(arr, (size_t)cap * 2 * sizeof *arr);
			memset(arr + cap, 0, (size_t)cap * sizeof *arr);
			cap *= 2;
		}
		read_outbox(st, &arr[n++]);
	}
	if (rc < 0) {
		for (int i = 0; i < n; i++)
			outbox_row_free(&arr[i]);
		free(arr);
		return rc;
	}
	*rows = arr;
	return n;
}

/* Claims a due pending row for one delivery attempt (see store.h): a conditional update, so of
 * two workers that selected the same row only one gets it. */
int sq_outbox_claim(struct db *db, long long id, long long now, long long until)
{
	static const char SQL[] = "UPDATE email_outbox SET next_attempt_at = ?3"
				  " WHERE id = ?1 AND status = 'pending' AND next_attempt_at <= ?2";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, until);
	return sq_run(db, st);
}

/* Marks the row sent at now, erasing its bodies when asked (mails that carry a token). */
int sq_outbox_mark_sent(struct db *db, long long id, long long now, bool erase_bodies)
{
	static const char SQL[] =
	    "UPDATE email_outbox SET status = 'sent', sent_at = ?2,"
	    " body_text = CASE WHEN ?3 THEN NULL ELSE body_text END,"
	    " body_html = CASE WHEN ?3 THEN NULL ELSE body_html END WHERE id = ?1";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int(st, 3, erase_bodies);
	return sq_run(db, st);
}

/* Counts an attempt: a retry at next_attempt_at, or (failed) the end of the row's attempts.
 * Bodies are erased only with failed, since a retry still needs them. */
int sq_outbox_mark_retry(struct db *db, long long id, long long next_attempt_at,
			 const char *last_error, bool failed, bool erase_bodies)
{
	static const char SQL[] =
	    "UPDATE email_outbox SET attempts = attempts + 1, next_attempt_at = ?2,"
	    " last_error = ?3, status = CASE WHEN ?4 THEN 'failed' ELSE status END,"
	    " body_text = CASE WHEN ?4 AND ?5 THEN NULL ELSE body_text END,"
	    " body_html = CASE WHEN ?4 AND ?5 THEN NULL ELSE body_html END WHERE id = ?1";
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, next_attempt_at);
	sq_bind_text(st, 3, last_error);
	sqlite3_bind_int(st, 4, failed);
	sqlite3_bind_int(st, 5, erase_bodies);
	return sq_run(db, st);
}

/* Erases the bodies (not yet erased) of the template's rows created before `before`, whatever
 * their status, then deletes the rows sent before sent_before. Returns the rows changed by
 * both (a row erased and then deleted counts twice). */
int sq_outbox_purge(struct db *db, const char *template_name, long long before,
		    long long sent_before)
{
	static const char ERASE_SQL[] = "UPDATE email_outbox SET body_text = NULL, body_html = NULL"
					" WHERE template = ?1 AND created_at < ?2"
					" AND (body_text IS NOT NULL OR body_html IS NOT NULL)";
	static const char DELETE_SQL[] =
	    "DELETE FROM email_outbox WHERE status = 'sent' AND sent_at < ?1";
	sqlite3_stmt *st = sq_prepare(db, ERASE_SQL);
	if (!st)
		return ST_ERROR;
	sq_bind_text(st, 1, template_name);
	sqlite3_bind_int64(st, 2, before);
	int erased = sq_run(db, st);
	if (erased < 0)
		return erased;
	st = sq_prepare(db, DELETE_SQL);
	if (!st)
		return ST_ERROR;
	sqlite3_bind_int64(st, 1, sent_before);
	int deleted = sq_run(db, st);
	return deleted < 0 ? deleted : erased + deleted;
}

/* Counts the pending rows into *count. Returns 1 or < 0. */
int sq_outbox_pending(struct db *db, int *count)
{
	static const char SQL[] = "SELECT count(*) FROM email_outbox WHERE status = 'pending'";
	*count = 0;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	if (!st)
		return ST_ERROR;
	return query_count(db, st, count);
}
