/* Destructor of the billing row type shared by both stores (see types.h). Kept apart from
 * types.c so that the billing rows stay with the billing code. */
#include <stdlib.h>
#include <string.h>

#include "store/types.h"

void subscription_row_free(struct subscription_row *s)
{
	if (!s)
		return;
	free(s->stripe_customer_id);
	free(s->stripe_subscription_id);
	free(s->status);
	free(s->price_id);
	memset(s, 0, sizeof *s);
}
