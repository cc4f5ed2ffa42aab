/* Placeholder until channel ingestion lands. */
#include "chat/handlers.h"

void chat_slack_events(struct http_request *req, struct http_response *res)
{
	(void)req;
	http_reply_fail(res, CH_INTERNAL, NULL, "not implemented yet");
}

void chat_mattermost_messages(struct http_request *req, struct http_response *res)
{
	(void)req;
	http_reply_fail(res, CH_INTERNAL, NULL, "not implemented yet");
}
