/* SMTP delivery of one message through libcurl (see smtp.h). */
#include "integrations/mail/smtp.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "integrations/mail/mime.h"
#include "util/alloc.h"
#include "util/buf.h"

#define CONNECT_TIMEOUT_S 10L
#define TOTAL_TIMEOUT_S 30L

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void smtp_global_init(void)
{
	pthread_once(&curl_once, curl_init_once);
}

/* The message being uploaded. */
struct upload {
	const char *data;
	size_t len, off;
};

static size_t read_cb(char *ptr, size_t size, size_t nitems, void *userdata)
{
	struct upload *u = userdata;
	size_t room = size * nitems, left = u->len - u->off;
	size_t n = left < room ? left : room;
	memcpy(ptr, u->data + u->off, n);
	u->off += n;
	return n;
}

/* Replaces every occurrence of secret (when long enough to be one) in s by ****. */
static void scrub(struct buf *s, const char *secret)
{
	if (!secret || strlen(secret) < 3 || !s->data)
		return;
	size_t n = strlen(secret);
	char *hit;
	while ((hit = strstr(s->data, secret)) != NULL) {
		size_t at = (size_t)(hit - s->data);
		struct buf t = {0};
		buf_append(&t, s->data, at);
		buf_puts(&t, "****");
		buf_puts(&t, s->data + at + n);
		buf_free(s);
		*s = t;
	}
}

/* The password of a URL's userinfo (smtp://user:pass@host), or NULL (caller frees). */
static char *url_password(const char *url)
{
	const char *p = strstr(url, "://");
	if (!p)
		return NULL;
	p += 3;
	const char *at = strchr(p, '@'), *slash = strchr(p, '/');
	if (!at || (slash && slash < at))
		return NULL;
	const char *colon = memchr(p, ':', (size_t)(at - p));
	return colon ? xstrndup(colon + 1, (size_t)(at - colon - 1)) : NULL;
}

/* Sets the TLS options: required verifies the certificate and refuses plain text; the other
 * modes accept what the server offers (a loopback relay rarely has a certificate). */
static void set_tls(CURL *c, enum smtp_tls mode)
{
	switch (mode) {
	case SMTP_TLS_REQUIRED:
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
		break;
	case SMTP_TLS_OPPORTUNISTIC:
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		break;
	case SMTP_TLS_NONE:
		curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_NONE);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		break;
	}
}

bool smtp_send(const struct config *cfg, const char *to, const char *message, char **error)
{
	if (error)
		*error = NULL;
	if (!cfg->smtp_url || !cfg->smtp_url[0]) {
		if (error)
			*error = xstrdup("no SMTP_URL configured");
		return false;
	}
	smtp_global_init();
	CURL *c = curl_easy_init();
	if (!c) {
		if (error)
			*error = xstrdup("libcurl: cannot create a handle");
		return false;
	}
	char *from = mime_address_of(cfg->mail_from);
	char *rcpt = mime_address_of(to);
	char *env_from = xasprintf("<%s>", from);
	char *env_rcpt = xasprintf("<%s>", rcpt);
	struct curl_slist *rcpts = curl_slist_append(NULL, env_rcpt);
	struct upload up = {message, strlen(message), 0};
	char errbuf[CURL_ERROR_SIZE] = "";

	curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, env_from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.len);
	if (cfg->smtp_user && cfg->smtp_user[0])
		curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user);
	if (cfg->smtp_password && cfg->smtp_password[0])
		curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->smtp_password);
	set_tls(c, cfg->smtp_tls);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, TOTAL_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

	CURLcode rc = curl_easy_perform(c);
	bool ok = rc == CURLE_OK;
	if (!ok && error) {
		long code = 0;
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		struct buf e = {0};
		buf_puts(&e, curl_easy_strerror(rc));
		if (errbuf[0] && strcmp(errbuf, curl_easy_strerror(rc)) != 0)
			buf_printf(&e, ": %s", errbuf);
		if (code > 0)
			buf_printf(&e, " (SMTP %ld)", code);
		/* The server's reply could echo what we sent; keep credentials out of the row. */
		char *url_pw = url_password(cfg->smtp_url);
		scrub(&e, cfg->smtp_password);
		scrub(&e, url_pw);
		free(url_pw);
		/* One line, bounded: it is stored and logged. */
		for (size_t i = 0; i < e.len; i++)
			if ((unsigned char)e.data[i] < 0x20)
				e.data[i] = ' ';
		if (e.len > 300)
			e.data[300] = '\0';
		*error = buf_steal(&e);
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(rcpts);
	free(env_from);
	free(env_rcpt);
	free(from);
	free(rcpt);
	return ok;
}
