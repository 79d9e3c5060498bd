/* The mail series of /metrics (see mail_metrics.h): a fixed table of atomic counters, one per
 * template and result, so counting never locks or allocates. */
#include "integrations/mail/mail_metrics.h"

#include <stdatomic.h>
#include <string.h>

#include "domain/mail_templates.h"

#define MAX_TEMPLATES 16
static const char *const results[] = {"sent", "retry", "failed"};
#define NRESULTS (sizeof results / sizeof results[0])

/* Row MAX_TEMPLATES collects unknown names ("other"). */
static atomic_ullong sent_total[MAX_TEMPLATES + 1][NRESULTS];
static atomic_llong pending;

static size_t template_slot(const char *name)
{
	const char *t;
	for (size_t i = 0; i < MAX_TEMPLATES && (t = mail_template_name(i)) != NULL; i++)
		if (name && strcmp(t, name) == 0)
			return i;
	return MAX_TEMPLATES;
}

void metrics_email(struct metrics *m, const char *template_name, const char *result)
{
	(void)m;
	size_t r = 0;
	while (r < NRESULTS && (!result || strcmp(results[r], result) != 0))
		r++;
	if (r == NRESULTS)
		return; /* not a result of the family: a caller bug, not worth a series */
	atomic_fetch_add(&sent_total[template_slot(template_name)][r], 1);
}

void mail_metrics_set_pending(long long n)
{
	atomic_store(&pending, n);
}

void mail_metrics_render(struct buf *out)
{
	buf_puts(out, "# HELP crm_email_sent_total Mails handed to the transport, by template and "
		      "result.\n# TYPE crm_email_sent_total counter\n");
	const char *t;
	for (size_t i = 0; i < MAX_TEMPLATES && (t = mail_template_name(i)) != NULL; i++)
		for (size_t r = 0; r < NRESULTS; r++)
			buf_printf(out,
				   "crm_email_sent_total{template=\"%s\",result=\"%s\"} %llu\n", t,
				   results[r], atomic_load(&sent_total[i][r]));
	for (size_t r = 0; r < NRESULTS; r++) {
		unsigned long long v = atomic_load(&sent_total[MAX_TEMPLATES][r]);
		if (v)
			buf_printf(out,
				   "crm_email_sent_total{template=\"other\",result=\"%s\"} %llu\n",
				   results[r], v);
	}
	buf_printf(out,
		   "# HELP crm_email_outbox_pending Mails waiting in the outbox.\n"
		   "# TYPE crm_email_outbox_pending gauge\ncrm_email_outbox_pending %lld\n",
		   atomic_load(&pending));
}
