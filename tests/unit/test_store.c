/*
 * Unit tests for the SQLite store's caches and batches, on a real
 * temporary database opened by two handles, as two server threads or a
 * server and the CLI would. They cover the token cache (a revocation
 * through either handle and an expiry apply at the next lookup) and audit
 * batches (order, hash chain, and several batches in a row). The sort of
 * an ingest batch is tested on its own.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/store.h"
#include "temp_db.h"

#define NOW 1796400000 /* 2026-12-04T16:00:00Z; any fixed time works */

struct fixture {
	char path[64];
	struct store *server; /* the handle whose cache is tested */
	struct store *other;  /* another connection, such as the CLI's */
	int64_t user_id;
};

static int setup_store(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct ch_error err = { 0 };
	int64_t org_id;

	temp_db_create(f->path, sizeof(f->path), "/tmp/ctihub-store-XXXXXX");
	if (store_open(f->path, &f->server, &err) != CH_OK ||
	    store_open(f->path, &f->other, &err) != CH_OK)
		fail_msg("store_open: %s", err.message);
	assert_int_equal(store_org_add(f->other, "org", &org_id, &err), CH_OK);
	assert_int_equal(store_user_add(f->other, "alice", org_id, ROLE_MEMBER, &f->user_id, &err),
			 CH_OK);
	*state = f;
	return 0;
}

static int teardown_store(void **state)
{
	struct fixture *f = *state;

	store_close(f->server);
	store_close(f->other);
	temp_db_remove(f->path);
	free(f);
	return 0;
}

/* Adds a token whose hash is fill repeated; returns its id. */
static int64_t add_token(struct fixture *f, unsigned char fill, int64_t expires,
			 unsigned char hash[STORE_TOKEN_HASH_BYTES])
{
	struct ch_error err = { 0 };
	int64_t id;

	memset(hash, fill, STORE_TOKEN_HASH_BYTES);
	assert_int_equal(store_token_add(f->other, f->user_id, hash, NOW, expires, &id, &err), CH_OK);
	return id;
}

static void test_token_cache_revoked_elsewhere(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[STORE_TOKEN_HASH_BYTES];
	struct principal who;
	struct ch_error err = { 0 };
	int64_t id = add_token(f, 0x11, 0, hash);

	/* Twice, so the second lookup comes from the cache. */
	assert_int_equal(store_token_authenticate(f->server, hash, NOW, &who, &err), CH_OK);
	assert_int_equal(store_token_authenticate(f->server, hash, NOW, &who, &err), CH_OK);
	assert_string_equal(who.user_name, "alice");
	assert_int_equal(who.token_id, id);

	assert_int_equal(store_token_revoke(f->other, id, NOW, &err), CH_OK);
	assert_int_equal(store_token_authenticate(f->server, hash, NOW, &who, &err),
			 CH_UNAUTHORIZED);
	assert_non_null(strstr(err.message, "revoked"));
}

static void test_token_cache_revoked_here(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[STORE_TOKEN_HASH_BYTES];
	struct principal who;
	struct ch_error err = { 0 };
	int64_t id = add_token(f, 0x22, 0, hash);

	assert_int_equal(store_token_authenticate(f->server, hash, NOW, &who, &err), CH_OK);
	assert_int_equal(store_token_revoke(f->server, id, NOW, &err), CH_OK);
	assert_int_equal(store_token_authenticate(f->server, hash, NOW, &who, &err),
			 CH_UNAUTHORIZED);
	assert_non_null(strstr(err.message, "revoked"));
}

static void test_token_cache_expiry(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[STORE_TOKEN_HASH_BYTES];
	struct principal who;
	struct ch_error err = { 0 };

	add_token(f, 0x33, NOW + 10, hash);
	assert_int_equal(store_token_authenticate(f->server, hash, NOW, &who, &err), CH_OK);
	assert_int_equal(store_token_authenticate(f->server, hash, NOW + 9, &who, &err), CH_OK);
	assert_int_equal(store_token_authenticate(f->server, hash, NOW + 10, &who, &err),
			 CH_UNAUTHORIZED);
	assert_non_null(strstr(err.message, "expired"));
}

static void test_token_cache_other_hash(void **state)
{
	struct fixture *f = *state;
	unsigned char hash[STORE_TOKEN_HASH_BYTES], wrong[STORE_TOKEN_HASH_BYTES];
	struct principal who;
	struct ch_error err = { 0 };

	add_token(f, 0x44, 0, hash);
	assert_int_equal(store_token_authenticate(f->server, hash, NOW, &who, &err), CH_OK);
	/* Same first bytes, so the same cache slot, but another hash. */
	memcpy(wrong, hash, sizeof(wrong));
	wrong[STORE_TOKEN_HASH_BYTES - 1] ^= 1;
	assert_int_equal(store_token_authenticate(f->server, wrong, NOW, &who, &err),
			 CH_UNAUTHORIZED);
	assert_non_null(strstr(err.message, "unknown"));
}

static void test_audit_batch_chain(void **state)
{
	struct fixture *f = *state;
	struct store_audit_entry entries[3];
	struct store_audit_list list = { 0 };
	struct ch_error err = { 0 };
	const char *objects[] = { "indicator:1", "indicator:2", "report:3" };
	int64_t bad_id = -1;

	for (size_t i = 0; i < 3; i++) {
		entries[i] = (struct store_audit_entry){
			.time = NOW, .actor_id = f->user_id, .actor = "alice",
			.action = "indicator.read", .object = objects[i], .client = "127.0.0.1",
			.outcome = "ok", .detail = "RED",
		};
	}
	/* Two batches and a single entry between them, from both handles. */
	assert_int_equal(store_audit_append_batch(f->server, entries, 2, &err), CH_OK);
	assert_int_equal(store_audit_append(f->other, &entries[2], &err), CH_OK);
	assert_int_equal(store_audit_append_batch(f->server, entries, 3, &err), CH_OK);

	assert_int_equal(store_audit_list(f->other, 0, 0, 100, &list, &err), CH_OK);
	assert_int_equal(list.count, 6);
	assert_string_equal(list.items[0].object, "indicator:1");
	assert_string_equal(list.items[1].object, "indicator:2");
	assert_string_equal(list.items[2].object, "report:3");
	assert_string_equal(list.items[5].object, "report:3");
	store_audit_list_free(&list);

	assert_int_equal(store_audit_verify(f->other, &bad_id, &err), CH_OK);
	assert_int_equal(bad_id, 0);
}

/* Sorts 5,000 sightings of 300 values, of two types, in a shuffled order.
 * The seen field is each sighting's place before the sort. */
static void test_sightings_sort(void **state)
{
	enum { COUNT = 5000, VALUES = 300 };
	static char names[VALUES][40];
	struct store_sighting *batch = calloc(COUNT, sizeof(*batch));
	unsigned seed = 7;

	(void)state;
	for (int v = 0; v < VALUES; v++)
		snprintf(names[v], sizeof(names[v]), "%s%d.example.com", v % 3 ? "host-" : "",
			 v * 7919 % 1000);
	/* A value of 15 bytes and a longer one that starts with it: the sort
	 * compares the first 15 bytes as integers. Both are URLs (even v). */
	snprintf(names[0], sizeof(names[0]), "http://a.com/xy");
	snprintf(names[2], sizeof(names[2]), "http://a.com/xyz");
	for (int i = 0; i < COUNT; i++) {
		int v = (int)(rand_r(&seed) % VALUES);

		batch[i].type = v % 2 ? IOC_DOMAIN : IOC_URL;
		batch[i].value = names[v];
		batch[i].value_len = strlen(names[v]);
		batch[i].seen = i;
	}
	store_sightings_sort(batch, COUNT);

	for (int i = 0; i < COUNT; i++) {
		assert_true(batch[i].sorted);
		if (i == 0) {
			assert_false(batch[i].repeat);
			continue;
		}
		const struct store_sighting *a = &batch[i - 1];
		const struct store_sighting *b = &batch[i];
		int cmp = strcmp(a->value, b->value);

		if (a->type != b->type)
			cmp = a->type < b->type ? -1 : 1;

		assert_true(cmp <= 0);
		assert_int_equal(b->repeat, cmp == 0);
		/* Equal values keep the order in which they were read. */
		if (cmp == 0)
			assert_true(a->seen < b->seen);
	}

	/* Every sighting is still there once. */
	bool *found = calloc(COUNT, sizeof(*found));

	for (int i = 0; i < COUNT; i++) {
		assert_false(found[batch[i].seen]);
		found[batch[i].seen] = true;
	}
	free(found);
	free(batch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_token_cache_revoked_elsewhere, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_token_cache_revoked_here, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_token_cache_expiry, setup_store, teardown_store),
		cmocka_unit_test_setup_teardown(test_token_cache_other_hash, setup_store,
						teardown_store),
		cmocka_unit_test_setup_teardown(test_audit_batch_chain, setup_store, teardown_store),
		cmocka_unit_test(test_sightings_sort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
