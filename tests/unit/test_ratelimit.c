/*
 * Unit tests for src/http/ratelimit: the burst, refill over time, the
 * Retry-After value, the disabled limiter and the bound on stored keys.
 * Times are passed in explicitly, so no test sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/ratelimit.h"

static void ratelimit_allows_burst_then_rejects(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 3);
	int retry = 0;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_true(ratelimit_check(rl, 42, 1000, &retry));
	assert_false(ratelimit_check(rl, 42, 1000, &retry));
	assert_int_equal(retry, 1);
	/* Another key has its own bucket. */
	assert_true(ratelimit_check(rl, 43, 1000, &retry));
	ratelimit_free(rl);
}

static void ratelimit_refills_over_time(void **state)
{
	struct ratelimit *rl = ratelimit_new(2, 2); /* one token every 500 ms */
	int retry = 0;

	(void)state;
	assert_true(ratelimit_check(rl, 7, 0, &retry));
	assert_true(ratelimit_check(rl, 7, 0, &retry));
	assert_false(ratelimit_check(rl, 7, 250, &retry));
	assert_true(ratelimit_check(rl, 7, 500, &retry));
	assert_false(ratelimit_check(rl, 7, 500, &retry));
	/* A long pause refills only up to the burst. */
	assert_true(ratelimit_check(rl, 7, 60000, &retry));
	assert_true(ratelimit_check(rl, 7, 60000, &retry));
	assert_false(ratelimit_check(rl, 7, 60000, &retry));
	ratelimit_free(rl);
}

static void ratelimit_retry_after_counts_down(void **state)
{
	struct ratelimit *rl = ratelimit_new(0.1, 1); /* one token every 10 s */
	int retry = 0;

	(void)state;
	assert_true(ratelimit_check(rl, 1, 0, &retry));
	assert_false(ratelimit_check(rl, 1, 0, &retry));
	assert_int_equal(retry, 10);
	assert_false(ratelimit_check(rl, 1, 4000, &retry));
	assert_int_equal(retry, 6);
	/* Part of a second left rounds up, never down to 0. */
	assert_false(ratelimit_check(rl, 1, 9999, &retry));
	assert_int_equal(retry, 1);
	assert_true(ratelimit_check(rl, 1, 10000, &retry));
	ratelimit_free(rl);
}

static void ratelimit_ignores_clock_going_back(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 1);
	int retry = 0;

	(void)state;
	assert_true(ratelimit_check(rl, 5, 5000, &retry));
	assert_false(ratelimit_check(rl, 5, 1000, &retry));
	assert_false(ratelimit_check(rl, 5, 5500, &retry));
	assert_true(ratelimit_check(rl, 5, 6000, &retry));
	ratelimit_free(rl);
}

static void ratelimit_disabled_allows_all(void **state)
{
	struct ratelimit *rl = ratelimit_new(0, 1);
	int retry = -1;

	(void)state;
	for (int i = 0; i < 1000; i++)
		assert_true(ratelimit_check(rl, 9, 0, &retry));
	assert_int_equal(retry, -1);
	assert_int_equal(ratelimit_key_count(rl), 0);
	ratelimit_free(rl);

	assert_true(ratelimit_check(NULL, 9, 0, &retry));
	ratelimit_free(NULL);
}

static void ratelimit_zero_burst_counts_as_one(void **state)
{
	struct ratelimit *rl = ratelimit_new(1, 0);
	int retry = 0;

	(void)state;
	assert_true(ratelimit_check(rl, 3, 0, &retry));
	assert_false(ratelimit_check(rl, 3, 0, &retry));
	ratelimit_free(rl);
}

static void ratelimit_key_count_stays_bounded(void **state)
{
	static const size_t limits[] = { 1, 3, 100, 5000 };
	int retry = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct ratelimit *rl = ratelimit_new_sized(1, 1, limits[i]);

		for (uint64_t key = 0; key < 20000; key++) {
			ratelimit_check(rl, key, (int64_t)key, &retry);
			assert_true(ratelimit_key_count(rl) <= limits[i]);
		}
		assert_true(ratelimit_key_count(rl) > 0);
		ratelimit_free(rl);
	}
}

static void ratelimit_evicts_full_buckets_first(void **state)
{
	/* 3 keys fit; each bucket refills within 1 s. */
	struct ratelimit *rl = ratelimit_new_sized(1, 1, 3);
	int retry = 0;

	(void)state;
	assert_true(ratelimit_check(rl, 1, 0, &retry));
	assert_true(ratelimit_check(rl, 2, 100, &retry));
	assert_true(ratelimit_check(rl, 3, 2000, &retry));
	/* Keys 1 and 2 are full again at 2000 ms, so adding key 4 drops them
	 * and keeps key 3, whose bucket is still empty. */
	assert_true(ratelimit_check(rl, 4, 2000, &retry));
	assert_int_equal(ratelimit_key_count(rl), 2);
	assert_false(ratelimit_check(rl, 3, 2000, &retry));
	ratelimit_free(rl);
}

static void ratelimit_evicts_least_recent_when_busy(void **state)
{
	struct ratelimit *rl = ratelimit_new_sized(0.001, 1, 2);
	int retry = 0;

	(void)state;
	assert_true(ratelimit_check(rl, 1, 0, &retry));
	assert_true(ratelimit_check(rl, 2, 10, &retry));
	/* No bucket is full, so key 1, used least recently, makes room. */
	assert_true(ratelimit_check(rl, 3, 20, &retry));
	assert_int_equal(ratelimit_key_count(rl), 2);
	assert_false(ratelimit_check(rl, 2, 30, &retry));
	assert_false(ratelimit_check(rl, 3, 30, &retry));
	ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ratelimit_allows_burst_then_rejects),
		cmocka_unit_test(ratelimit_refills_over_time),
		cmocka_unit_test(ratelimit_retry_after_counts_down),
		cmocka_unit_test(ratelimit_ignores_clock_going_back),
		cmocka_unit_test(ratelimit_disabled_allows_all),
		cmocka_unit_test(ratelimit_zero_burst_counts_as_one),
		cmocka_unit_test(ratelimit_key_count_stays_bounded),
		cmocka_unit_test(ratelimit_evicts_full_buckets_first),
		cmocka_unit_test(ratelimit_evicts_least_recent_when_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
