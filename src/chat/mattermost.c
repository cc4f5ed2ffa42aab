/* Placeholder until the Mattermost handlers land. */
#include "chat/handlers.h"

void chat_mattermost_commands(struct http_request *req, struct http_response *res)
{
	(void)req;
	http_reply_fail(res, CH_INTERNAL, NULL, "not implemented yet");
}

void chat_mattermost_dialogs(struct http_request *req, struct http_response *res)
{
	(void)req;
	http_reply_fail(res, CH_INTERNAL, NULL, "not implemented yet");
}
