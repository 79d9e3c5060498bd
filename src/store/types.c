/* Destructors of the row types shared by both stores (see types.h). */
#include "store/types.h"

#include <stdlib.h>
#include <string.h>

void user_row_free(struct user_row *u)
{
	if (!u)
		return;
	free(u->email);
	free(u->email_key);
	free(u->username);
	free(u->username_key);
	free(u->password_hash);
	free(u->first_name);
	free(u->last_name);
	free(u->avatar_url);
	free(u->role);
	memset(u, 0, sizeof *u);
}

void session_row_free(struct session_row *s)
{
	if (!s)
		return;
	free(s->auth_method);
	free(s->revoke_reason);
	free(s->ip);
	free(s->user_agent);
	memset(s, 0, sizeof *s);
}

void auth_row_free(struct auth_row *a)
{
	if (!a)
		return;
	free(a->role);
	free(a->sub_status);
	memset(a, 0, sizeof *a);
}

void email_token_row_free(struct email_token_row *t)
{
	if (!t)
		return;
	free(t->purpose);
	free(t->email);
	free(t->password_hash);
	memset(t, 0, sizeof *t);
}

void outbox_row_free(struct outbox_row *o)
{
	if (!o)
		return;
	free(o->to_address);
	free(o->template_name);
	free(o->subject);
	free(o->body_text);
	free(o->body_html);
	free(o->status);
	free(o->last_error);
	memset(o, 0, sizeof *o);
}

void oauth_account_row_free(struct oauth_account_row *r)
{
	if (!r)
		return;
	free(r->provider);
	free(r->provider_user_id);
	free(r->email);
	memset(r, 0, sizeof *r);
}
