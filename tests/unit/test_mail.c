/* Unit tests of the mail path (SPEC §14): the MIME message (RFC 2047 subject, header injection,
 * both parts, CRLF, quoted-printable), the templates' links and HTML escaping, SMTP delivery
 * against a real server (tests/support/smtp_capture.py, aiosmtpd), and the outbox worker end to
 * end on a temporary SQLite store: sent over SMTP, retried after a refused connection, written
 * to the file outbox, with the log lines checked for what they may show. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "config/config.h"
#include "domain/mail_templates.h"
#include "integrations/mail/mail_metrics.h"
#include "integrations/mail/mime.h"
#include "integrations/mail/outbox.h"
#include "integrations/mail/smtp.h"
#include "log/log.h"
#include "store/sqlite/sq.h"
#include "store/store.h"
#include "test.h"
#include "util/buf.h"
#include "util/timefmt.h"
#include "util/utf8.h"

#define CAPTURE_SCRIPT "tests/support/smtp_capture.py"
#define TOKEN "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde"

/* ---------------------------------------------------------------- helpers */

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(p);
}

static void make_tmpdir(char *out, size_t n, const char *tag)
{
	snprintf(out, n, "/tmp/crm-test-mail-%s-XXXXXX", tag);
	if (!mkdtemp(out))
		abort();
}

/* A port nobody listens on (bound, read, released). */
static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		abort();
	close(fd);
	return ntohs(a.sin_port);
}

static bool contains(const char *hay, const char *needle)
{
	return hay && needle && strstr(hay, needle) != NULL;
}

static void base_config(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->env = ENV_DEVELOPMENT;
	static char base[] = "http://api.example.test:3000";
	static char frontend[] = "https://app.example.test/crm";
	static char from[] = "Personal CRM <no-reply@example.test>";
	c->base_url = base;
	c->frontend_url = frontend;
	c->mail_from = from;
	c->smtp_tls = SMTP_TLS_OPPORTUNISTIC;
	c->db_statement_timeout_ms = 5000;
	c->db_pool_size = 2;
	c->worker_threads = 2;
}

/* Decodes quoted-printable (soft breaks removed, =XX decoded); caller frees. */
static char *qp_decode(const char *s)
{
	struct buf b = {0};
	buf_puts(&b, "");
	for (const char *p = s; *p; p++) {
		if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
			p += 2;
		} else if (p[0] == '=' && p[1] && p[2]) {
			char hex[3] = {p[1], p[2], 0};
			buf_putc(&b, (char)strtol(hex, NULL, 16));
			p += 2;
		} else {
			buf_putc(&b, *p);
		}
	}
	return buf_steal(&b);
}

/* The decoded body of the part of a built message whose Content-Type starts with type. */
static char *part_of(const char *msg, const char *type)
{
	char hdr[64];
	snprintf(hdr, sizeof hdr, "Content-Type: %s", type);
	const char *h = strstr(msg, hdr);
	if (!h)
		return NULL;
	const char *body = strstr(h, "\r\n\r\n");
	if (!body)
		return NULL;
	body += 4;
	const char *end = strstr(body, "\r\n--=_crm_");
	if (!end)
		return NULL;
	char *raw = strndup(body, (size_t)(end - body));
	char *out = qp_decode(raw);
	free(raw);
	return out;
}

/* ---------------------------------------------------------------- MIME */

TEST(header_clean_removes_controls)
{
	char *s = mime_header_clean("a\r\nBcc: x@y\t\x01z\x7f\xc2\x85!");
	CHECK_STR(s, "aBcc: x@yz!");
	free(s);
	s = mime_header_clean(NULL);
	CHECK_STR(s, "");
	free(s);
}

TEST(address_of_from)
{
	char *a = mime_address_of("Personal CRM <no-reply@example.test>");
	CHECK_STR(a, "no-reply@example.test");
	free(a);
	a = mime_address_of("  ann@example.test \r\n");
	CHECK_STR(a, "ann@example.test");
	free(a);
	a = mime_address_of("\"Q, Inc\" <q@x.test>\r\nRCPT TO:<evil@x.test>");
	CHECK(!strchr(a, '\r') && !strchr(a, '\n') && !strchr(a, ' '));
	free(a);
}

TEST(subject_ascii_kept_plain)
{
	char *s = mime_encode_subject("Verify your email address");
	CHECK_STR(s, "Verify your email address");
	free(s);
}

TEST(subject_rfc2047_roundtrip)
{
	const char *subj =
	    "Your Premium trial ends on 10 juillet — Zoë, ça va? 日本語のテキストを含む件名";
	char *s = mime_encode_subject(subj);
	CHECK(strncmp(s, "=?UTF-8?B?", 10) == 0);
	/* Decode each word on its own: each must be valid UTF-8 (no character split). */
	struct buf all = {0};
	buf_puts(&all, "");
	int words = 0;
	for (const char *p = s; (p = strstr(p, "=?UTF-8?B?")) != NULL;) {
		p += 10;
		const char *e = strstr(p, "?=");
		CHECK(e != NULL);
		if (!e)
			break;
		CHECK(e - p + 12 <= 75);
		unsigned char bin[128];
		size_t len = 0;
		CHECK(sodium_base642bin(bin, sizeof bin, p, (size_t)(e - p), NULL, &len, NULL,
					sodium_base64_VARIANT_ORIGINAL) == 0);
		CHECK(utf8_valid((const char *)bin, len));
		buf_append(&all, bin, len);
		words++;
		p = e + 2;
		if (*p)
			CHECK(strncmp(p, "\r\n ", 3) == 0);
	}
	CHECK(words >= 2);
	CHECK_STR(all.data, subj);
	buf_free(&all);
	free(s);
}

TEST(qp_roundtrip_and_line_length)
{
	struct buf in = {0};
	buf_puts(&in, "short line with = sign and trailing space \n.leading dot\nFrom here\n");
	for (int i = 0; i < 30; i++)
		buf_puts(&in, "long-héllo=wörld ");
	buf_puts(&in, "\r\nlast\t");
	char *qp = mime_qp_encode(in.data);
	/* Lines at most 76, CRLF only, ASCII only. */
	size_t col = 0;
	bool ok = true;
	for (const char *p = qp; *p; p++) {
		if (*p == '\r') {
			ok &= p[1] == '\n';
			col = 0;
			p++;
			continue;
		}
		ok &= *p != '\n' && (unsigned char)*p < 0x80;
		col++;
		ok &= col <= 76;
	}
	CHECK(ok);
	CHECK(!contains(qp, "\r\n.leading"));
	CHECK(!contains(qp, "\r\nFrom here"));
	CHECK(contains(qp, "space=20\r\n"));
	char *back = qp_decode(qp);
	struct buf want = {0};
	for (const char *p = in.data; *p; p++) {
		if (*p == '\n' && (p == in.data || p[-1] != '\r'))
			buf_putc(&want, '\r');
		buf_putc(&want, *p);
	}
	CHECK_STR(back, want.data);
	free(back);
	free(qp);
	buf_free(&in);
	buf_free(&want);
}

TEST(mime_build_structure)
{
	struct mime_mail m = {
	    .from = "Personal CRM <no-reply@example.test>",
	    .to = "ann@example.test\r\nBcc: evil@example.test",
	    .subject = "Hello\r\nBcc: evil@example.test\nX-Evil: 1",
	    .text = "Hi Ann,\n\nclick https://app.example.test/x?token=abc\n",
	    .html = "<p>Hi Ann,</p>\n<p>Zoë</p>\n",
	    .date_ms = 1751290334000LL, /* 2025-06-30T13:32:14Z */
	};
	char *msg = mime_build(&m);
	/* Every line ends in CRLF and is short. */
	bool crlf = true;
	size_t line = 0, longest = 0;
	for (const char *p = msg; *p; p++) {
		if (*p == '\n')
			crlf &= p > msg && p[-1] == '\r';
		if (*p == '\r')
			crlf &= p[1] == '\n';
		line = *p == '\n' ? 0 : line + 1;
		if (line > longest)
			longest = line;
	}
	CHECK(crlf);
	CHECK(longest <= 998);
	CHECK(msg[strlen(msg) - 1] == '\n');
	/* No injected header: nothing starts a line with Bcc: or X-Evil:. */
	CHECK(!contains(msg, "\r\nBcc:"));
	CHECK(!contains(msg, "\r\nX-Evil:"));
	CHECK(strncmp(msg, "From: Personal CRM <no-reply@example.test>\r\n", 44) == 0);
	CHECK(contains(msg, "\r\nTo: ann@example.testBcc:evil@example.test\r\n"));
	CHECK(contains(msg, "\r\nSubject: HelloBcc: evil@example.testX-Evil: 1\r\n"));
	CHECK(contains(msg, "\r\nDate: Mon, 30 Jun 2025 13:32:14 +0000\r\n"));
	CHECK(contains(msg, "@example.test>\r\n"));
	const char *mid = strstr(msg, "\r\nMessage-ID: <");
	CHECK(mid && strlen(mid) > 50 && mid[15 + 32] == '@');
	CHECK(contains(msg, "\r\nMIME-Version: 1.0\r\n"));
	CHECK(contains(msg, "Content-Type: multipart/alternative; boundary=\"=_crm_"));
	/* Headers end before the first blank line; the body has both parts and the close. */
	const char *blank = strstr(msg, "\r\n\r\n");
	CHECK(blank && contains(blank, "Content-Type: text/plain; charset=UTF-8\r\n"
				       "Content-Transfer-Encoding: quoted-printable\r\n"));
	CHECK(contains(blank, "Content-Type: text/html; charset=UTF-8\r\n"
			      "Content-Transfer-Encoding: quoted-printable\r\n"));
	const char *b = strstr(msg, "boundary=\"") + 10;
	char boundary[64];
	snprintf(boundary, sizeof boundary, "\r\n--%.*s--\r\n", (int)(strchr(b, '"') - b), b);
	CHECK(contains(msg, boundary));
	char *text = part_of(msg, "text/plain"), *html = part_of(msg, "text/html");
	CHECK(contains(text, "Hi Ann,\r\n\r\nclick https://app.example.test/x?token=abc"));
	CHECK(contains(html, "<p>Zoë</p>"));
	free(text);
	free(html);
	free(msg);

	/* Two messages never share a Message-ID. */
	char *a = mime_build(&m), *c = mime_build(&m);
	CHECK(strcmp(strstr(a, "Message-ID:"), strstr(c, "Message-ID:")) != 0);
	free(a);
	free(c);
}

TEST(mime_from_display_names)
{
	struct mime_mail m = {.from = "Zoë's CRM <z@x.test>", .to = "a@b.test", .subject = "s"};
	char *msg = mime_build(&m);
	CHECK(strncmp(msg, "From: =?UTF-8?B?", 16) == 0 && contains(msg, "?= <z@x.test>\r\n"));
	free(msg);
	m.from = "Acme, Inc. <z@x.test>";
	msg = mime_build(&m);
	CHECK(strncmp(msg, "From: \"Acme, Inc.\" <z@x.test>\r\n", 31) == 0);
	free(msg);
	m.from = "bare@x.test";
	msg = mime_build(&m);
	CHECK(strncmp(msg, "From: bare@x.test\r\n", 19) == 0);
	free(msg);
}

/* ---------------------------------------------------------------- templates */

struct rendered {
	char *subject, *text, *html;
};

static bool render(const char *tpl, const struct mail_vars *v, struct rendered *r)
{
	struct config c;
	base_config(&c);
	return mail_render(&c, tpl, v, &r->subject, &r->text, &r->html);
}

static void rendered_free(struct rendered *r)
{
	free(r->subject);
	free(r->text);
	free(r->html);
}

TEST(template_verify_email)
{
	struct rendered r;
	struct mail_vars v = {.first_name = "Ann", .token = TOKEN};
	CHECK(render("verify_email", &v, &r));
	CHECK_STR(r.subject, "Verify your email address");
	const char *url = "http://api.example.test:3000/api/v1/auth/verify-email?token=" TOKEN;
	CHECK(contains(r.text, url));
	CHECK(contains(r.html,
		       "href=\"http://api.example.test:3000/api/v1/auth/verify-email?token=" TOKEN
		       "\""));
	CHECK(contains(r.text, "Hi Ann,"));
	CHECK(contains(r.text, "24 hours"));
	rendered_free(&r);
	v.token = NULL;
	CHECK(!render("verify_email", &v, &r));
	CHECK(r.subject == NULL && r.text == NULL && r.html == NULL);
}

TEST(template_account_exists)
{
	struct rendered r;
	struct mail_vars v = {0};
	CHECK(render("account_exists", &v, &r));
	CHECK_STR(r.subject, "Someone tried to sign up with your email");
	CHECK(contains(r.text, "https://app.example.test/crm/login\n"));
	CHECK(contains(r.text, "https://app.example.test/crm/forgot-password\n"));
	CHECK(contains(r.html, "href=\"https://app.example.test/crm/login\""));
	CHECK(!contains(r.text, "token="));
	CHECK(contains(r.text, "Hi there,"));
	rendered_free(&r);
}

TEST(template_password_reset)
{
	struct rendered r;
	struct mail_vars v = {.first_name = "Ann", .token = TOKEN};
	CHECK(render("password_reset", &v, &r));
	CHECK_STR(r.subject, "Reset your password");
	CHECK(contains(r.text, "https://app.example.test/crm/reset-password?token=" TOKEN "\n"));
	CHECK(contains(r.text, "30 minutes"));
	CHECK(contains(r.text, "ignore this email"));
	rendered_free(&r);
	/* A token that is not base64url cannot escape the query. */
	v.token = "a&b\"<x>";
	CHECK(render("password_reset", &v, &r));
	CHECK(contains(r.text, "reset-password?token=a%26b%22%3Cx%3E\n"));
	rendered_free(&r);
}

TEST(template_password_changed)
{
	struct rendered r;
	struct mail_vars v = {.first_name = "Ann", .ip = "203.0.113.7", .time_ms = 1751290334000LL};
	CHECK(render("password_changed", &v, &r));
	CHECK_STR(r.subject, "Your password was changed");
	CHECK(contains(r.text, "June 30, 2025 at 13:32 UTC"));
	CHECK(contains(r.text, "203.0.113.7"));
	CHECK(contains(r.text, "https://app.example.test/crm/forgot-password"));
	rendered_free(&r);
}

TEST(template_trial_ending)
{
	struct rendered r;
	struct mail_vars v = {.first_name = "Ann", .date_ms = 1752105600000LL}; /* 2025-07-10 */
	CHECK(render("trial_ending", &v, &r));
	CHECK_STR(r.subject, "Your Premium trial ends on July 10, 2025");
	CHECK(contains(r.text, "July 10, 2025"));
	CHECK(contains(r.text, "https://app.example.test/crm/settings/billing\n"));
	rendered_free(&r);
	struct mail_vars none = {0};
	CHECK(!render("trial_ending", &none, &r));
}

TEST(template_payment_failed)
{
	struct rendered r;
	CHECK(render("payment_failed", NULL, &r));
	CHECK_STR(r.subject, "Payment for your Premium subscription failed");
	CHECK(contains(r.text, "https://app.example.test/crm/settings/billing\n"));
	CHECK(contains(r.html, "href=\"https://app.example.test/crm/settings/billing\""));
	rendered_free(&r);
	CHECK(!render("no_such_template", NULL, &r));
}

TEST(template_escapes_user_values)
{
	struct rendered r;
	struct mail_vars v = {.first_name = "<b>Ann</b> & \"Co\" 'x'\r\nhttp://evil.test",
			      .ip = "<script>",
			      .time_ms = 1};
	CHECK(render("password_changed", &v, &r));
	CHECK(!contains(r.html, "<b>Ann"));
	CHECK(!contains(r.html, "<script>"));
	CHECK(contains(r.html, "&lt;b&gt;Ann&lt;/b&gt; &amp; &quot;Co&quot; &#39;x&#39;"));
	CHECK(contains(r.html, "&lt;script&gt;"));
	/* In text the name stays one line: no new paragraph, no link of its own line. */
	CHECK(contains(r.text, "Hi <b>Ann</b> & \"Co\" 'x'  http://evil.test,"));
	CHECK(contains(r.html, "<!DOCTYPE html>") && contains(r.html, "</html>"));
	rendered_free(&r);
}

TEST(template_tokens_and_lifetimes)
{
	CHECK(mail_template_has_token("verify_email"));
	CHECK(mail_template_has_token("password_reset"));
	CHECK(!mail_template_has_token("account_exists"));
	CHECK(!mail_template_has_token("password_changed"));
	CHECK(!mail_template_has_token("trial_ending"));
	CHECK(!mail_template_has_token("payment_failed"));
	CHECK_INT(mail_template_token_lifetime_ms("verify_email"), 24LL * 3600 * 1000);
	CHECK_INT(mail_template_token_lifetime_ms("password_reset"), 30LL * 60 * 1000);
	CHECK_INT(mail_template_token_lifetime_ms("payment_failed"), 0);
	int n = 0;
	while (mail_template_name((size_t)n))
		n++;
	CHECK_INT(n, 7);
}

TEST(retry_backoff)
{
	static const int want[] = {1, 2, 4, 8, 16, 32, 60, 60, 60};
	for (int i = 0; i < 9; i++)
		CHECK_INT(outbox_retry_delay_ms(i + 1), want[i] * 60000LL);
}

/* ---------------------------------------------------------------- SMTP capture server */

static struct {
	pid_t pid;
	int port;
	char dir[96];
} capture;

static void capture_stop(void)
{
	if (capture.pid <= 0)
		return;
	kill(capture.pid, SIGTERM);
	for (int i = 0; i < 100; i++) {
		if (waitpid(capture.pid, NULL, WNOHANG) == capture.pid) {
			capture.pid = 0;
			break;
		}
		sleep_ms(50);
	}
	if (capture.pid > 0) {
		kill(capture.pid, SIGKILL);
		waitpid(capture.pid, NULL, 0);
		capture.pid = 0;
	}
	nftw(capture.dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* Starts smtp_capture.py once for the whole binary (stopped at exit); true when it printed
 * READY. A port taken in the meantime is retried on another. */
static bool capture_start(void)
{
	if (capture.pid > 0)
		return true;
	make_tmpdir(capture.dir, sizeof capture.dir, "smtp");
	for (int attempt = 0; attempt < 3; attempt++) {
		int fds[2];
		if (pipe(fds) != 0)
			return false;
		capture.port = free_port();
		char port[16];
		snprintf(port, sizeof port, "%d", capture.port);
		pid_t pid = fork();
		if (pid == 0) {
			/* Its chatter goes to a file beside the captures, not into our report. */
			char errlog[160];
			snprintf(errlog, sizeof errlog, "%s/stderr.log", capture.dir);
			int efd = open(errlog, O_WRONLY | O_CREAT | O_APPEND, 0600);
			if (efd >= 0)
				dup2(efd, STDERR_FILENO);
			dup2(fds[1], STDOUT_FILENO);
			close(fds[0]);
			close(fds[1]);
			execl("/usr/bin/python3", "python3", CAPTURE_SCRIPT, "--host", "127.0.0.1",
			      "--port", port, "--dir", capture.dir, (char *)NULL);
			_exit(127);
		}
		close(fds[1]);
		char out[256] = "";
		size_t len = 0;
		double deadline = mono_seconds() + 15;
		while (!strstr(out, "READY") && mono_seconds() < deadline) {
			struct pollfd p = {fds[0], POLLIN, 0};
			if (poll(&p, 1, 200) <= 0)
				continue;
			ssize_t n = read(fds[0], out + len, sizeof out - 1 - len);
			if (n <= 0)
				break;
			len += (size_t)n;
			out[len] = '\0';
		}
		close(fds[0]);
		if (strstr(out, "READY")) {
			capture.pid = pid;
			atexit(capture_stop);
			return true;
		}
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	fprintf(stderr,
		"  smtp_capture.py did not start (is python3-aiosmtpd installed?); see "
		"%s/stderr.log\n",
		capture.dir);
	return false;
}

/* Removes every captured message. */
static void capture_clear(void)
{
	DIR *d = opendir(capture.dir);
	struct dirent *e;
	while (d && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "msg-", 4) == 0) {
			char path[512];
			snprintf(path, sizeof path, "%s/%s", capture.dir, e->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
}

/* Waits up to timeout_ms for a captured message and returns its JSON record (new
 * reference), or NULL. */
static json_t *capture_wait(long timeout_ms)
{
	double deadline = mono_seconds() + timeout_ms / 1000.0;
	do {
		DIR *d = opendir(capture.dir);
		struct dirent *e;
		json_t *rec = NULL;
		while (d && !rec && (e = readdir(d)) != NULL) {
			size_t n = strlen(e->d_name);
			if (strncmp(e->d_name, "msg-", 4) != 0 || n < 5 ||
			    strcmp(e->d_name + n - 5, ".json") != 0)
				continue;
			char path[512];
			snprintf(path, sizeof path, "%s/%s", capture.dir, e->d_name);
			rec = json_load_file(path, 0, NULL);
		}
		if (d)
			closedir(d);
		if (rec)
			return rec;
		sleep_ms(50);
	} while (mono_seconds() < deadline);
	return NULL;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

TEST(smtp_send_end_to_end)
{
	if (!capture_start()) {
		CHECK(!"SMTP capture server");
		return;
	}
	capture_clear();
	struct config c;
	base_config(&c);
	char url[64];
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", capture.port);
	c.smtp_url = url;
	static char user[] = "mailer", password[] = "s3cret-pass";
	c.smtp_user = user;
	c.smtp_password = password;
	struct mime_mail m = {c.mail_from,    "ann@example.test",
			      "Tést subject", "Hello Ann\n.\nhttps://x.test/a?token=abc\n",
			      "<p>Hello</p>", 0};
	char *msg = mime_build(&m), *err = NULL;
	CHECK(smtp_send(&c, "ann@example.test", msg, &err));
	CHECK(err == NULL);
	json_t *rec = capture_wait(10000);
	CHECK(rec != NULL);
	if (rec) {
		CHECK_STR(jstr(rec, "mailFrom"), "no-reply@example.test");
		json_t *rcpts = json_object_get(rec, "rcptTos");
		CHECK_INT(json_array_size(rcpts), 1);
		CHECK_STR(json_string_value(json_array_get(rcpts, 0)), "ann@example.test");
		CHECK_STR(jstr(rec, "authLogin"), "mailer");
		const char *data = jstr(rec, "data");
		CHECK(contains(data, "Subject: =?UTF-8?B?"));
		CHECK(contains(data, "multipart/alternative"));
		/* What arrived is what we built (the dot line survived SMTP's dot handling). */
		char *text = part_of(data, "text/plain");
		CHECK(contains(text, "Hello Ann\r\n.\r\nhttps://x.test/a?token=abc"));
		free(text);
		json_decref(rec);
	}
	free(msg);

	/* A refused connection: false, with a short error and no secret in it. */
	snprintf(url, sizeof url, "smtp://mailer:url-pass-123@127.0.0.1:%d", free_port());
	c.smtp_url = url;
	msg = mime_build(&m);
	CHECK(!smtp_send(&c, "ann@example.test", msg, &err));
	CHECK(err && err[0]);
	CHECK(!contains(err, "s3cret-pass") && !contains(err, "url-pass-123"));
	free(err);
	free(msg);
}

/* ---------------------------------------------------------------- outbox end to end */

struct outbox_fixture {
	char dir[96], path[160];
	char url[64];
	struct config cfg;
	struct app app;
};

static bool outbox_open(struct outbox_fixture *f, const char *smtp_url)
{
	memset(f, 0, sizeof *f);
	make_tmpdir(f->dir, sizeof f->dir, "outbox");
	snprintf(f->path, sizeof f->path, "%s/crm.sqlite3", f->dir);
	base_config(&f->cfg);
	f->cfg.data_dir = f->dir;
	f->cfg.sqlite_path = f->path;
	if (smtp_url) {
		snprintf(f->url, sizeof f->url, "%s", smtp_url);
		f->cfg.smtp_url = f->url;
	}
	f->app.cfg = &f->cfg;
	f->app.store = store_open(&f->cfg);
	if (!f->app.store)
		return false;
	struct db *db;
	if (store_acquire(f->app.store, &db) != 0)
		return false;
	int n = f->app.store->ops->migrate(db, NULL);
	store_release(f->app.store, db);
	if (n < 0 || !f->app.store->ops->outbox_insert || !f->app.store->ops->outbox_select_due) {
		fprintf(stderr, "  the store has no outbox operations yet\n");
		return false;
	}
	return true;
}

static void outbox_close(struct outbox_fixture *f)
{
	store_close(f->app.store);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

struct queue_ctx {
	struct outbox_fixture *f;
	const char *tpl;
	struct mail_vars v;
	long long now;
};

static int queue_tx(struct db *db, void *arg)
{
	struct queue_ctx *q = arg;
	return outbox_queue(q->f->app.store, db, &q->f->cfg, 0, "ann@example.test", q->tpl, &q->v,
			    q->now);
}

/* The state of the (only) outbox row. */
struct row_state {
	char status[16];
	int attempts;
	long long next_attempt_at;
	bool has_text, has_html;
	char last_error[256];
};

static bool row_state(struct outbox_fixture *f, struct row_state *r)
{
	static const char SQL[] = "SELECT status, attempts, next_attempt_at, body_text IS NOT NULL,"
				  " body_html IS NOT NULL, coalesce(last_error, '') FROM "
				  "email_outbox ORDER BY id LIMIT 1";
	memset(r, 0, sizeof *r);
	struct db *db;
	if (store_acquire(f->app.store, &db) != 0)
		return false;
	sqlite3_stmt *st = sq_prepare(db, SQL);
	bool ok = st && sq_step(db, st) > 0;
	if (ok) {
		snprintf(r->status, sizeof r->status, "%s", sqlite3_column_text(st, 0));
		r->attempts = sqlite3_column_int(st, 1);
		r->next_attempt_at = sqlite3_column_int64(st, 2);
		r->has_text = sqlite3_column_int(st, 3);
		r->has_html = sqlite3_column_int(st, 4);
		snprintf(r->last_error, sizeof r->last_error, "%s", sqlite3_column_text(st, 5));
		sqlite3_reset(st);
	}
	store_release(f->app.store, db);
	return ok;
}

/* Polls the row until pred holds or timeout_ms passes. */
static bool wait_row(struct outbox_fixture *f, struct row_state *r,
		     bool (*pred)(const struct row_state *), long timeout_ms)
{
	double deadline = mono_seconds() + timeout_ms / 1000.0;
	do {
		if (row_state(f, r) && pred(r))
			return true;
		sleep_ms(50);
	} while (mono_seconds() < deadline);
	return false;
}

static bool is_sent(const struct row_state *r)
{
	return strcmp(r->status, "sent") == 0;
}

static bool tried_once(const struct row_state *r)
{
	return r->attempts >= 1;
}

TEST(outbox_sends_over_smtp)
{
	if (!capture_start()) {
		CHECK(!"SMTP capture server");
		return;
	}
	capture_clear();
	char url[64];
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", capture.port);
	struct outbox_fixture f;
	if (!outbox_open(&f, url)) {
		CHECK(!"outbox fixture");
		outbox_close(&f);
		return;
	}
	struct queue_ctx q = {&f, "verify_email", {.first_name = "Ann", .token = TOKEN}, now_ms()};
	CHECK_INT(store_tx(f.app.store, true, queue_tx, &q), 1);
	struct outbox_worker *w = outbox_start(&f.app);
	CHECK(w != NULL);
	outbox_wake(w);
	json_t *rec = capture_wait(10000);
	CHECK(rec != NULL);
	struct row_state r;
	CHECK(wait_row(&f, &r, is_sent, 5000));
	outbox_stop(w);
	CHECK_STR(r.status, "sent");
	CHECK(!r.has_text && !r.has_html); /* it carried a token: bodies erased */
	if (rec) {
		const char *data = jstr(rec, "data");
		CHECK(contains(data, "Subject: Verify your email address\r\n"));
		CHECK(contains(data, "To: ann@example.test\r\n"));
		char *text = part_of(data, "text/plain");
		CHECK(contains(
		    text, "http://api.example.test:3000/api/v1/auth/verify-email?token=" TOKEN));
		free(text);
		json_decref(rec);
	}
	struct buf m = {0};
	mail_metrics_render(&m);
	CHECK(contains(m.data,
		       "crm_email_sent_total{template=\"verify_email\",result=\"sent\"} 1\n"));
	CHECK(contains(m.data,
		       "# TYPE crm_email_outbox_pending gauge\ncrm_email_outbox_pending 0\n"));
	buf_free(&m);
	outbox_close(&f);
}

TEST(outbox_retries_when_smtp_refuses)
{
	char url[64];
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", free_port());
	struct outbox_fixture f;
	if (!outbox_open(&f, url)) {
		CHECK(!"outbox fixture");
		outbox_close(&f);
		return;
	}
	long long t0 = now_ms();
	struct queue_ctx q = {&f, "password_reset", {.first_name = "Ann", .token = TOKEN}, t0};
	CHECK_INT(store_tx(f.app.store, true, queue_tx, &q), 1);
	struct outbox_worker *w = outbox_start(&f.app);
	outbox_wake(w);
	struct row_state r;
	CHECK(wait_row(&f, &r, tried_once, 15000));
	long long t1 = now_ms();
	outbox_stop(w);
	CHECK_STR(r.status, "pending");
	CHECK_INT(r.attempts, 1);
	CHECK(r.next_attempt_at >= t0 + 60000 && r.next_attempt_at <= t1 + 60000);
	CHECK(r.has_text && r.has_html); /* nothing lost: the retry still has its bodies */
	CHECK(r.last_error[0] != '\0');
	struct buf m = {0};
	mail_metrics_render(&m);
	CHECK(contains(m.data,
		       "crm_email_sent_total{template=\"password_reset\",result=\"retry\"} 1\n"));
	CHECK(contains(m.data, "crm_email_outbox_pending 1\n"));
	buf_free(&m);
	outbox_close(&f);
}

/* Runs the file outbox for one mail in env, capturing standard output (the log) into *log
 * (caller frees). Returns the .eml file's mode bits, or -1 when there was none. */
static int file_outbox_run(enum crm_env env, char **log, char **eml)
{
	struct outbox_fixture f;
	*log = *eml = NULL;
	if (!outbox_open(&f, NULL)) {
		outbox_close(&f);
		return -1;
	}
	f.cfg.env = env;
	struct queue_ctx q = {&f, "verify_email", {.first_name = "Ann", .token = TOKEN}, now_ms()};
	if (store_tx(f.app.store, true, queue_tx, &q) != 1)
		return -1;
	char logpath[200];
	snprintf(logpath, sizeof logpath, "%s.log", f.dir);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	FILE *lf = fopen(logpath, "w+");
	dup2(fileno(lf), STDOUT_FILENO);
	log_init(LOG_FMT_JSON, LOG_INFO);
	struct outbox_worker *w = outbox_start(&f.app);
	outbox_wake(w);
	struct row_state r;
	bool sent = wait_row(&f, &r, is_sent, 10000);
	outbox_stop(w);
	log_init(LOG_FMT_JSON, LOG_ERROR);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	fseek(lf, 0, SEEK_SET);
	struct buf b = {0};
	char chunk[4096];
	size_t n;
	buf_puts(&b, "");
	while ((n = fread(chunk, 1, sizeof chunk, lf)) > 0)
		buf_append(&b, chunk, n);
	fclose(lf);
	unlink(logpath);
	*log = buf_steal(&b);

	int mode = -1;
	char dir[200];
	snprintf(dir, sizeof dir, "%s/outbox", f.dir);
	struct stat st;
	if (sent && stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700) {
		DIR *d = opendir(dir);
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL) {
			size_t len = strlen(e->d_name);
			if (len > 4 && strcmp(e->d_name + len - 4, ".eml") == 0 &&
			    e->d_name[0] != '.') {
				char path[512];
				snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
				if (stat(path, &st) == 0)
					mode = (int)(st.st_mode & 0777);
				*eml = strdup(e->d_name);
			}
		}
		if (d)
			closedir(d);
	}
	outbox_close(&f);
	return mode;
}

TEST(outbox_file_transport)
{
	char *log, *eml;
	CHECK_INT(file_outbox_run(ENV_DEVELOPMENT, &log, &eml), 0600);
	/* <UTC timestamp>-<id>.eml */
	CHECK(eml && strlen(eml) == strlen("20250630T133214.123Z-1.eml") &&
	      strcmp(eml + 19, "Z-1.eml") == 0);
	CHECK(contains(log, "\"msg\":\"mail written to the file outbox\""));
	CHECK(contains(log, "\"to\":\"ann@example.test\""));
	CHECK(contains(log, "\"template\":\"verify_email\""));
	CHECK(eml && contains(log, eml));
	CHECK(contains(log, "\"links\":\"http://api.example.test:3000/api/v1/auth/verify-email?"
			    "token=" TOKEN "\""));
	CHECK(!contains(log, "Hi Ann") && !contains(log, "<p>"));
	free(log);
	free(eml);

	/* Production: recipient, template and file, never the links (they hold the token). */
	CHECK_INT(file_outbox_run(ENV_PRODUCTION, &log, &eml), 0600);
	CHECK(contains(log, "\"msg\":\"mail written to the file outbox\""));
	CHECK(!contains(log, TOKEN) && !contains(log, "\"links\""));
	free(log);
	free(eml);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	log_init(LOG_FMT_JSON, LOG_ERROR);
	return RUN_TESTS();
}
