/* The route table: every operation of the service, with its pattern, handler, authentication
 * level, rate-limit class, flags and allowed query parameters. docs/openapi.yaml lists the
 * same resource operations (tests/unit/test_router.c compares them). */
#include "handlers/handlers.h"
#include "http/router.h"

#define V1 "/api/v1"
#define R(m, p, h, a, rl, fl, q)                                                           \
	{                                                                                  \
		.method = (m), .pattern = V1 p, .handler = (h), .auth = (a), .rate = (rl), \
		.flags = (fl), .query = (q)                                                \
	}

/* Routes whose rate-limit keys or CSRF check read the body parse it first (§1.6). */
#define BODY RF_BODY_FIRST
#define COMPAT RF_COMPAT

struct route routes[] = {
	/* Operations (§13). */
	R(HTTP_GET, "/health", h_health, AUTH_NONE, RL_EXEMPT, 0, NULL),
	R(HTTP_GET, "/ready", h_ready, AUTH_NONE, RL_EXEMPT, 0, NULL),
	R(HTTP_GET, "/metrics", h_metrics, AUTH_NONE, RL_EXEMPT, 0, NULL),
	R(HTTP_GET, "/openapi.json", h_openapi, AUTH_NONE, RL_GENERAL, 0, NULL),

	/* Authentication (§7.1–7.2). */
	R(HTTP_POST, "/auth/register", h_auth_register, AUTH_NONE, RL_REGISTER, BODY, NULL),
	R(HTTP_POST, "/auth/verify-email", h_auth_verify_email, AUTH_NONE, RL_GENERAL, 0, NULL),
	R(HTTP_GET, "/auth/verify-email", h_auth_verify_email_link, AUTH_NONE, RL_GENERAL,
	  RF_NO_HEAD | RF_LOOSE_QUERY | RF_BROWSER, "token*"),
	R(HTTP_POST, "/auth/resend-verification", h_auth_resend, AUTH_NONE, RL_RESEND, BODY, NULL),
	R(HTTP_POST, "/auth/login", h_auth_login, AUTH_NONE, RL_LOGIN, BODY, NULL),
	R(HTTP_POST, "/auth/refresh", h_auth_refresh, AUTH_NONE, RL_GENERAL, BODY, NULL),
	R(HTTP_POST, "/auth/logout", h_auth_logout, AUTH_OPTIONAL, RL_GENERAL, BODY, NULL),
	R(HTTP_POST, "/auth/logout-all", h_auth_logout_all, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_POST, "/auth/password/forgot", h_auth_forgot, AUTH_NONE, RL_FORGOT, BODY, NULL),
	R(HTTP_POST, "/auth/password/reset", h_auth_reset, AUTH_NONE, RL_GENERAL, 0, NULL),

	/* OAuth (§7.3; compatibility O1–O4 are these very routes). Browser-facing: the handlers
	 * check the query themselves and redirect, never answer JSON. */
	R(HTTP_GET, "/auth/{provider}", h_oauth_start, AUTH_OPTIONAL, RL_GENERAL,
	  RF_NO_HEAD | RF_LOOSE_QUERY | RF_BROWSER, "returnTo*,reactivate*,link*"),
	R(HTTP_GET, "/auth/{provider}/callback", h_oauth_callback, AUTH_NONE, RL_GENERAL,
	  RF_NO_HEAD | RF_LOOSE_QUERY | RF_BROWSER, "code*,state*,error*"),

	/* The account (§8). */
	R(HTTP_GET, "/me", h_me_get, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_PATCH, "/me", h_me_patch, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_DELETE, "/me", h_me_delete, AUTH_REQUIRED, RL_GENERAL, RF_BODY_ON_DELETE, NULL),
	R(HTTP_PATCH, "/me/password", h_me_password, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_PATCH, "/me/status", h_me_status, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_GET, "/me/sessions", h_me_sessions, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_DELETE, "/me/sessions/{id:id}", h_me_session_delete, AUTH_REQUIRED, RL_GENERAL, 0,
	  NULL),
	/* The export document (§8): its own rate-limit bucket; HEAD → 405 (§1.1). */
	R(HTTP_GET, "/me/export", h_me_export, AUTH_REQUIRED, RL_EXPORT, RF_NO_HEAD, NULL),
	R(HTTP_GET, "/me/identities", h_me_identities, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_DELETE, "/me/identities/{provider}", h_me_identity_delete, AUTH_REQUIRED, RL_GENERAL,
	  0, NULL),

	/* Contacts, tags and relationships (§9.1–9.5). */
	R(HTTP_GET, "/contacts", h_contacts_list, AUTH_REQUIRED, RL_GENERAL, RF_READS_PAGE,
	  "q,tag*,match,company,email,sort,limit,cursor,includeTotal,updatedSince"),
	R(HTTP_POST, "/contacts", h_contacts_create, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_POST, "/contacts/bulk-delete", h_contacts_bulk_delete, AUTH_REQUIRED, RL_GENERAL, 0,
	  NULL),
	R(HTTP_POST, "/contacts/tags", h_contact_tags_bulk, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_GET, "/contacts/export.csv", h_contacts_export_csv, AUTH_REQUIRED, RL_EXPORT, 0,
	  NULL),
	R(HTTP_GET, "/contacts/{id:id}", h_contacts_get, AUTH_REQUIRED, RL_GENERAL, RF_READS_CONTACT,
	  NULL),
	R(HTTP_PATCH, "/contacts/{id:id}", h_contacts_update, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_DELETE, "/contacts/{id:id}", h_contacts_delete, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_GET, "/contacts/{id:id}/tags", h_contact_tags_list, AUTH_REQUIRED, RL_GENERAL, 0,
	  NULL),
	R(HTTP_POST, "/contacts/{id:id}/tags", h_contact_tags_add, AUTH_REQUIRED, RL_GENERAL, 0,
	  NULL),
	R(HTTP_DELETE, "/contacts/{id:id}/tags/{tagName}", h_contact_tags_remove, AUTH_REQUIRED,
	  RL_GENERAL, 0, NULL),
	R(HTTP_GET, "/contacts/{id:id}/relationships", h_relationships_list, AUTH_REQUIRED,
	  RL_GENERAL, 0, NULL),
	R(HTTP_POST, "/contacts/{id:id}/relationships", h_relationships_create, AUTH_REQUIRED,
	  RL_GENERAL, 0, NULL),
	R(HTTP_DELETE, "/contacts/{id:id}/relationships/{relId:id}", h_relationships_delete,
	  AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_GET, "/tags", h_tags_list, AUTH_REQUIRED, RL_GENERAL, 0,
	  "q,name,limit,cursor,includeTotal"),
	R(HTTP_GET, "/tags/{id:id}", h_tags_get, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_PATCH, "/tags/{id:id}", h_tags_update, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_DELETE, "/tags/{id:id}", h_tags_delete, AUTH_REQUIRED, RL_GENERAL, 0, NULL),

	/* Notes and interactions (§10). */
	R(HTTP_GET, "/notes", h_notes_list, AUTH_REQUIRED, RL_GENERAL, 0,
	  "contactId,title,from,to,updatedSince,sort,limit,cursor,includeTotal"),
	R(HTTP_POST, "/notes", h_notes_create, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_GET, "/notes/{id:id}", h_notes_get, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_PATCH, "/notes/{id:id}", h_notes_update, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_DELETE, "/notes/{id:id}", h_notes_delete, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_GET, "/contacts/{id:id}/notes", h_contact_notes_list, AUTH_REQUIRED, RL_GENERAL, 0,
	  "title,from,to,updatedSince,sort,limit,cursor,includeTotal"),
	R(HTTP_GET, "/interactions", h_interactions_list, AUTH_REQUIRED, RL_GENERAL, 0,
	  "contactId,type*,from,to,updatedSince,sort,limit,cursor,includeTotal"),
	R(HTTP_POST, "/interactions", h_interactions_create, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_GET, "/interactions/{id:id}", h_interactions_get, AUTH_REQUIRED, RL_GENERAL, 0,
	  NULL),
	R(HTTP_PATCH, "/interactions/{id:id}", h_interactions_update, AUTH_REQUIRED, RL_GENERAL, 0,
	  NULL),
	R(HTTP_DELETE, "/interactions/{id:id}", h_interactions_delete, AUTH_REQUIRED, RL_GENERAL,
	  0, NULL),
	R(HTTP_GET, "/contacts/{id:id}/interactions", h_contact_interactions_list, AUTH_REQUIRED,
	  RL_GENERAL, 0, "type*,from,to,updatedSince,sort,limit,cursor,includeTotal"),

	/* Insights (§11; interactions-trend and tags are PREMIUM, checked by their handlers). */
	R(HTTP_GET, "/insights/overview", h_insights_overview, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_GET, "/insights/recently-contacted", h_insights_recently_contacted, AUTH_REQUIRED,
	  RL_GENERAL, 0, "limit"),
	R(HTTP_GET, "/insights/stale-contacts", h_insights_stale_contacts, AUTH_REQUIRED,
	  RL_GENERAL, 0, "days,limit,cursor,includeTotal"),
	R(HTTP_GET, "/insights/most-interacted", h_insights_most_interacted, AUTH_REQUIRED,
	  RL_GENERAL, 0, "limit,from,to"),
	R(HTTP_GET, "/insights/contacts/{id:id}/summary", h_insights_contact_summary, AUTH_REQUIRED,
	  RL_GENERAL, 0, NULL),
	R(HTTP_GET, "/insights/interactions-trend", h_insights_interactions_trend, AUTH_REQUIRED,
	  RL_GENERAL, 0, "interval,from,to,contactId,type*"),
	R(HTTP_GET, "/insights/tags", h_insights_tags, AUTH_REQUIRED, RL_GENERAL, 0, "days"),

	/* Subscription and the Stripe webhook (§12; compatibility P2 is the webhook route). The
	 * webhook is public, authenticated by its signature over the raw body of any type. */
	R(HTTP_GET, "/subscription", h_subscription_get, AUTH_REQUIRED, RL_GENERAL, 0, NULL),
	R(HTTP_POST, "/subscription/checkout", h_subscription_checkout, AUTH_REQUIRED, RL_GENERAL,
	  0, NULL),
	R(HTTP_POST, "/subscription/portal", h_subscription_portal, AUTH_REQUIRED, RL_GENERAL, 0,
	  NULL),
	R(HTTP_POST, "/stripe/webhook", h_stripe_webhook, AUTH_NONE, RL_EXEMPT, RF_ANY_BODY_TYPE,
	  NULL),

	/* Compatibility routes (§15.2). */
	R(HTTP_GET, "/test", h_test_hello, AUTH_NONE, RL_GENERAL, COMPAT | RF_DEV_ONLY, "name"),
	R(HTTP_POST, "/user/register", h_v1_register, AUTH_NONE, RL_REGISTER, COMPAT | BODY, NULL),
	R(HTTP_POST, "/user/reVerify-email", h_v1_reverify, AUTH_NONE, RL_RESEND, COMPAT | BODY,
	  NULL),
	R(HTTP_GET, "/user/verify-email", h_v1_verify, AUTH_NONE, RL_GENERAL, COMPAT | RF_NO_HEAD,
	  "email,verificationCode"),
	R(HTTP_POST, "/user/login", h_v1_login, AUTH_NONE, RL_LOGIN, COMPAT | BODY, NULL),
	R(HTTP_POST, "/user/logOut", h_v1_logout, AUTH_OPTIONAL, RL_GENERAL, COMPAT | BODY, NULL),
	R(HTTP_PATCH, "/user/updatePassword", h_v1_update_password, AUTH_REQUIRED, RL_GENERAL,
	  COMPAT, NULL),
	R(HTTP_POST, "/user/forgotPassword", h_v1_forgot, AUTH_NONE, RL_FORGOT, COMPAT | BODY,
	  NULL),
	R(HTTP_POST, "/user/resetPassword", h_v1_reset, AUTH_NONE, RL_GENERAL, COMPAT, NULL),
	R(HTTP_POST, "/user/renewToken", h_v1_renew, AUTH_NONE, RL_GENERAL, COMPAT | BODY, NULL),
	R(HTTP_PATCH, "/user/updateDetails", h_v1_update_details, AUTH_REQUIRED, RL_GENERAL,
	  COMPAT, NULL),
	R(HTTP_PATCH, "/user/status", h_v1_status, AUTH_REQUIRED, RL_GENERAL, COMPAT, NULL),
	/* C1–C11: contacts and tags (compat_contacts.c, compat_tags.c). */
	R(HTTP_POST, "/contacts/add-contact", h_v1_add_contact, AUTH_REQUIRED, RL_GENERAL, COMPAT,
	  NULL),
	R(HTTP_GET, "/contacts/get-contact-by-id/{contactId:id}", h_v1_get_contact, AUTH_REQUIRED,
	  RL_GENERAL, COMPAT, NULL),
	R(HTTP_PATCH, "/contacts/update-contact", h_v1_update_contact, AUTH_REQUIRED, RL_GENERAL,
	  COMPAT, NULL),
	R(HTTP_DELETE, "/contacts/delete-contact", h_v1_delete_contact, AUTH_REQUIRED, RL_GENERAL,
	  COMPAT, NULL),
	R(HTTP_DELETE, "/contacts/delete-multiple-contacts", h_v1_delete_contacts, AUTH_REQUIRED,
	  RL_GENERAL, COMPAT, NULL),
	R(HTTP_POST, "/contacts/add-tag", h_v1_add_tag, AUTH_REQUIRED, RL_GENERAL, COMPAT, NULL),
	R(HTTP_POST, "/contacts/add-multiple-tags", h_v1_add_tags_bulk, AUTH_REQUIRED, RL_GENERAL,
	  COMPAT, NULL),
	R(HTTP_DELETE, "/contacts/delete-tag-from-contact", h_v1_remove_tag, AUTH_REQUIRED,
	  RL_GENERAL, COMPAT, NULL),
	R(HTTP_DELETE, "/contacts/delete-multiple-tags-from-contacts", h_v1_remove_tags_bulk,
	  AUTH_REQUIRED, RL_GENERAL, COMPAT, NULL),
	R(HTTP_GET, "/contacts/get-tag-usage/{tagName}", h_v1_tag_usage, AUTH_REQUIRED, RL_GENERAL,
	  COMPAT, NULL),
	R(HTTP_DELETE, "/contacts/delete-tag", h_v1_delete_tag, AUTH_REQUIRED, RL_GENERAL, COMPAT,
	  NULL),
	/* C12: the CSV of §9.6, the same handler and export bucket (export.c). */
	R(HTTP_GET, "/contacts/export-contacts", h_contacts_export_csv, AUTH_REQUIRED, RL_EXPORT,
	  COMPAT, NULL),
	/* N1–N5 and I1–I5: notes and interactions (compat_notes.c, compat_interactions.c). */
	R(HTTP_POST, "/notes/create-note", h_v1_create_note, AUTH_REQUIRED, RL_GENERAL, COMPAT,
	  NULL),
	R(HTTP_GET, "/notes/list-notes", h_v1_list_notes, AUTH_REQUIRED, RL_GENERAL, COMPAT,
	  "page,limit"),
	R(HTTP_GET, "/notes/get-note", h_v1_get_note, AUTH_REQUIRED, RL_GENERAL, COMPAT,
	  "noteId,contactId,title,page,limit"),
	R(HTTP_PATCH, "/notes/update-note", h_v1_update_note, AUTH_REQUIRED, RL_GENERAL, COMPAT,
	  NULL),
	R(HTTP_DELETE, "/notes/delete-note", h_v1_delete_note, AUTH_REQUIRED, RL_GENERAL, COMPAT,
	  NULL),
	R(HTTP_POST, "/interactions/log-interaction", h_v1_log_interaction, AUTH_REQUIRED,
	  RL_GENERAL, COMPAT, NULL),
	R(HTTP_GET, "/interactions/list-interactions", h_v1_list_interactions, AUTH_REQUIRED,
	  RL_GENERAL, COMPAT, "page,limit"),
	R(HTTP_GET, "/interactions/get-interaction", h_v1_get_interaction, AUTH_REQUIRED,
	  RL_GENERAL, COMPAT, "interactionId,contactId,occuredAt,page,limit"),
	R(HTTP_PATCH, "/interactions/update-interaction", h_v1_update_interaction, AUTH_REQUIRED,
	  RL_GENERAL, COMPAT, NULL),
	R(HTTP_DELETE, "/interactions/delete-interaction", h_v1_delete_interaction, AUTH_REQUIRED,
	  RL_GENERAL, COMPAT, NULL),
	/* S1–S5: insights (insights.c). */
	R(HTTP_GET, "/insights/recently-contacted/{limit}", h_v1_insights_recently_contacted,
	  AUTH_REQUIRED, RL_GENERAL, COMPAT, NULL),
	R(HTTP_GET, "/insights/stale-contacts/{days}", h_v1_insights_stale_contacts, AUTH_REQUIRED,
	  RL_GENERAL, COMPAT, NULL),
	R(HTTP_GET, "/insights/contact-summary/{contactId:id}", h_v1_insights_contact_summary,
	  AUTH_REQUIRED, RL_GENERAL, COMPAT, NULL),
	R(HTTP_GET, "/insights/overall-metrics", h_v1_insights_overall_metrics, AUTH_REQUIRED,
	  RL_GENERAL, COMPAT, NULL),
	R(HTTP_GET, "/insights/most-interacted-contacts", h_v1_insights_most_interacted,
	  AUTH_REQUIRED, RL_GENERAL, COMPAT, "limit"),
	R(HTTP_POST, "/subscription/create-checkout-session", h_v1_create_checkout_session,
	  AUTH_REQUIRED, RL_GENERAL, COMPAT, "trial"),
};

const int routes_count = (int)(sizeof routes / sizeof routes[0]);
