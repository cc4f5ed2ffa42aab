/*
 * Per-key rate limiting with token buckets. Each key (an API token id, for
 * example) has a bucket of up to burst tokens that refills at
 * rate_per_second. A request takes one token, or is rejected with the
 * seconds to wait.
 *
 * Memory is bounded: the table keeps at most max_keys buckets. When it is
 * full, buckets that have refilled completely are dropped first, because a
 * full bucket behaves exactly like a key never seen. If none has, the
 * least recently used bucket is dropped, which hands that key a fresh
 * burst. All functions are safe to call from several threads.
 *
 * Ownership: ratelimit_new returns an owned limiter; ratelimit_free(NULL)
 * is a no-op.
 */
#ifndef CTIHUB_HTTP_RATELIMIT_H
#define CTIHUB_HTTP_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_KEYS_DEFAULT ((size_t)65536)

struct ratelimit;

/* Creates a limiter with room for RATELIMIT_KEYS_DEFAULT keys. A
 * rate_per_second of 0 (or less) disables limiting; a burst of 0 counts
 * as 1. */
struct ratelimit *ratelimit_new(double rate_per_second, unsigned burst);
/* Like ratelimit_new with room for at most max_keys keys (at least 1). */
struct ratelimit *ratelimit_new_sized(double rate_per_second, unsigned burst, size_t max_keys);
void ratelimit_free(struct ratelimit *rl);

/* Takes one token from key's bucket at time now_ms (milliseconds on any
 * clock that does not jump, such as ratelimit_now_ms). Returns true when
 * the request may proceed. On false, sets *retry_after_seconds (at least
 * 1) to the wait until a token is back. A NULL or disabled limiter always
 * returns true. */
bool ratelimit_check(struct ratelimit *rl, uint64_t key, int64_t now_ms,
		     int *retry_after_seconds);

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t ratelimit_now_ms(void);
/* Number of buckets held now, for tests and metrics. */
size_t ratelimit_key_count(struct ratelimit *rl);

#endif
