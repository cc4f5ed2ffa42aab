/*
 * A small open-addressing hash table (linear probing, FNV-1a) from byte
 * strings to uint32_t values. Warning lists keep their entries in it and
 * extraction uses it to list each canonical value once. It only grows;
 * nothing is ever removed, which keeps probing simple.
 */
#include <stdlib.h>
#include <string.h>

#include "ioc/ioc_internal.h"
#include "util/alloc.h"

struct ioc_table_slot {
	char *key; /* NULL for an empty slot */
	size_t len;
	uint64_t hash;
	uint32_t value;
};

static uint64_t hash_bytes(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325u;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3u;
	}
	/* Mix the high bits down because the slot index uses the low ones. */
	return h ^ (h >> 29);
}

void ioc_table_init(struct ioc_table *table)
{
	table->slots = NULL;
	table->cap = 0;
	table->count = 0;
}

void ioc_table_free(struct ioc_table *table)
{
	for (size_t i = 0; i < table->cap; i++)
		free(table->slots[i].key);
	free(table->slots);
	ioc_table_init(table);
}

static struct ioc_table_slot *probe(const struct ioc_table *table, const void *key, size_t len,
				    uint64_t hash)
{
	size_t mask = table->cap - 1;

	for (size_t i = hash & mask;; i = (i + 1) & mask) {
		struct ioc_table_slot *slot = &table->slots[i];

		if (!slot->key)
			return slot;
		if (slot->hash == hash && slot->len == len && memcmp(slot->key, key, len) == 0)
			return slot;
	}
}

static void grow(struct ioc_table *table)
{
	struct ioc_table_slot *old = table->slots;
	size_t old_cap = table->cap;

	table->cap = old_cap ? old_cap * 2 : 64;
	table->slots = xcalloc(table->cap, sizeof(*table->slots));
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].key)
			*probe(table, old[i].key, old[i].len, old[i].hash) = old[i];
	}
	free(old);
}

bool ioc_table_insert(struct ioc_table *table, const void *key, size_t len, uint32_t value,
		      uint32_t *stored)
{
	uint64_t hash = hash_bytes(key, len);
	struct ioc_table_slot *slot;

	/* Keep the load factor at or below one half so probes stay short. */
	if ((table->count + 1) * 2 > table->cap)
		grow(table);
	slot = probe(table, key, len, hash);
	if (slot->key) {
		if (stored)
			*stored = slot->value;
		return false;
	}
	slot->key = xstrndup(key, len);
	slot->len = len;
	slot->hash = hash;
	slot->value = value;
	table->count++;
	if (stored)
		*stored = value;
	return true;
}

bool ioc_table_find(const struct ioc_table *table, const void *key, size_t len, uint32_t *value)
{
	const struct ioc_table_slot *slot;

	if (table->count == 0)
		return false;
	slot = probe(table, key, len, hash_bytes(key, len));
	if (!slot->key)
		return false;
	*value = slot->value;
	return true;
}

/* The key is the type byte followed by the value, as extraction keys it. */
struct ioc_value_set {
	struct ioc_table table;
	char key[IOC_VALUE_MAX + 1];
};

struct ioc_value_set *ioc_value_set_new(void)
{
	struct ioc_value_set *set = xcalloc(1, sizeof(*set));

	ioc_table_init(&set->table);
	return set;
}

void ioc_value_set_free(struct ioc_value_set *set)
{
	if (!set)
		return;
	ioc_table_free(&set->table);
	free(set);
}

bool ioc_value_set_add(struct ioc_value_set *set, const struct ioc *ioc)
{
	set->key[0] = (char)ioc->type;
	memcpy(set->key + 1, ioc->value, ioc->value_len);
	return ioc_table_insert(&set->table, set->key, ioc->value_len + 1, 0, NULL);
}
