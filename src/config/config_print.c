/* `crm config check` output: every row of the settings table with its effective value and
 * where it came from, secrets as ****, then the features that are off and why it matters
 * (what the service falls back to). */
#include "config/config_internal.h"

#include <stdlib.h>

void config_print(const struct config *c, FILE *out)
{
	for (size_t i = 0; i < config_settings_len; i++) {
		const struct setting *s = &config_settings[i];
		char *v = config_format_value(s, c);
		unsigned src = c->sources[i];
		if (!v) {
			fprintf(out, "%s=(unset)\n", s->name);
			continue;
		}
		if (src & CONFIG_SRC_VIA_ALIAS)
			fprintf(
			    out, "%s=%s (%s, as %s)\n", s->name, v,
			    config_source_name((enum config_source)(src & ~CONFIG_SRC_VIA_ALIAS)),
			    s->alias);
		else
			fprintf(out, "%s=%s (%s)\n", s->name, v,
				config_source_name((enum config_source)src));
		free(v);
	}

	const struct {
		bool off;
		const char *what;
	} disabled[] = {
	    {!c->google_enabled, "google sign-in"},   {!c->github_enabled, "github sign-in"},
	    {!c->stripe_enabled, "billing"},	      {!c->smtp_url, "smtp (file outbox)"},
	    {!c->redis_url, "redis (local limiter)"},
	};
	int n = 0;
	for (size_t i = 0; i < sizeof disabled / sizeof disabled[0]; i++)
		n += disabled[i].off;
	fprintf(out, "disabled features:%s\n", n ? "" : " none");
	for (size_t i = 0; i < sizeof disabled / sizeof disabled[0]; i++)
		if (disabled[i].off)
			fprintf(out, "  %s\n", disabled[i].what);
}
