/* Row types exchanged between the domain and the stores. Strings in a row are owned by the row
 * and freed by its *_free function; timestamps are Unix milliseconds, 0 meaning NULL. */
#ifndef CRM_STORE_TYPES_H
#define CRM_STORE_TYPES_H

#include <stdbool.h>

struct user_row {
	long long id;
	char *email, *email_key, *username, *username_key;
	char *password_hash; /* NULL: no password */
	char *first_name, *last_name, *avatar_url;
	bool email_verified, active;
	char *role; /* "USER" | "ADMIN" */
	long long created_at, updated_at, last_login_at, deactivated_at;
};
void user_row_free(struct user_row *u);

/* What a new account is created with. */
struct user_new {
	const char *email, *email_key, *username, *username_key, *password_hash;
	const char *first_name, *last_name;
	bool email_verified;
};

/* A partial update of users: each set_* says whether its value is written (NULL text = NULL). */
struct user_patch {
	bool set_first_name, set_last_name, set_username, set_avatar_url, set_password_hash;
	const char *first_name, *last_name, *username, *username_key, *avatar_url, *password_hash;
	bool set_email_verified, email_verified;
	bool set_active, active; /* also sets deactivated_at to now (false) or NULL (true) */
	bool set_last_login;     /* last_login_at = now */
};

struct session_row {
	long long id, user_id;
	char *auth_method; /* "password" | "google" | "github" */
	long long created_at, last_used_at, expires_at, revoked_at;
	char *revoke_reason, *ip, *user_agent;
};
void session_row_free(struct session_row *s);

/* The per-request authentication lookup: the session and its user in one query. */
struct auth_row {
	long long user_id, session_id;
	bool session_live; /* exists, belongs to user, unrevoked, unexpired */
	bool user_active;
	char *role;
	long long session_created_at;
	/* The user's subscription row, read in the same query so the plan (§5) costs no extra
	 * round trip: status NULL when there is none. */
	char *sub_status;
	long long sub_period_end, sub_payment_failed_at;
};
void auth_row_free(struct auth_row *a);

struct refresh_row {
	long long id, user_id, session_id;
	long long created_at, used_at;
};

struct email_token_row {
	long long id, user_id;
	char *purpose; /* "verify_email" | "reset_password" */
	char *email, *password_hash;
	long long created_at, expires_at, used_at, invalidated_at;
};
void email_token_row_free(struct email_token_row *t);

struct outbox_row {
	long long id, user_id; /* user_id 0: none */
	char *to_address, *template_name, *subject, *body_text, *body_html, *status;
	int attempts;
	long long next_attempt_at, created_at, sent_at;
	char *last_error;
};
void outbox_row_free(struct outbox_row *o);

struct outbox_new {
	long long user_id; /* 0: none */
	const char *to_address, *template_name, *subject, *body_text, *body_html;
};

struct audit_new {
	long long user_id; /* 0: none */
	const char *event, *ip, *user_agent, *request_id;
	const char *details_json; /* NULL or a JSON object without secrets */
};

/* A user's subscriptions row (§6, §12): the Stripe customer and the tracked subscription as
 * last retrieved from Stripe. Times in Unix ms, 0 = NULL. Freed with subscription_row_free
 * (store/types_billing.c). */
struct subscription_row {
	long long id, user_id;
	char *stripe_customer_id, *stripe_subscription_id; /* NULL when none */
	char *status;   /* "none" or Stripe's status */
	char *price_id; /* NULL when none */
	long long subscription_created, current_period_start, current_period_end, trial_end;
	bool cancel_at_period_end, trial_used;
	long long payment_failed_at;
	long long created_at, updated_at;
};
void subscription_row_free(struct subscription_row *s);

/* The subscription state written by subscriptions_store_state: every column of the tracked
 * subscription at once (strings borrowed; times Unix ms, 0 = NULL). */
struct subscription_state {
	const char *stripe_subscription_id, *status, *price_id;
	long long subscription_created, current_period_start, current_period_end, trial_end;
	bool cancel_at_period_end, trial_used;
	long long payment_failed_at;
};

/* One linked sign-in identity (oauth_accounts, §6). Provider tokens are never stored. */
struct oauth_account_row {
	long long id, user_id;
	char *provider; /* "google" | "github" */
	char *provider_user_id, *email;
	long long created_at, last_login_at;
};
void oauth_account_row_free(struct oauth_account_row *r);

#endif
