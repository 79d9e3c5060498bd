/* The plan decision (see plan.h). */
#include "domain/plan.h"

#include "domain/accounts.h"
#include "domain/billing.h"

/* The role and the subscription rule of §5 both live in billing_user_premium. */
bool user_is_premium(struct actx *a, struct db *db)
{
	return billing_user_premium(a, db, a->user_id, NULL) > 0;
}
