/* The plan gate (see premium.h). */
#include "handlers/premium.h"

#include "app.h"
#include "domain/billing.h"
#include "handlers/auth_common.h"
#include "store/store.h"

bool require_premium(struct request *req)
{
	struct actx a;
	actx_from(req, &a);
	struct db *db;
	int rc = store_acquire(req->app->store, &db);
	if (rc >= 0) {
		rc = billing_user_premium(&a, db, req->user_id, NULL);
		store_release(req->app->store, db);
	}
	if (rc > 0)
		return true;
	if (rc < 0)
		reply_domain_error(req, &a, err_from_store(rc), NULL);
	else
		reply_error(req, ERR_PREMIUM_REQUIRED, NULL, NULL);
	return false;
}
