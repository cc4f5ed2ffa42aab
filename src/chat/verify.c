/*
 * Request verification: Slack's v0 signatures and constant-time token
 * comparison for Mattermost.
 */
#include "chat/verify.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SIGNATURE_HEX 64

enum ch_code chat_slack_verify(const char *signing_secret, const char *timestamp,
			       const char *signature, const char *body, size_t body_len,
			       int64_t now, int64_t max_skew, struct ch_error *err)
{
	crypto_auth_hmacsha256_state state;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char expected[SIGNATURE_HEX + 1];
	char *end;
	long long ts;

	if (!signing_secret || !*signing_secret)
		return ch_fail(err, CH_UNAUTHORIZED, "no signing secret is configured for this "
						     "workspace");
	if (!timestamp || !signature)
		return ch_fail(err, CH_UNAUTHORIZED, "the request has no X-Slack-Signature or "
						     "X-Slack-Request-Timestamp header");
	ts = strtoll(timestamp, &end, 10);
	if (end == timestamp || *end || strlen(timestamp) > 12 ||
	    strspn(timestamp, "0123456789") != strlen(timestamp) || timestamp[0] == '0')
		return ch_fail(err, CH_UNAUTHORIZED, "X-Slack-Request-Timestamp is not a Unix time");
	if (ts < now - max_skew || ts > now + max_skew)
		return ch_fail(err, CH_UNAUTHORIZED, "X-Slack-Request-Timestamp is more than %lld "
						     "seconds away from the server's clock",
			       (long long)max_skew);
	if (strncmp(signature, "v0=", 3) != 0 || strlen(signature) != 3 + SIGNATURE_HEX)
		return ch_fail(err, CH_UNAUTHORIZED, "X-Slack-Signature is not a v0 signature");

	crypto_auth_hmacsha256_init(&state, (const unsigned char *)signing_secret,
				    strlen(signing_secret));
	crypto_auth_hmacsha256_update(&state, (const unsigned char *)"v0:", 3);
	crypto_auth_hmacsha256_update(&state, (const unsigned char *)timestamp, strlen(timestamp));
	crypto_auth_hmacsha256_update(&state, (const unsigned char *)":", 1);
	crypto_auth_hmacsha256_update(&state, (const unsigned char *)body, body_len);
	crypto_auth_hmacsha256_final(&state, mac);
	sodium_bin2hex(expected, sizeof(expected), mac, sizeof(mac));
	sodium_memzero(&state, sizeof(state));

	/* sodium_memcmp takes the same time wherever the first difference is. */
	if (sodium_memcmp(expected, signature + 3, SIGNATURE_HEX) != 0)
		return ch_fail(err, CH_UNAUTHORIZED, "X-Slack-Signature does not match the request; "
						     "check the workspace's signing secret");
	return CH_OK;
}

bool chat_secret_equal(const char *expected, const char *given)
{
	unsigned char a[crypto_generichash_BYTES], b[crypto_generichash_BYTES];

	if (!expected || !given || !*expected)
		return false;
	/* Comparing digests keeps the time independent of both lengths. */
	crypto_generichash(a, sizeof(a), (const unsigned char *)expected, strlen(expected), NULL, 0);
	crypto_generichash(b, sizeof(b), (const unsigned char *)given, strlen(given), NULL, 0);
	return sodium_memcmp(a, b, sizeof(a)) == 0;
}

bool chat_secret_in(char *const *secrets, size_t count, const char *given)
{
	bool found = false;

	for (size_t i = 0; i < count; i++)
		found |= chat_secret_equal(secrets[i], given);
	return found;
}
