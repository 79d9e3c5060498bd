/* Every handler the route table names, one group per resource file. */
#ifndef CRM_HANDLERS_H
#define CRM_HANDLERS_H

#include "http/http.h"

/* ops.c */
void h_health(struct request *req);
void h_ready(struct request *req);
void h_metrics(struct request *req);
void h_openapi(struct request *req);
void h_test_hello(struct request *req);

/* auth.c */
void h_auth_register(struct request *req);
void h_auth_verify_email(struct request *req);
void h_auth_verify_email_link(struct request *req);
void h_auth_resend(struct request *req);
void h_auth_login(struct request *req);
void h_auth_refresh(struct request *req);
void h_auth_logout(struct request *req);
void h_auth_logout_all(struct request *req);
void h_auth_forgot(struct request *req);
void h_auth_reset(struct request *req);

/* me.c */
void h_me_get(struct request *req);
void h_me_patch(struct request *req);
void h_me_password(struct request *req);
void h_me_status(struct request *req);
void h_me_sessions(struct request *req);
void h_me_session_delete(struct request *req);
void h_me_delete(struct request *req);

/* oauth.c (§7.3, compatibility O1–O4; identities extend the SPEC) */
void h_oauth_start(struct request *req);
void h_oauth_callback(struct request *req);
void h_me_identities(struct request *req);
void h_me_identity_delete(struct request *req);

/* contacts.c (§9.1–9.2) */
void h_contacts_list(struct request *req);
struct contacts_page;
/* The page of GET /contacts planned from the query for the session check to read
 * (RF_READS_PAGE), or NULL: read by h_contacts_list itself. */
struct contacts_page *h_contacts_list_plan(struct request *req);
void h_contacts_create(struct request *req);
void h_contacts_get(struct request *req);
void h_contacts_update(struct request *req);
void h_contacts_delete(struct request *req);
void h_contacts_bulk_delete(struct request *req);

/* tags.c (§9.3–9.4) */
void h_contact_tags_list(struct request *req);
void h_contact_tags_add(struct request *req);
void h_contact_tags_remove(struct request *req);
void h_contact_tags_bulk(struct request *req);
void h_tags_list(struct request *req);
void h_tags_get(struct request *req);
void h_tags_update(struct request *req);
void h_tags_delete(struct request *req);

/* relationships.c (§9.5) */
void h_relationships_list(struct request *req);
void h_relationships_create(struct request *req);
void h_relationships_delete(struct request *req);

/* notes.c (§10.1) */
void h_notes_list(struct request *req);
void h_notes_create(struct request *req);
void h_notes_get(struct request *req);
void h_notes_update(struct request *req);
void h_notes_delete(struct request *req);
void h_contact_notes_list(struct request *req);

/* interactions.c (§10.2) */
void h_interactions_list(struct request *req);
void h_interactions_create(struct request *req);
void h_interactions_get(struct request *req);
void h_interactions_update(struct request *req);
void h_interactions_delete(struct request *req);
void h_contact_interactions_list(struct request *req);

/* compat_user.c (§15.2 U1–U11) */
void h_v1_register(struct request *req);
void h_v1_reverify(struct request *req);
void h_v1_verify(struct request *req);
void h_v1_login(struct request *req);
void h_v1_logout(struct request *req);
void h_v1_update_password(struct request *req);
void h_v1_forgot(struct request *req);
void h_v1_reset(struct request *req);
void h_v1_renew(struct request *req);
void h_v1_update_details(struct request *req);
void h_v1_status(struct request *req);

/* billing.c (§12, compatibility P1; P2 is h_stripe_webhook) */
void h_subscription_get(struct request *req);
void h_subscription_checkout(struct request *req);
void h_subscription_portal(struct request *req);
void h_stripe_webhook(struct request *req);
void h_v1_create_checkout_session(struct request *req);

/* export.c (§8 /me/export, §9.6 CSV; compatibility C12 is h_contacts_export_csv) */
void h_contacts_export_csv(struct request *req);
void h_me_export(struct request *req);

/* compat_contacts.c, compat_tags.c (§15.2 C1–C11) */
void h_v1_add_contact(struct request *req);
void h_v1_get_contact(struct request *req);
void h_v1_update_contact(struct request *req);
void h_v1_delete_contact(struct request *req);
void h_v1_delete_contacts(struct request *req);
void h_v1_add_tag(struct request *req);
void h_v1_add_tags_bulk(struct request *req);
void h_v1_remove_tag(struct request *req);
void h_v1_remove_tags_bulk(struct request *req);
void h_v1_tag_usage(struct request *req);
void h_v1_delete_tag(struct request *req);

/* compat_notes.c, compat_interactions.c (§15.2 N1–N5, I1–I5) */
void h_v1_create_note(struct request *req);
void h_v1_list_notes(struct request *req);
void h_v1_get_note(struct request *req);
void h_v1_update_note(struct request *req);
void h_v1_delete_note(struct request *req);
void h_v1_log_interaction(struct request *req);
void h_v1_list_interactions(struct request *req);
void h_v1_get_interaction(struct request *req);
void h_v1_update_interaction(struct request *req);
void h_v1_delete_interaction(struct request *req);


/* insights.c (§11, compatibility S1–S5) */
void h_insights_overview(struct request *req);
void h_insights_recently_contacted(struct request *req);
void h_insights_stale_contacts(struct request *req);
void h_insights_most_interacted(struct request *req);
void h_insights_contact_summary(struct request *req);
void h_insights_interactions_trend(struct request *req);
void h_insights_tags(struct request *req);
void h_v1_insights_recently_contacted(struct request *req);
void h_v1_insights_stale_contacts(struct request *req);
void h_v1_insights_contact_summary(struct request *req);
void h_v1_insights_overall_metrics(struct request *req);
void h_v1_insights_most_interacted(struct request *req);

#endif
