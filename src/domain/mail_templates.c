/* The mail templates of SPEC §14 (see mail_templates.h). Each template is a small function that
 * writes paragraphs and links through the helpers below, so the plain-text and HTML parts cannot
 * drift apart, and every dynamic value passes through the same cleaning and escaping. */
#include "domain/mail_templates.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/timefmt.h"

static const char *const template_names[] = {
    "verify_email",	"account_exists", "password_reset",
    "password_changed", "trial_ending",	  "payment_failed", "oauth_linked",
};
#define NTEMPLATES (sizeof template_names / sizeof template_names[0])

/* The two parts being written. */
struct parts {
	struct buf text, html;
};

char *mail_html_escape(const char *s)
{
	struct buf b = {0};
	buf_puts(&b, "");
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			buf_puts(&b, "&amp;");
			break;
		case '<':
			buf_puts(&b, "&lt;");
			break;
		case '>':
			buf_puts(&b, "&gt;");
			break;
		case '"':
			buf_puts(&b, "&quot;");
			break;
		case '\'':
			buf_puts(&b, "&#39;");
			break;
		default:
			buf_putc(&b, *s);
		}
	}
	return buf_steal(&b);
}

/* A copy of a user value fit for one line of a mail: C0 controls, DEL and the C1 controls
 * (UTF-8 C2 80..C2 9F) become spaces, so a name cannot start new paragraphs or fake links. */
static char *clean(const char *s)
{
	struct buf b = {0};
	buf_puts(&b, "");
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			buf_putc(&b, ' ');
		} else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
			buf_putc(&b, ' ');
			p++;
		} else {
			buf_putc(&b, (char)*p);
		}
	}
	return buf_steal(&b);
}

/* Percent-encodes everything but the URL-unreserved characters (a token is base64url and passes
 * unchanged; anything else cannot break out of the query). */
static void put_query_value(struct buf *b, const char *v)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			buf_putc(b, (char)*p);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[*p >> 4]);
			buf_putc(b, hex[*p & 15]);
		}
	}
}

/* origin + path, plus "?token=<token>" when token is not NULL. Caller frees. */
static char *make_url(const char *origin, const char *path, const char *token)
{
	struct buf b = {0};
	buf_puts(&b, origin ? origin : "");
	buf_puts(&b, path);
	if (token) {
		buf_puts(&b, "?token=");
		put_query_value(&b, token);
	}
	return buf_steal(&b);
}

/* One paragraph of plain words (already cleaned): the same text in both parts. */
static void para(struct parts *o, const char *s)
{
	buf_puts(&o->text, s);
	buf_puts(&o->text, "\n\n");
	char *e = mail_html_escape(s);
	buf_printf(&o->html, "<p>%s</p>\n", e);
	free(e);
}

/* A link: a button-like anchor in HTML (with the address repeated for clients that hide
 * links), the bare address on its own line in text so any client can open it. */
static void put_link(struct parts *o, const char *label, const char *url)
{
	buf_printf(&o->text, "%s:\n%s\n\n", label, url);
	char *el = mail_html_escape(label), *eu = mail_html_escape(url);
	buf_printf(
	    &o->html,
	    "<p><a href=\"%s\" style=\"display:inline-block;padding:10px 18px;"
	    "background:#2563eb;color:#ffffff;text-decoration:none;border-radius:6px\">%s</a>"
	    "</p>\n<p style=\"font-size:13px;color:#555555\">%s<br><a href=\"%s\">%s</a></p>\n",
	    eu, el, "If the button does not work, open this address:", eu, eu);
	free(el);
	free(eu);
}

static void greet(struct parts *o, const char *first_name)
{
	char *name = clean(first_name);
	char *line = xasprintf("Hi %s,", name[0] ? name : "there");
	para(o, line);
	free(line);
	free(name);
}

static void sign(struct parts *o)
{
	para(o, "— Personal CRM");
}

static const char *const months[] = {"January",	  "February", "March",	  "April",
				     "May",	  "June",     "July",	  "August",
				     "September", "October",  "November", "December"};

/* "July 10, 2025" for ms (UTC), into out. */
static void format_date(long long ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, n, "%s %d, %d", months[tm.tm_mon], tm.tm_mday, tm.tm_year + 1900);
}

/* "June 30, 2025 at 13:32 UTC" for ms, into out. */
static void format_time(long long ms, char *out, size_t n)
{
	char d[40];
	format_date(ms, d, sizeof d);
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, n, "%s at %02d:%02d UTC", d, tm.tm_hour, tm.tm_min);
}

/* Each template writes its body and returns its subject (new string), or NULL when a required
 * variable is missing. */
typedef char *(*template_fn)(const struct config *cfg, const struct mail_vars *v, struct parts *o);

static char *t_verify_email(const struct config *cfg, const struct mail_vars *v, struct parts *o)
{
	if (!v->token || !v->token[0])
		return NULL;
	char *url = make_url(cfg->base_url, "/api/v1/auth/verify-email", v->token);
	greet(o, v->first_name);
	para(o, "Please confirm that this is your email address to finish setting up your "
		"Personal CRM account.");
	put_link(o, "Verify my email address", url);
	para(o, "The link is valid for 24 hours and works once. If you did not create an "
		"account, you can ignore this email.");
	sign(o);
	free(url);
	return xstrdup("Verify your email address");
}

static char *t_account_exists(const struct config *cfg, const struct mail_vars *v, struct parts *o)
{
	char *login = make_url(cfg->frontend_url, "/login", NULL);
	char *forgot = make_url(cfg->frontend_url, "/forgot-password", NULL);
	greet(o, v->first_name);
	para(o, "Someone tried to create a Personal CRM account with this email address, but it "
		"already belongs to an account. Nothing was changed.");
	put_link(o, "If it was you, sign in", login);
	put_link(o, "Forgot your password? Reset it", forgot);
	para(o, "If it was not you, you can ignore this email.");
	sign(o);
	free(login);
	free(forgot);
	return xstrdup("Someone tried to sign up with your email");
}

static char *t_password_reset(const struct config *cfg, const struct mail_vars *v, struct parts *o)
{
	if (!v->token || !v->token[0])
		return NULL;
	char *url = make_url(cfg->frontend_url, "/reset-password", v->token);
	greet(o, v->first_name);
	para(o, "We received a request to reset the password of your Personal CRM account.");
	put_link(o, "Choose a new password", url);
	para(o, "The link is valid for 30 minutes and works once. If you did not ask for this, "
		"ignore this email: your password stays unchanged.");
	sign(o);
	free(url);
	return xstrdup("Reset your password");
}

static char *t_password_changed(const struct config *cfg, const struct mail_vars *v,
				struct parts *o)
{
	char when[80];
	format_time(v->time_ms ? v->time_ms : now_ms(), when, sizeof when);
	char *ip = clean(v->ip);
	char *line = xasprintf("The password of your Personal CRM account was changed on %s from "
			       "the IP address %s.",
			       when, ip[0] ? ip : "(unknown)");
	char *forgot = make_url(cfg->frontend_url, "/forgot-password", NULL);
	greet(o, v->first_name);
	para(o, line);
	para(o, "If this was you, there is nothing more to do. If it was not you, reset your "
		"password now: every session is signed out when you do.");
	put_link(o, "Reset my password", forgot);
	sign(o);
	free(forgot);
	free(line);
	free(ip);
	return xstrdup("Your password was changed");
}

static char *t_trial_ending(const struct config *cfg, const struct mail_vars *v, struct parts *o)
{
	char buf[80];
	char *date;
	if (v->date && v->date[0])
		date = clean(v->date);
	else if (v->date_ms > 0) {
		format_date(v->date_ms, buf, sizeof buf);
		date = xstrdup(buf);
	} else
		return NULL;
	char *billing = make_url(cfg->frontend_url, "/settings/billing", NULL);
	char *line = xasprintf("Your Personal CRM Premium trial ends on %s. To keep Premium, make "
			       "sure a payment method is on file; otherwise your account returns "
			       "to the Free plan and keeps all its data.",
			       date);
	greet(o, v->first_name);
	para(o, line);
	put_link(o, "Manage billing", billing);
	sign(o);
	char *subject = xasprintf("Your Premium trial ends on %s", date);
	free(line);
	free(billing);
	free(date);
	return subject;
}

static char *t_payment_failed(const struct config *cfg, const struct mail_vars *v, struct parts *o)
{
	char *billing = make_url(cfg->frontend_url, "/settings/billing", NULL);
	greet(o, v->first_name);
	para(o, "We could not collect the payment for your Personal CRM Premium subscription. "
		"Please update your payment method to keep Premium.");
	put_link(o, "Update payment method", billing);
	sign(o);
	free(billing);
	return xstrdup("Payment for your Premium subscription failed");
}

/* A sign-in identity was linked to the account (SPEC §7.3 step 5: the owner gets a notice). */
static char *t_oauth_linked(const struct config *cfg, const struct mail_vars *v, struct parts *o)
{
	if (!v->provider || !v->provider[0])
		return NULL;
	char when[80];
	format_time(v->time_ms ? v->time_ms : now_ms(), when, sizeof when);
	char *provider = clean(v->provider);
	char *ip = clean(v->ip);
	char *line = xasprintf("A %s sign-in was linked to your Personal CRM account on %s from the "
			       "IP address %s. You can now sign in with it.",
			       provider, when, ip[0] ? ip : "(unknown)");
	char *forgot = make_url(cfg->frontend_url, "/forgot-password", NULL);
	greet(o, v->first_name);
	para(o, line);
	para(o, "If this was not you, unlink it in your account settings and reset your "
		"password now: every session is signed out when you do.");
	put_link(o, "Reset my password", forgot);
	sign(o);
	char *subject = xasprintf("%s sign-in was linked to your account", provider);
	free(forgot);
	free(line);
	free(ip);
	free(provider);
	return subject;
}

static const template_fn template_fns[NTEMPLATES] = {
    t_verify_email,	t_account_exists, t_password_reset,
    t_password_changed, t_trial_ending,	  t_payment_failed, t_oauth_linked,
};

static int template_index(const char *name)
{
	for (size_t i = 0; name && i < NTEMPLATES; i++)
		if (strcmp(template_names[i], name) == 0)
			return (int)i;
	return -1;
}

bool mail_render(const struct config *cfg, const char *template_name, const struct mail_vars *v,
		 char **subject, char **text, char **html)
{
	*subject = *text = *html = NULL;
	int i = template_index(template_name);
	if (i < 0)
		return false;
	static const struct mail_vars none;
	struct parts o = {{0}, {0}};
	buf_puts(&o.text, "");
	buf_puts(&o.html, "");
	char *subj = template_fns[i](cfg, v ? v : &none, &o);
	if (!subj) {
		buf_free(&o.text);
		buf_free(&o.html);
		return false;
	}
	char *esubj = mail_html_escape(subj);
	struct buf h = {0};
	buf_printf(&h,
		   "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width\">\n<title>%s</title>\n"
		   "</head>\n<body style=\"margin:0;padding:24px;font-family:-apple-system,"
		   "'Segoe UI',Helvetica,Arial,sans-serif;font-size:15px;line-height:1.5;"
		   "color:#111111\">\n<div style=\"max-width:560px\">\n",
		   esubj);
	buf_puts(&h, o.html.data);
	buf_puts(&h, "</div>\n</body>\n</html>\n");
	free(esubj);
	buf_free(&o.html);
	/* The text part ends with one line break, not the paragraph gap. */
	while (o.text.len > 1 && o.text.data[o.text.len - 1] == '\n' &&
	       o.text.data[o.text.len - 2] == '\n')
		o.text.data[--o.text.len] = '\0';
	*subject = subj;
	*text = buf_steal(&o.text);
	*html = buf_steal(&h);
	return true;
}

bool mail_template_has_token(const char *template_name)
{
	return mail_template_token_lifetime_ms(template_name) > 0;
}

long long mail_template_token_lifetime_ms(const char *template_name)
{
	if (!template_name)
		return 0;
	if (strcmp(template_name, "verify_email") == 0)
		return MAIL_VERIFY_TOKEN_LIFETIME_MS;
	if (strcmp(template_name, "password_reset") == 0)
		return MAIL_RESET_TOKEN_LIFETIME_MS;
	return 0;
}

const char *mail_template_name(size_t i)
{
	return i < NTEMPLATES ? template_names[i] : NULL;
}

bool mail_template_known(const char *name)
{
	return template_index(name) >= 0;
}
