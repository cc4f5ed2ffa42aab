/*
 * Request verification for the chat bridge. Slack signs every request:
 * X-Slack-Signature is "v0=" and the hex HMAC-SHA256 of
 * "v0:TIMESTAMP:BODY" under the workspace's signing secret, and
 * X-Slack-Request-Timestamp must be within max_skew seconds of now.
 * Mattermost sends a per-integration token. Every comparison of secrets
 * takes the same time whatever the input.
 */
#ifndef CTIHUB_CHAT_VERIFY_H
#define CTIHUB_CHAT_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* CH_UNAUTHORIZED with the reason (missing header, stale timestamp, bad
 * signature, replayed request) when the request is not Slack's. */
enum ch_code chat_slack_verify(const char *signing_secret, const char *timestamp,
			       const char *signature, const char *body, size_t body_len,
			       int64_t now, int64_t max_skew, struct ch_error *err);

/* Whether given equals one of the count secrets. Every one is compared,
 * so the time does not tell which matched. */
bool chat_secret_in(char *const *secrets, size_t count, const char *given);

/* Constant-time equality of two secrets; false when either is NULL. */
bool chat_secret_equal(const char *expected, const char *given);

#endif
