/*
 * Private to the store: the hash table behind struct store_linked_ids.
 */
#ifndef CTIHUB_STORE_LINKED_IDS_H
#define CTIHUB_STORE_LINKED_IDS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Empties the table when it was bound to another report, and binds it to
 * report_id. */
void store_linked_ids_reset(struct store_linked_ids *ids, int64_t report_id);
/* Starts loading the slot of hash into the CPU cache; a hint only. */
void store_linked_ids_prefetch(const struct store_linked_ids *ids, uint64_t hash);
/* Sets *id to the id stored under hash and returns true, or returns false. */
bool store_linked_ids_find(const struct store_linked_ids *ids, uint64_t hash, int64_t *id);
/* Stores id under hash, replacing an older id. Once the table has reached
 * its maximum size, new hashes are dropped. */
void store_linked_ids_add(struct store_linked_ids *ids, uint64_t hash, int64_t id);

#endif
