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

#endif
