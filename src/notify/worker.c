/* Placeholder until the notify module lands. */
#include "notify/notify.h"

enum ch_code notify_worker_start(const char *db_path, const struct notify_config *cfg,
				 struct notify_worker **out, struct ch_error *err)
{
	(void)db_path;
	(void)cfg;
	(void)err;
	*out = NULL;
	return CH_OK;
}

void notify_worker_wake(struct notify_worker *w)
{
	(void)w;
}

void notify_worker_stop(struct notify_worker *w)
{
	(void)w;
}
