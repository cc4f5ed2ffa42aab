/* Placeholder until the notify module lands. */
#include <string.h>

#include "notify/notify.h"

enum ch_code notify_config_load(const json_t *root, struct notify_config *out,
				struct ch_error *err)
{
	(void)root;
	(void)err;
	memset(out, 0, sizeof(*out));
	out->max_attempts = 12;
	out->backoff = 30;
	out->backoff_max = 3600;
	out->poll = 1;
	return CH_OK;
}

void notify_config_free(struct notify_config *cfg)
{
	(void)cfg;
}
