/* Placeholder until the chat configuration lands. */
#include <string.h>

#include "chat/chat.h"

enum ch_code chat_config_load(const json_t *root, struct chat_config *out,
			      struct ch_error *err)
{
	(void)root;
	(void)err;
	memset(out, 0, sizeof(*out));
	return CH_OK;
}

void chat_config_free(struct chat_config *cfg)
{
	(void)cfg;
}

enum ch_code chat_config_resolve(struct chat_config *cfg, struct store *st,
				 struct ch_error *err)
{
	(void)cfg;
	(void)st;
	(void)err;
	return CH_OK;
}
