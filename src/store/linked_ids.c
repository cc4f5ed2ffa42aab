/*
 * The ids an ingest has already recorded and linked to its report, kept in
 * memory between its batches: an open-addressing hash table from a 64-bit
 * hash of (type, value) to the indicator id. A value that repeats in a later
 * batch is then updated by its id, without the failed insert, the lookup by
 * (type, value) and the link insert that it would cost otherwise.
 *
 * The table is a hint, not a source of truth: two values may share a hash,
 * so the caller checks type and value in the row it updates and takes the
 * full path when they differ.
 */
#include <stdlib.h>
#include <string.h>

#include "store/linked_ids.h"
#include "util/alloc.h"

/* Slots in a new table, and the maximum it grows to. The table is kept at
 * most half full, and a slot costs 16 bytes, so the maximum is 64 MiB for
 * about two million ids. Values seen after that still work, through the
 * full path. */
#define INITIAL_SLOTS (1u << 16)
#define MAX_SLOTS (1u << 22)

struct slot {
	uint64_t hash; /* 0 marks an empty slot */
	int64_t id;
};

struct store_linked_ids {
	int64_t report_id;
	struct slot *slots;
	size_t slot_count; /* a power of two */
	size_t used;
};

struct store_linked_ids *store_linked_ids_new(size_t expected)
{
	struct store_linked_ids *ids = xcalloc(1, sizeof(*ids));
	size_t count = INITIAL_SLOTS;

	/* Growing from the initial size to two million slots rehashed each
	 * id up to five times on the writer thread. Ids land on random slots,
	 * so a guess far too high costs memory too, not only address space. */
	while (count < MAX_SLOTS && count / 2 < expected)
		count *= 2;
	ids->slots = xcalloc(count, sizeof(*ids->slots));
	ids->slot_count = count;
	return ids;
}

void store_linked_ids_free(struct store_linked_ids *ids)
{
	if (!ids)
		return;
	free(ids->slots);
	free(ids);
}

void store_linked_ids_reset(struct store_linked_ids *ids, int64_t report_id)
{
	if (ids->report_id == report_id)
		return;
	/* An empty table is all zeros already. A new one has no pages in
	 * memory yet, and clearing it would fault in every page. */
	if (ids->used > 0)
		memset(ids->slots, 0, ids->slot_count * sizeof(*ids->slots));
	ids->used = 0;
	ids->report_id = report_id;
}

/* Mixes the value in 8 bytes at a time with a multiply and a shift, then
 * applies the 64-bit finaliser of MurmurHash3. */
uint64_t store_linked_ids_hash(enum ioc_type type, const char *value, size_t len)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	uint64_t h = ((uint64_t)type + 1) * k ^ len;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, value + i, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	if (i < len) {
		uint64_t w = 0;

		memcpy(&w, value + i, len - i);
		h = (h ^ w) * k;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h ? h : 1;
}

static struct slot *find_slot(struct slot *slots, size_t slot_count, uint64_t hash)
{
	size_t i = (size_t)hash & (slot_count - 1);

	while (slots[i].hash && slots[i].hash != hash)
		i = (i + 1) & (slot_count - 1);
	return &slots[i];
}

static void grow(struct store_linked_ids *ids)
{
	size_t count = ids->slot_count * 2;
	struct slot *slots = xcalloc(count, sizeof(*slots));

	for (size_t i = 0; i < ids->slot_count; i++) {
		if (ids->slots[i].hash)
			*find_slot(slots, count, ids->slots[i].hash) = ids->slots[i];
	}
	free(ids->slots);
	ids->slots = slots;
	ids->slot_count = count;
}

void store_linked_ids_prefetch(const struct store_linked_ids *ids, uint64_t hash)
{
	if (hash)
		__builtin_prefetch(&ids->slots[(size_t)hash & (ids->slot_count - 1)]);
}

bool store_linked_ids_find(const struct store_linked_ids *ids, uint64_t hash, int64_t *id)
{
	const struct slot *s = find_slot(ids->slots, ids->slot_count, hash);

	if (!s->hash)
		return false;
	*id = s->id;
	return true;
}

void store_linked_ids_add(struct store_linked_ids *ids, uint64_t hash, int64_t id)
{
	struct slot *s;

	if ((ids->used + 1) * 2 > ids->slot_count) {
		if (ids->slot_count >= MAX_SLOTS)
			return;
		grow(ids);
	}
	s = find_slot(ids->slots, ids->slot_count, hash);
	if (!s->hash)
		ids->used++;
	s->hash = hash;
	s->id = id;
}
