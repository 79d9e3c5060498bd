/* crm: the command line (SPEC §16.3). args -> config -> log -> store -> server -> signals. */
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "auth/password.h"
#include "domain/maintenance.h"
#include "integrations/mail/outbox.h"
#include "integrations/oauth/oauth.h"
#include "limiter/limiter.h"
#include "config/config.h"
#include "http/client_addr.h"
#include "http/pipeline.h"
#include "http/server.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "store/migrate_copy.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/jobs.h"
#include "util/json.h"
#include "util/timefmt.h"

enum { EXIT_CONFIG = 2, EXIT_SCHEMA = 3, EXIT_USAGE = 64 };

static const char usage_text[] =
	"usage: crm [command]\n"
	"\n"
	"commands:\n"
	"  serve              run the API server (the default)\n"
	"  migrate [--status] apply pending migrations, or list applied and pending ones\n"
	"  migrate-to-postgres [--from PATH] [--to URL]\n"
	"                     copy the SQLite data into an empty PostgreSQL database\n"
	"  version            print the version and the store backends compiled in\n"
	"  config check       validate the configuration and print the effective settings\n"
	"\n"
	"Configuration comes from the environment and an optional .env file (ENV_FILE).\n";

static const char migrate_to_postgres_help[] =
	"usage: crm migrate-to-postgres [--from PATH] [--to URL]\n"
	"\n"
	"Copies every table of the SQLite database (the one `crm serve` uses while DATABASE_URL\n"
	"is unset) into a PostgreSQL database, so that a server started on PostgreSQL answers as\n"
	"the SQLite one did: same ids, times, sessions and passwords.\n"
	"\n"
	"  --from PATH  the SQLite file (default: SQLITE_PATH, i.e. DATA_DIR/crm.sqlite3)\n"
	"  --to URL     the postgres:// or postgresql:// database (default: DATABASE_URL)\n"
	"\n"
	"Stop the server first: the command refuses while another process has the SQLite file\n"
	"open. It opens the file read-only and never changes it. It applies the PostgreSQL\n"
	"migrations, then copies all tables in one transaction (all or nothing) and sets each\n"
	"identity counter past the highest id SQLite issued. It refuses a PostgreSQL database\n"
	"that already holds any row, so it never merges. It prints the rows copied per table.\n"
	"\n"
	"Exit status: 0 copied; 1 refused or failed (nothing copied); 2 configuration error;\n"
	"3 a migration failed or the SQLite schema is not this binary's (run `crm migrate` on\n"
	"it first); 64 usage.\n";

static int usage(FILE *out, int code)
{
	fputs(usage_text, out);
	return code;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* TRUST_PROXY is parsed by the HTTP layer; a malformed list is a configuration error (§16.1). */
static bool trust_proxy_valid(const struct config *cfg)
{
	char err[160];
	struct trust_list *t = NULL;
	if (!trust_list_parse(cfg->trust_proxy, &t, err, sizeof err)) {
		fprintf(stderr, "config: %s\n", err);
		return false;
	}
	trust_list_free(t);
	return true;
}

static int load_config(struct config *cfg)
{
	if (config_load(cfg, stderr) != 0)
		return EXIT_CONFIG;
	if (!trust_proxy_valid(cfg)) {
		config_free(cfg);
		return EXIT_CONFIG;
	}
	log_init(cfg->log_format, cfg->log_level);
	return 0;
}

static int cmd_version(void)
{
	printf("crm %s\nstores: sqlite %s, postgres (libpq)\n", CRM_VERSION, "embedded");
	return 0;
}

static int cmd_config_check(void)
{
	struct config cfg;
	if (config_load(&cfg, stderr) != 0)
		return EXIT_CONFIG;
	if (!trust_proxy_valid(&cfg)) {
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	config_print(&cfg, stdout);
	config_free(&cfg);
	return 0;
}

static int cmd_migrate(bool status_only)
{
	struct config cfg;
	int rc = load_config(&cfg);
	if (rc)
		return rc;
	struct store *st = store_open(&cfg);
	if (!st) {
		config_free(&cfg);
		return EXIT_SCHEMA;
	}
	struct db *db;
	rc = 0;
	if (store_acquire(st, &db) < 0) {
		fprintf(stderr, "crm: the store is unreachable\n");
		rc = EXIT_SCHEMA;
	} else {
		if (status_only) {
			struct migration_info info[256];
			int n = st->ops->migrations(db, info, 256);
			if (n < 0) {
				rc = EXIT_SCHEMA;
			}
			for (int i = 0; i < n; i++) {
				char ts[40] = "";
				if (info[i].applied)
					format_iso8601(info[i].applied_at_ms, ts, sizeof ts);
				printf("%04d %-40s %s %s\n", info[i].version, info[i].name,
				       info[i].applied ? "applied" : "pending", ts);
			}
		} else {
			int n = st->ops->migrate(db, stdout);
			if (n < 0) {
				fprintf(stderr, "crm: migration failed\n");
				rc = EXIT_SCHEMA;
			} else {
				printf("%d migration(s) applied; schema is current\n", n);
			}
		}
		store_release(st, db);
	}
	store_close(st);
	config_free(&cfg);
	return rc;
}

static bool postgres_url(const char *url)
{
	return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

/* crm migrate-to-postgres [--from PATH] [--to URL]: the options override SQLITE_PATH and
 * DATABASE_URL; everything else comes from the configuration as for the other commands. */
static int cmd_migrate_to_postgres(int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc && !from)
			from = argv[++i];
		else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc && !to)
			to = argv[++i];
		else {
			fprintf(stderr, "crm: unknown or repeated option %s\n", argv[i]);
			fputs(migrate_to_postgres_help, stderr);
			return EXIT_USAGE;
		}
	}
	if (to && !postgres_url(to)) {
		fprintf(stderr, "crm: --to must be a postgres:// or postgresql:// URI\n");
		return EXIT_CONFIG;
	}
	struct config cfg;
	int rc = load_config(&cfg);
	if (rc)
		return rc;
	if (to) {
		free(cfg.database_url);
		cfg.database_url = xstrdup(to);
	}
	if (!cfg.database_url) {
		fprintf(stderr, "crm: name the PostgreSQL database with DATABASE_URL or --to\n");
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	const char *path = from ? from : cfg.sqlite_path;
	if (!path) {
		fprintf(stderr, "crm: name the SQLite file with SQLITE_PATH, DATA_DIR or --from\n");
		config_free(&cfg);
		return EXIT_CONFIG;
	}
	enum copy_status st = store_copy_sqlite_to_pg(&cfg, path, stdout, stderr);
	config_free(&cfg);
	return st == COPY_DONE ? 0 : st == COPY_SCHEMA ? EXIT_SCHEMA : 1;
}

/* Blocks until SIGTERM or SIGINT; a second one exits at once with status 1. */
static void *second_signal(void *arg)
{
	sigset_t *set = arg;
	int sig;
	sigwait(set, &sig);
	log_msg(LOG_WARN, "second signal (%d): exiting now", sig);
	_exit(1);
	return NULL;
}

/* Applies pending migrations in development; refuses an old schema in production.
 * An unreachable PostgreSQL is not fatal: the server starts and /ready says so. */
static int prepare_schema(struct app *app)
{
	/* The check takes and returns its own connection first, so a pool of one suffices. */
	int current = store_schema_current(app->store);
	if (current < 0) {
		log_msg(LOG_WARN, "the store is unreachable at start; serving anyway (/ready says so)");
		return 0;
	}
	if (current == 1)
		return 0;
	if (app->cfg->env == ENV_PRODUCTION) {
		log_msg(LOG_ERROR, "schema is not current: run `crm migrate`");
		return EXIT_SCHEMA;
	}
	struct db *db;
	if (store_acquire(app->store, &db) < 0) {
		log_msg(LOG_WARN, "the store is unreachable at start; serving anyway (/ready says so)");
		return 0;
	}
	int rc = 0;
	if (app->store->ops->migrate(db, NULL) < 0) {
		log_msg(LOG_ERROR, "migration failed");
		rc = EXIT_SCHEMA;
	}
	store_release(app->store, db);
	return rc;
}

static int cmd_serve(void)
{
	struct config cfg;
	int rc = load_config(&cfg);
	if (rc)
		return rc;
	if (sodium_init() < 0) {
		fprintf(stderr, "crm: libsodium failed to initialise\n");
		config_free(&cfg);
		return 1;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct app app;
	memset(&app, 0, sizeof app);
	app.cfg = &cfg;
	app.started_at = (double)now_ms() / 1000.0;
	app.started_mono = mono_seconds();
	struct server *srv = NULL;
	struct maintenance *maint = NULL;
	bool passwords = false;
	rc = 1;
	app.store = store_open(&cfg);
	if (!app.store)
		goto out;
	rc = prepare_schema(&app);
	if (rc)
		goto out;
	rc = 1;
	if (!password_init(&cfg)) {
		log_msg(LOG_ERROR, "cannot read COMMON_PASSWORDS_FILE");
		goto out;
	}
	passwords = true;
	if (cfg.refresh_token_secret)
		log_msg(LOG_INFO, "REFRESH_TOKEN_SECRET is set but unused: refresh tokens are opaque");

	app.metrics = metrics_new();
	app.limiter = limiter_new(&cfg, app.metrics);
	/* Blocking work (hashing waits for a slot) must never starve other deferred jobs. */
	app.jobs = jobs_start(cfg.worker_threads + cfg.password_hash_concurrency + 2);
	srv = http_server_listen(&app);
	if (!srv)
		goto out;
	/* With PORT=0 the kernel chose the port: the derived URLs follow it. */
	if (cfg.port == 0)
		config_set_port(&cfg, http_server_port(srv));
	pipeline_init(&app);
	/* The sender starts first: it initialises libcurl before other threads exist. */
	app.outbox = outbox_start(&app);
	maint = maintenance_start(&app);
	app.oauth = oauth_client_new(&cfg);
	if (!http_server_run(srv))
		goto out;

	char url[300];
	snprintf(url, sizeof url, "http://%s:%d/api/v1",
		 strcmp(cfg.listen_address, "0.0.0.0") == 0 ? "localhost" : cfg.listen_address,
		 http_server_port(srv));
	log_line(LOG_INFO, NULL, "listening", "url", url, "store", app.store->ops->name,
		 (const char *)NULL);
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "crm %s serving on %s (store: %s)\n", CRM_VERSION, url,
			app.store->ops->name);

	int sig;
	sigwait(&set, &sig);
	log_msg(LOG_INFO, "signal %d: draining", sig);
	atomic_store(&app.draining, true);
	pthread_t t;
	pthread_create(&t, NULL, second_signal, &set);
	pthread_detach(t);

	http_server_quiesce(srv);
	double deadline = mono_seconds() + cfg.shutdown_timeout_seconds;
	while (http_server_in_flight(srv) > 0 && mono_seconds() < deadline) {
		struct timespec ts = {0, 20 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	rc = 0;
out:
	http_server_stop(srv);
	outbox_stop(app.outbox);
	maintenance_stop(maint);
	jobs_stop(app.jobs);
	oauth_client_free(app.oauth); /* after the jobs: a callback may still use it */
	pipeline_free();
	if (passwords)
		password_shutdown();
	if (app.store)
		store_close(app.store);
	limiter_free(app.limiter);
	metrics_free(app.metrics);
	if (rc == 0)
		log_msg(LOG_INFO, "stopped");
	config_free(&cfg);
	return rc;
}

int main(int argc, char **argv)
{
	json_alloc_install(); /* before any jansson value or thread */
	const char *cmd = argc > 1 ? argv[1] : "serve";
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
		return usage(stdout, 0);
	if (strcmp(cmd, "migrate-to-postgres") == 0 && wants_help(argc, argv)) {
		fputs(migrate_to_postgres_help, stdout);
		return 0;
	}
	if (wants_help(argc, argv))
		return usage(stdout, 0);
	if (strcmp(cmd, "serve") == 0 && argc <= 2)
		return cmd_serve();
	if (strcmp(cmd, "version") == 0 && argc == 2)
		return cmd_version();
	if (strcmp(cmd, "migrate") == 0 && argc == 2)
		return cmd_migrate(false);
	if (strcmp(cmd, "migrate") == 0 && argc == 3 && strcmp(argv[2], "--status") == 0)
		return cmd_migrate(true);
	if (strcmp(cmd, "migrate-to-postgres") == 0)
		return cmd_migrate_to_postgres(argc, argv);
	if (strcmp(cmd, "config") == 0 && argc == 3 && strcmp(argv[2], "check") == 0)
		return cmd_config_check();
	fprintf(stderr, "crm: unknown command or option\n");
	return usage(stderr, EXIT_USAGE);
}
