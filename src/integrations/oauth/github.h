/* GitHub's side of sign-in (SPEC §7.3 step 4): who the access token belongs to, from
 * GET {GITHUB_API_URL}/user and /user/emails. Internal to src/integrations/oauth. */
#ifndef CRM_INTEGRATIONS_OAUTH_GITHUB_H
#define CRM_INTEGRATIONS_OAUTH_GITHUB_H

#include <stdbool.h>

struct config;
struct oauth_identity;

/* Reads the user (identity = the numeric id in decimal; names from `name` split at the first
 * space, else `login`) and the addresses (email = the primary one if verified, else the first
 * verified one; none: email NULL, not verified) with access_token (borrowed). Fills *out and
 * returns true, or returns false with *why set to a static reason. */
bool github_identity(const struct config *cfg, const char *access_token, struct oauth_identity *out,
		     const char **why);

#endif
