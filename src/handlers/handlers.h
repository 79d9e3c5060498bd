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

#endif
