/* The service configuration: one typed table of settings (see config.c), read once at start
 * from the environment, the ENV_FILE (.env) file and defaults, validated before anything binds.
 * Nothing else in the program reads the environment. */
#ifndef CRM_CONFIG_H
#define CRM_CONFIG_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

enum crm_env { ENV_DEVELOPMENT, ENV_PRODUCTION };
enum log_format { LOG_FMT_JSON, LOG_FMT_TEXT };
enum smtp_tls { SMTP_TLS_REQUIRED, SMTP_TLS_OPPORTUNISTIC, SMTP_TLS_NONE };

/* Where a setting's effective value came from (what `crm config check` shows). DERIVED is a
 * default computed from other settings or from the machine (CPU count, BASE_URL's host...). */
enum config_source {
	CONFIG_SRC_UNSET,
	CONFIG_SRC_DEFAULT,
	CONFIG_SRC_DERIVED,
	CONFIG_SRC_ENV,
	CONFIG_SRC_FILE,
	CONFIG_SRC_SECRETS,
};

/* Room for one source per row of the settings table (config.c checks it at compile time). */
#define CONFIG_MAX_SETTINGS 96

/* All strings are owned by the config and live until config_free. An unset optional string is
 * NULL (never ""). Durations are in seconds unless the name says otherwise. */
struct config {
	enum crm_env env;
	int port;
	char *listen_address;
	char *base_url;     /* origin, no trailing slash */
	char *frontend_url; /* may carry a path prefix, no trailing slash */
	char *cors_origins; /* comma-separated, or NULL */
	char *data_dir;
	char *database_url; /* NULL selects SQLite */
	char *sqlite_path;
	int db_pool_size;
	int db_statement_timeout_ms;
	char *redis_url;
	char *session_secret;
	char *access_token_secret;
	int access_token_expiry;  /* seconds */
	char *refresh_token_secret;
	int refresh_token_expiry; /* seconds */
	int refresh_reuse_grace_seconds;
	char *jwt_issuer;
	char *jwt_audience;
	bool require_email_verification;
	int password_hash_concurrency;
	char *common_passwords_file;
	int login_max_failures;
	int login_failure_window_seconds;
	char *smtp_url;
	char *smtp_user;
	char *smtp_password;
	enum smtp_tls smtp_tls;
	char *mail_from;
	char *email;
	char *app_password;
	char *google_client_id, *google_client_secret;
	char *google_auth_url, *google_token_url, *google_jwks_url, *google_issuer;
	char *github_client_id, *github_client_secret;
	char *github_auth_url, *github_token_url, *github_api_url;
	char *stripe_secret_key, *stripe_webhook_secret, *stripe_price_id;
	int stripe_trial_days;
	char *stripe_api_base;
	char *trust_proxy;
	int rate_limit_window_seconds, rate_limit_anon_max, rate_limit_max, rate_limit_max_premium;
	int rate_limit_auth_window_seconds, rate_limit_auth_max;
	int rate_limit_export_window_seconds, rate_limit_export_max;
	int free_contact_limit;
	long max_body_bytes;
	int worker_threads;
	enum log_format log_format;
	int log_level; /* enum log_level of log.h */
	char *metrics_token;
	int shutdown_timeout_seconds;
	int tombstone_retention_days;
	char *env_file;

	/* Derived: features disabled because half configured (development only). */
	bool google_enabled, github_enabled, stripe_enabled;

	/* Per table row: enum config_source, with CONFIG_SRC_VIA_ALIAS or-ed in when the value
	 * was read under the row's alias (NODE_ENV, STRIPE_MONTHLY_PRICE_ID). Read it through
	 * config_source_of rather than directly. */
	unsigned char sources[CONFIG_MAX_SETTINGS];
};
#define CONFIG_SRC_VIA_ALIAS 0x80

/* Loads and validates the configuration. On success returns 0 and fills *out (caller frees
 * with config_free). On failure prints every problem to err, one per line, and returns 2 (the
 * exit status for a configuration error). Warnings (development only) also go to err.
 * In development, missing SESSION_SECRET / ACCESS_TOKEN_SECRET are generated once into
 * DATA_DIR/secrets.env (mode 0600, DATA_DIR mode 0700) and reused.
 * Lines look like `config: <VAR>: <problem>` and `config: warning: <VAR>: <problem>`; values of
 * secrets never appear in them. On failure *out is left zeroed (config_free on it is harmless).
 * With SMTP_URL unset and EMAIL + APP_PASSWORD set, smtp_url/smtp_user/smtp_password are
 * derived for Gmail (§14), so the mailer only ever looks at smtp_url. err NULL = stderr. */
int config_load(struct config *out, FILE *err);

/* Prints every setting with its effective value and source (env, file, secrets.env, default),
 * secrets as ****, then the disabled features: what `crm config check` shows. */
void config_print(const struct config *c, FILE *out);

/* Frees every string of c and zeroes it; c itself belongs to the caller. NULL is ignored. */
void config_free(struct config *c);

/* The source of the variable called name (e.g. "BASE_URL"), so that a caller can tell an
 * operator's choice from a default (the server rewrites a derived BASE_URL when PORT=0).
 * Returns CONFIG_SRC_UNSET for unset or unknown variables. */
enum config_source config_source_of(const struct config *c, const char *name);

/* Records the port actually bound (after PORT=0) and re-derives every default that depends
 * on it and is still a default: BASE_URL, then FRONTEND_URL, JWT_ISSUER and MAIL_FROM when
 * they follow BASE_URL. Settings the operator gave are left alone. Not thread-safe: call it
 * before other threads read c. */
void config_set_port(struct config *c, int port);

/* "env", "file", "secrets.env", "default", "derived" or "unset"; a static string. */
const char *config_source_name(enum config_source src);

/* A copy of url with its password (userinfo after ':' and any `password=` query parameter)
 * replaced by ****, for logs and `config check`. Caller frees; NULL in gives NULL. */
char *config_redacted_url(const char *url);

/* The name of the i-th variable of the settings table (0-based), NULL past the end; aliases
 * (NODE_ENV, STRIPE_MONTHLY_PRICE_ID) are not listed. Lets tests clear the environment. */
const char *config_var_name(size_t i);

/* WORKER_THREADS' default for a machine of cpus CPUs (1..256): cpus with SQLite; with
 * PostgreSQL twice that, up to 32 and never below cpus. */
int config_worker_threads_default(long cpus, bool postgres);

/* mkdir -p: creates path and missing parents with mode (existing ones are left alone).
 * Returns 0, or -1 with errno set. Used for DATA_DIR; the outbox may use it too. */
int config_mkdir_p(const char *path, mode_t mode);

#endif
