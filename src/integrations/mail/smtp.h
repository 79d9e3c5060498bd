/* Sending one finished message over SMTP with libcurl (SPEC §14): SMTP_URL (smtp:// with
 * STARTTLS or smtps:// with implicit TLS), SMTP_USER / SMTP_PASSWORD when set, SMTP_TLS for how
 * strict TLS is, MAIL_FROM's address as the envelope sender. Blocking: at most 10 s to connect
 * and 30 s in all, so call it from a background thread (the outbox worker), never from a
 * request. */
#ifndef CRM_INTEGRATIONS_MAIL_SMTP_H
#define CRM_INTEGRATIONS_MAIL_SMTP_H

#include <stdbool.h>
#include <stddef.h>

struct config;

/* Initialises libcurl once for the process (curl_global_init). Call from the main thread
 * before starting threads that send; later calls do nothing. */
void smtp_global_init(void);

/* Sends message (a complete RFC 5322 message with CRLF line endings, as mime_build makes) to
 * the one recipient `to`, through cfg->smtp_url. Returns true when the server accepted it.
 * On failure returns false and, when error is not NULL, sets *error to a short description for
 * the outbox's last_error (caller frees): the libcurl error and the server's reply code, with
 * credentials scrubbed, never the message. */
bool smtp_send(const struct config *cfg, const char *to, const char *message, char **error);

#endif
