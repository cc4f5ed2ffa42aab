/*
 * API token generation and hashing with libsodium.
 */
#include "policy/token.h"

#include <sodium.h>
#include <string.h>

void token_generate(char text[TOKEN_TEXT_MAX], unsigned char hash[TOKEN_HASH_BYTES])
{
	unsigned char random[TOKEN_RANDOM_BYTES];
	size_t prefix = strlen(TOKEN_PREFIX);

	randombytes_buf(random, sizeof(random));
	memcpy(text, TOKEN_PREFIX, prefix);
	sodium_bin2base64(text + prefix, TOKEN_TEXT_MAX - prefix, random, sizeof(random),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(random, sizeof(random));
	token_hash(text, strlen(text), hash);
}

void token_hash(const char *text, size_t len, unsigned char hash[TOKEN_HASH_BYTES])
{
	crypto_hash_sha256(hash, (const unsigned char *)text, len);
}
