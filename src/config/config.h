/* The service configuration: one typed table of settings (see config.c), read once at start
 * from the environment, the ENV_FILE (.env) file and defaults, validated before anything binds.
 * Nothing else in the program reads the environment. */
#ifndef CRM_CONFIG_H
#define CRM_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

enum crm_env { ENV_DEVELOPMENT, ENV_PRODUCTION };
enum log_format { LOG_FMT_JSON, LOG_FMT_TEXT };
enum smtp_tls { SMTP_TLS_REQUIRED, SMTP_TLS_OPPORTUNISTIC, SMTP_TLS_NONE };

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
};

/* Loads and validates the configuration. On success returns 0 and fills *out (caller frees
 * with config_free). On failure prints every problem to err, one per line, and returns 2 (the
 * exit status for a configuration error). Warnings (development only) also go to err.
 * In development, missing SESSION_SECRET / ACCESS_TOKEN_SECRET are generated once into
 * DATA_DIR/secrets.env (mode 0600, DATA_DIR mode 0700) and reused. */
int config_load(struct config *out, FILE *err);

/* Prints every setting with its effective value and source (env, file, secrets.env, default),
 * secrets as ****, then the disabled features: what `crm config check` shows. */
void config_print(const struct config *c, FILE *out);

void config_free(struct config *c);

#endif
