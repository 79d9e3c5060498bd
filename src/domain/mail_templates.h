/* The mails the service sends (SPEC §14): one template per kind, each rendered into a subject, a
 * plain-text body and an HTML body. Links are built from BASE_URL / FRONTEND_URL exactly as the
 * specification lists them; values that come from users are HTML-escaped in the HTML part and
 * stripped of control characters everywhere. Pure functions: no store, no I/O. */
#ifndef CRM_DOMAIN_MAIL_TEMPLATES_H
#define CRM_DOMAIN_MAIL_TEMPLATES_H

#include <stdbool.h>
#include <stddef.h>

struct config;

/* Token lifetimes (§3.7), which also bound how long the bodies carrying them are kept. */
#define MAIL_VERIFY_TOKEN_LIFETIME_MS (24LL * 3600 * 1000)
#define MAIL_RESET_TOKEN_LIFETIME_MS (30LL * 60 * 1000)

/* What a template may show. Every member is optional unless its template needs it; strings are
 * borrowed (the caller keeps them) and may be NULL.
 *   first_name: greeting ("Hi Ann,"; "Hi there," when NULL or empty) - every template
 *   token:      the email token in clear - verify_email, password_reset (required)
 *   ip:         client address of the change - password_changed ("an unknown address")
 *   time_ms:    when the change happened, Unix ms - password_changed (0: now)
 *   date:       trial end as display text, e.g. "July 10, 2025" - trial_ending; when NULL,
 *   date_ms:    the trial end in Unix ms is formatted that way instead (one of them required)
 *   provider:   display name of the sign-in provider just linked - oauth_linked (required) */
struct mail_vars {
	const char *first_name;
	const char *token;
	const char *ip;
	long long time_ms;
	const char *date;
	long long date_ms;
	const char *provider;
};

/* Renders template_name ("verify_email", "account_exists", "password_reset", "password_changed",
 * "trial_ending", "payment_failed", "oauth_linked") for cfg (base_url, frontend_url) and v. On success returns
 * true and sets *subject, *text and *html to new strings (UTF-8, LF line breaks; caller frees
 * each). Returns false, leaving the outputs NULL, for an unknown template or a missing required
 * variable. */
bool mail_render(const struct config *cfg, const char *template_name, const struct mail_vars *v,
		 char **subject, char **text, char **html);

/* True for the templates whose body carries a token (verify_email, password_reset): their bodies
 * are erased once the row is sent, failed or older than the token's lifetime. */
bool mail_template_has_token(const char *template_name);

/* The lifetime in ms of the token a template carries (24 h for verify_email, 30 min for
 * password_reset), or 0 for a template without token or an unknown name. */
long long mail_template_token_lifetime_ms(const char *template_name);

/* The i-th template name (0-based) of the fixed list, NULL past the end: lets the outbox purge
 * and the metrics walk every template. Static strings. */
const char *mail_template_name(size_t i);

/* True when name is one of the templates. */
bool mail_template_known(const char *name);

/* A new copy of s with &, <, >, " and ' escaped for HTML text and attribute values (caller
 * frees). NULL gives "". */
char *mail_html_escape(const char *s);

#endif
