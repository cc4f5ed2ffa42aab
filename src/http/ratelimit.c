/*
 * Token buckets in a sharded hash table. Each shard has its own mutex and
 * an open-addressing table with linear probing, sized to at least twice
 * its key limit so probes stay short. Deletion shifts later entries of the
 * probe run back into the hole, so the table needs no tombstones.
 */
#include "http/ratelimit.h"

#include <assert.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "util/alloc.h"

/* A power of two, so the top bits of the hash pick the shard. */
#define SHARDS_MAX 16
/* Fewest keys per shard. Smaller limiters use fewer shards, because small
 * tables gain nothing from sharding and each shard evicts on its own. */
#define SHARD_KEYS_MIN 64

struct bucket {
	uint64_t key;
	double tokens;
	int64_t last_ms; /* time of the last check, when the bucket was refilled */
	bool used;
};

struct shard {
	pthread_mutex_t lock;
	struct bucket *slots;
	size_t mask;  /* slot count minus 1, because the slot count is a power of two */
	size_t count;
	size_t max;   /* buckets this shard may hold */
};

struct ratelimit {
	double rate;  /* tokens per millisecond */
	double burst;
	unsigned shard_bits;
	struct shard shards[SHARDS_MAX];
};

/* The splitmix64 finaliser: token ids are sequential, so the low bits of
 * the raw key would fill one run of slots. */
static uint64_t hash_key(uint64_t key)
{
	key ^= key >> 30;
	key *= 0xbf58476d1ce4e5b9ULL;
	key ^= key >> 27;
	key *= 0x94d049bb133111ebULL;
	key ^= key >> 31;
	return key;
}

static size_t round_up_pow2(size_t n)
{
	size_t p = 1;

	while (p < n)
		p *= 2;
	return p;
}

struct ratelimit *ratelimit_new_sized(double rate_per_second, unsigned burst, size_t max_keys)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));
	size_t shard_count = 1;

	rl->rate = rate_per_second > 0 ? rate_per_second / 1000.0 : 0;
	rl->burst = burst > 0 ? burst : 1;
	if (max_keys < 1)
		max_keys = 1;

	/* Shards times keys per shard stays within max_keys. */
	while (shard_count * 2 <= SHARDS_MAX && max_keys / (shard_count * 2) >= SHARD_KEYS_MIN) {
		shard_count *= 2;
		rl->shard_bits++;
	}
	for (size_t i = 0; i < SHARDS_MAX; i++) {
		struct shard *s = &rl->shards[i];

		pthread_mutex_init(&s->lock, NULL);
		if (i >= shard_count)
			continue;
		s->max = max_keys / shard_count;
		s->mask = round_up_pow2(s->max * 2) - 1;
		s->slots = xcalloc(s->mask + 1, sizeof(*s->slots));
	}
	return rl;
}

struct ratelimit *ratelimit_new(double rate_per_second, unsigned burst)
{
	return ratelimit_new_sized(rate_per_second, burst, RATELIMIT_KEYS_DEFAULT);
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	for (size_t i = 0; i < SHARDS_MAX; i++) {
		pthread_mutex_destroy(&rl->shards[i].lock);
		free(rl->shards[i].slots);
	}
	free(rl);
}

int64_t ratelimit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct shard *shard_for(struct ratelimit *rl, uint64_t hash)
{
	if (rl->shard_bits == 0)
		return &rl->shards[0];
	return &rl->shards[hash >> (64 - rl->shard_bits)];
}

/* Adds the tokens earned since b->last_ms, up to the burst. A clock that
 * reads earlier than last time earns nothing. */
static void refill(const struct ratelimit *rl, struct bucket *b, int64_t now_ms)
{
	if (now_ms <= b->last_ms)
		return;
	b->tokens += (double)(now_ms - b->last_ms) * rl->rate;
	if (b->tokens > rl->burst)
		b->tokens = rl->burst;
	b->last_ms = now_ms;
}

/* Whether the bucket would be full at now_ms. It does not refill, so
 * last_ms keeps telling which bucket was used least recently. */
static bool is_full(const struct ratelimit *rl, const struct bucket *b, int64_t now_ms)
{
	double elapsed = now_ms > b->last_ms ? (double)(now_ms - b->last_ms) : 0;

	return b->tokens + elapsed * rl->rate >= rl->burst;
}

/* Empties slot i and moves later entries of its probe run back into the
 * hole, so that every entry stays reachable from its home slot. */
static void remove_slot(struct shard *s, size_t i)
{
	size_t hole = i;
	size_t j = i;

	for (;;) {
		size_t home;

		j = (j + 1) & s->mask;
		if (!s->slots[j].used)
			break;
		home = hash_key(s->slots[j].key) & s->mask;
		/* The entry at j may fill the hole unless its home lies
		 * cyclically inside (hole, j]. */
		if (((j - home) & s->mask) >= ((j - hole) & s->mask)) {
			s->slots[hole] = s->slots[j];
			hole = j;
		}
	}
	s->slots[hole].used = false;
	s->count--;
}

/* Drops every full bucket, or the least recently used one when none is
 * full. Runs only when the shard is at its limit. */
static void evict(const struct ratelimit *rl, struct shard *s, int64_t now_ms)
{
	size_t before = s->count;
	size_t oldest = SIZE_MAX;

	for (size_t i = 0; i <= s->mask; i++) {
		/* remove_slot may move an unvisited entry into slot i, so
		 * slot i is checked again until it keeps its entry. */
		while (s->slots[i].used && is_full(rl, &s->slots[i], now_ms))
			remove_slot(s, i);
	}
	if (s->count < before)
		return;

	for (size_t i = 0; i <= s->mask; i++) {
		if (s->slots[i].used &&
		    (oldest == SIZE_MAX || s->slots[i].last_ms < s->slots[oldest].last_ms))
			oldest = i;
	}
	if (oldest != SIZE_MAX)
		remove_slot(s, oldest);
}

/* Returns key's bucket, adding a full one when the key is new. */
static struct bucket *find_or_add(const struct ratelimit *rl, struct shard *s, uint64_t key,
				  uint64_t hash, int64_t now_ms)
{
	size_t i = hash & s->mask;

	while (s->slots[i].used) {
		if (s->slots[i].key == key)
			return &s->slots[i];
		i = (i + 1) & s->mask;
	}

	if (s->count >= s->max) {
		evict(rl, s, now_ms);
		/* Eviction may have moved an entry into the free slot found
		 * above, so the probe starts again. */
		i = hash & s->mask;
		while (s->slots[i].used)
			i = (i + 1) & s->mask;
	}
	s->slots[i] = (struct bucket){
		.key = key, .tokens = rl->burst, .last_ms = now_ms, .used = true
	};
	s->count++;
	return &s->slots[i];
}

/* Rounds up to whole seconds between 1 and INT_MAX, so a Retry-After is
 * never 0. */
static int whole_seconds_up(double seconds)
{
	int whole;

	if (seconds >= INT_MAX)
		return INT_MAX;
	if (seconds <= 1)
		return 1;
	whole = (int)seconds;
	return (double)whole < seconds ? whole + 1 : whole;
}

bool ratelimit_check(struct ratelimit *rl, uint64_t key, int64_t now_ms,
		     int *retry_after_seconds)
{
	uint64_t hash;
	struct shard *s;
	struct bucket *b;
	bool allowed;
	double wait_seconds;

	if (!rl || rl->rate <= 0)
		return true;

	hash = hash_key(key);
	s = shard_for(rl, hash);
	pthread_mutex_lock(&s->lock);
	b = find_or_add(rl, s, key, hash, now_ms);
	refill(rl, b, now_ms);
	allowed = b->tokens >= 1.0;
	if (allowed)
		b->tokens -= 1.0;
	/* Seconds until the missing part of one token is back. The epsilon
	 * keeps a rounding error from adding a second. */
	wait_seconds = (1.0 - b->tokens) / rl->rate / 1000.0 - 1e-9;
	pthread_mutex_unlock(&s->lock);

	if (!allowed && retry_after_seconds)
		*retry_after_seconds = whole_seconds_up(wait_seconds);
	return allowed;
}

size_t ratelimit_key_count(struct ratelimit *rl)
{
	size_t total = 0;

	if (!rl)
		return 0;
	for (size_t i = 0; i < SHARDS_MAX; i++) {
		pthread_mutex_lock(&rl->shards[i].lock);
		total += rl->shards[i].count;
		pthread_mutex_unlock(&rl->shards[i].lock);
	}
	return total;
}
