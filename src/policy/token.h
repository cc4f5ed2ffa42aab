/*
 * API tokens: 256 random bits, shown to the user once as "cth_" followed by
 * 43 URL-safe base64 characters. Only the SHA-256 of the whole token string
 * is stored, so a copy of the database does not give access.
 */
#ifndef CTIHUB_POLICY_TOKEN_H
#define CTIHUB_POLICY_TOKEN_H

#include <stddef.h>

#define TOKEN_PREFIX "cth_"
#define TOKEN_RANDOM_BYTES 32
#define TOKEN_TEXT_MAX 64 /* "cth_" + 43 characters + NUL fits */
#define TOKEN_HASH_BYTES 32

/* Makes a new token: text for the user, hash for the store. */
void token_generate(char text[TOKEN_TEXT_MAX], unsigned char hash[TOKEN_HASH_BYTES]);
/* Hashes a token as presented by a client. */
void token_hash(const char *text, size_t len, unsigned char hash[TOKEN_HASH_BYTES]);

#endif
